import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db';
import { AppError, conflict, invalidField, notFound } from '../../kernel/errors';
import { cancelDeadline } from '../../kernel/scheduler';
import { releaseReservedUnits } from '../inventory';
import { type Actor, CONFIRM_BY, linesOf, type Order, type OrderLine, SHIP_BY, transition } from './orders';
import { orderLines, orders } from './schema';

/** What of a line can still be refunded: units and fen. */
export function refundableOf(line: OrderLine): { quantity: number; amount: number } {
  return {
    quantity: line.quantity - line.refundedQuantity,
    amount: line.paidAmount - line.refundedAmount,
  };
}

/**
 * The fen that refunding `quantity` more units of a line returns: the line's paid amount is spread
 * over its units cumulatively, rounded down, so the units together return exactly what was paid
 * and the last unit refunded takes the remainder.
 */
export function refundAmountOf(
  line: { quantity: number; paidAmount: number; refundedQuantity: number; refundedAmount: number },
  quantity: number,
): number {
  const after = (BigInt(line.paidAmount) * BigInt(line.refundedQuantity + quantity)) / BigInt(line.quantity);
  return Number(after) - line.refundedAmount;
}

/** The order row, locked: every refund of an order queues behind the one before it. */
export async function lockOrder(tx: Executor, orderId: string): Promise<Order> {
  const [row] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
  if (!row) throw notFound('order_not_found');
  return row;
}

export interface RefundLineRequest {
  orderLineId: string;
  quantity: number;
}

/**
 * Checks a refund's lines against the order: known lines, each once, within what is still
 * refundable. Answers them with their amounts; no lines means everything still refundable.
 */
export function planRefundLines(
  lines: OrderLine[],
  requested: RefundLineRequest[] | undefined,
): { orderLineId: string; quantity: number; amount: number }[] {
  const byId = new Map(lines.map((l) => [l.id, l]));
  if (!requested || requested.length === 0) {
    return lines
      .filter((l) => refundableOf(l).quantity > 0)
      .map((l) => ({
        orderLineId: l.id,
        quantity: refundableOf(l).quantity,
        amount: refundableOf(l).amount,
      }));
  }
  const seen = new Set<string>();
  return requested.map((r, i) => {
    const line = byId.get(r.orderLineId);
    if (!line) throw invalidField(`/lines/${i}/orderLineId`, 'field.order_line_unknown');
    if (seen.has(line.id)) throw invalidField(`/lines/${i}/orderLineId`, 'field.order_line_twice');
    seen.add(line.id);
    const left = refundableOf(line).quantity;
    if (r.quantity > left) {
      throw invalidField(`/lines/${i}/quantity`, 'field.refund_quantity_max', { limit: left });
    }
    return { orderLineId: line.id, quantity: r.quantity, amount: refundAmountOf(line, r.quantity) };
  });
}

/**
 * Books a refund on the order's lines, in the caller's transaction (the order must be locked with
 * lockOrder). Each line's refunded units and fen rise with a guarded UPDATE, so nothing is refunded
 * beyond what was bought and paid. Units of an order not yet shipped go back to sale. When nothing
 * is left to refund, a paid or shipped order closes; a succeeded one stays succeeded.
 */
export interface AppliedRefundLine {
  orderLineId: string;
  categoryId: string;
  quantity: number;
  amount: number;
  /** The part of `amount` the buyer had paid with points. */
  pointsPart: number;
  /** The platform-funded discount on the refunded units (owed back by a shop already paid it). */
  platformPart: number;
}

/** The share of `part` that `after` cumulative units or fen carry, less what `before` carried. */
function cumulativeShare(part: number, before: number, after: number, whole: number): number {
  if (part === 0 || whole === 0) return 0;
  const at = (n: number) => Number((BigInt(part) * BigInt(n)) / BigInt(whole));
  return at(after) - at(before);
}

export async function applyRefundToOrder(
  tx: Executor,
  order: Order,
  requested: RefundLineRequest[],
  input: { actor: Actor; reason: string; now: Date },
): Promise<{ amount: number; lines: AppliedRefundLine[]; order: Order }> {
  const { now } = input;
  const current = (await linesOf(tx, [order.id])).get(order.id) ?? [];
  const planned = planRefundLines(current, requested);
  if (planned.length === 0) throw conflict('order_fully_refunded');
  const byId = new Map(current.map((l) => [l.id, l]));
  const applied: AppliedRefundLine[] = [];
  for (const p of planned) {
    const line = byId.get(p.orderLineId)!;
    applied.push({
      orderLineId: line.id,
      categoryId: line.categoryId,
      quantity: p.quantity,
      amount: p.amount,
      pointsPart: cumulativeShare(
        line.pointsAmount,
        line.refundedAmount,
        line.refundedAmount + p.amount,
        line.paidAmount,
      ),
      platformPart: cumulativeShare(
        line.platformFunded,
        line.refundedQuantity,
        line.refundedQuantity + p.quantity,
        line.quantity,
      ),
    });
    const [row] = await tx
      .update(orderLines)
      .set({
        refundedQuantity: sql`${orderLines.refundedQuantity} + ${p.quantity}`,
        refundedAmount: sql`${orderLines.refundedAmount} + ${p.amount}`,
      })
      .where(
        and(
          eq(orderLines.id, p.orderLineId),
          eq(orderLines.orderId, order.id),
          sql`${orderLines.refundedQuantity} + ${p.quantity} <= ${orderLines.quantity}`,
          sql`${orderLines.refundedAmount} + ${p.amount} <= ${orderLines.paidAmount}`,
        ),
      )
      .returning();
    if (!row) throw new AppError(409, 'order_changed');
    if (order.status === 'paid') await releaseReservedUnits(tx, row.reservationId, p.quantity, now);
  }
  const after = (await linesOf(tx, [order.id])).get(order.id) ?? [];
  const nothingLeft = after.every((l) => l.refundedQuantity >= l.quantity);
  let result = order;
  if (nothingLeft && (order.status === 'paid' || order.status === 'shipped')) {
    const closed = await transition(tx, {
      orderId: order.id,
      from: order.status,
      to: 'closed',
      actor: input.actor,
      reason: input.reason,
      set: { closedAt: now, closeReason: 'refunded', receiptPausedMs: null },
      now,
    });
    if (!closed) throw new AppError(409, 'order_changed');
    await cancelDeadline(tx, order.status === 'paid' ? SHIP_BY : CONFIRM_BY, order.id, now);
    result = closed;
  }
  return { amount: planned.reduce((s, p) => s + p.amount, 0), lines: applied, order: result };
}
