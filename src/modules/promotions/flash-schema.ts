import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { tstz } from '../../kernel/schema';

/** `active` sells inside its window; `paused` stops selling until resumed. The phase shown is derived. */
export const FLASH_SALE_STATUSES = ['active', 'paused'] as const;
export type FlashSaleStatus = (typeof FLASH_SALE_STATUSES)[number];

/**
 * A flash sale (秒杀) of one SKU: a window, a price, a quota of units and a per-buyer limit. The quota
 * is split over `flash_sale_shards` so that claims do not all queue on one row (see claimFlashQuota).
 */
export const flashSales = pgTable(
  'flash_sales',
  {
    id: text('id').primaryKey(),
    shopId: text('shop_id').notNull(),
    skuId: text('sku_id').notNull(),
    productId: text('product_id').notNull(),
    /** The SKU's price when the sale was created, to show the saving. */
    listPrice: bigint('list_price', { mode: 'number' }).notNull(),
    flashPrice: bigint('flash_price', { mode: 'number' }).notNull(),
    quota: integer('quota').notNull(),
    perBuyerLimit: integer('per_buyer_limit').notNull(),
    status: text('status', { enum: FLASH_SALE_STATUSES }).notNull().default('active'),
    startsAt: tstz('starts_at').notNull(),
    endsAt: tstz('ends_at').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: tstz('created_at').notNull(),
    updatedAt: tstz('updated_at').notNull(),
  },
  (t) => [
    index('flash_sales_sku').on(t.skuId, t.startsAt),
    index('flash_sales_shop').on(t.shopId, t.createdAt, t.id),
    index('flash_sales_window').on(t.endsAt, t.startsAt),
    check('flash_sales_window', sql`${t.endsAt} > ${t.startsAt}`),
    check('flash_sales_price', sql`${t.flashPrice} > 0 and ${t.flashPrice} < ${t.listPrice}`),
    check('flash_sales_limit', sql`${t.perBuyerLimit} >= 1 and ${t.perBuyerLimit} <= ${t.quota}`),
  ],
);

/**
 * One slice of a sale's quota. The slices' quotas sum to the sale's; `claimed` counts units held by
 * unpaid orders plus units sold. Every claim is a conditional UPDATE of one slice (claimed + q <=
 * quota) backed by the check, so the quota can never be oversold; with several slices, concurrent
 * claims commit in parallel instead of one after another on a single hot row.
 */
export const flashSaleShards = pgTable(
  'flash_sale_shards',
  {
    flashSaleId: text('flash_sale_id').notNull(),
    shard: integer('shard').notNull(),
    quota: integer('quota').notNull(),
    claimed: integer('claimed').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.flashSaleId, t.shard] }),
    check('flash_sale_shards_within_quota', sql`${t.claimed} >= 0 and ${t.claimed} <= ${t.quota}`),
  ],
);

/**
 * Units each buyer holds or bought in a sale. One row per (sale, buyer): taking more is a conditional
 * upsert, so concurrent orders of the same buyer serialise on this row and never pass the limit.
 */
export const flashBuyerTallies = pgTable(
  'flash_buyer_tallies',
  {
    flashSaleId: text('flash_sale_id').notNull(),
    buyerId: text('buyer_id').notNull(),
    taken: integer('taken').notNull(),
    perBuyerLimit: integer('per_buyer_limit').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.flashSaleId, t.buyerId] }),
    check('flash_buyer_tallies_within_limit', sql`${t.taken} >= 0 and ${t.taken} <= ${t.perBuyerLimit}`),
  ],
);

export const FLASH_CLAIM_STATUSES = ['held', 'sold', 'released'] as const;
export type FlashClaimStatus = (typeof FLASH_CLAIM_STATUSES)[number];

/** Units of a sale taken by one order: held until paid (sold) or closed unpaid (released). */
export const flashClaims = pgTable(
  'flash_claims',
  {
    id: text('id').primaryKey(),
    flashSaleId: text('flash_sale_id').notNull(),
    buyerId: text('buyer_id').notNull(),
    orderId: text('order_id').notNull(),
    quantity: integer('quantity').notNull(),
    status: text('status', { enum: FLASH_CLAIM_STATUSES }).notNull().default('held'),
    /** Units taken from each slice, [[shard, units], ...]; released to the same slices. */
    shards: jsonb('shards').$type<[number, number][]>().notNull().default([]),
    claimedAt: tstz('claimed_at').notNull(),
    soldAt: tstz('sold_at'),
    releasedAt: tstz('released_at'),
  },
  (t) => [
    uniqueIndex('flash_claims_order').on(t.flashSaleId, t.orderId),
    index('flash_claims_by_order').on(t.orderId),
    index('flash_claims_buyer').on(t.flashSaleId, t.buyerId),
    check('flash_claims_quantity', sql`${t.quantity} >= 1`),
  ],
);
