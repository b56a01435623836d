import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { tstz } from '../../kernel/schema';

export const PRESALE_STATUSES = ['active', 'cancelled'] as const;

/**
 * A presale (预售) of one SKU: a deposit now, the balance in a later window. The deposit may count
 * for more than it is (付定金立减, `depositValue` >= `deposit`): with a presale price of 1,000 and a
 * deposit of 100 worth 300 (100 plus 200 off), the buyer pays 100 + 700 = 800 (rules-reference §7).
 * Deposits open at `depositFrom` (any minute: 20:00 openings included) and close at `depositUntil`;
 * the balance is paid in [balanceFrom, balanceUntil). `claimed` counts units of open presale orders.
 */
export const presales = pgTable(
  'presales',
  {
    id: text('id').primaryKey(),
    shopId: text('shop_id').notNull(),
    skuId: text('sku_id').notNull(),
    productId: text('product_id').notNull(),
    listPrice: bigint('list_price', { mode: 'number' }).notNull(),
    presalePrice: bigint('presale_price', { mode: 'number' }).notNull(),
    deposit: bigint('deposit', { mode: 'number' }).notNull(),
    depositValue: bigint('deposit_value', { mode: 'number' }).notNull(),
    quota: integer('quota').notNull(),
    claimed: integer('claimed').notNull().default(0),
    status: text('status', { enum: PRESALE_STATUSES }).notNull().default('active'),
    depositFrom: tstz('deposit_from').notNull(),
    depositUntil: tstz('deposit_until').notNull(),
    balanceFrom: tstz('balance_from').notNull(),
    balanceUntil: tstz('balance_until').notNull(),
    /** The date announced for shipping; when absent, ship-by counts from the balance payment. */
    announcedShipBy: tstz('announced_ship_by'),
    createdBy: text('created_by').notNull(),
    createdAt: tstz('created_at').notNull(),
    updatedAt: tstz('updated_at').notNull(),
  },
  (t) => [
    index('presales_shop').on(t.shopId, t.createdAt, t.id),
    index('presales_sku').on(t.skuId, t.depositFrom),
    check('presales_claimed', sql`${t.claimed} >= 0 and ${t.claimed} <= ${t.quota}`),
    check('presales_deposit', sql`${t.deposit} > 0 and ${t.depositValue} >= ${t.deposit}`),
    check(
      'presales_price',
      sql`${t.presalePrice} <= ${t.listPrice} and ${t.depositValue} < ${t.presalePrice}`,
    ),
  ],
);

/** What became of each presale order, kept from trade's order hooks for the campaign report. */
export const PRESALE_ORDER_STATUSES = [
  'awaiting_deposit',
  'deposit_paid',
  'balance_paid',
  'unpaid',
  'forfeited',
  'deposit_refunded',
] as const;

export const presaleOrders = pgTable(
  'presale_orders',
  {
    orderId: text('order_id').primaryKey(),
    presaleId: text('presale_id').notNull(),
    buyerId: text('buyer_id').notNull(),
    quantity: integer('quantity').notNull(),
    deposit: bigint('deposit', { mode: 'number' }).notNull(),
    total: bigint('total', { mode: 'number' }).notNull(),
    status: text('status', { enum: PRESALE_ORDER_STATUSES }).notNull().default('awaiting_deposit'),
    createdAt: tstz('created_at').notNull(),
    updatedAt: tstz('updated_at').notNull(),
  },
  (t) => [index('presale_orders_presale').on(t.presaleId, t.status)],
);
