import { bigint, index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { tstz } from '../../kernel/schema';

export const FUNDERS = ['merchant', 'platform', 'shared'] as const;
export const AUDIENCES = ['all', 'new_buyers', 'list', 'segment'] as const;
export const CAMPAIGN_STATUSES = ['active', 'paused'] as const;

/**
 * A coupon offer: a shop's (its own goods) or the platform's (every shop). Buyers claim coupons
 * from it within the limits; the claimed coupon is what checkout uses.
 */
export const couponTemplates = pgTable(
  'coupon_templates',
  {
    id: text('id').primaryKey(),
    shopId: text('shop_id'),
    name: text('name').notNull(),
    kind: text('kind', { enum: ['amount', 'percent'] }).notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull().default(0),
    /** Percent coupons: the share taken off, in basis points (1500 = 15% off). */
    percentOffBp: integer('percent_off_bp').notNull().default(0),
    /** Percent coupons: at most this much off (0 = no cap). */
    cap: bigint('cap', { mode: 'number' }).notNull().default(0),
    threshold: bigint('threshold', { mode: 'number' }).notNull().default(0),
    categoryIds: jsonb('category_ids').$type<string[]>().notNull().default([]),
    validFrom: tstz('valid_from').notNull(),
    validUntil: tstz('valid_until').notNull(),
    totalLimit: integer('total_limit').notNull(),
    perBuyerLimit: integer('per_buyer_limit').notNull(),
    claimed: integer('claimed').notNull().default(0),
    used: integer('used').notNull().default(0),
    audience: text('audience', { enum: AUDIENCES }).notNull().default('all'),
    audienceBuyerIds: jsonb('audience_buyer_ids').$type<string[]>().notNull().default([]),
    /** A data-bank segment of the shop (audience `segment`): its members may claim. */
    segmentId: text('segment_id'),
    funder: text('funder', { enum: FUNDERS }).notNull(),
    platformShareBp: integer('platform_share_bp').notNull().default(0),
    status: text('status', { enum: CAMPAIGN_STATUSES }).notNull().default('active'),
    createdBy: text('created_by').notNull(),
    createdAt: tstz('created_at').notNull(),
  },
  (t) => [index('coupon_templates_shop').on(t.shopId, t.createdAt)],
);

export const coupons = pgTable(
  'coupons',
  {
    id: text('id').primaryKey(),
    templateId: text('template_id').notNull(),
    buyerId: text('buyer_id').notNull(),
    /** Which of the buyer's claims of this offer it is (1, 2, ...): the per-buyer limit is a unique index. */
    claimNo: integer('claim_no').notNull(),
    status: text('status', { enum: ['unused', 'held', 'used'] })
      .notNull()
      .default('unused'),
    /** The payment whose checkout holds or used it. */
    paymentId: text('payment_id'),
    claimedAt: tstz('claimed_at').notNull(),
    usedAt: tstz('used_at'),
  },
  (t) => [
    uniqueIndex('coupons_buyer_claim').on(t.templateId, t.buyerId, t.claimNo),
    index('coupons_buyer').on(t.buyerId, t.status),
    index('coupons_payment').on(t.paymentId),
  ],
);

/** "200 off 20 / 400 off 50" (tiered) or "every 300 off 50" (every), per shop or across shops. */
export const fullReductions = pgTable(
  'full_reductions',
  {
    id: text('id').primaryKey(),
    /** Null: cross-shop, run by the platform. */
    shopId: text('shop_id'),
    name: text('name').notNull(),
    mode: text('mode', { enum: ['tiered', 'every'] }).notNull(),
    tiers: jsonb('tiers').$type<{ threshold: number; off: number }[]>().notNull(),
    cap: bigint('cap', { mode: 'number' }).notNull().default(0),
    /** Cross-shop: the shops taking part (empty = all). */
    shopIds: jsonb('shop_ids').$type<string[]>().notNull().default([]),
    funder: text('funder', { enum: FUNDERS }).notNull(),
    platformShareBp: integer('platform_share_bp').notNull().default(0),
    validFrom: tstz('valid_from').notNull(),
    validUntil: tstz('valid_until').notNull(),
    status: text('status', { enum: CAMPAIGN_STATUSES }).notNull().default('active'),
    createdBy: text('created_by').notNull(),
    createdAt: tstz('created_at').notNull(),
  },
  (t) => [index('full_reductions_window').on(t.validFrom, t.validUntil)],
);

/** A shop's price cut on one SKU for a time window (限时折扣). */
export const timedDiscounts = pgTable(
  'timed_discounts',
  {
    id: text('id').primaryKey(),
    shopId: text('shop_id').notNull(),
    skuId: text('sku_id').notNull(),
    unitPrice: bigint('unit_price', { mode: 'number' }).notNull(),
    validFrom: tstz('valid_from').notNull(),
    validUntil: tstz('valid_until').notNull(),
    status: text('status', { enum: CAMPAIGN_STATUSES }).notNull().default('active'),
    createdBy: text('created_by').notNull(),
    createdAt: tstz('created_at').notNull(),
    /**
     * A member-only price (会员价): only members of the shop's membership programme at this level or
     * above get it (its position in the programme's levels, 0 = every member). Null: everyone.
     */
    memberLevel: text('member_level'),
    memberLevelRank: integer('member_level_rank'),
  },
  (t) => [index('timed_discounts_sku').on(t.skuId, t.validFrom)],
);

/** The platform's price cut on chosen SKUs, paid from a budget that stops it when spent. */
export const subsidies = pgTable(
  'subsidies',
  {
    id: text('id').primaryKey(),
    skuId: text('sku_id').notNull(),
    perUnit: bigint('per_unit', { mode: 'number' }).notNull(),
    budget: bigint('budget', { mode: 'number' }).notNull(),
    /** Held by unpaid orders and spent by paid ones; never above the budget (a guarded UPDATE). */
    committed: bigint('committed', { mode: 'number' }).notNull().default(0),
    validFrom: tstz('valid_from').notNull(),
    validUntil: tstz('valid_until').notNull(),
    status: text('status', { enum: CAMPAIGN_STATUSES }).notNull().default('active'),
    createdBy: text('created_by').notNull(),
    createdAt: tstz('created_at').notNull(),
  },
  (t) => [index('subsidies_sku').on(t.skuId, t.validFrom)],
);

/** Every discount on every order line: what, how much, who funds it. Refunds and reports read it. */
export const orderDiscounts = pgTable(
  'order_discounts',
  {
    id: text('id').primaryKey(),
    paymentId: text('payment_id').notNull(),
    orderId: text('order_id').notNull(),
    orderLineId: text('order_line_id').notNull(),
    shopId: text('shop_id').notNull(),
    kind: text('kind').notNull(),
    promotionId: text('promotion_id').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    merchantFunded: bigint('merchant_funded', { mode: 'number' }).notNull(),
    platformFunded: bigint('platform_funded', { mode: 'number' }).notNull(),
    createdAt: tstz('created_at').notNull(),
  },
  (t) => [
    index('order_discounts_order').on(t.orderId),
    index('order_discounts_promotion').on(t.promotionId),
    index('order_discounts_payment').on(t.paymentId),
  ],
);

/** Points a checkout spent, lot by lot, so closing or refunding its orders gives exactly those back. */
export const checkoutPoints = pgTable('checkout_points', {
  paymentId: text('payment_id').primaryKey(),
  buyerId: text('buyer_id').notNull(),
  points: integer('points').notNull(),
  fenPerPoint: integer('fen_per_point').notNull(),
  lots: jsonb('lots').$type<{ lotId: string; points: number }[]>().notNull(),
  /** Points already given back (closed orders, refunds). */
  returned: integer('returned').notNull().default(0),
  createdAt: tstz('created_at').notNull(),
});

export * from './flash-schema';
