import { bigint, index, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { tstz } from '../../kernel/schema';

/** Each paid order line, with what was refunded of it since: the sales rankings count net units. */
export const rankingSales = pgTable(
  'ranking_sales',
  {
    lineId: text('line_id').primaryKey(),
    orderId: text('order_id').notNull(),
    shopId: text('shop_id').notNull(),
    productId: text('product_id').notNull(),
    categoryId: text('category_id').notNull(),
    buyerId: text('buyer_id').notNull(),
    units: integer('units').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    refundedUnits: integer('refunded_units').notNull().default(0),
    refundedAmount: bigint('refunded_amount', { mode: 'number' }).notNull().default(0),
    paidAt: tstz('paid_at').notNull(),
  },
  (t) => [
    index('ranking_sales_category').on(t.categoryId, t.paidAt),
    index('ranking_sales_order').on(t.orderId),
    index('ranking_sales_product').on(t.productId, t.buyerId),
  ],
);

/** When each product first went on sale (its launch), and its category. */
export const rankingProducts = pgTable(
  'ranking_products',
  {
    productId: text('product_id').primaryKey(),
    shopId: text('shop_id').notNull(),
    categoryId: text('category_id').notNull(),
    launchedAt: tstz('launched_at'),
  },
  (t) => [index('ranking_products_category').on(t.categoryId, t.launchedAt)],
);

/** Brushing (fake-trade) findings against shops: their sales stay out of the rankings for a year. */
export const rankingFlags = pgTable(
  'ranking_flags',
  {
    recordId: text('record_id').primaryKey(),
    shopId: text('shop_id').notNull(),
    foundAt: tstz('found_at').notNull(),
  },
  (t) => [index('ranking_flags_shop').on(t.shopId, t.foundAt)],
);
