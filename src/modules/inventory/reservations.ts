import { and, asc, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db';
import { AppError, invalidField, notFound } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { reservations, stock } from './schema';
import { recordMovement } from './stock';
import './messages';

export type Reservation = typeof reservations.$inferSelect;

export interface ReserveInput {
  shopId: string;
  skuId: string;
  quantity: number;
  /** What the units are held for, e.g. an order id. */
  ref: string;
  now: Date;
}

/**
 * Holds `quantity` units of a SKU in one warehouse (an order line ships from one place). The
 * warehouse with the most sellable units is tried first. Each attempt is a single conditional UPDATE
 * that only succeeds while `on_hand - reserved` still covers the quantity, so concurrent buyers can
 * never take the same unit twice; when a competitor got there first, the next warehouse is tried.
 */
export async function reserveStock(tx: Executor, input: ReserveInput): Promise<Reservation> {
  const { shopId, skuId, quantity, ref, now } = input;
  if (!Number.isSafeInteger(quantity) || quantity < 1) {
    throw invalidField('/quantity', 'field.minimum', { limit: 1 });
  }
  const held = await reserveInFirstWarehouse(tx, input);
  if (held) return held;
  const available = sql<number>`${stock.onHand} - ${stock.reserved}`;
  const candidates = await tx
    .select({ warehouseId: stock.warehouseId })
    .from(stock)
    .where(and(eq(stock.shopId, shopId), eq(stock.skuId, skuId), sql`${available} >= ${quantity}`))
    // Always in warehouse order: an UPDATE that waited for a row keeps it locked even when its
    // re-check then fails, so two reservations trying warehouses in different orders could deadlock.
    .orderBy(asc(stock.warehouseId));

  for (const { warehouseId } of candidates) {
    const [held] = await tx
      .update(stock)
      .set({ reserved: sql`${stock.reserved} + ${quantity}`, updatedAt: now })
      .where(
        and(
          eq(stock.skuId, skuId),
          eq(stock.warehouseId, warehouseId),
          eq(stock.shopId, shopId),
          sql`${stock.onHand} - ${stock.reserved} >= ${quantity}`,
        ),
      )
      .returning({ warehouseId: stock.warehouseId });
    if (!held) continue;
    const [reservation] = await tx
      .insert(reservations)
      .values({
        id: newId('rsv'),
        shopId,
        skuId,
        warehouseId,
        quantity,
        ref,
        status: 'held',
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    await recordMovement(
      tx,
      {
        shopId,
        skuId,
        warehouseId,
        deltaOnHand: 0,
        deltaReserved: quantity,
        reason: 'reserve',
        ref: reservation!.id,
      },
      now,
    );
    return reservation!;
  }

  const [best] = await tx
    .select({ available: sql<number>`coalesce(max(${available}), 0)::int` })
    .from(stock)
    .where(and(eq(stock.shopId, shopId), eq(stock.skuId, skuId)));
  throw new AppError(409, 'insufficient_stock', {
    skuId,
    quantity,
    available: Math.max(0, Number(best?.available ?? 0)),
  });
}

/**
 * The usual case of reserveStock in one statement instead of four: hold the units in the first
 * warehouse (in warehouse order) that has them, and write the reservation and its stock movement.
 * The UPDATE re-checks availability on the row it locks, as reserveStock's own UPDATE does, so a
 * competitor that took the units first makes it hold nothing (undefined), and reserveStock then
 * tries the warehouses one by one.
 */
async function reserveInFirstWarehouse(tx: Executor, input: ReserveInput): Promise<Reservation | undefined> {
  const { shopId, skuId, quantity, ref, now } = input;
  const id = newId('rsv');
  const at = now.toISOString();
  const r = await tx.execute(sql`
    with held as (
      update stock set reserved = reserved + ${quantity}::int, updated_at = ${at}::timestamptz
       where (shop_id, sku_id, warehouse_id) = (
               select shop_id, sku_id, warehouse_id from stock
                where shop_id = ${shopId} and sku_id = ${skuId} and on_hand - reserved >= ${quantity}::int
                order by warehouse_id limit 1)
         and on_hand - reserved >= ${quantity}::int
      returning warehouse_id),
    reservation as (
      insert into reservations (id, shop_id, sku_id, warehouse_id, quantity, ref, status, created_at, updated_at)
      select ${id}, ${shopId}, ${skuId}, warehouse_id, ${quantity}::int, ${ref}, 'held', ${at}::timestamptz, ${at}::timestamptz
        from held
      returning warehouse_id)
    insert into stock_movements (id, shop_id, sku_id, warehouse_id, delta_on_hand, delta_reserved, reason, ref, created_at)
    select ${newId('mv')}, ${shopId}, ${skuId}, warehouse_id, 0, ${quantity}::int, 'reserve', ${id}, ${at}::timestamptz
      from reservation
    returning warehouse_id`);
  const [row] = (r as unknown as { rows: { warehouse_id: string }[] }).rows;
  if (!row) return undefined;
  return {
    id,
    shopId,
    skuId,
    warehouseId: row.warehouse_id,
    quantity,
    ref,
    status: 'held',
    createdAt: now,
    updatedAt: now,
  };
}

export async function getReservation(tx: Executor, reservationId: string): Promise<Reservation | undefined> {
  const [row] = await tx.select().from(reservations).where(eq(reservations.id, reservationId));
  return row;
}

/**
 * Moves a held reservation to `to` exactly once: the status change is conditional on `held`, so of
 * two concurrent calls one does the work and the other sees it done. Undefined when it was not held.
 */
async function settle(
  tx: Executor,
  reservationId: string,
  to: 'released' | 'committed',
  now: Date,
): Promise<Reservation | undefined> {
  const [row] = await tx
    .update(reservations)
    .set({ status: to, updatedAt: now })
    .where(and(eq(reservations.id, reservationId), eq(reservations.status, 'held')))
    .returning();
  return row;
}

/** Gives the units back to sale (an order closed unpaid, say). Releasing twice is harmless. */
export async function releaseReservation(
  tx: Executor,
  reservationId: string,
  now: Date,
): Promise<Reservation> {
  const row = await settle(tx, reservationId, 'released', now);
  if (!row) {
    const current = await getReservation(tx, reservationId);
    if (!current) throw notFound('reservation_not_found');
    if (current.status === 'committed') throw new AppError(409, 'reservation_already_committed');
    return current;
  }
  await tx
    .update(stock)
    .set({ reserved: sql`${stock.reserved} - ${row.quantity}`, updatedAt: now })
    .where(and(eq(stock.skuId, row.skuId), eq(stock.warehouseId, row.warehouseId)));
  await recordMovement(
    tx,
    {
      shopId: row.shopId,
      skuId: row.skuId,
      warehouseId: row.warehouseId,
      deltaOnHand: 0,
      deltaReserved: -row.quantity,
      reason: 'release',
      ref: row.id,
    },
    now,
  );
  return row;
}

/** The goods leave the warehouse: on hand and reserved both drop by the quantity. Idempotent. */
export async function commitReservation(
  tx: Executor,
  reservationId: string,
  now: Date,
): Promise<Reservation> {
  const row = await settle(tx, reservationId, 'committed', now);
  if (!row) {
    const current = await getReservation(tx, reservationId);
    if (!current) throw notFound('reservation_not_found');
    if (current.status === 'released') throw new AppError(409, 'reservation_already_released');
    return current;
  }
  await tx
    .update(stock)
    .set({
      onHand: sql`${stock.onHand} - ${row.quantity}`,
      reserved: sql`${stock.reserved} - ${row.quantity}`,
      updatedAt: now,
    })
    .where(and(eq(stock.skuId, row.skuId), eq(stock.warehouseId, row.warehouseId)));
  await recordMovement(
    tx,
    {
      shopId: row.shopId,
      skuId: row.skuId,
      warehouseId: row.warehouseId,
      deltaOnHand: -row.quantity,
      deltaReserved: -row.quantity,
      reason: 'shipment',
      ref: row.id,
    },
    now,
  );
  return row;
}

/**
 * Gives part of a held reservation back to sale (a refund of some units of an unshipped line); the
 * rest stays held and ships later. Giving back all of it is a release.
 */
export async function releaseReservedUnits(
  tx: Executor,
  reservationId: string,
  quantity: number,
  now: Date,
): Promise<Reservation> {
  const current = await getReservation(tx, reservationId);
  if (!current) throw notFound('reservation_not_found');
  if (quantity >= current.quantity) return releaseReservation(tx, reservationId, now);
  const [row] = await tx
    .update(reservations)
    .set({ quantity: sql`${reservations.quantity} - ${quantity}`, updatedAt: now })
    .where(
      and(
        eq(reservations.id, reservationId),
        eq(reservations.status, 'held'),
        sql`${reservations.quantity} > ${quantity}`,
      ),
    )
    .returning();
  if (!row) throw new AppError(409, 'reservation_changed');
  await tx
    .update(stock)
    .set({ reserved: sql`${stock.reserved} - ${quantity}`, updatedAt: now })
    .where(and(eq(stock.skuId, row.skuId), eq(stock.warehouseId, row.warehouseId)));
  await recordMovement(
    tx,
    {
      shopId: row.shopId,
      skuId: row.skuId,
      warehouseId: row.warehouseId,
      deltaOnHand: 0,
      deltaReserved: -quantity,
      reason: 'release',
      ref: row.id,
    },
    now,
  );
  return row;
}
