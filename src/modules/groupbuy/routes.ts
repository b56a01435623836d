import { Type } from 'typebox';
import { command } from '../../kernel/command';
import type { App } from '../../kernel/context';
import { notFound } from '../../kernel/errors';
import { Amount } from '../../kernel/money';
import { PageQuery, pageSchema } from '../../kernel/pagination';
import { requireBuyer, requireOperator } from '../identity';
import { requireShopRole } from '../merchants';
import { AddressSchema } from '../trade';
import {
  createGroupBuy,
  type Group,
  type GroupBuy,
  getGroup,
  getGroupBuy,
  getShopGroupBuy,
  groupBuyPhase,
  groupBuyReport,
  joinGroup,
  listGroupBuys,
  MAX_GROUP_QUANTITY,
  MAX_GROUP_SIZE,
  membersOf,
  openGroup,
  openGroupsOf,
  setGroupBuyStatus,
} from './group-buys';
import { GROUP_BUY_STATUSES, GROUP_STATUSES } from './schema';

const Id = Type.String({ minLength: 1, maxLength: 64 });
const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends import('typebox').TSchema>(t: T) => Type.Union([t, Type.Null()]);

const GroupBuyView = Type.Object({
  id: Type.String(),
  shopId: Type.String(),
  skuId: Type.String(),
  productId: Type.String(),
  listPrice: Amount,
  groupPrice: Amount,
  groupSize: Type.Integer(),
  windowHours: Type.Integer({ description: 'hours a group has to fill from its leader’s payment' }),
  stock: Type.Integer(),
  remaining: Type.Integer({ description: 'units not held by an open order or sold' }),
  status: Type.Enum([...GROUP_BUY_STATUSES]),
  phase: Type.Enum(['upcoming', 'live', 'ended', 'paused']),
  startsAt: DateTime,
  endsAt: DateTime,
  createdAt: DateTime,
});

const GroupView = Type.Object({
  id: Type.String(),
  groupBuyId: Type.String(),
  size: Type.Integer(),
  taken: Type.Integer({ description: 'places held by unpaid or paid members' }),
  paid: Type.Integer(),
  placesLeft: Type.Integer(),
  status: Type.Enum([...GROUP_STATUSES]),
  openedAt: Nullable(DateTime),
  expiresAt: Nullable(DateTime),
  secondsLeft: Nullable(Type.Integer({ description: 'until the group expires, while it is forming' })),
  serverTime: DateTime,
});

const CheckoutView = Type.Object({
  groupId: Type.String(),
  orderId: Type.String(),
  total: Amount,
  payment: Type.Object({ id: Type.String(), amount: Amount }),
});

const JoinBody = Type.Object(
  {
    address: AddressSchema,
    quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_GROUP_QUANTITY })),
  },
  { additionalProperties: false },
);

function groupBuyView(g: GroupBuy, now: Date) {
  return {
    id: g.id,
    shopId: g.shopId,
    skuId: g.skuId,
    productId: g.productId,
    listPrice: g.listPrice,
    groupPrice: g.groupPrice,
    groupSize: g.groupSize,
    windowHours: g.windowHours,
    stock: g.stock,
    remaining: g.stock - g.claimed,
    status: g.status,
    phase: groupBuyPhase(g, now),
    startsAt: g.startsAt.toISOString(),
    endsAt: g.endsAt.toISOString(),
    createdAt: g.createdAt.toISOString(),
  };
}

function groupView(g: Group, now: Date) {
  const left = g.status === 'forming' && g.expiresAt ? g.expiresAt.getTime() - now.getTime() : null;
  return {
    id: g.id,
    groupBuyId: g.groupBuyId,
    size: g.size,
    taken: g.taken,
    paid: g.paid,
    placesLeft: g.size - g.taken,
    status: g.status,
    openedAt: g.openedAt?.toISOString() ?? null,
    expiresAt: g.expiresAt?.toISOString() ?? null,
    secondsLeft: left === null ? null : Math.max(0, Math.floor(left / 1000)),
    serverTime: now.toISOString(),
  };
}

const ShopParams = Type.Object({ shopId: Id });
const ShopCampaignParams = Type.Object({ shopId: Id, id: Id });
const ROLES = ['operations'] as const;

/** Group buying (拼团): seller campaigns, the public group pages, opening and joining groups. */
export async function groupBuyRoutes(app: App): Promise<void> {
  const { clock, database } = app.jishi;
  const db = database.db;
  const tags = ['promotions'];

  app.post(
    '/seller/shops/:shopId/group-buys',
    {
      schema: {
        tags,
        summary: 'Schedule a group buy (拼团) of one of the shop’s SKUs',
        description:
          'Rules: the SKU is the shop’s own and on sale; 0 < groupPrice < the SKU price; 2 <= groupSize <= 10,000; ' +
          'groupSize <= stock <= units available now; at most 90 days. A group opens when its leader pays and has ' +
          'windowHours (the rule set’s groupBuy.windowHours, 24, when absent) to fill; a group that does not fill ' +
          'refunds every member automatically. Group orders close unpaid after order.unpaidCloseMinutes.flash.',
        params: ShopParams,
        body: Type.Object(
          {
            skuId: Id,
            groupPrice: Type.Integer({ minimum: 1, description: 'fen' }),
            groupSize: Type.Integer({ minimum: 2, maximum: MAX_GROUP_SIZE }),
            stock: Type.Integer({ minimum: 2, maximum: 1_000_000 }),
            startsAt: DateTime,
            endsAt: DateTime,
            windowHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 30 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: GroupBuyView },
      },
    },
    async (req, reply) => {
      const { shopId, auth } = await requireShopRole(req, req.params.shopId, ROLES);
      return command(req, reply, async (tx) => {
        const now = clock.now();
        const g = await createGroupBuy(
          tx,
          shopId,
          { ...req.body, startsAt: new Date(req.body.startsAt), endsAt: new Date(req.body.endsAt) },
          auth.accountId,
          now,
        );
        return { status: 201, body: groupBuyView(g, now) };
      });
    },
  );

  app.get(
    '/seller/shops/:shopId/group-buys',
    {
      schema: {
        tags,
        summary: 'The shop’s group buys, newest first',
        params: ShopParams,
        querystring: Type.Object({ ...PageQuery }),
        response: { 200: pageSchema(GroupBuyView) },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, ROLES);
      const p = await listGroupBuys(db, { shopId, ...req.query });
      const now = clock.now();
      return { items: p.items.map((g) => groupBuyView(g, now)), nextCursor: p.nextCursor };
    },
  );

  app.get(
    '/seller/shops/:shopId/group-buys/:id',
    {
      schema: {
        tags,
        summary:
          'One group buy with its report: groups by outcome, units sold and refunded, sales, discount cost',
        params: ShopCampaignParams,
        response: {
          200: Type.Object({
            groupBuy: GroupBuyView,
            report: Type.Object({
              groups: Type.Object({
                pending: Type.Integer(),
                forming: Type.Integer(),
                formed: Type.Integer(),
                failed: Type.Integer(),
                abandoned: Type.Integer(),
              }),
              unitsSold: Type.Integer({ description: 'units of paid members of formed groups' }),
              unitsRefunded: Type.Integer({ description: 'units refunded when their group failed' }),
              buyers: Type.Integer(),
              sales: Amount,
              discountCost: Type.Object({ merchant: Amount, platform: Amount }),
              formationRate: Type.Number({ description: 'formed / (formed + failed), 0 to 1' }),
            }),
          }),
        },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, ROLES);
      const g = await getShopGroupBuy(db, shopId, req.params.id);
      return { groupBuy: groupBuyView(g, clock.now()), report: await groupBuyReport(db, g) };
    },
  );

  for (const action of ['pause', 'resume'] as const) {
    app.post(
      `/seller/shops/:shopId/group-buys/:id/${action}`,
      {
        schema: {
          tags,
          summary:
            action === 'pause'
              ? 'Pause a group buy: no new groups (forming ones run to their end)'
              : 'Resume a paused group buy',
          params: ShopCampaignParams,
          response: { 200: GroupBuyView },
        },
      },
      async (req, reply) => {
        const { shopId } = await requireShopRole(req, req.params.shopId, ROLES);
        return command(req, reply, async (tx) => {
          const now = clock.now();
          const g = await setGroupBuyStatus(
            tx,
            shopId,
            req.params.id,
            action === 'pause' ? 'paused' : 'active',
            now,
          );
          return { status: 200, body: groupBuyView(g, now) };
        });
      },
    );
  }

  // ---- public and buyers ---------------------------------------------------------------------
  app.get(
    '/group-buys/:id',
    {
      schema: {
        tags,
        summary: 'A group buy and the groups a buyer can join now (soonest to expire first)',
        params: Type.Object({ id: Id }),
        response: { 200: Type.Object({ groupBuy: GroupBuyView, openGroups: Type.Array(GroupView) }) },
      },
    },
    async (req) => {
      const g = await getGroupBuy(db, req.params.id);
      if (!g) throw notFound('group_buy_not_found');
      const now = clock.now();
      const open = await openGroupsOf(db, g.id, now);
      return { groupBuy: groupBuyView(g, now), openGroups: open.map((x) => groupView(x, now)) };
    },
  );

  app.get(
    '/group-buys/groups/:groupId',
    {
      schema: {
        tags,
        summary: 'One group, to share: places left, time left, who joined (role and time, no personal data)',
        params: Type.Object({ groupId: Id }),
        response: {
          200: Type.Object({
            group: GroupView,
            members: Type.Array(
              Type.Object({
                role: Type.Enum(['leader', 'member']),
                paid: Type.Boolean(),
                joinedAt: DateTime,
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const g = await getGroup(db, req.params.groupId);
      if (!g) throw notFound('group_not_found');
      const members = (await membersOf(db, g.id)).filter((m) => m.status !== 'left');
      return {
        group: groupView(g, clock.now()),
        members: members.map((m) => ({
          role: m.role,
          paid: m.status === 'paid' || m.status === 'refunded',
          joinedAt: m.joinedAt.toISOString(),
        })),
      };
    },
  );

  app.post(
    '/group-buys/:id/groups',
    {
      schema: {
        tags,
        summary:
          'Open a group as its leader: the order is placed at the group price; pay it to open the group',
        params: Type.Object({ id: Id }),
        body: JoinBody,
        response: { 201: CheckoutView },
      },
    },
    async (req, reply) => {
      const { accountId } = requireBuyer(req);
      return command(req, reply, async (tx) => {
        const { group, checkout } = await openGroup(tx, accountId, req.params.id, req.body, clock.now());
        const order = checkout.orders[0]!;
        return {
          status: 201,
          body: { groupId: group.id, orderId: order.id, total: order.total, payment: checkout.payment },
        };
      });
    },
  );

  app.post(
    '/group-buys/groups/:groupId/join',
    {
      schema: {
        tags,
        summary: 'Join a forming group (one place per buyer per group); pay the order to keep the place',
        params: Type.Object({ groupId: Id }),
        body: JoinBody,
        response: { 201: CheckoutView },
      },
    },
    async (req, reply) => {
      const { accountId } = requireBuyer(req);
      return command(req, reply, async (tx) => {
        const { group, checkout } = await joinGroup(tx, accountId, req.params.groupId, req.body, clock.now());
        const order = checkout.orders[0]!;
        return {
          status: 201,
          body: { groupId: group.id, orderId: order.id, total: order.total, payment: checkout.payment },
        };
      });
    },
  );

  app.get(
    '/admin/group-buys',
    {
      schema: {
        tags,
        summary: 'Every group buy (optionally one shop’s), newest first',
        querystring: Type.Object({ shopId: Type.Optional(Id), ...PageQuery }),
        response: { 200: pageSchema(GroupBuyView) },
      },
    },
    async (req) => {
      requireOperator(req);
      const p = await listGroupBuys(db, req.query);
      const now = clock.now();
      return { items: p.items.map((g) => groupBuyView(g, now)), nextCursor: p.nextCursor };
    },
  );
}
