import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { tstz } from '../../kernel/schema';

export const REFUND_KINDS = ['refund_only', 'return_refund'] as const;
export type RefundKind = (typeof REFUND_KINDS)[number];

/**
 * Why the buyer asks. The seller-fault reasons make the seller pay the return postage; `no_reason`
 * is the seven-day no-reason return; `not_shipped_on_time` after the ship-by deadline refunds at once.
 */
export const REFUND_REASONS = [
  'not_shipped_on_time',
  'no_longer_needed',
  'ordered_by_mistake',
  'no_reason',
  'not_received',
  'quality_issue',
  'not_as_described',
  'damaged',
  'wrong_item',
  'missing_parts',
  'other',
] as const;
/** Reasons only the platform gives, refunding an order by its rules without a request. */
export const SYSTEM_REFUND_REASONS = ['group_buy_failed'] as const;
export type SystemRefundReason = (typeof SYSTEM_REFUND_REASONS)[number];
export type RefundReason = (typeof REFUND_REASONS)[number] | SystemRefundReason;

/**
 * requested -> (seller approves or stays silent) refunded | awaiting_return -> return_shipped ->
 * (seller confirms or stays silent) refunded. The seller may refuse a request or a returned parcel:
 * refused -> (buyer escalates) escalated -> the operator decides; a refusal the buyer lets pass, a
 * return never shipped, or the buyer withdrawing ends in closed.
 */
export const REFUND_STATUSES = [
  'requested',
  'refused',
  'escalated',
  'awaiting_return',
  'return_shipped',
  'refunded',
  'closed',
] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];
export const OPEN_REFUND_STATUSES: RefundStatus[] = [
  'requested',
  'refused',
  'escalated',
  'awaiting_return',
  'return_shipped',
];

export const refunds = pgTable(
  'refunds',
  {
    id: text('id').primaryKey(),
    orderId: text('order_id').notNull(),
    shopId: text('shop_id').notNull(),
    buyerId: text('buyer_id').notNull(),
    shopKind: text('shop_kind', { enum: ['mall', 'market'] }).notNull(),
    kind: text('kind', { enum: REFUND_KINDS }).notNull(),
    reason: text('reason', { enum: [...REFUND_REASONS, ...SYSTEM_REFUND_REASONS] }).notNull(),
    detail: text('detail'),
    /** Where the order stood when asked: it sets the seller's answer time and where the money comes from. */
    stage: text('stage', { enum: ['unshipped', 'shipped', 'succeeded'] }).notNull(),
    status: text('status', { enum: REFUND_STATUSES }).notNull(),
    /** Fen the goods return: the sum of the lines' paid shares. */
    amount: bigint('amount', { mode: 'number' }).notNull(),
    /** The buyer's return postage and who paid it back (seller for faults, insurance, or nobody). */
    returnPostage: bigint('return_postage', { mode: 'number' }).notNull().default(0),
    postagePaidBy: text('postage_paid_by', { enum: ['seller', 'insurance', 'buyer'] }),
    postageRefund: bigint('postage_refund', { mode: 'number' }).notNull().default(0),
    returnCarrier: text('return_carrier'),
    returnTrackingNo: text('return_tracking_no'),
    returnShippedAt: tstz('return_shipped_at'),
    /** The current timer of the request (answer, escalate, ship the return, confirm it). */
    actBy: tstz('act_by'),
    refusalReason: text('refusal_reason'),
    refusedAt: tstz('refused_at'),
    escalatedAt: tstz('escalated_at'),
    decisionNote: text('decision_note'),
    decidedBy: text('decided_by'),
    /** Where the money came from: escrow before settlement, the shop after it. */
    fundedFrom: text('funded_from', { enum: ['escrow', 'shop'] }),
    refundedAt: tstz('refunded_at'),
    closedAt: tstz('closed_at'),
    closeReason: text('close_reason'),
    createdAt: tstz('created_at').notNull(),
    updatedAt: tstz('updated_at').notNull(),
  },
  (t) => [
    // One request open per order at a time, so two concurrent requests cannot both claim the lines.
    uniqueIndex('refunds_one_open_per_order')
      .on(t.orderId)
      .where(sql`status in ('requested', 'refused', 'escalated', 'awaiting_return', 'return_shipped')`),
    index('refunds_order').on(t.orderId),
    index('refunds_shop').on(t.shopId, t.status, t.createdAt),
    index('refunds_buyer').on(t.buyerId, t.createdAt),
    index('refunds_refunded').on(t.refundedAt),
  ],
);

export const refundLines = pgTable(
  'refund_lines',
  {
    refundId: text('refund_id')
      .notNull()
      .references(() => refunds.id),
    orderLineId: text('order_line_id').notNull(),
    skuId: text('sku_id').notNull(),
    categoryId: text('category_id').notNull(),
    quantity: integer('quantity').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
  },
  (t) => [
    uniqueIndex('refund_lines_pk').on(t.refundId, t.orderLineId),
    index('refund_lines_category').on(t.categoryId),
  ],
);

/** Every step of a request: who, what, when, why. The buyer, the seller and the operator read it. */
export const refundEvents = pgTable(
  'refund_events',
  {
    id: text('id').primaryKey(),
    refundId: text('refund_id').notNull(),
    fromStatus: text('from_status'),
    toStatus: text('to_status').notNull(),
    actorType: text('actor_type', { enum: ['buyer', 'staff', 'operator', 'system'] }).notNull(),
    actorId: text('actor_id'),
    note: text('note'),
    detail: jsonb('detail').$type<Record<string, unknown>>(),
    at: tstz('at').notNull(),
  },
  (t) => [index('refund_events_refund').on(t.refundId, t.at)],
);

export const COMPLAINT_REASONS = [
  'late_shipment',
  'not_as_described',
  'refused_after_sales',
  'fake_shipment',
  'counterfeit',
  'other',
] as const;
export type ComplaintReason = (typeof COMPLAINT_REASONS)[number];

export const complaints = pgTable(
  'complaints',
  {
    id: text('id').primaryKey(),
    orderId: text('order_id').notNull(),
    shopId: text('shop_id').notNull(),
    buyerId: text('buyer_id').notNull(),
    shopKind: text('shop_kind', { enum: ['mall', 'market'] }).notNull(),
    reason: text('reason', { enum: COMPLAINT_REASONS }).notNull(),
    detail: text('detail'),
    status: text('status', { enum: ['open', 'upheld', 'dismissed'] }).notNull(),
    /** Compensation owed under the rules (late shipment), in fen, and how it reaches the buyer. */
    compensation: bigint('compensation', { mode: 'number' }).notNull().default(0),
    compensationPayout: text('compensation_payout', { enum: ['cash', 'points'] }),
    /** When it was paid, and whether the merchant paid it before the ruling (which spares the points). */
    compensatedAt: tstz('compensated_at'),
    compensatedVoluntarily: boolean('compensated_voluntarily').notNull().default(false),
    penaltyPoints: integer('penalty_points').notNull().default(0),
    penaltyTrack: text('penalty_track', { enum: ['general', 'serious', 'counterfeit'] }),
    decisionNote: text('decision_note'),
    decidedBy: text('decided_by'),
    decidedAt: tstz('decided_at'),
    createdAt: tstz('created_at').notNull(),
  },
  (t) => [
    // One complaint per order and reason: a buyer cannot be paid twice for one late shipment.
    uniqueIndex('complaints_order_reason').on(t.orderId, t.reason),
    index('complaints_status').on(t.status, t.createdAt),
    index('complaints_shop').on(t.shopId, t.createdAt),
    index('complaints_buyer').on(t.buyerId, t.createdAt),
  ],
);
