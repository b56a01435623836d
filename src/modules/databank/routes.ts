import { Type } from 'typebox';
import { withPlansPerCall } from '../../db';
import { command } from '../../kernel/command';
import type { App } from '../../kernel/context';
import { AppError, invalidField } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { Amount } from '../../kernel/money';
import { requireAccount, requireBuyer, requireOperator } from '../identity';
import { getShop, requireShopRole, staffMemberships } from '../merchants';
import { assetHistory, flows, funnel, recomputeFacts, scopesOfShop, snapshotTaken } from './aipl';
import { EVENT_KINDS, STAGES } from './aipl-rules';
import {
  addFriend,
  createProgramme,
  followState,
  joinMembership,
  LAYERS,
  layerCounts,
  membershipOf,
  shareProgramme,
  unfollowShop,
} from './crm';
import { dayLabel, dayOf, parseDay } from './days';
import { retentionDays, setRetentionDays, storeEvents } from './events';
import { identifyDevice, ingestEvents, MAX_BATCH } from './intake';
import { ensureDailyRun, windowsOfShop } from './jobs';
import {
  countMatching,
  createSegment,
  deleteSegment,
  getSegment,
  listSegments,
  matchingConsumers,
  type SegmentFilter,
  segmentCsv,
} from './segments';
import './messages';

const Id = Type.String({ minLength: 1, maxLength: 128 });
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'China-time date, YYYY-MM-DD' });
const Scope = Type.String({
  pattern: '^(brand|category):.+$',
  maxLength: 140,
  description: 'brand:<brand id> or category:<category id>',
});
const StageCounts = Type.Object({
  awareness: Type.Integer(),
  interest: Type.Integer(),
  purchase: Type.Integer(),
  loyalty: Type.Integer(),
});
const StageOrNone = Type.Union([
  Type.Literal('none'),
  Type.Literal('awareness'),
  Type.Literal('interest'),
  Type.Literal('purchase'),
  Type.Literal('loyalty'),
]);

const EventBody = Type.Object(
  {
    id: Type.String({
      minLength: 1,
      maxLength: 128,
      description: 'the sender’s id: a retry with it is a no-op',
    }),
    kind: Type.Union(EVENT_KINDS.map((k) => Type.Literal(k))),
    occurredAt: Type.String({ format: 'date-time' }),
    consumerId: Type.Optional(Id),
    deviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    productId: Type.Optional(Id),
    skuId: Type.Optional(Id),
    shopId: Type.Optional(Id),
    brandId: Type.Optional(Id),
    categoryId: Type.Optional(Id),
    channel: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    region: Type.Optional(
      Type.String({ minLength: 1, maxLength: 40, description: 'province level, never an address' }),
    ),
    quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    amount: Type.Optional(Amount),
    rating: Type.Optional(Type.Integer({ minimum: -1, maximum: 1 })),
  },
  { additionalProperties: false },
);

const FilterBody = Type.Object(
  {
    stages: Type.Optional(Type.Array(Type.Union(STAGES.map((s) => Type.Literal(s))), { maxItems: 4 })),
    scope: Type.Optional(Scope),
    layers: Type.Optional(Type.Array(Type.Union(LAYERS.map((l) => Type.Literal(l))), { maxItems: 6 })),
    categoryIds: Type.Optional(Type.Array(Id, { maxItems: 50 })),
    recencyDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
    minSpend: Type.Optional(Amount),
    maxSpend: Type.Optional(Amount),
    regions: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 40 }), { maxItems: 50 })),
  },
  { additionalProperties: false },
);

/** Who reads consumer data: the shop's owner and operations staff. */
const ANALYST_ROLES = ['operations'] as const;

function dayParam(label: string, field: string): number {
  const day = parseDay(label);
  if (day === undefined)
    throw new AppError(
      400,
      'validation_failed',
      {},
      [{ path: `/${field}`, in: 'query', code: 'databank_bad_day' }],
      'validation_failed_detail',
    );
  return day;
}

export async function databankRoutes(app: App): Promise<void> {
  const { clock, database, config } = app.jishi;
  const db = database.db;
  const tags = ['databank'];

  app.post(
    '/events',
    {
      schema: {
        tags,
        summary: 'Ingest up to 1,000 behaviour events (storefronts, apps, merchants for their own shop)',
        body: Type.Object(
          { events: Type.Array(EventBody, { minItems: 1, maxItems: MAX_BATCH }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ accepted: Type.Integer(), duplicates: Type.Integer() }) },
      },
    },
    async (req, reply) => {
      const auth = requireAccount(req);
      let shops: Set<string> | null = null;
      if (auth.apiKey) shops = new Set([auth.apiKey.shopId]);
      else if (!auth.isOperator) {
        const mine = await staffMemberships(db, auth.accountId);
        if (mine.length === 0) throw new AppError(403, 'databank_callers_only');
        shops = new Set(mine.map((s) => s.id));
      }
      return command(req, reply, async (tx) => {
        const now = clock.now();
        const r = await ingestEvents(tx, req.body.events, shops, now);
        await ensureDailyRun(tx, now);
        return { status: 200, body: r };
      });
    },
  );

  app.post(
    '/events/identify',
    {
      schema: {
        tags,
        summary: 'The buyer logged in on this device: its anonymous events become theirs',
        body: Type.Object(
          { deviceId: Type.String({ minLength: 1, maxLength: 128 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ merged: Type.Integer() }) },
      },
    },
    async (req, reply) => {
      const { accountId } = requireBuyer(req);
      return command(req, reply, async (tx) => ({
        status: 200,
        body: await identifyDevice(tx, req.body.deviceId, accountId, clock.now()),
      }));
    },
  );

  const Settings = Type.Object(
    { retentionDays: Type.Integer({ minimum: 30, maximum: 3650 }) },
    { additionalProperties: false },
  );
  app.get(
    '/admin/databank/settings',
    { schema: { tags, summary: 'Data bank settings', response: { 200: Settings } } },
    async (req) => {
      requireOperator(req);
      return { retentionDays: await retentionDays(db) };
    },
  );
  app.put(
    '/admin/databank/settings',
    {
      schema: {
        tags,
        summary: 'Set how long raw events are kept (whole days are dropped by the daily run)',
        body: Settings,
        response: { 200: Settings },
      },
    },
    async (req, reply) => {
      requireOperator(req);
      return command(req, reply, async (tx) => ({
        status: 200,
        body: { retentionDays: await setRetentionDays(tx, req.body.retentionDays, clock.now()) },
      }));
    },
  );

  const ShopParams = Type.Object({ shopId: Id });

  app.get(
    '/seller/shops/:shopId/databank/funnel',
    {
      schema: {
        tags,
        summary: 'AIPL funnel today: consumers per stage for each of the shop’s brands and categories',
        params: ShopParams,
        querystring: Type.Object({ scope: Type.Optional(Scope) }),
        response: {
          200: Type.Object({
            day: Type.String(),
            windows: Type.Record(Type.String(), Type.Integer()),
            scopes: Type.Array(
              Type.Object({ scope: Type.String(), stages: StageCounts, total: Type.Integer() }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, ANALYST_ROLES);
      const now = clock.now();
      const today = dayOf(now);
      const w = await windowsOfShop(db, shopId, now);
      const scopes = req.query.scope ? [req.query.scope] : await scopesOfShop(db, shopId);
      // Every scope's funnel in one transaction planned per call, not one transaction per scope.
      const out = await withPlansPerCall(db, async (tx) => {
        const funnels = [];
        for (const scope of scopes) {
          const stages = await funnel(tx, shopId, scope, today, w);
          funnels.push({
            scope,
            stages,
            total: stages.awareness + stages.interest + stages.purchase + stages.loyalty,
          });
        }
        return funnels;
      });
      return { day: dayLabel(today), windows: { ...w }, scopes: out };
    },
  );

  app.get(
    '/seller/shops/:shopId/databank/history',
    {
      schema: {
        tags,
        summary: 'Consumer assets over time: the daily snapshots of a scope',
        params: ShopParams,
        querystring: Type.Object({ scope: Scope, from: Day, to: Day }),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({ day: Type.String(), stages: StageCounts, total: Type.Integer() }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, ANALYST_ROLES);
      const from = dayParam(req.query.from, 'from');
      const to = dayParam(req.query.to, 'to');
      const rows = await assetHistory(db, shopId, req.query.scope, from, to);
      return {
        items: rows.map((r) => ({
          day: dayLabel(r.day),
          stages: { awareness: r.awareness, interest: r.interest, purchase: r.purchase, loyalty: r.loyalty },
          total: r.awareness + r.interest + r.purchase + r.loyalty,
        })),
      };
    },
  );

  const FlowAnswer = Type.Object({
    scope: Type.String(),
    from: Type.String(),
    to: Type.String(),
    before: StageCounts,
    after: StageCounts,
    assetsBefore: Type.Integer(),
    assetsAfter: Type.Integer(),
    growth: Type.Union([Type.Number(), Type.Null()], {
      description: 'after / before - 1; null when before is 0',
    }),
    summary: Type.String(),
    flows: Type.Array(Type.Object({ from: StageOrNone, to: StageOrNone, consumers: Type.Integer() })),
  });

  const flowReport = async (
    shopId: string,
    scope: string,
    fromLabel: string,
    toLabel: string,
    segmentId?: string,
  ) => {
    const from = dayParam(fromLabel, 'from');
    const to = dayParam(toLabel, 'to');
    if (to < from)
      throw new AppError(
        400,
        'validation_failed',
        {},
        [{ path: '/to', in: 'query', code: 'databank_days_order' }],
        'validation_failed_detail',
      );
    for (const [d, field] of [
      [from, 'from'],
      [to, 'to'],
    ] as const) {
      if (!(await snapshotTaken(db, d)))
        throw new AppError(422, 'databank_snapshot_missing', { day: dayLabel(d), field });
    }
    let audience: string[] | undefined;
    if (segmentId) {
      const segment = await getSegment(db, shopId, segmentId);
      const now = clock.now();
      audience = await matchingConsumers(
        db,
        shopId,
        segment.filter as SegmentFilter,
        dayOf(now),
        await windowsOfShop(db, shopId, now),
        now,
      );
    }
    // One pass: each side's totals are the flows out of and into each stage (flows.test.ts holds
    // them to stageCountsOn, which counts each day on its own).
    const moves = await withPlansPerCall(db, (tx) => flows(tx, shopId, scope, from, to, audience));
    const before = { awareness: 0, interest: 0, purchase: 0, loyalty: 0 };
    const after = { ...before };
    for (const f of moves) {
      if (f.from !== 'none') before[f.from] += f.consumers;
      if (f.to !== 'none') after[f.to] += f.consumers;
    }
    const sum = (c: typeof before) => c.awareness + c.interest + c.purchase + c.loyalty;
    const assetsBefore = sum(before);
    const assetsAfter = sum(after);
    const growth = assetsBefore === 0 ? null : assetsAfter / assetsBefore - 1;
    const pct = growth === null ? 'new' : `${growth >= 0 ? '+' : ''}${Math.round(growth * 100)}%`;
    return {
      scope,
      from: dayLabel(from),
      to: dayLabel(to),
      before,
      after,
      assetsBefore,
      assetsAfter,
      growth: growth === null ? null : Math.round(growth * 10_000) / 10_000,
      summary: `consumer assets ${pct} (${assetsBefore} -> ${assetsAfter})`,
      flows: moves,
    };
  };

  app.get(
    '/seller/shops/:shopId/databank/flows',
    {
      schema: {
        tags,
        summary: 'Stage-to-stage flows between two snapshot days (none = new on the left, lost on the right)',
        params: ShopParams,
        querystring: Type.Object({ scope: Scope, from: Day, to: Day, segmentId: Type.Optional(Id) }),
        response: { 200: FlowAnswer },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, ANALYST_ROLES);
      return flowReport(shopId, req.query.scope, req.query.from, req.query.to, req.query.segmentId);
    },
  );

  app.get(
    '/seller/shops/:shopId/databank/campaign-report',
    {
      schema: {
        tags,
        summary: 'What a campaign added: consumer assets on its first and last day, and the flows between',
        params: ShopParams,
        querystring: Type.Object({ scope: Scope, from: Day, to: Day, segmentId: Type.Optional(Id) }),
        response: { 200: FlowAnswer },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, ANALYST_ROLES);
      return flowReport(shopId, req.query.scope, req.query.from, req.query.to, req.query.segmentId);
    },
  );

  app.post(
    '/seller/shops/:shopId/databank/recompute',
    {
      schema: {
        tags,
        summary: 'Rebuild the shop’s AIPL facts from the raw events',
        params: ShopParams,
        response: { 200: Type.Object({ rows: Type.Integer() }) },
      },
    },
    async (req, reply) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, ANALYST_ROLES);
      return command(req, reply, async (tx) => ({
        status: 200,
        body: { rows: await recomputeFacts(tx, { shopId }) },
      }));
    },
  );

  app.get(
    '/seller/shops/:shopId/crm/layers',
    {
      schema: {
        tags,
        summary: 'CRM layers: consumers per layer and connection strength',
        params: ShopParams,
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({ layer: Type.String(), strength: Type.String(), consumers: Type.Integer() }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, ['operations', 'service']);
      return { items: await layerCounts(db, shopId) };
    },
  );

  app.post(
    '/seller/shops/:shopId/crm/friends',
    {
      schema: {
        tags,
        summary: 'Service staff add a fan back: the relation becomes mutual (friend)',
        params: ShopParams,
        body: Type.Object({ consumerId: Id }, { additionalProperties: false }),
        response: { 200: Type.Object({ consumerId: Type.String(), layer: Type.String() }) },
      },
    },
    async (req, reply) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, ['operations', 'service']);
      return command(req, reply, async (tx) => {
        await addFriend(tx, shopId, req.body.consumerId, clock.now());
        return { status: 200, body: { consumerId: req.body.consumerId, layer: 'friend' } };
      });
    },
  );

  const Level = Type.Object(
    { name: Type.String({ minLength: 1, maxLength: 40 }), minSpend: Amount },
    { additionalProperties: false },
  );
  const ProgrammeView = Type.Object({
    id: Type.String(),
    name: Type.String(),
    ownerShopId: Type.String(),
    levels: Type.Array(Type.Object({ name: Type.String(), minSpend: Type.Integer() })),
  });
  const programmeView = (p: {
    id: string;
    name: string;
    ownerShopId: string;
    levels: { name: string; minSpend: number }[];
  }) => ({
    id: p.id,
    name: p.name,
    ownerShopId: p.ownerShopId,
    levels: p.levels,
  });

  app.post(
    '/seller/shops/:shopId/membership-programme',
    {
      schema: {
        tags,
        summary: 'Start the shop’s membership programme with its levels (reached by spend)',
        params: ShopParams,
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 60 }),
            levels: Type.Array(Level, { minItems: 1, maxItems: 10 }),
          },
          { additionalProperties: false },
        ),
        response: { 201: ProgrammeView },
      },
    },
    async (req, reply) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, ANALYST_ROLES);
      return command(req, reply, async (tx) => ({
        status: 201,
        body: programmeView(await createProgramme(tx, shopId, req.body, clock.now())),
      }));
    },
  );

  app.post(
    '/admin/membership-programmes/:id/shops',
    {
      schema: {
        tags,
        summary: 'A mall operator lets another shop share a membership programme',
        params: Type.Object({ id: Id }),
        body: Type.Object({ shopId: Id }, { additionalProperties: false }),
        response: { 200: ProgrammeView },
      },
    },
    async (req, reply) => {
      requireOperator(req);
      return command(req, reply, async (tx) => ({
        status: 200,
        body: programmeView(await shareProgramme(tx, req.params.id, req.body.shopId, clock.now())),
      }));
    },
  );

  const MembershipView = Type.Object({
    programmeId: Type.String(),
    programme: Type.String(),
    level: Type.String(),
    spend: Type.Integer(),
    joinedAt: Type.String(),
  });

  app.post(
    '/shops/:shopId/membership',
    {
      schema: {
        tags,
        summary: 'Join the shop’s membership programme',
        params: ShopParams,
        response: { 200: MembershipView },
      },
    },
    async (req, reply) => {
      const { accountId } = requireBuyer(req);
      return command(req, reply, async (tx) => {
        const now = clock.now();
        const { joined } = await joinMembership(tx, req.params.shopId, accountId, now);
        if (joined) {
          // A relation with the shop (its CRM layer), not with one brand or category.
          await storeEvents(
            tx,
            [
              {
                id: `join:${req.params.shopId}:${accountId}`,
                kind: 'join',
                occurredAt: now,
                consumerId: accountId,
                deviceId: null,
                shopId: req.params.shopId,
                productId: null,
                skuId: null,
                brandId: null,
                categoryId: null,
                channel: 'membership',
                region: null,
                quantity: null,
                amount: null,
                rating: null,
                source: 'membership',
              },
            ],
            now,
          );
          await ensureDailyRun(tx, now);
        }
        const m = (await membershipOf(tx, req.params.shopId, accountId))!;
        return { status: 200, body: { ...m, joinedAt: m.joinedAt.toISOString() } };
      });
    },
  );

  const FollowView = Type.Object({
    following: Type.Boolean(),
    followedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    fans: Type.Integer({ description: 'buyers following the shop' }),
  });
  const requireTradingShop = async (shopId: string) => {
    const shop = await getShop(db, shopId);
    if (!shop || shop.status === 'closed') throw new AppError(404, 'shop_not_found');
  };

  app.get(
    '/shops/:shopId/follow',
    {
      schema: {
        tags,
        summary: 'The shop’s fans, and whether I follow it (following is false without a session)',
        params: ShopParams,
        response: { 200: FollowView },
      },
    },
    async (req) => {
      await requireTradingShop(req.params.shopId);
      return followState(
        db,
        req.params.shopId,
        req.auth && !req.auth.apiKey ? req.auth.accountId : undefined,
      );
    },
  );

  app.put(
    '/shops/:shopId/follow',
    {
      schema: {
        tags,
        summary: 'Follow the shop (become its fan); following again changes nothing',
        params: ShopParams,
        response: { 200: FollowView },
      },
    },
    async (req, reply) => {
      const { accountId } = requireBuyer(req);
      await requireTradingShop(req.params.shopId);
      return command(req, reply, async (tx) => {
        const now = clock.now();
        if (!(await followState(tx, req.params.shopId, accountId)).following) {
          // A follow is a behaviour event like any other: it makes the buyer a fan in the CRM layers.
          await storeEvents(
            tx,
            [
              {
                id: newId('follow'),
                kind: 'follow',
                occurredAt: now,
                consumerId: accountId,
                deviceId: null,
                shopId: req.params.shopId,
                productId: null,
                skuId: null,
                brandId: null,
                categoryId: null,
                channel: 'shop',
                region: null,
                quantity: null,
                amount: null,
                rating: null,
                source: 'follow',
              },
            ],
            now,
          );
          await ensureDailyRun(tx, now);
        }
        return { status: 200, body: await followState(tx, req.params.shopId, accountId) };
      });
    },
  );

  app.delete(
    '/shops/:shopId/follow',
    {
      schema: {
        tags,
        summary: 'Stop following the shop',
        params: ShopParams,
        response: { 200: FollowView },
      },
    },
    async (req, reply) => {
      const { accountId } = requireBuyer(req);
      await requireTradingShop(req.params.shopId);
      return command(req, reply, async (tx) => {
        await unfollowShop(tx, req.params.shopId, accountId, clock.now());
        return { status: 200, body: await followState(tx, req.params.shopId, accountId) };
      });
    },
  );

  app.get(
    '/shops/:shopId/membership',
    {
      schema: {
        tags,
        summary: 'My membership of this shop and its level',
        params: ShopParams,
        response: { 200: MembershipView },
      },
    },
    async (req) => {
      const { accountId } = requireBuyer(req);
      const m = await membershipOf(db, req.params.shopId, accountId);
      if (!m) throw new AppError(404, 'membership_not_member');
      return { ...m, joinedAt: m.joinedAt.toISOString() };
    },
  );

  const SegmentView = Type.Object({
    id: Type.String(),
    name: Type.String(),
    filter: Type.Record(Type.String(), Type.Unknown()),
    consumers: Type.Integer({ description: 'matching now' }),
    createdAt: Type.String(),
  });
  const checkFilter = (f: SegmentFilter) => {
    if (f.minSpend !== undefined && f.maxSpend !== undefined && f.maxSpend < f.minSpend) {
      throw invalidField('/filter/maxSpend', 'field.minimum', { limit: f.minSpend });
    }
  };
  const counted = async (
    shopId: string,
    s: { id: string; name: string; filter: unknown; createdAt: Date },
  ) => {
    const now = clock.now();
    const w = await windowsOfShop(db, shopId, now);
    return {
      id: s.id,
      name: s.name,
      filter: s.filter as Record<string, unknown>,
      consumers: await countMatching(db, shopId, s.filter as SegmentFilter, dayOf(now), w, now),
      createdAt: s.createdAt.toISOString(),
    };
  };

  app.post(
    '/seller/shops/:shopId/segments',
    {
      schema: {
        tags,
        summary: 'Save a segment: a filter over stage, layer, categories of interest, recency, spend, region',
        params: ShopParams,
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 60 }), filter: FilterBody },
          { additionalProperties: false },
        ),
        response: { 201: SegmentView },
      },
    },
    async (req, reply) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, ANALYST_ROLES);
      checkFilter(req.body.filter);
      const now = clock.now();
      const w = await windowsOfShop(db, shopId, now);
      return command(req, reply, async (tx) => {
        const s = await createSegment(tx, shopId, req.body, now);
        const consumers = await countMatching(tx, shopId, s.filter as SegmentFilter, dayOf(now), w, now);
        return {
          status: 201,
          body: { id: s.id, name: s.name, filter: s.filter, consumers, createdAt: s.createdAt.toISOString() },
        };
      });
    },
  );

  app.get(
    '/seller/shops/:shopId/segments',
    {
      schema: {
        tags,
        summary: 'The shop’s segments with their current counts',
        params: ShopParams,
        response: { 200: Type.Object({ items: Type.Array(SegmentView) }) },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, ANALYST_ROLES);
      const items = [];
      for (const s of await listSegments(db, shopId)) items.push(await counted(shopId, s));
      return { items };
    },
  );

  app.get(
    '/seller/shops/:shopId/segments/:id',
    {
      schema: {
        tags,
        summary: 'A segment and its current count',
        params: Type.Object({ shopId: Id, id: Id }),
        response: { 200: SegmentView },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, ANALYST_ROLES);
      return counted(shopId, await getSegment(db, shopId, req.params.id));
    },
  );

  app.delete(
    '/seller/shops/:shopId/segments/:id',
    {
      schema: {
        tags,
        summary: 'Delete a segment',
        params: Type.Object({ shopId: Id, id: Id }),
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, ANALYST_ROLES);
      return command(req, reply, async (tx) => {
        await deleteSegment(tx, shopId, req.params.id);
        return { status: 204 };
      });
    },
  );

  app.get(
    '/seller/shops/:shopId/segments/:id/export',
    {
      schema: {
        tags,
        summary: 'The segment as CSV: ids pseudonymised for this shop, nothing personal',
        params: Type.Object({ shopId: Id, id: Id }),
        produces: ['text/csv'],
      },
    },
    async (req, reply) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, ANALYST_ROLES);
      const segment = await getSegment(db, shopId, req.params.id);
      const now = clock.now();
      const w = await windowsOfShop(db, shopId, now);
      const ids = await matchingConsumers(db, shopId, segment.filter as SegmentFilter, dayOf(now), w, now);
      reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="segment-${segment.id}.csv"`);
      return segmentCsv(config.identitySecret, shopId, ids);
    },
  );
}
