import { and, eq, inArray } from 'drizzle-orm';
import type { Executor } from '../../db';
import { conflict, notFound, ruleViolation } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { emit } from '../../kernel/outbox';
import { cancelDeadline, scheduleDeadline } from '../../kernel/scheduler';
import { releaseReservation } from '../inventory';
import { PLATFORM_CASH, PLATFORM_ESCROW, postTransaction, shopAccount } from '../ledger';
import { orderClosedHooks } from './hooks';
import { type Actor, BALANCE_BY, getOrder, linesOf, type Order, SHIP_BY, transition } from './orders';
import { lockPayment, shipByFor } from './payments';
import { lockOrder } from './refunds';
import { orders, payments } from './schema';

/**
 * The trade side of orders placed through campaigns: a presale order's second payment (the
 * balance) and its two endings without it, and a group-buy order's ship-by clock, held until the
 * group fills.
 */

/**
 * The buyer pays a presale order's balance (total - deposit) inside its window: one payment for it,
 * created once; asking again answers the same payment while it can still be paid.
 */
export async function startBalancePayment(
  tx: Executor,
  buyerId: string,
  orderId: string,
  now: Date,
): Promise<{ paymentId: string; amount: number }> {
  const order = await lockOrder(tx, orderId);
  if (order.buyerId !== buyerId) throw notFound('order_not_found');
  if (order.status !== 'deposit_paid') throw conflict('order_not_awaiting_balance', { status: order.status });
  const from = order.balanceFrom!;
  const until = order.balanceBy!;
  if (now.getTime() < from.getTime() || now.getTime() >= until.getTime()) {
    throw ruleViolation('balance_window_not_open', { from: from.toISOString(), until: until.toISOString() });
  }
  const amount = order.total - order.depositAmount;
  if (order.balancePaymentId) {
    const [existing] = await tx.select().from(payments).where(eq(payments.id, order.balancePaymentId));
    if (existing && (existing.status === 'pending' || existing.status === 'processing')) {
      return { paymentId: existing.id, amount: existing.amount };
    }
  }
  const paymentId = newId('pay');
  await tx.insert(payments).values({ id: paymentId, buyerId, amount, status: 'pending', createdAt: now });
  await tx.update(orders).set({ balancePaymentId: paymentId }).where(eq(orders.id, order.id));
  await emit(
    tx,
    'order.balance_payment_started',
    { orderId: order.id, shopId: order.shopId, buyerId, paymentId, amount },
    { key: order.id, at: now },
  );
  return { paymentId, amount };
}

/** Closes a deposit-paid order without its balance: its units return to sale, its balance payment closes. */
async function closeDepositPaid(
  tx: Executor,
  order: Order,
  reason: string,
  actor: Actor,
  now: Date,
): Promise<Order | undefined> {
  // A balance notification locks the payment first: take it in the same order so the two queue.
  if (order.balancePaymentId) await lockPayment(tx, order.balancePaymentId);
  const closed = await transition(tx, {
    orderId: order.id,
    from: 'deposit_paid',
    to: 'closed',
    actor,
    reason,
    set: { closedAt: now, closeReason: reason },
    now,
  });
  if (!closed) return undefined;
  await cancelDeadline(tx, BALANCE_BY, order.id, now);
  for (const line of (await linesOf(tx, [order.id])).get(order.id) ?? []) {
    await releaseReservation(tx, line.reservationId, now);
  }
  if (order.balancePaymentId) {
    await tx
      .update(payments)
      .set({ status: 'closed' })
      .where(and(eq(payments.id, order.balancePaymentId), eq(payments.status, 'pending')));
  }
  await orderClosedHooks(tx, closed, now);
  return closed;
}

/**
 * The balance window closed unpaid (deadline `order.balance_by`): the order closes and the deposit
 * is forfeited to the seller, without commission (it pays for no goods).
 */
export async function forfeitDeposit(tx: Executor, orderId: string, now: Date): Promise<Order | undefined> {
  const order = await getOrder(tx, orderId);
  if (order?.status !== 'deposit_paid') return undefined;
  const closed = await closeDepositPaid(tx, order, 'balance_unpaid', { type: 'system' }, now);
  if (!closed) return undefined;
  await postTransaction(tx, {
    kind: 'presale.deposit_forfeited',
    memo: `deposit of presale order ${order.id} forfeited: balance unpaid by ${order.balanceBy!.toISOString()}`,
    ref: order.id,
    shopId: order.shopId,
    postings: [
      { account: PLATFORM_ESCROW, amount: order.depositAmount },
      { account: shopAccount(order.shopId, 'balance'), amount: -order.depositAmount },
    ],
    now,
  });
  return closed;
}

/**
 * The seller gives a deposit back in full (退定金): it cannot deliver, or agrees to cancel. Only
 * before the balance is paid; afterwards the order is refunded like any other.
 */
export async function refundDeposit(
  tx: Executor,
  orderId: string,
  input: { shopId: string; actor: Actor; reason: string },
  now: Date,
): Promise<Order> {
  const order = await lockOrder(tx, orderId);
  if (order.shopId !== input.shopId) throw notFound('order_not_found');
  if (order.status !== 'deposit_paid') throw conflict('order_not_awaiting_balance', { status: order.status });
  const closed = await closeDepositPaid(tx, order, input.reason, input.actor, now);
  if (!closed) throw conflict('order_not_awaiting_balance', { status: 'changed' });
  await postTransaction(tx, {
    kind: 'presale.deposit_refunded',
    memo: `deposit of presale order ${order.id} refunded (${input.reason})`,
    ref: order.id,
    shopId: order.shopId,
    postings: [
      { account: PLATFORM_ESCROW, amount: order.depositAmount },
      { account: PLATFORM_CASH, amount: -order.depositAmount },
    ],
    now,
  });
  return closed;
}

/** Deposit-paid orders of one presale, for the seller cancelling it. */
export async function depositPaidOrdersOf(tx: Executor, campaignIds: string[]): Promise<Order[]> {
  if (campaignIds.length === 0) return [];
  return tx
    .select()
    .from(orders)
    .where(and(inArray(orders.campaignId, campaignIds), eq(orders.status, 'deposit_paid')));
}

/** A group filled: each paid order's ship-by clock starts now. */
export async function releaseShipHold(tx: Executor, orderId: string, now: Date): Promise<void> {
  const order = await lockOrder(tx, orderId);
  if (!order.shipHold) return;
  if (order.status !== 'paid') {
    await tx.update(orders).set({ shipHold: null }).where(eq(orders.id, order.id));
    return;
  }
  const { shipBy, campaignId } = await shipByFor(tx, order, now);
  await tx
    .update(orders)
    .set({ shipHold: null, shipBy, shipByCampaignId: campaignId })
    .where(eq(orders.id, order.id));
  await scheduleDeadline(tx, { kind: SHIP_BY, subjectId: order.id, dueAt: shipBy, now });
}
