import { Type } from 'typebox';
import { command } from '../../kernel/command';
import type { App } from '../../kernel/context';
import { notFound } from '../../kernel/errors';
import { Amount } from '../../kernel/money';
import { PageQuery, pageSchema } from '../../kernel/pagination';
import { requireOperator } from '../identity';
import { requireShopRole } from '../merchants';
import { RedisFlashGate } from './flash-gate';
import {
  configureFlashGate,
  createFlashSale,
  flashGate,
  flashGateSettled,
  flashSaleReport,
  flashSaleView,
  getFlashSale,
  getShopFlashSale,
  listFlashSales,
  listPublicFlashSales,
  MAX_FLASH_PER_BUYER,
  MAX_FLASH_QUOTA,
  pauseFlashSale,
  publicFlashSaleView,
  resumeFlashSale,
} from './flash-sales';
import { FLASH_SALE_STATUSES } from './flash-schema';
import './flash-messages';

const Id = Type.String({ minLength: 1, maxLength: 64 });
const DateTime = Type.String({ format: 'date-time' });
const Phase = Type.Enum(['upcoming', 'live', 'ended', 'paused']);

const FlashSaleView = Type.Object({
  id: Type.String(),
  shopId: Type.String(),
  skuId: Type.String(),
  productId: Type.String(),
  listPrice: Amount,
  flashPrice: Amount,
  quota: Type.Integer(),
  perBuyerLimit: Type.Integer(),
  claimed: Type.Integer({ description: 'units held by unpaid orders plus units sold' }),
  sold: Type.Integer({ description: 'units of paid orders' }),
  remaining: Type.Integer(),
  soldOut: Type.Boolean(),
  status: Type.Enum([...FLASH_SALE_STATUSES]),
  phase: Phase,
  startsAt: DateTime,
  endsAt: DateTime,
  createdAt: DateTime,
});

const FlashSaleReport = Type.Object({
  quota: Type.Integer(),
  remaining: Type.Integer(),
  orders: Type.Integer({ description: 'orders that claimed units' }),
  claimed: Type.Integer({ description: 'units ever claimed (held, sold or released)' }),
  held: Type.Integer({ description: 'units held by unpaid orders now' }),
  sold: Type.Integer(),
  released: Type.Integer({
    description: 'units returned by orders closed unpaid or refunded before shipping',
  }),
  distinctBuyers: Type.Integer(),
  buyersWhoBought: Type.Integer(),
  conversion: Type.Number({ description: 'sold / claimed units, 0 to 1' }),
  revenue: Amount,
  discountCost: Type.Object({ merchant: Amount, platform: Amount }),
});

const PublicFlashSale = Type.Object({
  id: Type.String(),
  shopId: Type.String(),
  skuId: Type.String(),
  productId: Type.String(),
  listPrice: Amount,
  flashPrice: Amount,
  quota: Type.Integer(),
  perBuyerLimit: Type.Integer(),
  remaining: Type.Integer(),
  soldOut: Type.Boolean(),
  phase: Phase,
  startsAt: DateTime,
  endsAt: DateTime,
  serverTime: Type.String({ format: 'date-time', description: 'the server clock, for the countdown' }),
});

const ShopParams = Type.Object({ shopId: Id });
const ShopSaleParams = Type.Object({ shopId: Id, id: Id });
/** Campaigns are run by operations staff (owners may do everything). */
const ROLES = ['operations'] as const;

/**
 * Flash sales: seller campaign management, the public countdown, the operator's list. When the
 * configuration has `REDIS_URL`, also puts the Redis gate in front of claimFlashQuota.
 */
export async function flashSaleRoutes(app: App): Promise<void> {
  const { clock, database, config } = app.jishi;
  const db = database.db;
  const tags = ['promotions'];

  if (config.redisUrl) {
    try {
      const gate = await RedisFlashGate.connect(config.redisUrl);
      configureFlashGate({
        gate,
        onError: (err, what) => app.log.warn({ err, what }, 'flash-sale gate'),
      });
      app.addHook('onClose', async () => {
        await flashGateSettled();
        if (flashGate() === gate) configureFlashGate(null);
        await gate.close();
      });
    } catch (err) {
      // The gate is an optimisation: without it the database alone decides, with identical results.
      app.log.warn({ err }, 'flash-sale gate: Redis unreachable at start, running without it');
    }
  }

  app.post(
    '/seller/shops/:shopId/flash-sales',
    {
      schema: {
        tags,
        summary: 'Schedule a flash sale (秒杀) of one of the shop’s SKUs',
        description:
          'Rules: the SKU is the shop’s own and on sale; 0 < flashPrice < the SKU price; ' +
          'perBuyerLimit <= quota <= units available now (on hand minus reserved; not set aside); ' +
          'startsAt in the future, endsAt after it, at most 7 days; no overlap with another sale of the SKU. ' +
          'Unpaid flash orders close after the rule set’s order.unpaidCloseMinutes.flash and return their units.',
        params: ShopParams,
        body: Type.Object(
          {
            skuId: Id,
            flashPrice: Type.Integer({ minimum: 1, description: 'fen' }),
            quota: Type.Integer({ minimum: 1, maximum: MAX_FLASH_QUOTA }),
            perBuyerLimit: Type.Integer({ minimum: 1, maximum: MAX_FLASH_PER_BUYER }),
            startsAt: DateTime,
            endsAt: DateTime,
          },
          { additionalProperties: false },
        ),
        response: { 201: FlashSaleView },
      },
    },
    async (req, reply) => {
      const { shopId, auth } = await requireShopRole(req, req.params.shopId, ROLES);
      return command(req, reply, async (tx) => {
        const now = clock.now();
        const sale = await createFlashSale(
          tx,
          shopId,
          { ...req.body, startsAt: new Date(req.body.startsAt), endsAt: new Date(req.body.endsAt) },
          auth.accountId,
          now,
        );
        return { status: 201, body: flashSaleView(sale, now) };
      });
    },
  );

  app.get(
    '/seller/shops/:shopId/flash-sales',
    {
      schema: {
        tags,
        summary: 'The shop’s flash sales, newest first',
        params: ShopParams,
        querystring: Type.Object({ ...PageQuery }),
        response: { 200: pageSchema(FlashSaleView) },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, ROLES);
      const p = await listFlashSales(db, { shopId, ...req.query });
      const now = clock.now();
      return { items: p.items.map((s) => flashSaleView(s, now)), nextCursor: p.nextCursor };
    },
  );

  app.get(
    '/seller/shops/:shopId/flash-sales/:id',
    {
      schema: {
        tags,
        summary: 'One flash sale with its report (claimed, sold, released, buyers, conversion)',
        params: ShopSaleParams,
        response: { 200: Type.Object({ sale: FlashSaleView, report: FlashSaleReport }) },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, ROLES);
      const sale = await getShopFlashSale(db, shopId, req.params.id);
      return { sale: flashSaleView(sale, clock.now()), report: await flashSaleReport(db, sale) };
    },
  );

  for (const action of ['pause', 'resume'] as const) {
    app.post(
      `/seller/shops/:shopId/flash-sales/:id/${action}`,
      {
        schema: {
          tags,
          summary:
            action === 'pause'
              ? 'Pause a flash sale: claims are refused until it is resumed'
              : 'Resume a paused flash sale (before it ends)',
          params: ShopSaleParams,
          response: { 200: FlashSaleView },
        },
      },
      async (req, reply) => {
        const { shopId } = await requireShopRole(req, req.params.shopId, ROLES);
        return command(req, reply, async (tx) => {
          const now = clock.now();
          const sale =
            action === 'pause'
              ? await pauseFlashSale(tx, shopId, req.params.id, now)
              : await resumeFlashSale(tx, shopId, req.params.id, now);
          return { status: 200, body: flashSaleView(sale, now) };
        });
      },
    );
  }

  // ---- public: the countdown ------------------------------------------------------------------
  app.get(
    '/flash-sales',
    {
      schema: {
        tags,
        summary: 'Flash sales buyers can see, soonest first: live ones (active=true), or live and upcoming',
        querystring: Type.Object({ active: Type.Optional(Type.Boolean()), ...PageQuery }),
        response: { 200: pageSchema(PublicFlashSale) },
      },
    },
    async (req) => {
      const now = clock.now();
      const p = await listPublicFlashSales(db, req.query, now);
      return { items: p.items.map((s) => publicFlashSaleView(s, now)), nextCursor: p.nextCursor };
    },
  );

  app.get(
    '/flash-sales/:id',
    {
      schema: {
        tags,
        summary: 'One flash sale’s countdown: start, end, units remaining, sold out',
        params: Type.Object({ id: Id }),
        response: { 200: PublicFlashSale },
      },
    },
    async (req) => {
      const sale = await getFlashSale(db, req.params.id);
      if (!sale) throw notFound('flash_sale_not_found');
      return publicFlashSaleView(sale, clock.now());
    },
  );

  // ---- operator ------------------------------------------------------------------------------
  app.get(
    '/admin/flash-sales',
    {
      schema: {
        tags,
        summary: 'Every flash sale (optionally one shop’s), newest first',
        querystring: Type.Object({ shopId: Type.Optional(Id), ...PageQuery }),
        response: { 200: pageSchema(FlashSaleView) },
      },
    },
    async (req) => {
      requireOperator(req);
      const p = await listFlashSales(db, req.query);
      const now = clock.now();
      return { items: p.items.map((s) => flashSaleView(s, now)), nextCursor: p.nextCursor };
    },
  );
}
