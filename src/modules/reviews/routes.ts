import { type TSchema, Type } from 'typebox';
import { command } from '../../kernel/command';
import type { App } from '../../kernel/context';
import { notFound } from '../../kernel/errors';
import { PageQuery, pageSchema } from '../../kernel/pagination';
import { rulesFor } from '../governance';
import { requireBuyer } from '../identity';
import { addMonths, getShop, requireShopRole } from '../merchants';
import {
  addFollowUp,
  creditScore,
  listBuyerReviews,
  listProductReviews,
  listShopReviews,
  MAX_REVIEW_TEXT,
  positiveRate,
  type Rating,
  type Review,
  ratingOfShop,
  replyToReview,
  reviewProductIds,
  reviseReview,
  writeReview,
} from './reviews';
import './messages';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Id = Type.String({ minLength: 1, maxLength: 64 });
const DateTime = Type.String({ format: 'date-time' });
const RatingSchema = Type.Union([Type.Literal(1), Type.Literal(0), Type.Literal(-1)], {
  description: '1 positive (好评), 0 neutral (中评), -1 negative (差评)',
});
const Star = Type.Integer({ minimum: 1, maximum: 5 });
const Stars = Type.Object(
  { item: Star, service: Star, logistics: Star },
  { additionalProperties: false, description: 'item as described, service, logistics: 1 to 5' },
);
const Text = Type.String({ maxLength: MAX_REVIEW_TEXT });
const RequiredText = Type.String({ minLength: 1, maxLength: MAX_REVIEW_TEXT });

const Remark = Nullable(Type.Object({ text: Type.String(), at: DateTime }));
const PublicReviewFields = {
  id: Type.String(),
  rating: RatingSchema,
  stars: Type.Object({ item: Type.Integer(), service: Type.Integer(), logistics: Type.Integer() }),
  text: Nullable(Type.String()),
  buyer: Type.String({ description: 'the buyer, masked (张***)' }),
  productIds: Type.Array(Type.String()),
  revised: Type.Boolean(),
  createdAt: DateTime,
  followUp: Remark,
  reply: Remark,
};
const PublicReview = Type.Object(PublicReviewFields);
const SellerReview = Type.Object({
  ...PublicReviewFields,
  orderId: Type.String(),
  replied: Type.Boolean(),
});
const BuyerReview = Type.Object({
  ...PublicReviewFields,
  orderId: Type.String(),
  shopId: Type.String(),
  originalRating: RatingSchema,
  revisedAt: Nullable(DateTime),
  points: Type.Integer({ description: 'rating points this review adds to the shop’s credit' }),
  scoring: Type.Boolean({ description: 'whether it counts for credit at all (amount and monthly cap)' }),
  dsrCounted: Type.Boolean({ description: 'whether its stars feed the shop rating' }),
});

const RatingView = Type.Object({
  shopId: Type.String(),
  dsr: Nullable(
    Type.Object({
      item: Type.Number(),
      service: Type.Number(),
      logistics: Type.Number(),
      overall: Type.Number(),
      reviews: Type.Integer(),
    }),
  ),
  positive: Type.Integer(),
  total: Type.Integer(),
  positiveRate: Nullable(Type.Number({ description: 'positive / total, 4 decimals' })),
  since: DateTime,
  credit: Type.Integer({ description: 'the sum of counted rating points, all time' }),
});

const remark = (text: string | null, at: Date | null) => (text && at ? { text, at: at.toISOString() } : null);

function publicView(r: Review, productIds: string[]) {
  return {
    id: r.id,
    rating: r.rating as Rating,
    stars: { item: r.starsItem, service: r.starsService, logistics: r.starsLogistics },
    text: r.text,
    buyer: r.buyerAlias,
    productIds,
    revised: r.revisedAt !== null,
    createdAt: r.createdAt.toISOString(),
    followUp: remark(r.followUpText, r.followUpAt),
    reply: remark(r.replyText, r.replyAt),
  };
}

const sellerView = (r: Review, productIds: string[]) => ({
  ...publicView(r, productIds),
  orderId: r.orderId,
  replied: r.replyAt !== null,
});

const buyerView = (r: Review, productIds: string[]) => ({
  ...publicView(r, productIds),
  orderId: r.orderId,
  shopId: r.shopId,
  originalRating: r.originalRating as Rating,
  revisedAt: r.revisedAt?.toISOString() ?? null,
  points: r.points,
  scoring: r.scoring,
  dsrCounted: r.dsrCounted,
});

/** Who answers reviews for the shop (owners may do everything). */
const REPLY_ROLES = ['service', 'operations'] as const;

export async function reviewsRoutes(app: App): Promise<void> {
  const { clock, database } = app.jishi;
  const db = database.db;
  const tags = ['reviews'];

  app.post(
    '/orders/:id/reviews',
    {
      schema: {
        tags,
        summary: 'Review a successful trade: +1/0/-1, item/service/logistics stars and a text',
        params: Type.Object({ id: Id }),
        body: Type.Object(
          { rating: RatingSchema, stars: Stars, text: Type.Optional(Text) },
          { additionalProperties: false },
        ),
        response: { 201: BuyerReview },
      },
    },
    async (req, reply) => {
      const { accountId } = requireBuyer(req);
      return command(req, reply, async (tx) => {
        const r = await writeReview(tx, accountId, req.params.id, req.body, clock.now());
        return { status: 201, body: buyerView(r, await reviewProductIds(tx, r.id)) };
      });
    },
  );

  app.post(
    '/reviews/:id/revise',
    {
      schema: {
        tags,
        summary: 'Change a neutral or negative review once, to a better rating',
        params: Type.Object({ id: Id }),
        body: Type.Object({ rating: RatingSchema }, { additionalProperties: false }),
        response: { 200: BuyerReview },
      },
    },
    async (req, reply) => {
      const { accountId } = requireBuyer(req);
      return command(req, reply, async (tx) => {
        const r = await reviseReview(tx, accountId, req.params.id, req.body.rating, clock.now());
        return { status: 200, body: buyerView(r, await reviewProductIds(tx, r.id)) };
      });
    },
  );

  app.post(
    '/reviews/:id/follow-up',
    {
      schema: {
        tags,
        summary: 'Add the one follow-up (追评) to a review; it changes no score',
        params: Type.Object({ id: Id }),
        body: Type.Object({ text: RequiredText }, { additionalProperties: false }),
        response: { 200: BuyerReview },
      },
    },
    async (req, reply) => {
      const { accountId } = requireBuyer(req);
      return command(req, reply, async (tx) => {
        const r = await addFollowUp(tx, accountId, req.params.id, req.body.text, clock.now());
        return { status: 200, body: buyerView(r, await reviewProductIds(tx, r.id)) };
      });
    },
  );

  app.post(
    '/seller/shops/:shopId/reviews/:id/reply',
    {
      schema: {
        tags,
        summary: 'The shop’s one reply to a review',
        params: Type.Object({ shopId: Id, id: Id }),
        body: Type.Object({ text: RequiredText }, { additionalProperties: false }),
        response: { 200: SellerReview },
      },
    },
    async (req, reply) => {
      const { shopId, auth } = await requireShopRole(req, req.params.shopId, REPLY_ROLES);
      return command(req, reply, async (tx) => {
        const r = await replyToReview(tx, shopId, auth.accountId, req.params.id, req.body.text, clock.now());
        return { status: 200, body: sellerView(r, await reviewProductIds(tx, r.id)) };
      });
    },
  );

  app.get(
    '/products/:id/reviews',
    {
      schema: {
        tags,
        summary: 'A product’s reviews, newest first; buyers are masked',
        security: [],
        params: Type.Object({ id: Id }),
        querystring: Type.Object({ ...PageQuery }),
        response: { 200: pageSchema(PublicReview) },
      },
    },
    async (req) => {
      const p = await listProductReviews(db, req.params.id, req.query);
      return { items: p.items.map((i) => publicView(i.review, i.productIds)), nextCursor: p.nextCursor };
    },
  );

  app.get(
    '/shops/:shopId/rating',
    {
      schema: {
        tags,
        summary: 'The shop rating (DSR), its positive-review rate over the same months and its credit',
        security: [],
        params: Type.Object({ shopId: Id }),
        response: { 200: RatingView },
      },
    },
    async (req) => {
      const shop = await getShop(db, req.params.shopId);
      if (!shop) throw notFound('shop_not_found');
      const now = clock.now();
      const { rules } = await rulesFor(db, shop.kind, now);
      const since = addMonths(now, -rules.review.dsrWindowMonths);
      const dsr = await ratingOfShop(db, shop.id, shop.kind, now);
      const rate = await positiveRate(db, { shopId: shop.id, since });
      return {
        shopId: shop.id,
        dsr,
        positive: rate.positive,
        total: rate.total,
        positiveRate: rate.rate === null ? null : Math.round(rate.rate * 10_000) / 10_000,
        since: since.toISOString(),
        credit: await creditScore(db, shop.id),
      };
    },
  );

  app.get(
    '/seller/shops/:shopId/reviews',
    {
      schema: {
        tags,
        summary: 'The shop’s reviews, newest first, with whether the shop replied',
        params: Type.Object({ shopId: Id }),
        querystring: Type.Object({
          replied: Type.Optional(Type.Boolean()),
          rating: Type.Optional(RatingSchema),
          ...PageQuery,
        }),
        response: { 200: pageSchema(SellerReview) },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId);
      const p = await listShopReviews(db, shopId, req.query);
      return { items: p.items.map((i) => sellerView(i.review, i.productIds)), nextCursor: p.nextCursor };
    },
  );

  app.get(
    '/me/reviews',
    {
      schema: {
        tags,
        summary: 'My reviews, newest first, with what each counts for',
        querystring: Type.Object({ ...PageQuery }),
        response: { 200: pageSchema(BuyerReview) },
      },
    },
    async (req) => {
      const { accountId } = requireBuyer(req);
      const p = await listBuyerReviews(db, accountId, req.query);
      return { items: p.items.map((i) => buyerView(i.review, i.productIds)), nextCursor: p.nextCursor };
    },
  );
}
