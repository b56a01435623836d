import { bigint, boolean, index, integer, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { tstz } from '../../kernel/schema';

/**
 * One review per succeeded order (评价): the buyer's +1/0/-1 and the three DSR stars. The scoring
 * facts are decided once, when the review is written, and kept on the row so a revision changes
 * only the points and never re-runs the monthly caps.
 */
export const reviews = pgTable(
  'reviews',
  {
    id: text('id').primaryKey(),
    orderId: text('order_id').notNull(),
    shopId: text('shop_id').notNull(),
    buyerId: text('buyer_id').notNull(),
    /** The buyer as the public sees them (张**), fixed at writing time. */
    buyerAlias: text('buyer_alias').notNull(),
    /** The order's amount, which decides whether the review may score at all. */
    orderTotal: bigint('order_total', { mode: 'number' }).notNull(),
    /** The natural month (Asia/Shanghai, `YYYY-MM`) the pair caps count in: the trade's creation month. */
    pairMonth: text('pair_month').notNull(),
    /** 1 (好评), 0 (中评) or -1 (差评); only a revision changes it, and only upward. */
    rating: integer('rating').notNull(),
    originalRating: integer('original_rating').notNull(),
    starsItem: integer('stars_item').notNull(),
    starsService: integer('stars_service').notNull(),
    starsLogistics: integer('stars_logistics').notNull(),
    text: text('text'),
    /** Took one of the pair's monthly scoring places: its rating is its credit points. */
    scoring: boolean('scoring').notNull(),
    /** Credit points it adds to the shop now (the rating when scoring, else 0). */
    points: integer('points').notNull(),
    /** Among the pair's first reviews of the month that feed the shop rating (DSR). */
    dsrCounted: boolean('dsr_counted').notNull(),
    tradeSucceededAt: tstz('trade_succeeded_at').notNull(),
    createdAt: tstz('created_at').notNull(),
    revisedAt: tstz('revised_at'),
    followUpText: text('follow_up_text'),
    followUpAt: tstz('follow_up_at'),
    replyText: text('reply_text'),
    replyAt: tstz('reply_at'),
    replyBy: text('reply_by'),
  },
  (t) => [
    uniqueIndex('reviews_order').on(t.orderId),
    index('reviews_shop').on(t.shopId, t.createdAt, t.id),
    index('reviews_buyer').on(t.buyerId, t.createdAt, t.id),
  ],
);

/** Which products a review speaks about (the order's lines), for the product page. */
export const reviewProducts = pgTable(
  'review_products',
  {
    reviewId: text('review_id')
      .notNull()
      .references(() => reviews.id),
    productId: text('product_id').notNull(),
    createdAt: tstz('created_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.reviewId, t.productId] }),
    index('review_products_product').on(t.productId, t.createdAt, t.reviewId),
  ],
);

/**
 * How many reviews a buyer-shop pair wrote for trades of one natural month. Taking a place is an
 * upsert on this row, so two reviews of the same pair at the same moment queue behind each other
 * and never both take the last place.
 */
export const reviewPairMonths = pgTable(
  'review_pair_months',
  {
    shopId: text('shop_id').notNull(),
    buyerId: text('buyer_id').notNull(),
    month: text('month').notNull(),
    /** Reviews of trades above the scoring minimum (places for credit points). */
    scoring: integer('scoring').notNull().default(0),
    /** All reviews (places for the DSR). */
    rated: integer('rated').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.shopId, t.buyerId, t.month] })],
);
