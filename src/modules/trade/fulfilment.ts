import { and, eq, ne } from 'drizzle-orm';
import type { Executor } from '../../db';
import { AppError, conflict, notFound } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { emit } from '../../kernel/outbox';
import { rulesFor } from '../governance';
import { commitReservation, releaseReservation } from '../inventory';
import { releaseOrderPromotions } from '../promotions';
import { orderClosedHooks } from './hooks';
import { CONFIRM_BY, getOrder, getShopOrder, linesOf, type Order, SHIP_BY, transition } from './orders';
import { closePaymentIfAbandoned, lockPayment, providerSecret } from './payments';
import { labelAccesses, orders, shipments } from './schema';
import { verifySignature } from './signatures';
import './messages';

export type Shipment = typeof shipments.$inferSelect;

/** The pay-by deadline: an order still unpaid closes and its units return to sale. */
export async function closeUnpaid(tx: Executor, orderId: string, now: Date): Promise<Order | undefined> {
  const order = await getOrder(tx, orderId);
  if (order?.status !== 'awaiting_payment') return undefined;
  // The payment first, as a provider notification locks it: the two queue instead of deadlocking.
  await lockPayment(tx, order.paymentId);
  const closed = await transition(tx, {
    orderId,
    from: 'awaiting_payment',
    to: 'closed',
    actor: { type: 'system' },
    reason: 'unpaid_timeout',
    set: { closedAt: now, closeReason: 'unpaid_timeout' },
    now,
  });
  if (!closed) return undefined;
  for (const line of (await linesOf(tx, [orderId])).get(orderId) ?? []) {
    await releaseReservation(tx, line.reservationId, now);
  }
  const open = await tx
    .select({ id: orders.id })
    .from(orders)
    .where(and(eq(orders.paymentId, closed.paymentId), ne(orders.status, 'closed')));
  await releaseOrderPromotions(
    tx,
    {
      orderId,
      paymentId: closed.paymentId,
      pointsAmount: closed.pointsAmount,
      openOrderIds: open.map((o) => o.id),
    },
    now,
  );
  await closePaymentIfAbandoned(tx, closed.paymentId);
  await orderClosedHooks(tx, closed, now);
  return closed;
}

/** The seller hands the parcel to a carrier; the order stays `paid` until the pick-up scan. */
export async function createShipment(
  tx: Executor,
  shopId: string,
  orderId: string,
  input: { carrier: string; trackingNo: string; accountId: string },
  now: Date,
): Promise<Shipment> {
  const order = await getShopOrder(tx, shopId, orderId);
  const [existing] = await tx.select().from(shipments).where(eq(shipments.orderId, orderId));
  if (existing) throw conflict('shipment_exists');
  if (order.status !== 'paid') throw conflict('order_not_paid', { status: order.status });
  if (order.shipHold) throw conflict('order_shipping_on_hold');
  const [row] = await tx
    .insert(shipments)
    .values({
      id: newId('shp'),
      orderId,
      shopId,
      carrier: input.carrier,
      trackingNo: input.trackingNo,
      createdBy: input.accountId,
      createdAt: now,
    })
    .onConflictDoNothing()
    .returning();
  if (!row) {
    const [again] = await tx.select().from(shipments).where(eq(shipments.orderId, orderId));
    throw again ? conflict('shipment_exists') : conflict('tracking_no_taken');
  }
  await emit(
    tx,
    'order.shipment_created',
    { orderId, shopId, carrier: input.carrier, trackingNo: input.trackingNo },
    { key: orderId, at: now },
  );
  return row;
}

export interface LogisticsEvent {
  carrier: string;
  trackingNo: string;
  event: 'picked_up' | 'delivered';
  at: string;
}

/** Verifies a carrier's signature (401 when it fails) before anything is read or written. */
export function verifyCarrier(
  carrier: string,
  rawBody: string,
  signature: string | undefined,
  now: Date,
): void {
  const secret = providerSecret(carrier);
  if (!secret || !verifySignature(secret, rawBody, signature, now).ok) {
    throw new AppError(401, 'signature_invalid');
  }
}

/**
 * A carrier scan. `picked_up` moves the order to `shipped`: the reserved units leave stock and the
 * receipt clock starts (the rules' express auto-confirm days from the scan). Repeats change nothing.
 */
export async function applyLogisticsEvent(
  tx: Executor,
  e: LogisticsEvent,
  now: Date,
): Promise<{ orderId: string; status: Order['status'] }> {
  const [shipment] = await tx
    .select()
    .from(shipments)
    .where(and(eq(shipments.carrier, e.carrier), eq(shipments.trackingNo, e.trackingNo)))
    .for('update');
  if (!shipment) throw notFound('shipment_not_found');
  const at = new Date(Math.min(Date.parse(e.at), now.getTime()));
  if (e.event === 'delivered') {
    if (!shipment.deliveredAt) {
      await tx.update(shipments).set({ deliveredAt: at }).where(eq(shipments.id, shipment.id));
      await emit(
        tx,
        'order.delivered',
        { orderId: shipment.orderId, at: at.toISOString() },
        { key: shipment.orderId, at: now },
      );
    }
    const order = await getOrder(tx, shipment.orderId);
    return { orderId: shipment.orderId, status: order!.status };
  }
  if (shipment.pickedUpAt) {
    const order = await getOrder(tx, shipment.orderId);
    return { orderId: shipment.orderId, status: order!.status };
  }
  await tx.update(shipments).set({ pickedUpAt: at }).where(eq(shipments.id, shipment.id));
  const order = await getOrder(tx, shipment.orderId);
  if (!order) throw notFound('order_not_found');
  const { rules } = await rulesFor(tx, order.shopKind, order.createdAt);
  const confirmBy = new Date(at.getTime() + rules.order.autoConfirmDays.express * 86_400_000);
  const shipped = await transition(tx, {
    orderId: order.id,
    from: 'paid',
    to: 'shipped',
    actor: { type: 'carrier', id: e.carrier },
    reason: 'picked_up',
    set: { shippedAt: at, confirmBy },
    now,
    deadlines: { cancel: SHIP_BY, schedule: { kind: CONFIRM_BY, dueAt: confirmBy } },
  });
  if (!shipped) return { orderId: order.id, status: order.status };
  for (const line of (await linesOf(tx, [order.id])).get(order.id) ?? []) {
    // A line refunded in full before shipment gave its units back already; nothing of it ships.
    if (line.refundedQuantity < line.quantity) await commitReservation(tx, line.reservationId, now);
  }
  return { orderId: order.id, status: shipped.status };
}

/** The ship-by deadline: a paid order not yet picked up is marked late (it stays paid). */
export async function markShipLate(tx: Executor, orderId: string, now: Date): Promise<void> {
  const [row] = await tx
    .update(orders)
    .set({ shipLate: true })
    .where(and(eq(orders.id, orderId), eq(orders.status, 'paid'), eq(orders.shipLate, false)))
    .returning();
  if (row) {
    await emit(
      tx,
      'order.ship_late',
      { orderId, shopId: row.shopId, shipBy: row.shipBy?.toISOString() ?? null },
      { key: orderId, at: now },
    );
  }
}

/** The full address for the parcel label; every look is recorded (who, when, which order). */
export async function shippingLabel(
  tx: Executor,
  shopId: string,
  orderId: string,
  accountId: string,
  now: Date,
) {
  const order = await getShopOrder(tx, shopId, orderId);
  await tx.insert(labelAccesses).values({ id: newId('lba'), orderId, shopId, accountId, at: now });
  const [shipment] = await tx.select().from(shipments).where(eq(shipments.orderId, orderId));
  return {
    orderId,
    address: order.address,
    carrier: shipment?.carrier ?? null,
    trackingNo: shipment?.trackingNo ?? null,
  };
}

/** The order's shipment (carrier, pick-up and delivery times), if it has one. */
export async function shipmentOf(tx: Executor, orderId: string): Promise<Shipment | undefined> {
  const [row] = await tx.select().from(shipments).where(eq(shipments.orderId, orderId));
  return row;
}
