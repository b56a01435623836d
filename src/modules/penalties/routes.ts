import { Type } from 'typebox';
import type { Executor } from '../../db';
import { command } from '../../kernel/command';
import type { App } from '../../kernel/context';
import { hasMessage, type Locale, t } from '../../kernel/i18n';
import { PageQuery } from '../../kernel/pagination';
import { requireOperator } from '../identity';
import { requireShopRole } from '../merchants';
import {
  type ActivePenalty,
  addPenaltyPoints,
  listPenaltyRecords,
  listShopPenalties,
  type PenaltyRecord,
  type PenaltyTotals,
  recordFakeTrade,
  shopPenaltyState,
} from './penalties';
import { PENALTY_ACTIONS, PENALTY_REASONS, PENALTY_TRACKS } from './schema';

const Id = Type.String({ minLength: 1, maxLength: 64 });
const ShopParams = Type.Object({ shopId: Id });
const DateTime = Type.String({ format: 'date-time' });
const nullable = <T extends import('typebox').TSchema>(s: T) => Type.Union([s, Type.Null()]);

const Totals = Type.Object({
  general: Type.Integer(),
  serious: Type.Integer(),
  counterfeit: Type.Integer(),
  total: Type.Integer({ description: 'all three together, as the shop view’s penaltyPoints' }),
});

const ActivePenaltyView = Type.Object({
  id: Type.String(),
  action: Type.Enum([...PENALTY_ACTIONS]),
  actionText: Type.String(),
  ladder: Type.Enum(['general', 'serious']),
  node: Type.Integer({ description: 'the points node that fired' }),
  restricts: Type.Array(Type.Enum(['search', 'listing', 'trading'])),
  startsAt: DateTime,
  until: nullable(DateTime),
  reason: Type.String(),
});

const RecordView = Type.Object({
  id: Type.String(),
  year: Type.Integer(),
  track: Type.Enum([...PENALTY_TRACKS]),
  points: Type.Integer(),
  reason: Type.String(),
  reasonText: Type.String(),
  note: nullable(Type.String()),
  ref: nullable(Type.String()),
  issuedBy: nullable(Type.String({ description: 'operator account id; null when the platform issued it' })),
  fakeOrders: nullable(Type.Integer()),
  offence: nullable(Type.Integer()),
  lateDetected: nullable(Type.Boolean()),
  createdAt: DateTime,
});

const HistoryView = Type.Object({
  id: Type.String(),
  action: Type.Enum([...PENALTY_ACTIONS]),
  ladder: Type.Enum(['general', 'serious']),
  node: Type.Integer(),
  status: Type.Enum(['active', 'lifted', 'superseded']),
  startsAt: DateTime,
  endsAt: nullable(DateTime),
  endedAt: nullable(DateTime),
});

const DeductionView = Type.Object({
  id: Type.String({ description: 'the penalty record' }),
  totals: Totals,
  penalty: nullable(ActivePenaltyView),
});

const StateView = Type.Object({
  shopId: Type.String(),
  year: Type.Integer({ description: 'the penalty year (Asia/Shanghai), reset on Dec 31 at 24:00' }),
  totals: Totals,
  penalty: nullable(ActivePenaltyView),
  history: Type.Array(HistoryView),
  records: Type.Object({ items: Type.Array(RecordView), nextCursor: nullable(Type.String()) }),
});

const totalsView = (t: PenaltyTotals) => ({ ...t, total: t.general + t.serious + t.counterfeit });

const penaltyView = (p: ActivePenalty | null, locale: Locale) =>
  p && {
    ...p,
    actionText: t(`penalty.action.${p.action}`, locale),
    startsAt: p.startsAt.toISOString(),
    until: p.until?.toISOString() ?? null,
  };

function recordView(r: PenaltyRecord, locale: Locale) {
  const key = `penalty.reason.${r.reason}`;
  return {
    id: r.id,
    year: r.year,
    track: r.track,
    points: r.points,
    reason: r.reason,
    reasonText: hasMessage(key) ? t(key, locale) : r.reason,
    note: r.note,
    ref: r.ref,
    issuedBy: r.issuedBy,
    fakeOrders: r.fakeOrders,
    offence: r.offence,
    lateDetected: r.lateDetected,
    createdAt: r.createdAt.toISOString(),
  };
}

async function stateView(
  db: Executor,
  shopId: string,
  query: { cursor?: string; limit?: number },
  now: Date,
  locale: Locale,
) {
  const state = await shopPenaltyState(db, shopId, now);
  const records = await listPenaltyRecords(db, shopId, { cursor: query.cursor, limit: query.limit ?? 20 });
  const history = await listShopPenalties(db, shopId);
  return {
    shopId,
    year: state.year,
    totals: totalsView(state.totals),
    penalty: penaltyView(state.penalty, locale),
    history: history.map((h) => ({
      id: h.id,
      action: h.action,
      ladder: h.ladder,
      node: h.node,
      status: h.status,
      startsAt: h.startsAt.toISOString(),
      endsAt: h.endsAt?.toISOString() ?? null,
      endedAt: h.endedAt?.toISOString() ?? null,
    })),
    records: { items: records.items.map((r) => recordView(r, locale)), nextCursor: records.nextCursor },
  };
}

export async function penaltiesRoutes(app: App): Promise<void> {
  const { clock, database } = app.jishi;
  const tags = ['penalties'];

  app.post(
    '/admin/shops/:shopId/penalties',
    {
      schema: {
        tags,
        summary: 'Add penalty points to a shop; a node reached penalises it (the heaviest only)',
        params: ShopParams,
        body: Type.Object(
          {
            track: Type.Enum([...PENALTY_TRACKS]),
            points: Type.Integer({ minimum: 1, maximum: 1000 }),
            reason: Type.Enum([...PENALTY_REASONS]),
            note: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
            ref: Type.Optional(
              Type.String({ minLength: 1, maxLength: 64, description: 'e.g. a complaint id' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: DeductionView },
      },
    },
    async (req, reply) => {
      const operator = requireOperator(req);
      return command(req, reply, async (tx) => {
        const result = await addPenaltyPoints(
          tx,
          { shopId: req.params.shopId, ...req.body, issuedBy: operator.accountId },
          clock.now(),
        );
        return {
          status: 201,
          body: {
            id: result.id,
            totals: totalsView(result.totals),
            penalty: penaltyView(result.penalty, req.locale),
          },
        };
      });
    },
  );

  app.post(
    '/admin/shops/:shopId/fake-trades',
    {
      schema: {
        tags,
        summary: 'Record a brushing (fake transaction) finding; points by the offence count of the year',
        params: ShopParams,
        body: Type.Object(
          {
            fakeOrders: Type.Integer({ minimum: 1, maximum: 10_000_000 }),
            lateDetected: Type.Optional(
              Type.Boolean({ description: 'found months after the fact: the rule set’s fixed points' }),
            ),
            note: Type.String({ minLength: 1, maxLength: 1000 }),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            ...DeductionView.properties,
            offence: Type.Integer({ description: 'which offence of the penalty year this is' }),
            points: Type.Integer(),
          }),
        },
      },
    },
    async (req, reply) => {
      const operator = requireOperator(req);
      return command(req, reply, async (tx) => {
        const result = await recordFakeTrade(
          tx,
          { shopId: req.params.shopId, ...req.body, issuedBy: operator.accountId },
          clock.now(),
        );
        return {
          status: 201,
          body: {
            id: result.id,
            totals: totalsView(result.totals),
            penalty: penaltyView(result.penalty, req.locale),
            offence: result.offence,
            points: result.points,
          },
        };
      });
    },
  );

  app.get(
    '/admin/shops/:shopId/penalties',
    {
      schema: {
        tags,
        summary: 'A shop’s penalty points this year, the penalty in force, its history and the records',
        params: ShopParams,
        querystring: Type.Object(PageQuery),
        response: { 200: StateView },
      },
    },
    async (req) => {
      requireOperator(req);
      return stateView(database.db, req.params.shopId, req.query, clock.now(), req.locale);
    },
  );

  app.get(
    '/seller/shops/:shopId/penalties',
    {
      schema: {
        tags,
        summary: 'The shop’s own penalty points with their reasons, the penalty in force and when it ends',
        params: ShopParams,
        querystring: Type.Object(PageQuery),
        response: { 200: StateView },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId);
      return stateView(database.db, shopId, req.query, clock.now(), req.locale);
    },
  );
}
