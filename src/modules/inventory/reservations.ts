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
