import { and, desc, eq, gt, isNull, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db';
import { DAY } from '../../kernel/clock';
import { conflict, notFound, ruleViolation } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { emit } from '../../kernel/outbox';
import { afterTimeAndId, page, timeAndIdKey } from '../../kernel/pagination';
import { getCategory } from '../catalog';
import { type Rules, rulesFor } from '../governance';
import { PLATFORM_CASH } from '../ledger';
import { addPenaltyPoints, type PenaltyTrack } from '../penalties';
import { grantPoints, POINTS_LIABILITY } from '../points';
import { getBuyerOrder, getOrder, linesOf, type Order } from '../trade';
import { chargeShop } from './charges';
import { type ComplaintReason, complaints, refunds } from './schema';
import './messages';

export type Complaint = typeof complaints.$inferSelect;

/** Which penalty reason an upheld complaint records. */
const PENALTY_REASON: Record<ComplaintReason, string> = {
  late_shipment: 'late_shipment_not_compensated',
  not_as_described: 'description_mismatch',
  refused_after_sales: 'refused_after_sales',
  fake_shipment: 'other',
  counterfeit: 'counterfeit',
  other: 'other',
};

/**
 * Late-shipment compensation: the rules' share of what was paid for the goods (shipping excluded),
 * never below the minimum (the special-category minimum when the order holds special goods) nor
 * above the maximum.
 */
export function lateShipmentCompensation(
  paidForGoods: number,
  rules: Rules['lateShipment']['compensation'],
  special: boolean,
): number {
  const share = Math.floor((paidForGoods * rules.rateBp) / 10_000);
  const floor = special ? rules.specialCategoryMinAmount : rules.minAmount;
  return Math.min(rules.maxAmount, Math.max(floor, share));
}

/** When the complaint entry opened: the trade's success or a refund's, the latest. */
async function complaintAnchor(tx: Executor, order: Order): Promise<Date | undefined> {
  const [lastRefund] = await tx
    .select({ at: refunds.refundedAt })
    .from(refunds)
    .where(and(eq(refunds.orderId, order.id), eq(refunds.status, 'refunded')))
    .orderBy(desc(refunds.refundedAt))
    .limit(1);
  const times = [order.succeededAt, lastRefund?.at].filter((t): t is Date => !!t);
  return times.length ? new Date(Math.max(...times.map((t) => t.getTime()))) : undefined;
}

/**
 * The buyer complains about the merchant over an order: only within the rules' days after the trade
 * or a refund of it succeeded (422 outside). A late-shipment complaint needs an order that really
 * missed its ship-by, and fixes the compensation owed by the rules of the order's time.
 */
export async function fileComplaint(
  tx: Executor,
  buyerId: string,
  orderId: string,
  input: { reason: ComplaintReason; detail?: string },
  now: Date,
): Promise<Complaint> {
  const order = await getBuyerOrder(tx, buyerId, orderId);
  const { rules } = await rulesFor(tx, order.shopKind, order.createdAt);
  const anchor = await complaintAnchor(tx, order);
  if (!anchor) throw ruleViolation('complaint_not_open');
  const until = new Date(anchor.getTime() + rules.complaint.windowDays * DAY);
  if (now.getTime() > until.getTime()) {
    throw ruleViolation('complaint_window_closed', {
      days: rules.complaint.windowDays,
      until: until.toISOString(),
    });
  }
  let compensation = 0;
  let payout: 'cash' | 'points' | null = null;
  if (input.reason === 'late_shipment') {
    if (!order.shipLate) throw ruleViolation('complaint_not_late');
    const lines = (await linesOf(tx, [order.id])).get(order.id) ?? [];
    let special = false;
    for (const line of lines) if ((await getCategory(tx, line.categoryId))?.special) special = true;
    const paid = lines.reduce((s, l) => s + l.paidAmount, 0);
    compensation = lateShipmentCompensation(paid, rules.lateShipment.compensation, special);
    payout = rules.lateShipment.compensation.payout;
  }
  const [row] = await tx
    .insert(complaints)
    .values({
      id: newId('cpl'),
      orderId: order.id,
      shopId: order.shopId,
      buyerId,
      shopKind: order.shopKind,
      reason: input.reason,
      detail: input.detail ?? null,
      status: 'open',
      compensation,
      compensationPayout: payout,
      createdAt: now,
    })
    .onConflictDoNothing()
    .returning();
  if (!row) throw conflict('complaint_exists');
  await emit(
    tx,
    'complaint.filed',
    {
      complaintId: row.id,
      orderId: order.id,
      shopId: order.shopId,
      buyerId,
      reason: input.reason,
      compensation,
    },
    { key: order.id, at: now },
  );
  return row;
}

/**
 * Pays the compensation once (a conditional UPDATE marks it paid first): from the merchant's
 * balance, else its deposit, to the buyer in cash (market) or in platform points (mall).
 */
async function payCompensation(
  tx: Executor,
  complaint: Complaint,
  voluntarily: boolean,
  now: Date,
): Promise<Complaint | undefined> {
  const [marked] = await tx
    .update(complaints)
    .set({ compensatedAt: now, compensatedVoluntarily: voluntarily })
    .where(
      and(
        eq(complaints.id, complaint.id),
        eq(complaints.status, 'open'),
        isNull(complaints.compensatedAt),
        gt(complaints.compensation, 0),
      ),
    )
    .returning();
  if (!marked) return undefined;
  const amount = complaint.compensation;
  const order = await getOrder(tx, complaint.orderId);
  const { rules } = await rulesFor(tx, complaint.shopKind, order?.createdAt ?? now);
  const toPoints = complaint.compensationPayout === 'points';
  await chargeShop(
    tx,
    {
      shopId: complaint.shopId,
      amount,
      kind: 'complaint.compensation',
      memo: `compensation for complaint ${complaint.id} (${complaint.reason}) on order ${complaint.orderId}`,
      ref: complaint.id,
      credits: [{ account: toPoints ? POINTS_LIABILITY : PLATFORM_CASH, amount: -amount }],
    },
    now,
  );
  if (toPoints) {
    const fenPerPoint = rules.points.fenPerPoint;
    await grantPoints(
      tx,
      {
        buyerId: complaint.buyerId,
        points: Math.floor(amount / fenPerPoint),
        fenPerPoint,
        reason: 'compensation',
        ref: complaint.id,
      },
      now,
    );
  }
  await emit(
    tx,
    'complaint.compensated',
    {
      complaintId: complaint.id,
      orderId: complaint.orderId,
      shopId: complaint.shopId,
      buyerId: complaint.buyerId,
      amount,
      payout: complaint.compensationPayout,
      voluntarily,
    },
    { key: complaint.orderId, at: now },
  );
  return marked;
}

/** The complaint, locked; with a shop id, another shop's complaint is not found. */
async function lockComplaint(tx: Executor, id: string, shopId?: string): Promise<Complaint> {
  const [row] = await tx
    .select()
    .from(complaints)
    .where(and(eq(complaints.id, id), shopId ? eq(complaints.shopId, shopId) : undefined))
    .for('update');
  if (!row) throw notFound('complaint_not_found');
  return row;
}

/** The merchant pays before the platform rules: the buyer is paid and the shop is spared the points. */
export async function compensateVoluntarily(
  tx: Executor,
  shopId: string,
  complaintId: string,
  now: Date,
): Promise<Complaint> {
  const complaint = await lockComplaint(tx, complaintId, shopId);
  if (complaint.status !== 'open')
    throw conflict('complaint_not_open_for_decision', { status: complaint.status });
  const paid = await payCompensation(tx, complaint, true, now);
  if (!paid) throw conflict('complaint_no_compensation');
  return paid;
}

/**
 * The operator upholds: compensation not yet paid is paid now, and then the merchant also takes the
 * rules' penalty points for not paying voluntarily; the operator may add points for the finding.
 */
export async function upholdComplaint(
  tx: Executor,
  operatorId: string,
  complaintId: string,
  input: { note: string; penalty?: { track: PenaltyTrack; points: number } },
  now: Date,
): Promise<Complaint> {
  const complaint = await lockComplaint(tx, complaintId);
  if (complaint.status !== 'open')
    throw conflict('complaint_not_open_for_decision', { status: complaint.status });
  let points = 0;
  let track: PenaltyTrack | null = null;
  if (complaint.compensation > 0 && !complaint.compensatedAt) {
    await payCompensation(tx, complaint, false, now);
    const order = await getOrder(tx, complaint.orderId);
    const { rules } = await rulesFor(tx, complaint.shopKind, order?.createdAt ?? now);
    points = rules.lateShipment.penaltyPointsIfNotVoluntary;
    track = 'general';
  }
  if (points > 0 && track) {
    await addPenaltyPoints(
      tx,
      {
        shopId: complaint.shopId,
        track,
        points,
        reason: PENALTY_REASON[complaint.reason],
        ref: complaint.id,
        issuedBy: operatorId,
        note: input.note,
      },
      now,
    );
  }
  if (input.penalty && input.penalty.points > 0) {
    await addPenaltyPoints(
      tx,
      {
        shopId: complaint.shopId,
        track: input.penalty.track,
        points: input.penalty.points,
        reason: PENALTY_REASON[complaint.reason],
        ref: complaint.id,
        issuedBy: operatorId,
        note: input.note,
      },
      now,
    );
    points += input.penalty.points;
    track = track ?? input.penalty.track;
  }
  const [row] = await tx
    .update(complaints)
    .set({
      status: 'upheld',
      decisionNote: input.note,
      decidedBy: operatorId,
      decidedAt: now,
      penaltyPoints: points,
      penaltyTrack: track,
    })
    .where(and(eq(complaints.id, complaint.id), eq(complaints.status, 'open')))
    .returning();
  if (!row) throw conflict('complaint_not_open_for_decision', { status: 'changed' });
  await emit(
    tx,
    'complaint.upheld',
    {
      complaintId: row.id,
      orderId: row.orderId,
      shopId: row.shopId,
      buyerId: row.buyerId,
      penaltyPoints: points,
    },
    { key: row.orderId, at: now },
  );
  return row;
}

export async function dismissComplaint(
  tx: Executor,
  operatorId: string,
  complaintId: string,
  input: { note: string },
  now: Date,
): Promise<Complaint> {
  const complaint = await lockComplaint(tx, complaintId);
  if (complaint.status !== 'open')
    throw conflict('complaint_not_open_for_decision', { status: complaint.status });
  const [row] = await tx
    .update(complaints)
    .set({ status: 'dismissed', decisionNote: input.note, decidedBy: operatorId, decidedAt: now })
    .where(and(eq(complaints.id, complaint.id), eq(complaints.status, 'open')))
    .returning();
  await emit(
    tx,
    'complaint.dismissed',
    { complaintId: row!.id, orderId: row!.orderId, shopId: row!.shopId, buyerId: row!.buyerId },
    { key: row!.orderId, at: now },
  );
  return row!;
}

export async function listComplaints(
  tx: Executor,
  scope: { shopId?: string; buyerId?: string },
  query: { status?: Complaint['status']; cursor?: string; limit?: number },
) {
  const limit = query.limit ?? 20;
  const where: (SQL | undefined)[] = [
    scope.shopId ? eq(complaints.shopId, scope.shopId) : undefined,
    scope.buyerId ? eq(complaints.buyerId, scope.buyerId) : undefined,
    query.status ? eq(complaints.status, query.status) : undefined,
    afterTimeAndId(query.cursor, complaints.createdAt, complaints.id),
  ];
  const rows = await tx
    .select()
    .from(complaints)
    .where(and(...where))
    .orderBy(desc(complaints.createdAt), desc(complaints.id))
    .limit(limit + 1);
  return page(rows, limit, (r) => timeAndIdKey(r.createdAt, r.id));
}

export function complaintView(c: Complaint) {
  return {
    id: c.id,
    orderId: c.orderId,
    shopId: c.shopId,
    reason: c.reason,
    detail: c.detail,
    status: c.status,
    compensation: c.compensation,
    compensationPayout: c.compensationPayout,
    compensatedAt: c.compensatedAt?.toISOString() ?? null,
    compensatedVoluntarily: c.compensatedVoluntarily,
    penaltyPoints: c.penaltyPoints,
    decisionNote: c.decisionNote,
    decidedAt: c.decidedAt?.toISOString() ?? null,
    createdAt: c.createdAt.toISOString(),
  };
}
