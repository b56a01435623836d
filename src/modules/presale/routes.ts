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
  cancelPresale,
  createPresale,
  finalUnitPrice,
  getPresale,
  getShopPresale,
  listPresales,
  MAX_PRESALE_QUANTITY,
  type Presale,
  placeDeposit,
  presalePhase,
  presaleReport,
  refundPresaleDeposit,
} from './presales';
import { PRESALE_STATUSES } from './schema';

const Id = Type.String({ minLength: 1, maxLength: 64 });
const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends import('typebox').TSchema>(t: T) => Type.Union([t, Type.Null()]);

const PresaleView = Type.Object({
  id: Type.String(),
  shopId: Type.String(),
  skuId: Type.String(),
  productId: Type.String(),
  listPrice: Amount,
  presalePrice: Amount,
  deposit: Amount,
  depositValue: Type.Integer({ description: 'what the deposit counts for (付定金立减), >= deposit' }),
  finalUnitPrice: Amount,
  balancePerUnit: Amount,
  quota: Type.Integer(),
  remaining: Type.Integer(),
  status: Type.Enum([...PRESALE_STATUSES]),
  phase: Type.Enum(['upcoming', 'deposit', 'waiting_balance', 'balance', 'ended', 'cancelled']),
  depositFrom: DateTime,
  depositUntil: DateTime,
  balanceFrom: DateTime,
  balanceUntil: DateTime,
  announcedShipBy: Nullable(DateTime),
  serverTime: DateTime,
});

function presaleView(p: Presale, now: Date) {
  const unit = finalUnitPrice(p);
  return {
    id: p.id,
    shopId: p.shopId,
    skuId: p.skuId,
    productId: p.productId,
    listPrice: p.listPrice,
    presalePrice: p.presalePrice,
    deposit: p.deposit,
    depositValue: p.depositValue,
    finalUnitPrice: unit,
    balancePerUnit: unit - p.deposit,
    quota: p.quota,
    remaining: p.quota - p.claimed,
    status: p.status,
    phase: presalePhase(p, now),
    depositFrom: p.depositFrom.toISOString(),
    depositUntil: p.depositUntil.toISOString(),
    balanceFrom: p.balanceFrom.toISOString(),
    balanceUntil: p.balanceUntil.toISOString(),
    announcedShipBy: p.announcedShipBy?.toISOString() ?? null,
    serverTime: now.toISOString(),
  };
}

const ShopParams = Type.Object({ shopId: Id });
const ShopPresaleParams = Type.Object({ shopId: Id, id: Id });
const ROLES = ['operations'] as const;

/** Presale (预售): seller campaigns, deposits, the seller's deposit refunds and cancellation. */
export async function presaleRoutes(app: App): Promise<void> {
  const { clock, database } = app.jishi;
  const db = database.db;
  const tags = ['promotions'];

  app.post(
    '/seller/shops/:shopId/presales',
    {
      schema: {
        tags,
        summary: 'Schedule a presale (预售) of one of the shop’s SKUs: a deposit now, the balance later',
        description:
          'A unit finally costs presalePrice - (depositValue - deposit); the buyer pays the deposit within the rule ' +
          'set’s order.unpaidCloseMinutes.presaleDeposit, then the balance in [balanceFrom, balanceUntil). A balance ' +
          'unpaid at balanceUntil closes the order and forfeits the deposit to the shop. Rules: presalePrice <= the SKU ' +
          'price; 0 < deposit <= depositValue < presalePrice; deposit at most 20% of the final unit price; quota <= ' +
          'units available; announcedShipBy, if given, not before balanceUntil (orders then ship by it; otherwise ' +
          'ship-by counts from the balance payment).',
        params: ShopParams,
        body: Type.Object(
          {
            skuId: Id,
            presalePrice: Type.Integer({ minimum: 1, description: 'fen' }),
            deposit: Type.Integer({ minimum: 1, description: 'fen per unit' }),
            depositValue: Type.Optional(Type.Integer({ minimum: 1, description: 'fen per unit' })),
            quota: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
            depositFrom: DateTime,
            depositUntil: DateTime,
            balanceFrom: DateTime,
            balanceUntil: DateTime,
            announcedShipBy: Type.Optional(DateTime),
          },
          { additionalProperties: false },
        ),
        response: { 201: PresaleView },
      },
    },
    async (req, reply) => {
      const { shopId, auth } = await requireShopRole(req, req.params.shopId, ROLES);
      return command(req, reply, async (tx) => {
        const now = clock.now();
        const b = req.body;
        const p = await createPresale(
          tx,
          shopId,
          {
            ...b,
            depositFrom: new Date(b.depositFrom),
            depositUntil: new Date(b.depositUntil),
            balanceFrom: new Date(b.balanceFrom),
            balanceUntil: new Date(b.balanceUntil),
            announcedShipBy: b.announcedShipBy ? new Date(b.announcedShipBy) : null,
          },
          auth.accountId,
          now,
        );
        return { status: 201, body: presaleView(p, now) };
      });
    },
  );

  app.get(
    '/seller/shops/:shopId/presales',
    {
      schema: {
        tags,
        summary: 'The shop’s presales, newest first',
        params: ShopParams,
        querystring: Type.Object({ ...PageQuery }),
        response: { 200: pageSchema(PresaleView) },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, ROLES);
      const p = await listPresales(db, { shopId, ...req.query });
      const now = clock.now();
      return { items: p.items.map((x) => presaleView(x, now)), nextCursor: p.nextCursor };
    },
  );

  app.get(
    '/seller/shops/:shopId/presales/:id',
    {
      schema: {
        tags,
        summary:
          'One presale with its report: orders by outcome, deposits held, forfeited and refunded, sales',
        params: ShopPresaleParams,
        response: {
          200: Type.Object({
            presale: PresaleView,
            report: Type.Object({
              orders: Type.Record(Type.String(), Type.Integer()),
              unitsAwaitingBalance: Type.Integer(),
              unitsSold: Type.Integer(),
              depositsHeld: Amount,
              depositsForfeited: Amount,
              depositsRefunded: Amount,
              sales: Amount,
              discountCost: Type.Object({ merchant: Amount, platform: Amount }),
              balanceConversion: Type.Number({ description: 'balances paid / deposits paid, 0 to 1' }),
            }),
          }),
        },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, ROLES);
      const p = await getShopPresale(db, shopId, req.params.id);
      return { presale: presaleView(p, clock.now()), report: await presaleReport(db, p) };
    },
  );

  app.post(
    '/seller/shops/:shopId/presales/:id/cancel',
    {
      schema: {
        tags,
        summary: 'Call the presale off (the seller’s fault): every paid deposit is refunded in full',
        params: ShopPresaleParams,
        response: {
          200: Type.Object({
            presale: PresaleView,
            depositsRefunded: Type.Integer(),
            ordersClosed: Type.Integer(),
          }),
        },
      },
    },
    async (req, reply) => {
      const { shopId, auth } = await requireShopRole(req, req.params.shopId, ROLES);
      return command(req, reply, async (tx) => {
        const now = clock.now();
        const r = await cancelPresale(tx, shopId, req.params.id, auth.accountId, now);
        return { status: 200, body: { ...r, presale: presaleView(r.presale, now) } };
      });
    },
  );

  app.post(
    '/seller/shops/:shopId/presales/:id/orders/:orderId/refund-deposit',
    {
      schema: {
        tags,
        summary: 'Give one order’s deposit back in full (退定金), before its balance is paid',
        params: Type.Object({ shopId: Id, id: Id, orderId: Id }),
        response: { 200: Type.Object({ orderId: Type.String(), status: Type.String() }) },
      },
    },
    async (req, reply) => {
      const { shopId, auth } = await requireShopRole(req, req.params.shopId, ['operations', 'service']);
      return command(req, reply, async (tx) => {
        const o = await refundPresaleDeposit(
          tx,
          shopId,
          req.params.id,
          req.params.orderId,
          auth.accountId,
          clock.now(),
        );
        return { status: 200, body: { orderId: o.id, status: o.status } };
      });
    },
  );

  app.get(
    '/presales/:id',
    {
      schema: {
        tags,
        summary:
          'A presale: prices, deposit, windows and units remaining, with the server time for countdowns',
        params: Type.Object({ id: Id }),
        response: { 200: PresaleView },
      },
    },
    async (req) => {
      const p = await getPresale(db, req.params.id);
      if (!p) throw notFound('presale_not_found');
      return presaleView(p, clock.now());
    },
  );

  app.post(
    '/presales/:id/deposits',
    {
      schema: {
        tags,
        summary:
          'Place a presale order: its payment is the deposit; the balance follows in the balance window',
        params: Type.Object({ id: Id }),
        body: Type.Object(
          {
            address: AddressSchema,
            quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PRESALE_QUANTITY })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            orderId: Type.String(),
            total: Amount,
            deposit: Amount,
            balance: Amount,
            payment: Type.Object({ id: Type.String(), amount: Amount }),
          }),
        },
      },
    },
    async (req, reply) => {
      const { accountId } = requireBuyer(req);
      return command(req, reply, async (tx) => {
        const placed = await placeDeposit(tx, accountId, req.params.id, req.body, clock.now());
        const order = placed.orders[0]!;
        return {
          status: 201,
          body: {
            orderId: order.id,
            total: order.total,
            deposit: placed.payment.amount,
            balance: order.total - placed.payment.amount,
            payment: placed.payment,
          },
        };
      });
    },
  );

  app.get(
    '/admin/presales',
    {
      schema: {
        tags,
        summary: 'Every presale (optionally one shop’s), newest first',
        querystring: Type.Object({ shopId: Type.Optional(Id), ...PageQuery }),
        response: { 200: pageSchema(PresaleView) },
      },
    },
    async (req) => {
      requireOperator(req);
      const p = await listPresales(db, req.query);
      const now = clock.now();
      return { items: p.items.map((x) => presaleView(x, now)), nextCursor: p.nextCursor };
    },
  );
}
