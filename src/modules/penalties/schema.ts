import { sql } from 'drizzle-orm';
import { boolean, index, integer, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { tstz } from '../../kernel/schema';

/** general (一般违规, A), serious (严重违规, B), counterfeit (售假, C). */
export const PENALTY_TRACKS = ['general', 'serious', 'counterfeit'] as const;
export type PenaltyTrack = (typeof PENALTY_TRACKS)[number];

/** Reasons an operator may give; the platform's own deductions (complaints, brushing) use these too. */
export const PENALTY_REASONS = [
  'late_shipment_not_compensated',
  'refusal_to_ship',
  'fake_trade',
  'counterfeit',
  'description_mismatch',
  'refused_after_sales',
  'other',
] as const;

export const PENALTY_ACTIONS = ['restrict', 'close_shop', 'seal_account'] as const;
export type PenaltyAction = (typeof PENALTY_ACTIONS)[number];

/** Every deduction, as issued: nothing here is ever changed or deleted. */
export const penaltyRecords = pgTable(
  'penalty_records',
  {
    id: text('id').primaryKey(),
    shopId: text('shop_id').notNull(),
    /** The penalty year (Asia/Shanghai calendar year) the points count in. */
    year: integer('year').notNull(),
    track: text('track', { enum: PENALTY_TRACKS }).notNull(),
    points: integer('points').notNull(),
    reason: text('reason').notNull(),
    note: text('note'),
    /** What it is about: a complaint id, an order id... */
    ref: text('ref'),
    /** The operator's account id; null when the platform issued it (a rule, a complaint ruling). */
    issuedBy: text('issued_by'),
    /** Brushing findings: fake orders found, which offence of the year, found long after the fact. */
    fakeOrders: integer('fake_orders'),
    offence: integer('offence'),
    lateDetected: boolean('late_detected'),
    createdAt: tstz('created_at').notNull(),
  },
  (t) => [
    index('penalty_records_shop').on(t.shopId, t.createdAt, t.id),
    index('penalty_records_reason').on(t.shopId, t.reason, t.year),
  ],
);

/** Running totals per shop and penalty year; a new year's row starts from what the reset carries over. */
export const penaltyTotals = pgTable(
  'penalty_totals',
  {
    shopId: text('shop_id').notNull(),
    year: integer('year').notNull(),
    general: integer('general').notNull().default(0),
    serious: integer('serious').notNull().default(0),
    counterfeit: integer('counterfeit').notNull().default(0),
    updatedAt: tstz('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.shopId, t.year] })],
);

/**
 * Node penalties applied to shops. At most one is active per shop: a heavier one supersedes it, a
 * lighter or equal one is absorbed (never queued). It is lifted by a deadline at `endsAt`; a seal
 * has no end.
 */
export const shopPenalties = pgTable(
  'shop_penalties',
  {
    id: text('id').primaryKey(),
    shopId: text('shop_id').notNull(),
    action: text('action', { enum: PENALTY_ACTIONS }).notNull(),
    /** The ladder whose node fired: general, or serious (serious and counterfeit points together). */
    ladder: text('ladder', { enum: ['general', 'serious'] }).notNull(),
    node: integer('node').notNull(),
    days: integer('days'),
    /** The deduction that reached the node. */
    recordId: text('record_id').notNull(),
    status: text('status', { enum: ['active', 'lifted', 'superseded'] }).notNull(),
    startsAt: tstz('starts_at').notNull(),
    endsAt: tstz('ends_at'),
    endedAt: tstz('ended_at'),
  },
  (t) => [
    uniqueIndex('shop_penalties_one_active').on(t.shopId).where(sql`status = 'active'`),
    index('shop_penalties_shop').on(t.shopId, t.startsAt),
  ],
);
