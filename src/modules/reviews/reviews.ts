import { and, desc, eq, gte, inArray, isNotNull, isNull, lt, lte, or, type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../../db';
import { DAY } from '../../kernel/clock';
import { AppError, conflict, invalidField, notFound, ruleViolation } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { emit } from '../../kernel/outbox';
import { decodeCursor, page } from '../../kernel/pagination';
import { type Rules, rulesFor, type ShopKind } from '../governance';
import { getAccount } from '../identity';
import { addMonths, getShop } from '../merchants';
import { getBuyerOrder, getOrder, linesOf, type Order } from '../trade';
import { reviewPairMonths, reviewProducts, reviews } from './schema';
import './messages';

export type Review = typeof reviews.$inferSelect;
export type Rating = 1 | 0 | -1;
export interface Stars {
  item: number;
  service: number;
  logistics: number;
}

/** Longest review, follow-up or reply text (characters). Taobao allows 500 for a follow-up. */
export const MAX_REVIEW_TEXT = 500;
/** China keeps UTC+8 all year, so a fixed offset gives the natural month there. */
const SHANGHAI_OFFSET_MS = 8 * 3_600_000;

/** The natural month in Asia/Shanghai, as `YYYY-MM`. */
export function shanghaiMonth(at: Date): string {
  return new Date(at.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 7);
}

/** 张三丰 -> 张***: the first character only, and never the name's length. */
export function maskBuyer(name: string): string {
  const [first = '*'] = [...name.trim()];
  return `${first}***`;
}

/** Text as stored: trimmed, and absent when blank. */
function cleanText(text: string | undefined | null): string | null {
  const t = text?.trim();
  return t ? t : null;
}

function requiredText(text: string): string {
  const t = cleanText(text);
  if (!t) throw invalidField('/text', 'field.minLength', { limit: 1 });
  return t;
}

const orderRules = async (tx: Executor, order: Order): Promise<Rules['review']> =>
  (await rulesFor(tx, order.shopKind, order.createdAt)).rules.review;

async function productIdsOf(tx: Executor, orderId: string): Promise<string[]> {
  const lines = (await linesOf(tx, [orderId])).get(orderId) ?? [];
  return [...new Set(lines.map((l) => l.productId))];
}

async function productIdsOfReviews(tx: Executor, ids: string[]): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return result;
  const rows = await tx
    .select({ reviewId: reviewProducts.reviewId, productId: reviewProducts.productId })
    .from(reviewProducts)
    .where(inArray(reviewProducts.reviewId, ids))
    .orderBy(reviewProducts.productId);
  for (const r of rows) result.get(r.reviewId)?.push(r.productId);
  return result;
}

/**
 * Takes the pair's next places for the trade's month: one among all its reviews (DSR) and, when
 * the order is large enough to score, one among its scoring reviews (credit points). The upsert
 * locks the pair's row, so concurrent reviews of the same pair are counted one after the other.
 */
async function takePlaces(
  tx: Executor,
  key: { shopId: string; buyerId: string; month: string },
  scores: boolean,
  rules: Rules['review'],
): Promise<{ scoring: boolean; dsrCounted: boolean }> {
  const add = scores ? 1 : 0;
  const [row] = await tx
    .insert(reviewPairMonths)
    .values({ ...key, scoring: add, rated: 1 })
    .onConflictDoUpdate({
      target: [reviewPairMonths.shopId, reviewPairMonths.buyerId, reviewPairMonths.month],
      set: {
        scoring: sql`${reviewPairMonths.scoring} + ${add}`,
        rated: sql`${reviewPairMonths.rated} + 1`,
      },
    })
    .returning();
  if (!row) throw new Error('the pair-month upsert returned no row');
  return {
    scoring: scores && row.scoring <= rules.monthlyPairCap,
    dsrCounted: row.rated <= rules.dsrPairMonthlyCap,
  };
}

export interface ReviewInput {
  rating: Rating;
  stars: Stars;
  text?: string | null;
}

/**
 * The buyer reviews a succeeded order of theirs, once, within the rule set's window after trade
 * success. Whether it scores and feeds the DSR is settled here, under the order's rules.
 */
export async function writeReview(
  tx: Executor,
  buyerId: string,
  orderId: string,
  input: ReviewInput,
  now: Date,
): Promise<Review> {
  const order = await getBuyerOrder(tx, buyerId, orderId);
  if (order.status !== 'succeeded' || !order.succeededAt) {
    throw ruleViolation('review_trade_not_succeeded', { status: order.status });
  }
  const rules = await orderRules(tx, order);
  const deadline = new Date(order.succeededAt.getTime() + rules.windowDays * DAY);
  if (now > deadline) {
    throw ruleViolation('review_window_closed', { days: rules.windowDays, deadline: deadline.toISOString() });
  }
  const [existing] = await tx.select({ id: reviews.id }).from(reviews).where(eq(reviews.orderId, order.id));
  if (existing) throw conflict('review_exists');

  const month = shanghaiMonth(order.createdAt);
  const places = await takePlaces(
    tx,
    { shopId: order.shopId, buyerId, month },
    order.total >= (rules.minScoringOrderAmount ?? 101),
    rules,
  );
  const account = await getAccount(tx, buyerId);
  const [review] = await tx
    .insert(reviews)
    .values({
      id: newId('rev'),
      orderId: order.id,
      shopId: order.shopId,
      buyerId,
      buyerAlias: maskBuyer(account?.displayName || account?.login || '*'),
      orderTotal: order.total,
      pairMonth: month,
      rating: input.rating,
      originalRating: input.rating,
      starsItem: input.stars.item,
      starsService: input.stars.service,
      starsLogistics: input.stars.logistics,
      text: cleanText(input.text),
      scoring: places.scoring,
      points: places.scoring ? input.rating : 0,
      dsrCounted: places.dsrCounted,
      tradeSucceededAt: order.succeededAt,
      createdAt: now,
    })
    // A concurrent review of the same order got in first: this one rolls back, places included.
    .onConflictDoNothing()
    .returning();
  if (!review) throw conflict('review_exists');
  const productIds = await productIdsOf(tx, order.id);
  if (productIds.length) {
    await tx
      .insert(reviewProducts)
      .values(productIds.map((productId) => ({ reviewId: review.id, productId, createdAt: now })));
  }
  await emit(
    tx,
    'review.created',
    {
      reviewId: review.id,
      orderId: order.id,
      shopId: order.shopId,
      buyerId,
      productIds,
      rating: review.rating,
      stars: input.stars,
      points: review.points,
    },
    { key: order.id, at: now },
  );
  return review;
}

/** The buyer's own review, or 404 (another buyer's review does not exist for them). */
async function ownReview(tx: Executor, buyerId: string, reviewId: string): Promise<Review> {
  const [row] = await tx
    .select()
    .from(reviews)
    .where(and(eq(reviews.id, reviewId), eq(reviews.buyerId, buyerId)));
  if (!row) throw notFound('review_not_found');
  return row;
}

async function reviewOrder(tx: Executor, review: Review): Promise<Order> {
  const order = await getOrder(tx, review.orderId);
  if (!order) throw new Error(`review ${review.id} names order ${review.orderId}, which does not exist`);
  return order;
}

/**
 * A neutral or negative review may be changed once, within the edit window, to a better rating.
 * The stars never change. A scoring review's points follow its new rating.
 */
export async function reviseReview(
  tx: Executor,
  buyerId: string,
  reviewId: string,
  rating: Rating,
  now: Date,
): Promise<Review> {
  const review = await ownReview(tx, buyerId, reviewId);
  if (review.originalRating === 1) throw ruleViolation('review_positive_final');
  if (review.revisedAt) throw conflict('review_already_revised');
  if (rating <= review.rating) throw ruleViolation('review_revision_not_upward');
  const order = await reviewOrder(tx, review);
  const rules = await orderRules(tx, order);
  const deadline = new Date(review.createdAt.getTime() + rules.editDays * DAY);
  if (now > deadline) {
    throw ruleViolation('review_edit_window_closed', {
      days: rules.editDays,
      deadline: deadline.toISOString(),
    });
  }
  const [revised] = await tx
    .update(reviews)
    .set({ rating, points: review.scoring ? rating : 0, revisedAt: now })
    .where(and(eq(reviews.id, review.id), isNull(reviews.revisedAt)))
    .returning();
  if (!revised) throw conflict('review_already_revised');
  const productIds = await reviewProductIds(tx, review.id);
  await emit(
    tx,
    'review.revised',
    {
      reviewId: review.id,
      orderId: review.orderId,
      shopId: review.shopId,
      buyerId,
      productIds,
      rating,
      previousRating: review.rating,
      points: revised.points,
    },
    { key: review.orderId, at: now },
  );
  return revised;
}

/** One follow-up (追评) within the rule set's days after trade success; it never changes a score. */
export async function addFollowUp(
  tx: Executor,
  buyerId: string,
  reviewId: string,
  text: string,
  now: Date,
): Promise<Review> {
  const body = requiredText(text);
  const review = await ownReview(tx, buyerId, reviewId);
  if (review.followUpAt) throw conflict('review_follow_up_exists');
  const rules = await orderRules(tx, await reviewOrder(tx, review));
  const deadline = new Date(review.tradeSucceededAt.getTime() + rules.appendDays * DAY);
  if (now > deadline) {
    throw ruleViolation('review_follow_up_window_closed', {
      days: rules.appendDays,
      deadline: deadline.toISOString(),
    });
  }
  const [updated] = await tx
    .update(reviews)
    .set({ followUpText: body, followUpAt: now })
    .where(and(eq(reviews.id, review.id), isNull(reviews.followUpAt)))
    .returning();
  if (!updated) throw conflict('review_follow_up_exists');
  return updated;
}

/** The shop answers a review of its own, once. Another shop's review does not exist for it (404). */
export async function replyToReview(
  tx: Executor,
  shopId: string,
  staffAccountId: string,
  reviewId: string,
  text: string,
  now: Date,
): Promise<Review> {
  const body = requiredText(text);
  const [review] = await tx
    .select()
    .from(reviews)
    .where(and(eq(reviews.id, reviewId), eq(reviews.shopId, shopId)));
  if (!review) throw notFound('review_not_found');
  if (review.replyAt) throw conflict('review_reply_exists');
  const [updated] = await tx
    .update(reviews)
    .set({ replyText: body, replyAt: now, replyBy: staffAccountId })
    .where(and(eq(reviews.id, review.id), isNull(reviews.replyAt)))
    .returning();
  if (!updated) throw conflict('review_reply_exists');
  return updated;
}

// ---- reading -----------------------------------------------------------------------------

/** The products a review speaks about. */
export async function reviewProductIds(tx: Executor, reviewId: string): Promise<string[]> {
  return (await productIdsOfReviews(tx, [reviewId])).get(reviewId) ?? [];
}

const badCursor = () =>
  new AppError(400, 'bad_cursor', {}, [{ path: '/cursor', in: 'query', code: 'field.invalid' }]);

/** Rows older than the cursor's (createdAt, id), newest first. */
function before(cursor: string | undefined, at: typeof reviews.createdAt, id: typeof reviews.id) {
  const after = decodeCursor<{ c?: unknown; i?: unknown }>(cursor);
  if (!after) return undefined;
  if (typeof after.c !== 'string' || typeof after.i !== 'string' || Number.isNaN(Date.parse(after.c))) {
    throw badCursor();
  }
  const c = new Date(after.c);
  return or(lt(at, c), and(eq(at, c), lt(id, after.i)));
}

export interface PageInput {
  cursor?: string;
  limit?: number;
}

async function pageOf(tx: Executor, where: (SQL | undefined)[], query: PageInput) {
  const limit = query.limit ?? 20;
  const rows = await tx
    .select()
    .from(reviews)
    .where(and(...where, before(query.cursor, reviews.createdAt, reviews.id)))
    .orderBy(desc(reviews.createdAt), desc(reviews.id))
    .limit(limit + 1);
  const p = page(rows, limit, (r) => ({ c: r.createdAt.toISOString(), i: r.id }));
  const products = await productIdsOfReviews(
    tx,
    p.items.map((r) => r.id),
  );
  return {
    items: p.items.map((r) => ({ review: r, productIds: products.get(r.id) ?? [] })),
    nextCursor: p.nextCursor,
  };
}

/** A product's reviews, newest first. */
export async function listProductReviews(tx: Executor, productId: string, query: PageInput) {
  const about = tx
    .select({ id: reviewProducts.reviewId })
    .from(reviewProducts)
    .where(eq(reviewProducts.productId, productId));
  return pageOf(tx, [inArray(reviews.id, about)], query);
}

export async function listShopReviews(
  tx: Executor,
  shopId: string,
  query: PageInput & { replied?: boolean; rating?: Rating },
) {
  return pageOf(
    tx,
    [
      eq(reviews.shopId, shopId),
      query.replied === undefined
        ? undefined
        : query.replied
          ? isNotNull(reviews.replyAt)
          : isNull(reviews.replyAt),
      query.rating === undefined ? undefined : eq(reviews.rating, query.rating),
    ],
    query,
  );
}

export async function listBuyerReviews(tx: Executor, buyerId: string, query: PageInput) {
  return pageOf(tx, [eq(reviews.buyerId, buyerId)], query);
}

// ---- the shop's scores -------------------------------------------------------------------

export interface ShopRating {
  item: number;
  service: number;
  logistics: number;
  overall: number;
  /** How many reviews the means are taken over. */
  reviews: number;
}

/** Sums are exact integers; only the shown mean is rounded (half up, two decimals). */
const mean = (sum: number, count: number) => Math.round((sum * 100) / count) / 100;

/** The DSR of a shop of this kind: counted reviews written in the rule set's last months. */
export async function ratingOfShop(
  tx: Executor,
  shopId: string,
  kind: ShopKind,
  now: Date,
): Promise<ShopRating | null> {
  const { rules } = await rulesFor(tx, kind, now);
  const since = addMonths(now, -rules.review.dsrWindowMonths);
  const [row] = await tx
    .select({
      count: sql<number>`count(*)`.mapWith(Number),
      item: sql<number>`coalesce(sum(${reviews.starsItem}), 0)`.mapWith(Number),
      service: sql<number>`coalesce(sum(${reviews.starsService}), 0)`.mapWith(Number),
      logistics: sql<number>`coalesce(sum(${reviews.starsLogistics}), 0)`.mapWith(Number),
    })
    .from(reviews)
    .where(
      and(
        eq(reviews.shopId, shopId),
        eq(reviews.dsrCounted, true),
        gte(reviews.createdAt, since),
        lte(reviews.createdAt, now),
      ),
    );
  if (!row || row.count === 0) return null;
  return {
    item: mean(row.item, row.count),
    service: mean(row.service, row.count),
    logistics: mean(row.logistics, row.count),
    overall: mean(row.item + row.service + row.logistics, row.count * 3),
    reviews: row.count,
  };
}

/**
 * The shop rating (DSR): the mean item, service and logistics stars of the last `dsrWindowMonths`
 * months, over only the first `dsrPairMonthlyCap` reviews per buyer and natural month. Null when
 * no review counts (or there is no such shop).
 */
export async function shopRating(tx: Executor, shopId: string, now: Date): Promise<ShopRating | null> {
  const shop = await getShop(tx, shopId);
  if (!shop) return null;
  return ratingOfShop(tx, shop.id, shop.kind, now);
}

/**
 * Positive reviews among all reviews of a shop or a product (or both), written in [since, until),
 * by their current rating. `rate` is exact, null when there are none.
 */
export async function positiveRate(
  tx: Executor,
  filter: { shopId?: string; productId?: string; since?: Date; until?: Date },
): Promise<{ positive: number; total: number; rate: number | null }> {
  const where = [
    filter.shopId ? eq(reviews.shopId, filter.shopId) : undefined,
    filter.productId
      ? inArray(
          reviews.id,
          tx
            .select({ id: reviewProducts.reviewId })
            .from(reviewProducts)
            .where(eq(reviewProducts.productId, filter.productId)),
        )
      : undefined,
    filter.since ? gte(reviews.createdAt, filter.since) : undefined,
    filter.until ? lt(reviews.createdAt, filter.until) : undefined,
  ];
  const [row] = await tx
    .select({
      positive: sql<number>`count(*) filter (where ${reviews.rating} = 1)`.mapWith(Number),
      total: sql<number>`count(*)`.mapWith(Number),
    })
    .from(reviews)
    .where(and(...where));
  const positive = row?.positive ?? 0;
  const total = row?.total ?? 0;
  return { positive, total, rate: total ? positive / total : null };
}

/** The shop's credit (信用): the sum of the rating points its reviews count. */
export async function creditScore(tx: Executor, shopId: string): Promise<number> {
  const [row] = await tx
    .select({ points: sql<number>`coalesce(sum(${reviews.points}), 0)`.mapWith(Number) })
    .from(reviews)
    .where(eq(reviews.shopId, shopId));
  return row?.points ?? 0;
}
