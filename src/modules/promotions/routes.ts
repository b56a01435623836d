import { type TSchema, Type } from 'typebox';
import { command } from '../../kernel/command';
import type { App } from '../../kernel/context';
import { notFound } from '../../kernel/errors';
import { Amount } from '../../kernel/money';
import { requireBuyer, requireOperator } from '../identity';
import { requireShopRole } from '../merchants';
import {
  buyerCoupons,
  campaignReport,
  claimCoupon,
  couponOfferReport,
  couponOfferView,
  createCouponTemplate,
  createFullReduction,
  createSubsidy,
  createTimedDiscount,
  isNewBuyer,
  listCampaigns,
  openCouponOffers,
  setCampaignStatus,
} from './campaigns';
import { AUDIENCES, FUNDERS } from './schema';
import './messages';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Id = Type.String({ minLength: 1, maxLength: 64 });
const DateTime = Type.String({ format: 'date-time' });
const Name = Type.String({ minLength: 1, maxLength: 60 });
const Bp = (description: string) => Type.Integer({ minimum: 1, maximum: 9_999, description });
const Window = { validFrom: DateTime, validUntil: DateTime };
const Funding = {
  funder: Type.Optional(Type.Enum([...FUNDERS], { description: 'who pays for the discount' })),
  platformShareBp: Type.Optional(Bp("the platform's share of a shared discount")),
};
const CouponOfferBody = Type.Object(
  {
    name: Name,
    kind: Type.Enum(['amount', 'percent']),
    amount: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100_000_000, description: 'fen off (amount coupons)' }),
    ),
    percentOffBp: Type.Optional(Bp('share taken off (percent coupons): 1500 = 15% off')),
    cap: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 100_000_000, description: 'most fen off a percent coupon gives' }),
    ),
    threshold: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 100_000_000, description: 'spend at least this (fen)' }),
    ),
    categoryIds: Type.Optional(Type.Array(Id, { maxItems: 50, uniqueItems: true })),
    ...Window,
    totalLimit: Type.Integer({ minimum: 1, maximum: 10_000_000 }),
    perBuyerLimit: Type.Integer({ minimum: 1, maximum: 100 }),
    audience: Type.Optional(Type.Enum([...AUDIENCES])),
    audienceBuyerIds: Type.Optional(Type.Array(Id, { maxItems: 10_000, uniqueItems: true })),
    segmentId: Type.Optional(Id),
    ...Funding,
  },
  { additionalProperties: false },
);
const CouponOffer = Type.Object({
  id: Type.String(),
  shopId: Nullable(Type.String()),
  name: Type.String(),
  kind: Type.String(),
  amount: Amount,
  percentOffBp: Type.Integer(),
  cap: Amount,
  threshold: Amount,
  categoryIds: Type.Array(Type.String()),
  validFrom: DateTime,
  validUntil: DateTime,
  totalLimit: Type.Integer(),
  perBuyerLimit: Type.Integer(),
  claimed: Type.Integer(),
  used: Type.Integer(),
  audience: Type.String(),
  funder: Type.String(),
  platformShareBp: Type.Integer(),
  status: Type.String(),
});
const Tier = Type.Object(
  {
    threshold: Type.Integer({ minimum: 1, maximum: 100_000_000 }),
    off: Type.Integer({ minimum: 1, maximum: 100_000_000 }),
  },
  { additionalProperties: false },
);
const FullReductionBody = Type.Object(
  {
    name: Name,
    mode: Type.Enum(['tiered', 'every'], { description: '"200 off 20 / 400 off 50" or "every 300 off 50"' }),
    tiers: Type.Array(Tier, { minItems: 1, maxItems: 10 }),
    cap: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000 })),
    ...Window,
    ...Funding,
  },
  { additionalProperties: false },
);
const CampaignKind = Type.Enum(['coupon', 'full_reduction', 'timed_discount', 'subsidy']);
const Report = Type.Object({
  orders: Type.Integer(),
  discount: Amount,
  merchantFunded: Amount,
  platformFunded: Amount,
});
const toDates = <T extends { validFrom: string; validUntil: string }>(b: T) => ({
  ...b,
  validFrom: new Date(b.validFrom),
  validUntil: new Date(b.validUntil),
});
const Created = Type.Object({ id: Type.String() });
const StatusChange = Type.Object({ id: Type.String(), status: Type.String() });

export async function promotionsRoutes(app: App): Promise<void> {
  const { clock, database } = app.jishi;
  const tags = ['promotions'];

  // ---- buyers -----------------------------------------------------------------------------------
  app.get(
    '/coupons/offers',
    {
      schema: {
        tags,
        summary: "Coupon offers open to claim now: a shop's, or the platform's without shopId",
        querystring: Type.Object({ shopId: Type.Optional(Id) }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(CouponOffer) }) },
      },
    },
    async (req) => ({ items: await openCouponOffers(database.db, req.query.shopId ?? null, clock.now()) }),
  );

  app.post(
    '/coupons/offers/:id/claim',
    {
      schema: {
        tags,
        summary: 'Claim a coupon of an offer (within its window, audience and limits)',
        params: Type.Object({ id: Id }),
        response: { 201: Type.Object({ id: Type.String(), offerId: Type.String(), claimedAt: DateTime }) },
      },
    },
    async (req, reply) => {
      const { accountId } = requireBuyer(req);
      return command(req, reply, async (tx) => {
        const c = await claimCoupon(
          tx,
          accountId,
          req.params.id,
          { isNewBuyer: () => isNewBuyer(tx, accountId) },
          clock.now(),
        );
        return {
          status: 201,
          body: { id: c.id, offerId: c.templateId, claimedAt: c.claimedAt.toISOString() },
        };
      });
    },
  );

  app.get(
    '/me/coupons',
    {
      schema: {
        tags,
        summary: 'My coupons: unused, held by an unpaid checkout, used or expired',
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                id: Type.String(),
                status: Type.Enum(['unused', 'held', 'used', 'expired']),
                offer: CouponOffer,
                claimedAt: DateTime,
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const { accountId } = requireBuyer(req);
      return { items: await buyerCoupons(database.db, accountId, clock.now()) };
    },
  );

  // ---- merchants --------------------------------------------------------------------------------
  const Shop = Type.Object({ shopId: Id });
  const ShopCampaign = Type.Object({ shopId: Id, kind: CampaignKind, id: Id });
  const MARKETING = ['operations'] as const;

  app.post(
    '/seller/shops/:shopId/coupons',
    {
      schema: {
        tags,
        summary: 'Create a shop coupon offer',
        params: Shop,
        body: CouponOfferBody,
        response: { 201: CouponOffer },
      },
    },
    async (req, reply) => {
      const { shopId, auth } = await requireShopRole(req, req.params.shopId, MARKETING);
      return command(req, reply, async (tx) => ({
        status: 201,
        body: couponOfferView(
          await createCouponTemplate(tx, shopId, toDates(req.body), auth.accountId, clock.now()),
        ),
      }));
    },
  );

  app.post(
    '/seller/shops/:shopId/full-reductions',
    {
      schema: {
        tags,
        summary: 'Create a shop full reduction',
        params: Shop,
        body: FullReductionBody,
        response: { 201: Created },
      },
    },
    async (req, reply) => {
      const { shopId, auth } = await requireShopRole(req, req.params.shopId, MARKETING);
      return command(req, reply, async (tx) => ({
        status: 201,
        body: {
          id: (await createFullReduction(tx, shopId, toDates(req.body), auth.accountId, clock.now())).id,
        },
      }));
    },
  );

  app.post(
    '/seller/shops/:shopId/timed-discounts',
    {
      schema: {
        tags,
        summary: 'Sell one SKU at a lower price for a time window, to everyone or to members only',
        description:
          'With memberLevel (a level name of the shop’s membership programme) it is a member-only price (会员价): ' +
          'members at that level or above pay it; everyone else the list price (or another timed price).',
        params: Shop,
        body: Type.Object(
          {
            skuId: Id,
            unitPrice: Type.Integer({ minimum: 1, maximum: 100_000_000 }),
            memberLevel: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
            ...Window,
          },
          { additionalProperties: false },
        ),
        response: { 201: Created },
      },
    },
    async (req, reply) => {
      const { shopId, auth } = await requireShopRole(req, req.params.shopId, MARKETING);
      return command(req, reply, async (tx) => ({
        status: 201,
        body: {
          id: (await createTimedDiscount(tx, shopId, toDates(req.body), auth.accountId, clock.now())).id,
        },
      }));
    },
  );

  app.get(
    '/seller/shops/:shopId/promotions',
    { schema: { tags, summary: "The shop's campaigns", params: Shop } },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, MARKETING);
      return listCampaigns(database.db, shopId);
    },
  );

  for (const action of ['pause', 'resume'] as const) {
    app.post(
      `/seller/shops/:shopId/promotions/:kind/:id/${action}`,
      {
        schema: {
          tags,
          summary: `${action === 'pause' ? 'Pause' : 'Resume'} a shop campaign`,
          params: ShopCampaign,
          response: { 200: StatusChange },
        },
      },
      async (req, reply) => {
        const { shopId } = await requireShopRole(req, req.params.shopId, MARKETING);
        return command(req, reply, async (tx) => ({
          status: 200,
          body: await setCampaignStatus(
            tx,
            { shopId },
            req.params.kind,
            req.params.id,
            action === 'pause' ? 'paused' : 'active',
          ),
        }));
      },
    );
  }

  app.get(
    '/seller/shops/:shopId/promotions/:kind/:id/report',
    {
      schema: {
        tags,
        summary: 'Orders and discount cost by funder',
        params: ShopCampaign,
        response: { 200: Report },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, MARKETING);
      const own = await listCampaigns(database.db, shopId);
      const ids = new Set([
        ...own.coupons.map((c) => c.id),
        ...own.fullReductions.map((c) => c.id),
        ...own.timedDiscounts.map((c) => c.id),
      ]);
      if (!ids.has(req.params.id)) throw notFound('campaign_not_found');
      return report(req.params.kind, req.params.id);
    },
  );

  const report = (kind: string, id: string) =>
    kind === 'coupon' ? couponOfferReport(database.db, id) : campaignReport(database.db, id);

  // ---- operators --------------------------------------------------------------------------------
  app.post(
    '/admin/coupons',
    {
      schema: {
        tags,
        summary: 'Create a platform coupon offer',
        body: CouponOfferBody,
        response: { 201: CouponOffer },
      },
    },
    async (req, reply) => {
      const { accountId } = requireOperator(req);
      return command(req, reply, async (tx) => ({
        status: 201,
        body: couponOfferView(
          await createCouponTemplate(tx, null, toDates(req.body), accountId, clock.now()),
        ),
      }));
    },
  );

  app.post(
    '/admin/full-reductions',
    {
      schema: {
        tags,
        summary: 'Create a cross-shop full reduction (e.g. every 300 off 50)',
        body: Type.Object(
          {
            ...FullReductionBody.properties,
            shopIds: Type.Optional(Type.Array(Id, { maxItems: 10_000, uniqueItems: true })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Created },
      },
    },
    async (req, reply) => {
      const { accountId } = requireOperator(req);
      return command(req, reply, async (tx) => ({
        status: 201,
        body: { id: (await createFullReduction(tx, null, toDates(req.body), accountId, clock.now())).id },
      }));
    },
  );

  app.post(
    '/admin/subsidies',
    {
      schema: {
        tags,
        summary: 'A platform-funded price cut on a SKU, stopped when its budget is spent',
        body: Type.Object(
          {
            skuId: Id,
            perUnit: Type.Integer({ minimum: 1, maximum: 100_000_000 }),
            budget: Type.Integer({ minimum: 1, maximum: 100_000_000_000 }),
            ...Window,
          },
          { additionalProperties: false },
        ),
        response: { 201: Created },
      },
    },
    async (req, reply) => {
      const { accountId } = requireOperator(req);
      return command(req, reply, async (tx) => ({
        status: 201,
        body: { id: (await createSubsidy(tx, toDates(req.body), accountId, clock.now())).id },
      }));
    },
  );

  app.get('/admin/promotions', { schema: { tags, summary: 'Platform campaigns' } }, async (req) => {
    requireOperator(req);
    return listCampaigns(database.db, null);
  });

  const AdminCampaign = Type.Object({ kind: CampaignKind, id: Id });
  for (const action of ['pause', 'resume'] as const) {
    app.post(
      `/admin/promotions/:kind/:id/${action}`,
      {
        schema: {
          tags,
          summary: `${action === 'pause' ? 'Pause' : 'Resume'} a platform campaign`,
          params: AdminCampaign,
          response: { 200: StatusChange },
        },
      },
      async (req, reply) => {
        requireOperator(req);
        return command(req, reply, async (tx) => ({
          status: 200,
          body: await setCampaignStatus(
            tx,
            { shopId: null },
            req.params.kind,
            req.params.id,
            action === 'pause' ? 'paused' : 'active',
          ),
        }));
      },
    );
  }

  app.get(
    '/admin/promotions/:kind/:id/report',
    {
      schema: {
        tags,
        summary: 'Orders and discount cost by funder',
        params: AdminCampaign,
        response: { 200: Report },
      },
    },
    async (req) => {
      requireOperator(req);
      return report(req.params.kind, req.params.id);
    },
  );
}
