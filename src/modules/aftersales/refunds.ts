import { and, asc, desc, eq, inArray, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db';
import { DAY, HOUR } from '../../kernel/clock';
import { conflict, invalidField, notFound, ruleViolation } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { emit } from '../../kernel/outbox';
import { afterTimeAndId, page, timeAndIdKey } from '../../kernel/pagination';
import { cancelDeadline, scheduleDeadline } from '../../kernel/scheduler';
import { getCategory } from '../catalog';
import { type Rules, returnInsuranceRules, rulesFor } from '../governance';
import { PLATFORM_CASH, PLATFORM_ESCROW, platformAccount, postTransaction } from '../ledger';
import { clawBackTradePoints } from '../points';
import { PROMOTION_EXPENSE, pointsReturnCredits, returnCheckoutPoints } from '../promotions';
import {
  applyRefundToOrder,
  COMMISSION_ACCOUNT,
  commissionOf,
  linesOf,
  lockOrder,
  type Order,
  orderCommissionRate,
  pauseReceiptClock,
  planRefundLines,
  type RefundLineRequest,
  resumeReceiptClock,
  shipmentOf,
} from '../trade';
import { chargeShop } from './charges';
import {
  OPEN_REFUND_STATUSES,
  type RefundKind,
  type RefundReason,
  type RefundStatus,
  refundEvents,
  refundLines,
  refunds,
  type SystemRefundReason,
} from './schema';
import './messages';

export type Refund = typeof refunds.$inferSelect;
export type RefundLine = typeof refundLines.$inferSelect;

export const RESPOND_BY = 'refund.respond_by';
export const ESCALATE_BY = 'refund.escalate_by';
export const RETURN_SHIP_BY = 'refund.return_ship_by';
export const CONFIRM_RETURN_BY = 'refund.confirm_return_by';

/** Return-shipping insurance claims: the insurer (the platform here) pays the buyer's postage. */
export const RETURN_INSURANCE_CLAIMS = platformAccount('expense', 'return_insurance_claims');

/** Reasons where the goods or the seller are at fault: the seller pays the return postage. */
export const SELLER_FAULT_REASONS: readonly RefundReason[] = [
  'not_shipped_on_time',
  'not_received',
  'quality_issue',
  'not_as_described',
  'damaged',
  'wrong_item',
  'missing_parts',
];

export interface RefundActor {
  type: 'buyer' | 'staff' | 'operator' | 'system';
  id?: string | null;
}

/** China time: the no-reason window starts at 00:00 (UTC+8) the day after sign-off. */
const CHINA_OFFSET_MS = 8 * HOUR;

export function noReasonWindow(signedAt: Date, hours: number): { from: Date; until: Date } {
  const local = signedAt.getTime() + CHINA_OFFSET_MS;
  const nextMidnight = (Math.floor(local / DAY) + 1) * DAY - CHINA_OFFSET_MS;
  return { from: new Date(nextMidnight), until: new Date(nextMidnight + hours * HOUR) };
}

async function orderRules(tx: Executor, order: Order): Promise<Rules> {
  return (await rulesFor(tx, order.shopKind, order.createdAt)).rules;
}

async function record(
  tx: Executor,
  refund: Refund,
  from: RefundStatus | null,
  actor: RefundActor,
  now: Date,
  note?: string | null,
  detail?: Record<string, unknown>,
): Promise<void> {
  await tx.insert(refundEvents).values({
    id: newId('rfe'),
    refundId: refund.id,
    fromStatus: from,
    toStatus: refund.status,
    actorType: actor.type,
    actorId: actor.id ?? null,
    note: note ?? null,
    detail: detail ?? null,
    at: now,
  });
  await emit(
    tx,
    `refund.${refund.status}`,
    {
      refundId: refund.id,
      orderId: refund.orderId,
      shopId: refund.shopId,
      buyerId: refund.buyerId,
      kind: refund.kind,
      reason: refund.reason,
      amount: refund.amount,
      from,
    },
    { key: refund.orderId, at: now },
  );
}

/**
 * Moves a request from one of `from` to `to` with one conditional UPDATE: of two concurrent moves
 * (a seller's approval and the auto-approval deadline, say) exactly one happens; the other gets
 * undefined and changes nothing.
 */
async function move(
  tx: Executor,
  refund: Refund,
  from: RefundStatus[],
  to: RefundStatus,
  set: Partial<Refund>,
  now: Date,
): Promise<Refund | undefined> {
  const [row] = await tx
    .update(refunds)
    .set({ ...set, status: to, updatedAt: now })
    .where(and(eq(refunds.id, refund.id), inArray(refunds.status, from)))
    .returning();
  return row;
}

/** A refund, seen by its buyer, its shop's staff, or (no scope) the platform; another's is not found. */
async function findRefund(
  tx: Executor,
  id: string,
  scope: { buyerId?: string; shopId?: string } = {},
): Promise<Refund | undefined> {
  const [row] = await tx
    .select()
    .from(refunds)
    .where(
      and(
        eq(refunds.id, id),
        scope.buyerId ? eq(refunds.buyerId, scope.buyerId) : undefined,
        scope.shopId ? eq(refunds.shopId, scope.shopId) : undefined,
      ),
    );
  return row;
}

async function requireRefund(tx: Executor, id: string, scope: { buyerId?: string; shopId?: string } = {}) {
  const row = await findRefund(tx, id, scope);
  if (!row) throw notFound('refund_not_found');
  return row;
}

export const getBuyerRefund = (tx: Executor, buyerId: string, id: string) =>
  requireRefund(tx, id, { buyerId });
export const getShopRefund = (tx: Executor, shopId: string, id: string) => requireRefund(tx, id, { shopId });

export async function refundLinesOf(tx: Executor, refundId: string): Promise<RefundLine[]> {
  return (await linesOfRefunds(tx, [refundId])).get(refundId) ?? [];
}

export interface RefundRequest {
  kind: RefundKind;
  reason: RefundReason;
  detail?: string;
  lines?: RefundLineRequest[];
}

/** The checks a request must pass, by the rules of the order's time. Throws the first that fails. */
async function checkRequest(tx: Executor, order: Order, input: RefundRequest, rules: Rules, now: Date) {
  if (order.status === 'awaiting_payment' || order.status === 'deposit_paid' || order.status === 'closed') {
    throw conflict('order_not_refundable', { status: order.status });
  }
  // A group-buy order waits for its group: it is refunded in full if the group fails.
  if (order.shipHold === 'group_forming') throw ruleViolation('group_buy_forming');
  const stage = order.status === 'paid' ? 'unshipped' : order.status === 'shipped' ? 'shipped' : 'succeeded';
  if (stage === 'succeeded') {
    const until = (order.succeededAt?.getTime() ?? 0) + rules.afterSales.windowDays.standard * DAY;
    if (now.getTime() > until) {
      throw ruleViolation('after_sales_window_closed', {
        days: rules.afterSales.windowDays.standard,
        until: new Date(until).toISOString(),
      });
    }
  }
  if (input.reason === 'not_shipped_on_time') {
    if (order.status !== 'paid' || !order.shipBy || order.shipBy.getTime() > now.getTime()) {
      throw ruleViolation('not_late_yet', { shipBy: order.shipBy?.toISOString() ?? null });
    }
    if (input.kind !== 'refund_only') throw invalidField('/kind', 'field.late_refund_only');
    if (input.lines?.length) throw invalidField('/lines', 'field.late_refund_whole_order');
  }
  if (input.kind === 'return_refund' && stage === 'unshipped') {
    throw ruleViolation('return_needs_shipment');
  }
  if (input.reason === 'no_reason') {
    if (input.kind !== 'return_refund') throw invalidField('/kind', 'field.no_reason_is_return');
    const lines = (await linesOf(tx, [order.id])).get(order.id) ?? [];
    const wanted = input.lines?.length ? new Set(input.lines.map((l) => l.orderLineId)) : undefined;
    for (const line of lines) {
      if (wanted && !wanted.has(line.id)) continue;
      const category = await getCategory(tx, line.categoryId);
      if (!category?.noReasonReturn) throw ruleViolation('no_reason_not_eligible', { title: line.title });
    }
    const shipment = await shipmentOf(tx, order.id);
    const signedAt = shipment?.deliveredAt ?? order.succeededAt;
    if (signedAt) {
      const window = noReasonWindow(signedAt, rules.afterSales.noReasonReturnHours);
      if (now.getTime() > window.until.getTime()) {
        throw ruleViolation('no_reason_window_closed', { until: window.until.toISOString() });
      }
    }
  }
  return stage;
}

/**
 * The buyer asks for money back. The request covers the given lines and quantities, or everything
 * not yet refunded; its amount is what the buyer paid for them. After the ship-by deadline with no
 * pick-up, `not_shipped_on_time` pays at once and closes the order; otherwise the seller's answer
 * time starts (and a shipped order's receipt clock stops until the request ends).
 */
export async function requestRefund(
  tx: Executor,
  buyerId: string,
  orderId: string,
  input: RefundRequest,
  now: Date,
): Promise<Refund> {
  const order = await lockOrder(tx, orderId);
  if (order.buyerId !== buyerId) throw notFound('order_not_found');
  const rules = await orderRules(tx, order);
  const stage = await checkRequest(tx, order, input, rules, now);
  const lines = (await linesOf(tx, [order.id])).get(order.id) ?? [];
  const planned = planRefundLines(lines, input.lines);
  if (planned.length === 0) throw conflict('order_fully_refunded');
  const byId = new Map(lines.map((l) => [l.id, l]));
  const instant = input.reason === 'not_shipped_on_time';
  const respondHours =
    stage === 'unshipped'
      ? rules.refund.sellerRespondHours.unshipped
      : rules.refund.sellerRespondHours.shipped;
  const actBy = instant ? null : new Date(now.getTime() + respondHours * HOUR);
  const [refund] = await tx
    .insert(refunds)
    .values({
      id: newId('rfd'),
      orderId: order.id,
      shopId: order.shopId,
      buyerId,
      shopKind: order.shopKind,
      kind: input.kind,
      reason: input.reason,
      detail: input.detail ?? null,
      stage,
      status: 'requested',
      amount: planned.reduce((s, p) => s + p.amount, 0),
      actBy,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing()
    .returning();
  if (!refund) throw conflict('refund_already_open');
  await tx.insert(refundLines).values(
    planned.map((p) => ({
      refundId: refund.id,
      orderLineId: p.orderLineId,
      skuId: byId.get(p.orderLineId)!.skuId,
      categoryId: byId.get(p.orderLineId)!.categoryId,
      quantity: p.quantity,
      amount: p.amount,
    })),
  );
  await record(tx, refund, null, { type: 'buyer', id: buyerId }, now, input.detail);
  if (instant) {
    // Late shipment: the platform's rule decides, not the seller.
    return (await payRefund(tx, refund, ['requested'], { type: 'system' }, now, 'late_shipment_rule'))!;
  }
  if (order.status === 'shipped') await pauseReceiptClock(tx, order.id, now);
  await scheduleDeadline(tx, { kind: RESPOND_BY, subjectId: refund.id, dueAt: actBy!, now });
  return refund;
}

/**
 * The platform refunds a whole paid order without anyone asking (a group buy that did not fill):
 * a refund record like any other, paid at once from escrow, and the order closes.
 */
export async function refundOrderBySystem(
  tx: Executor,
  orderId: string,
  reason: SystemRefundReason,
  now: Date,
): Promise<Refund | undefined> {
  const order = await lockOrder(tx, orderId);
  if (order.status !== 'paid') return undefined;
  const lines = (await linesOf(tx, [order.id])).get(order.id) ?? [];
  const planned = planRefundLines(lines, undefined);
  if (planned.length === 0) return undefined;
  const byId = new Map(lines.map((l) => [l.id, l]));
  const [refund] = await tx
    .insert(refunds)
    .values({
      id: newId('rfd'),
      orderId: order.id,
      shopId: order.shopId,
      buyerId: order.buyerId,
      shopKind: order.shopKind,
      kind: 'refund_only',
      reason,
      detail: null,
      stage: 'unshipped',
      status: 'requested',
      amount: planned.reduce((s, p) => s + p.amount, 0),
      actBy: null,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing()
    .returning();
  if (!refund) throw conflict('refund_already_open');
  await tx.insert(refundLines).values(
    planned.map((p) => ({
      refundId: refund.id,
      orderLineId: p.orderLineId,
      skuId: byId.get(p.orderLineId)!.skuId,
      categoryId: byId.get(p.orderLineId)!.categoryId,
      quantity: p.quantity,
      amount: p.amount,
    })),
  );
  await record(tx, refund, null, { type: 'system' }, now);
  return payRefund(tx, refund, ['requested'], { type: 'system' }, now, reason);
}

/**
 * Pays a request out, exactly once: the status moves first with a conditional UPDATE, so a second
 * caller (a concurrent approval, a replayed deadline) finds it moved and pays nothing. The order's
 * lines record the refund (never beyond what was paid); the money leaves escrow before settlement
 * or the shop after it (the commission on it comes back from the platform), and the return postage
 * goes back to the buyer from the seller (its fault) or the insurance.
 */
async function payRefund(
  tx: Executor,
  refund: Refund,
  from: RefundStatus[],
  actor: RefundActor,
  now: Date,
  note?: string | null,
): Promise<Refund | undefined> {
  const order = await lockOrder(tx, refund.orderId);
  const settled = order.status === 'succeeded';
  const moved = await move(
    tx,
    refund,
    from,
    'refunded',
    { refundedAt: now, actBy: null, fundedFrom: settled ? 'shop' : 'escrow' },
    now,
  );
  if (!moved) return undefined;
  const lines = await refundLinesOf(tx, refund.id);
  const applied = await applyRefundToOrder(
    tx,
    order,
    lines.map((l) => ({ orderLineId: l.orderLineId, quantity: l.quantity })),
    {
      actor: { type: actor.type === 'operator' ? 'staff' : actor.type, id: actor.id },
      reason: 'refunded',
      now,
    },
  );
  const amount = applied.amount;
  // What the buyer had paid with points goes back as points; the rest as money.
  const pointsPart = applied.lines.reduce((s, l) => s + l.pointsPart, 0);
  const points = await returnCheckoutPoints(
    tx,
    { paymentId: order.paymentId, fen: pointsPart, ref: refund.id, reason: 'refund', book: !settled },
    now,
  );
  const cash = amount - points.value;
  if (settled) {
    // The shop gives back what it was paid for these units: the buyer's amount and the platform's
    // discount funding, less the commission it was charged on them.
    const rate = await orderCommissionRate(tx, order);
    const platformPart = applied.lines.reduce((s, l) => s + l.platformPart, 0);
    const commission = commissionOf(
      applied.lines.map((l) => ({ amount: l.amount + l.platformPart, categoryId: l.categoryId })),
      rate,
    );
    // Points the order earned at success go back in proportion to what is refunded.
    const refundedAfter = ((await linesOf(tx, [order.id])).get(order.id) ?? []).reduce(
      (s, l) => s + l.refundedAmount,
      0,
    );
    await clawBackTradePoints(
      tx,
      {
        buyerId: order.buyerId,
        orderId: order.id,
        before: refundedAfter - amount,
        after: refundedAfter,
        whole: order.total,
      },
      now,
    );
    const credits = [...pointsReturnCredits(points)];
    if (cash > 0) credits.push({ account: PLATFORM_CASH, amount: -cash });
    if (platformPart > 0) credits.push({ account: PROMOTION_EXPENSE, amount: -platformPart });
    if (commission > 0) credits.push({ account: COMMISSION_ACCOUNT, amount: commission });
    await chargeShop(
      tx,
      {
        shopId: refund.shopId,
        amount: amount + platformPart - commission,
        kind: 'refund',
        memo: `refund ${refund.id} of order ${refund.orderId} after settlement`,
        ref: refund.id,
        credits,
      },
      now,
    );
  } else if (cash > 0) {
    await postTransaction(tx, {
      kind: 'refund',
      memo: `refund ${refund.id} of order ${refund.orderId}`,
      ref: refund.id,
      shopId: refund.shopId,
      postings: [
        { account: PLATFORM_ESCROW, amount: cash },
        { account: PLATFORM_CASH, amount: -cash },
      ],
      now,
    });
  }
  const postage = await payPostage(tx, moved, order, now);
  const [done] = await tx
    .update(refunds)
    .set({ amount, ...postage })
    .where(eq(refunds.id, refund.id))
    .returning();
  await cancelTimers(tx, refund.id, now);
  await record(tx, done!, refund.status, actor, now, note, { amount, postageRefund: postage.postageRefund });
  await resumeReceiptClock(tx, refund.orderId, now);
  return done;
}

/** Who pays the buyer's return postage back: the seller when at fault, else the insurance if any. */
async function payPostage(
  tx: Executor,
  refund: Refund,
  order: Order,
  now: Date,
): Promise<Pick<Refund, 'postagePaidBy' | 'postageRefund'>> {
  if (refund.kind !== 'return_refund' || refund.returnPostage <= 0)
    return { postagePaidBy: null, postageRefund: 0 };
  if (SELLER_FAULT_REASONS.includes(refund.reason)) {
    await chargeShop(
      tx,
      {
        shopId: refund.shopId,
        amount: refund.returnPostage,
        kind: 'refund.return_postage',
        memo: `return postage of refund ${refund.id}, paid by the seller`,
        ref: refund.id,
        credits: [{ account: PLATFORM_CASH, amount: -refund.returnPostage }],
      },
      now,
    );
    return { postagePaidBy: 'seller', postageRefund: refund.returnPostage };
  }
  if (order.returnInsurance !== 'none') {
    const cover = Math.min(refund.returnPostage, returnInsuranceRules(await orderRules(tx, order)).maxPayout);
    if (cover > 0) {
      await postTransaction(tx, {
        kind: 'refund.return_insurance_claim',
        memo: `return-shipping insurance pays the postage of refund ${refund.id}`,
        ref: refund.id,
        shopId: refund.shopId,
        postings: [
          { account: RETURN_INSURANCE_CLAIMS, amount: cover },
          { account: PLATFORM_CASH, amount: -cover },
        ],
        now,
      });
    }
    return { postagePaidBy: 'insurance', postageRefund: cover };
  }
  return { postagePaidBy: 'buyer', postageRefund: 0 };
}

async function cancelTimers(tx: Executor, refundId: string, now: Date): Promise<void> {
  for (const kind of [RESPOND_BY, ESCALATE_BY, RETURN_SHIP_BY, CONFIRM_RETURN_BY]) {
    await cancelDeadline(tx, kind, refundId, now);
  }
}

/** Ends a request without money moving; the receipt clock of a shipped order runs again. */
async function closeRefund(
  tx: Executor,
  refund: Refund,
  from: RefundStatus[],
  reason: string,
  actor: RefundActor,
  now: Date,
  note?: string | null,
): Promise<Refund | undefined> {
  const closed = await move(
    tx,
    refund,
    from,
    'closed',
    { closedAt: now, closeReason: reason, actBy: null },
    now,
  );
  if (!closed) return undefined;
  await cancelTimers(tx, refund.id, now);
  await record(tx, closed, refund.status, actor, now, note ?? reason);
  await resumeReceiptClock(tx, refund.orderId, now);
  return closed;
}

/** Agreement on a return: the buyer has the rules' days to ship the goods back. */
async function awaitReturn(
  tx: Executor,
  refund: Refund,
  from: RefundStatus[],
  actor: RefundActor,
  now: Date,
  note?: string | null,
): Promise<Refund | undefined> {
  const order = await lockOrder(tx, refund.orderId);
  const days = (await orderRules(tx, order)).refund.buyerReturnShipDays;
  const actBy = new Date(now.getTime() + days * DAY);
  const moved = await move(tx, refund, from, 'awaiting_return', { actBy }, now);
  if (!moved) return undefined;
  await cancelTimers(tx, refund.id, now);
  await scheduleDeadline(tx, { kind: RETURN_SHIP_BY, subjectId: refund.id, dueAt: actBy, now });
  await record(tx, moved, refund.status, actor, now, note);
  return moved;
}

/** The seller agrees: money back for a refund only, or the return starts. */
export async function approveRefund(
  tx: Executor,
  shopId: string,
  refundId: string,
  actor: RefundActor,
  now: Date,
): Promise<Refund> {
  const refund = await getShopRefund(tx, shopId, refundId);
  if (refund.status !== 'requested') throw conflict('refund_not_awaiting_seller', { status: refund.status });
  const done =
    refund.kind === 'refund_only'
      ? await payRefund(tx, refund, ['requested'], actor, now, 'seller_approved')
      : await awaitReturn(tx, refund, ['requested'], actor, now, 'seller_approved');
  if (!done) throw conflict('refund_not_awaiting_seller', { status: 'changed' });
  return done;
}

/** The seller refuses a request, or the returned parcel; the buyer then has days to escalate. */
export async function refuseRefund(
  tx: Executor,
  shopId: string,
  refundId: string,
  input: { reason: string },
  actor: RefundActor,
  now: Date,
): Promise<Refund> {
  const refund = await getShopRefund(tx, shopId, refundId);
  if (refund.status !== 'requested' && refund.status !== 'return_shipped') {
    throw conflict('refund_not_awaiting_seller', { status: refund.status });
  }
  const order = await lockOrder(tx, refund.orderId);
  const actBy = new Date(now.getTime() + (await orderRules(tx, order)).refund.buyerAfterRefusalDays * DAY);
  const moved = await move(
    tx,
    refund,
    [refund.status],
    'refused',
    { refusalReason: input.reason, refusedAt: now, actBy },
    now,
  );
  if (!moved) throw conflict('refund_not_awaiting_seller', { status: 'changed' });
  await cancelTimers(tx, refund.id, now);
  await scheduleDeadline(tx, { kind: ESCALATE_BY, subjectId: refund.id, dueAt: actBy, now });
  await record(tx, moved, refund.status, actor, now, input.reason);
  return moved;
}

/** After a refusal, the buyer asks the platform to decide. */
export async function escalateRefund(
  tx: Executor,
  buyerId: string,
  refundId: string,
  input: { detail?: string },
  now: Date,
): Promise<Refund> {
  const refund = await getBuyerRefund(tx, buyerId, refundId);
  if (refund.status !== 'refused') throw conflict('refund_not_refused', { status: refund.status });
  const moved = await move(tx, refund, ['refused'], 'escalated', { escalatedAt: now, actBy: null }, now);
  if (!moved) throw conflict('refund_not_refused', { status: 'changed' });
  await cancelTimers(tx, refund.id, now);
  await record(tx, moved, 'refused', { type: 'buyer', id: buyerId }, now, input.detail);
  return moved;
}

/**
 * The operator decides an escalated request: for the buyer (money back, or the return when the
 * goods have not come back yet) or for the seller (the request closes).
 */
export async function decideRefund(
  tx: Executor,
  operatorId: string,
  refundId: string,
  input: { outcome: 'refund' | 'reject'; note: string },
  now: Date,
): Promise<Refund> {
  const refund = await requireRefund(tx, refundId);
  if (refund.status !== 'escalated') throw conflict('refund_not_escalated', { status: refund.status });
  const actor: RefundActor = { type: 'operator', id: operatorId };
  await tx
    .update(refunds)
    .set({ decisionNote: input.note, decidedBy: operatorId })
    .where(eq(refunds.id, refund.id));
  let done: Refund | undefined;
  if (input.outcome === 'reject') {
    done = await closeRefund(tx, refund, ['escalated'], 'platform_rejected', actor, now, input.note);
  } else if (refund.kind === 'return_refund' && !refund.returnShippedAt) {
    done = await awaitReturn(tx, refund, ['escalated'], actor, now, input.note);
  } else {
    done = await payRefund(tx, refund, ['escalated'], actor, now, input.note);
  }
  if (!done) throw conflict('refund_not_escalated', { status: 'changed' });
  return done;
}

/** The buyer sends the goods back: the seller has the rules' days to confirm the parcel. */
export async function shipReturn(
  tx: Executor,
  buyerId: string,
  refundId: string,
  input: { carrier: string; trackingNo: string; postage?: number },
  now: Date,
): Promise<Refund> {
  const refund = await getBuyerRefund(tx, buyerId, refundId);
  if (refund.status !== 'awaiting_return')
    throw conflict('refund_not_awaiting_return', { status: refund.status });
  const order = await lockOrder(tx, refund.orderId);
  const days = (await orderRules(tx, order)).refund.sellerConfirmReturnDays.express;
  const actBy = new Date(now.getTime() + days * DAY);
  const moved = await move(
    tx,
    refund,
    ['awaiting_return'],
    'return_shipped',
    {
      returnCarrier: input.carrier,
      returnTrackingNo: input.trackingNo,
      returnPostage: input.postage ?? 0,
      returnShippedAt: now,
      actBy,
    },
    now,
  );
  if (!moved) throw conflict('refund_not_awaiting_return', { status: 'changed' });
  await cancelTimers(tx, refund.id, now);
  await scheduleDeadline(tx, { kind: CONFIRM_RETURN_BY, subjectId: refund.id, dueAt: actBy, now });
  await record(tx, moved, 'awaiting_return', { type: 'buyer', id: buyerId }, now, null, {
    carrier: input.carrier,
    trackingNo: input.trackingNo,
  });
  return moved;
}

/** The seller has the returned parcel: the money goes back. */
export async function confirmReturn(
  tx: Executor,
  shopId: string,
  refundId: string,
  actor: RefundActor,
  now: Date,
): Promise<Refund> {
  const refund = await getShopRefund(tx, shopId, refundId);
  if (refund.status !== 'return_shipped')
    throw conflict('refund_return_not_shipped', { status: refund.status });
  const done = await payRefund(tx, refund, ['return_shipped'], actor, now, 'return_received');
  if (!done) throw conflict('refund_return_not_shipped', { status: 'changed' });
  return done;
}

/** The buyer withdraws a request that has not been paid out and whose goods are not on their way back. */
export async function withdrawRefund(
  tx: Executor,
  buyerId: string,
  refundId: string,
  now: Date,
): Promise<Refund> {
  const refund = await getBuyerRefund(tx, buyerId, refundId);
  const from: RefundStatus[] = ['requested', 'refused', 'escalated', 'awaiting_return'];
  if (!from.includes(refund.status)) throw conflict('refund_not_withdrawable', { status: refund.status });
  const done = await closeRefund(tx, refund, from, 'buyer_withdrew', { type: 'buyer', id: buyerId }, now);
  if (!done) throw conflict('refund_not_withdrawable', { status: 'changed' });
  return done;
}

// ---- deadlines: silence decides ----------------------------------------------------------------

/**
 * The seller did not answer in time: the request is agreed. A request made before shipment closes
 * instead when the order has since been picked up (the seller shipped, which is their answer).
 */
export async function onRespondBy(tx: Executor, refundId: string, now: Date): Promise<void> {
  const refund = await findRefund(tx, refundId);
  if (refund?.status !== 'requested') return;
  const order = await lockOrder(tx, refund.orderId);
  const system: RefundActor = { type: 'system' };
  if (refund.stage === 'unshipped' && order.status !== 'paid') {
    await closeRefund(tx, refund, ['requested'], 'order_shipped', system, now);
  } else if (refund.kind === 'refund_only') {
    await payRefund(tx, refund, ['requested'], system, now, 'seller_silent');
  } else {
    await awaitReturn(tx, refund, ['requested'], system, now, 'seller_silent');
  }
}

/** The buyer let a refusal stand. */
export async function onEscalateBy(tx: Executor, refundId: string, now: Date): Promise<void> {
  const refund = await findRefund(tx, refundId);
  if (refund?.status !== 'refused') return;
  await closeRefund(tx, refund, ['refused'], 'refusal_accepted', { type: 'system' }, now);
}

/** The buyer never shipped the return. */
export async function onReturnShipBy(tx: Executor, refundId: string, now: Date): Promise<void> {
  const refund = await findRefund(tx, refundId);
  if (refund?.status !== 'awaiting_return') return;
  await closeRefund(tx, refund, ['awaiting_return'], 'return_not_shipped', { type: 'system' }, now);
}

/** The seller never confirmed the returned parcel: the buyer is refunded. */
export async function onConfirmReturnBy(tx: Executor, refundId: string, now: Date): Promise<void> {
  const refund = await findRefund(tx, refundId);
  if (refund?.status !== 'return_shipped') return;
  await payRefund(tx, refund, ['return_shipped'], { type: 'system' }, now, 'seller_silent');
}

// ---- reads ---------------------------------------------------------------------------------------

export async function refundHistory(tx: Executor, refundId: string) {
  return tx
    .select()
    .from(refundEvents)
    .where(eq(refundEvents.refundId, refundId))
    .orderBy(asc(refundEvents.at), asc(refundEvents.id));
}

/** Newest first; the after-sales queue of a shop, a buyer's requests, or the operator's escalations. */
export async function listRefunds(
  tx: Executor,
  scope: { shopId?: string; buyerId?: string; orderId?: string },
  query: { status?: RefundStatus; open?: boolean; cursor?: string; limit?: number },
) {
  const limit = query.limit ?? 20;
  const where: (SQL | undefined)[] = [
    scope.shopId ? eq(refunds.shopId, scope.shopId) : undefined,
    scope.buyerId ? eq(refunds.buyerId, scope.buyerId) : undefined,
    scope.orderId ? eq(refunds.orderId, scope.orderId) : undefined,
    query.status ? eq(refunds.status, query.status) : undefined,
    afterTimeAndId(query.cursor, refunds.createdAt, refunds.id),
    query.open ? inArray(refunds.status, OPEN_REFUND_STATUSES) : undefined,
  ];
  const rows = await tx
    .select()
    .from(refunds)
    .where(and(...where))
    .orderBy(desc(refunds.createdAt), desc(refunds.id))
    .limit(limit + 1);
  return page(rows, limit, (r) => timeAndIdKey(r.createdAt, r.id));
}

export async function linesOfRefunds(tx: Executor, ids: string[]): Promise<Map<string, RefundLine[]>> {
  const result = new Map<string, RefundLine[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return result;
  const rows = await tx
    .select()
    .from(refundLines)
    .where(inArray(refundLines.refundId, ids))
    .orderBy(asc(refundLines.refundId), asc(refundLines.orderLineId));
  for (const r of rows) result.get(r.refundId)?.push(r);
  return result;
}

export function refundView(r: Refund, lines: RefundLine[]) {
  return {
    id: r.id,
    orderId: r.orderId,
    shopId: r.shopId,
    kind: r.kind,
    reason: r.reason,
    detail: r.detail,
    stage: r.stage,
    status: r.status,
    amount: r.amount,
    lines: lines.map((l) => ({
      orderLineId: l.orderLineId,
      skuId: l.skuId,
      quantity: l.quantity,
      amount: l.amount,
    })),
    actBy: r.actBy?.toISOString() ?? null,
    refusalReason: r.refusalReason,
    returnShipment: r.returnCarrier
      ? { carrier: r.returnCarrier, trackingNo: r.returnTrackingNo ?? '', postage: r.returnPostage }
      : null,
    postagePaidBy: r.postagePaidBy,
    postageRefund: r.postageRefund,
    fundedFrom: r.fundedFrom,
    decisionNote: r.decisionNote,
    createdAt: r.createdAt.toISOString(),
    refundedAt: r.refundedAt?.toISOString() ?? null,
    closedAt: r.closedAt?.toISOString() ?? null,
    closeReason: r.closeReason,
  };
}
