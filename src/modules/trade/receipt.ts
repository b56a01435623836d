import { and, eq, isNotNull, isNull } from 'drizzle-orm';
import type { Executor } from '../../db';
import { AppError, conflict, invalidField, ruleViolation } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { emit } from '../../kernel/outbox';
import { cancelDeadline, scheduleDeadline } from '../../kernel/scheduler';
import { rulesFor, sellerExtendDays } from '../governance';
import {
  type Actor,
  CONFIRM_BY,
  getBuyerOrder,
  getOrder,
  getShopOrder,
  type Order,
  transition,
} from './orders';
import { orderEvents, orders } from './schema';
import { settleOrder } from './settlement';
import './messages';

const DAY_MS = 86_400_000;

/** shipped -> succeeded, with settlement in the same transaction. Undefined when it was not shipped. */
export async function completeOrder(
  tx: Executor,
  orderId: string,
  actor: Actor,
  reason: string,
  now: Date,
): Promise<Order | undefined> {
  const done = await transition(tx, {
    orderId,
    from: 'shipped',
    to: 'succeeded',
    actor,
    reason,
    set: { succeededAt: now },
    now,
  });
  if (!done) return undefined;
  await cancelDeadline(tx, CONFIRM_BY, orderId, now);
  await settleOrder(tx, done, now);
  return done;
}

export async function confirmReceipt(
  tx: Executor,
  buyerId: string,
  orderId: string,
  now: Date,
): Promise<Order> {
  const order = await getBuyerOrder(tx, buyerId, orderId);
  if (order.status !== 'shipped') throw conflict('order_not_shipped', { status: order.status });
  const done = await completeOrder(tx, orderId, { type: 'buyer', id: buyerId }, 'buyer_confirmed', now);
  if (!done) throw conflict('order_not_shipped', { status: 'changed' });
  return done;
}

/** The confirm-by deadline: receipt is confirmed for the buyer unless after-sales paused the clock. */
export async function autoConfirm(tx: Executor, orderId: string, now: Date): Promise<void> {
  const order = await getOrder(tx, orderId);
  if (order?.status !== 'shipped' || order.receiptPausedMs !== null) return;
  await completeOrder(tx, orderId, { type: 'system' }, 'auto_confirmed', now);
}

/**
 * The buyer asks for more time: allowed the rules' number of times, by the rules' days, and only
 * when no more than the rules' days remain.
 */
export async function extendReceipt(
  tx: Executor,
  buyerId: string,
  orderId: string,
  now: Date,
): Promise<Order> {
  const order = await getBuyerOrder(tx, buyerId, orderId);
  if (order.status !== 'shipped' || !order.confirmBy) {
    throw conflict('order_not_shipped', { status: order.status });
  }
  if (order.receiptPausedMs !== null) throw conflict('receipt_clock_paused');
  const { times, days, whenRemainingDaysAtMost } = (await rulesFor(tx, order.shopKind, order.createdAt)).rules
    .order.buyerExtend;
  if (order.receiptExtensions >= times) throw ruleViolation('receipt_extension_used', { times });
  if (order.confirmBy.getTime() - now.getTime() > whenRemainingDaysAtMost * DAY_MS) {
    throw ruleViolation('receipt_extension_too_early', { days: whenRemainingDaysAtMost });
  }
  const confirmBy = new Date(order.confirmBy.getTime() + days * DAY_MS);
  // Conditional on what was read, so two concurrent requests cannot both extend.
  const [row] = await tx
    .update(orders)
    .set({ confirmBy, receiptExtensions: order.receiptExtensions + 1 })
    .where(
      and(
        eq(orders.id, orderId),
        eq(orders.status, 'shipped'),
        eq(orders.receiptExtensions, order.receiptExtensions),
        isNull(orders.receiptPausedMs),
      ),
    )
    .returning();
  if (!row) throw conflict('order_not_shipped', { status: 'changed' });
  await scheduleDeadline(tx, { kind: CONFIRM_BY, subjectId: orderId, dueAt: confirmBy, now });
  return row!;
}

/**
 * The seller gives the buyer more time to confirm receipt (e.g. a slow delivery): any number of
 * times, on a shipped order whose receipt clock is running. The buyer's own allowance is untouched.
 * Recorded as an order event that keeps the status, with the days and the new confirm-by.
 */
export async function sellerExtendReceipt(
  tx: Executor,
  shopId: string,
  orderId: string,
  input: { days: number; accountId: string },
  now: Date,
): Promise<Order> {
  const order = await getShopOrder(tx, shopId, orderId);
  if (order.status !== 'shipped' || !order.confirmBy) {
    throw ruleViolation('seller_extend_receipt_not_shipped', { status: order.status });
  }
  if (order.receiptPausedMs !== null) throw ruleViolation('seller_extend_receipt_clock_paused');
  // The extensions a seller may grant are the order's rules' (3, 5, 7 or 10 days by default).
  const allowed = sellerExtendDays((await rulesFor(tx, order.shopKind, order.createdAt)).rules);
  if (!allowed.includes(input.days))
    throw invalidField('/days', 'field.enum', { allowed: allowed.join(', ') });
  const confirmBy = new Date(order.confirmBy.getTime() + input.days * DAY_MS);
  // Conditional on the deadline that was read, so two concurrent extensions both count or one retries.
  const [row] = await tx
    .update(orders)
    .set({ confirmBy })
    .where(
      and(
        eq(orders.id, orderId),
        eq(orders.shopId, shopId),
        eq(orders.status, 'shipped'),
        eq(orders.confirmBy, order.confirmBy),
        isNull(orders.receiptPausedMs),
      ),
    )
    .returning();
  if (!row) throw conflict('order_changed');
  await scheduleDeadline(tx, { kind: CONFIRM_BY, subjectId: orderId, dueAt: confirmBy, now });
  await tx.insert(orderEvents).values({
    id: newId('oev'),
    orderId,
    fromStatus: 'shipped',
    toStatus: 'shipped',
    actorType: 'staff',
    actorId: input.accountId,
    reason: 'seller_extended_receipt',
    detail: { days: input.days, confirmBy: confirmBy.toISOString() },
    at: now,
  });
  await emit(
    tx,
    'order.receipt_extended',
    {
      orderId,
      shopId,
      buyerId: row.buyerId,
      by: 'seller',
      days: input.days,
      confirmBy: confirmBy.toISOString(),
    },
    { key: orderId, at: now },
  );
  return row;
}

/**
 * For after-sales: stops the receipt clock of a shipped order, keeping the time left. Pausing a
 * paused clock changes nothing.
 */
export async function pauseReceiptClock(tx: Executor, orderId: string, now: Date): Promise<Order> {
  const order = await getOrder(tx, orderId);
  if (!order) throw new AppError(404, 'order_not_found');
  if (order.status !== 'shipped' || !order.confirmBy) {
    throw conflict('order_not_shipped', { status: order.status });
  }
  if (order.receiptPausedMs !== null) return order;
  const remaining = Math.max(0, order.confirmBy.getTime() - now.getTime());
  const [row] = await tx
    .update(orders)
    .set({ receiptPausedMs: remaining })
    .where(and(eq(orders.id, orderId), eq(orders.status, 'shipped'), isNull(orders.receiptPausedMs)))
    .returning();
  if (!row) return (await getOrder(tx, orderId))!;
  await cancelDeadline(tx, CONFIRM_BY, orderId, now);
  return row!;
}

/** Starts the clock again with the time that was left when it stopped. */
export async function resumeReceiptClock(tx: Executor, orderId: string, now: Date): Promise<Order> {
  const order = await getOrder(tx, orderId);
  if (!order) throw new AppError(404, 'order_not_found');
  if (order.receiptPausedMs === null || order.status !== 'shipped') return order;
  const confirmBy = new Date(now.getTime() + order.receiptPausedMs);
  const [row] = await tx
    .update(orders)
    .set({ receiptPausedMs: null, confirmBy })
    .where(and(eq(orders.id, orderId), eq(orders.status, 'shipped'), isNotNull(orders.receiptPausedMs)))
    .returning();
  if (!row) return (await getOrder(tx, orderId))!;
  await scheduleDeadline(tx, { kind: CONFIRM_BY, subjectId: orderId, dueAt: confirmBy, now });
  return row!;
}
