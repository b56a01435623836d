import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { tstz } from '../../kernel/schema';

export const warehouses = pgTable(
  'warehouses',
  {
    id: text('id').primaryKey(),
    shopId: text('shop_id').notNull(),
    name: text('name').notNull(),
    /** Where the goods ship from (province or city), e.g. 浙江省杭州市. */
    region: text('region').notNull(),
    createdAt: tstz('created_at').notNull(),
  },
  (t) => [index('warehouses_shop').on(t.shopId, t.id)],
);

/**
 * Stock of one SKU in one warehouse. `reserved` units are promised to unpaid or unshipped orders;
 * what can still be sold is `on_hand - reserved`. The check makes overselling impossible even for a
 * buggy caller: every change is a conditional UPDATE that this constraint backs up.
 */
export const stock = pgTable(
  'stock',
  {
    skuId: text('sku_id').notNull(),
    warehouseId: text('warehouse_id')
      .notNull()
      .references(() => warehouses.id),
    shopId: text('shop_id').notNull(),
    onHand: integer('on_hand').notNull().default(0),
    reserved: integer('reserved').notNull().default(0),
    updatedAt: tstz('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.skuId, t.warehouseId] }),
    index('stock_shop').on(t.shopId, t.skuId, t.warehouseId),
    check('stock_reserved_within_on_hand', sql`${t.reserved} >= 0 and ${t.reserved} <= ${t.onHand}`),
  ],
);

export const ADJUSTMENT_REASONS = ['receipt', 'count_correction', 'damage', 'return', 'other'] as const;
export type AdjustmentReason = (typeof ADJUSTMENT_REASONS)[number];
/** Adjustments by staff, plus the movements the system makes itself. */
export const MOVEMENT_REASONS = [...ADJUSTMENT_REASONS, 'initial', 'reserve', 'release', 'shipment'] as const;
export type MovementReason = (typeof MOVEMENT_REASONS)[number];

/** Every change to a stock row, append-only: the audit trail and the input of demand forecasts. */
export const stockMovements = pgTable(
  'stock_movements',
  {
    id: text('id').primaryKey(),
    shopId: text('shop_id').notNull(),
    skuId: text('sku_id').notNull(),
    warehouseId: text('warehouse_id').notNull(),
    deltaOnHand: integer('delta_on_hand').notNull(),
    deltaReserved: integer('delta_reserved').notNull(),
    reason: text('reason', { enum: MOVEMENT_REASONS }).notNull(),
    /** What caused it: a reservation id for reserve/release/shipment. */
    ref: text('ref'),
    /** The staff member's words for a manual adjustment (the delivery note number, say). */
    note: text('note'),
    actorId: text('actor_id'),
    createdAt: tstz('created_at').notNull(),
  },
  (t) => [
    index('stock_movements_shop').on(t.shopId, t.id),
    index('stock_movements_shop_sku').on(t.shopId, t.skuId, t.id),
  ],
);

export const RESERVATION_STATUSES = ['held', 'committed', 'released'] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

/** Units held for an order (`ref`) until it is paid and shipped (committed) or closed (released). */
export const reservations = pgTable(
  'reservations',
  {
    id: text('id').primaryKey(),
    shopId: text('shop_id').notNull(),
    skuId: text('sku_id').notNull(),
    warehouseId: text('warehouse_id').notNull(),
    quantity: integer('quantity').notNull(),
    ref: text('ref').notNull(),
    status: text('status', { enum: RESERVATION_STATUSES }).notNull().default('held'),
    createdAt: tstz('created_at').notNull(),
    updatedAt: tstz('updated_at').notNull(),
  },
  (t) => [
    index('reservations_ref').on(t.ref),
    index('reservations_sku').on(t.skuId).where(sql`status = 'held'`),
    check('reservations_quantity_positive', sql`${t.quantity} > 0`),
  ],
);
