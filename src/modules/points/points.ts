import { and, asc, desc, eq, gt, sql } from 'drizzle-orm';
import type { Executor } from '../../db';
import { AppError } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { emit } from '../../kernel/outbox';
import { afterTimeAndId, page, timeAndIdKey } from '../../kernel/pagination';
import { scheduleDeadline } from '../../kernel/scheduler';
import { platformAccount, postTransaction } from '../ledger';
import { pointsEntries, pointsLots } from './schema';
import './messages';

export const POINTS_EXPIRY = 'points.expiry';
/** Points outstanding are a debt of the platform to its buyers, at their value in fen. */
export const POINTS_LIABILITY = platformAccount('liability', 'points');
export const POINTS_EXPIRED = platformAccount('revenue', 'points_expired');

/** China time: the year ends at 24:00 on 31 Dec in UTC+8. */
const CHINA_OFFSET_MS = 8 * 3_600_000;

/** Points earned at `at` expire at the end of the following calendar year (China time). */
export function pointsExpiryFor(at: Date): Date {
  const year = new Date(at.getTime() + CHINA_OFFSET_MS).getUTCFullYear();
  return new Date(Date.UTC(year + 2, 0, 1) - CHINA_OFFSET_MS);
}

/**
 * Gives a buyer points in the caller's transaction. The caller has already moved their value into
 * the points liability through the ledger (e.g. a merchant's compensation); this records the lot,
 * its history line and its expiry deadline.
 */
export async function grantPoints(
  tx: Executor,
  input: { buyerId: string; points: number; fenPerPoint: number; reason: string; ref?: string | null },
  now: Date,
): Promise<{ lotId: string; expiresAt: Date }> {
  if (!Number.isSafeInteger(input.points) || input.points <= 0) {
    throw new RangeError(`points must be a positive integer, got ${input.points}`);
  }
  const lotId = newId('ptl');
  const expiresAt = pointsExpiryFor(now);
  await tx.insert(pointsLots).values({
    id: lotId,
    buyerId: input.buyerId,
    points: input.points,
    remaining: input.points,
    fenPerPoint: input.fenPerPoint,
    reason: input.reason,
    ref: input.ref ?? null,
    grantedAt: now,
    expiresAt,
  });
  await tx.insert(pointsEntries).values({
    id: newId('pte'),
    buyerId: input.buyerId,
    delta: input.points,
    reason: input.reason,
    ref: input.ref ?? null,
    lotId,
    at: now,
  });
  await scheduleDeadline(tx, { kind: POINTS_EXPIRY, subjectId: lotId, dueAt: expiresAt, now });
  await emit(
    tx,
    'points.granted',
    { buyerId: input.buyerId, points: input.points, reason: input.reason, ref: input.ref ?? null },
    { key: input.buyerId, at: now },
  );
  return { lotId, expiresAt };
}

/** Deadline handler: what is left of a lot lapses; its value leaves the liability as revenue. */
export async function expireLot(tx: Executor, lotId: string, now: Date): Promise<void> {
  const [lot] = await tx.select().from(pointsLots).where(eq(pointsLots.id, lotId)).for('update');
  if (!lot || lot.remaining <= 0 || lot.expiresAt > now) return;
  await tx.update(pointsLots).set({ remaining: 0 }).where(eq(pointsLots.id, lotId));
  await tx.insert(pointsEntries).values({
    id: newId('pte'),
    buyerId: lot.buyerId,
    delta: -lot.remaining,
    reason: 'expired',
    ref: null,
    lotId,
    at: now,
  });
  const value = lot.remaining * lot.fenPerPoint;
  await postTransaction(tx, {
    kind: 'points.expired',
    memo: `points lot ${lotId} expired`,
    ref: lotId,
    postings: [
      { account: POINTS_LIABILITY, amount: value },
      { account: POINTS_EXPIRED, amount: -value },
    ],
    now,
  });
}

export async function pointsBalance(tx: Executor, buyerId: string, now: Date): Promise<number> {
  const [row] = await tx
    .select({ balance: sql<number>`coalesce(sum(${pointsLots.remaining}), 0)::int` })
    .from(pointsLots)
    .where(and(eq(pointsLots.buyerId, buyerId), gt(pointsLots.expiresAt, now)));
  return Number(row?.balance ?? 0);
}

/** Balance, what expires when (soonest first), and the history newest first, paged. */
export async function pointsAccount(
  tx: Executor,
  buyerId: string,
  query: { cursor?: string; limit?: number },
  now: Date,
) {
  const limit = query.limit ?? 20;
  const where = [
    eq(pointsEntries.buyerId, buyerId),
    afterTimeAndId(query.cursor, pointsEntries.at, pointsEntries.id),
  ];
  const rows = await tx
    .select()
    .from(pointsEntries)
    .where(and(...where))
    .orderBy(desc(pointsEntries.at), desc(pointsEntries.id))
    .limit(limit + 1);
  const expiring = await tx
    .select({
      expiresAt: pointsLots.expiresAt,
      points: sql<number>`sum(${pointsLots.remaining})::int`,
    })
    .from(pointsLots)
    .where(and(eq(pointsLots.buyerId, buyerId), gt(pointsLots.remaining, 0), gt(pointsLots.expiresAt, now)))
    .groupBy(pointsLots.expiresAt)
    .orderBy(asc(pointsLots.expiresAt));
  const history = page(rows, limit, (e) => timeAndIdKey(e.at, e.id));
  return {
    balance: await pointsBalance(tx, buyerId, now),
    expiring: expiring.map((e) => ({ points: Number(e.points), expiresAt: e.expiresAt.toISOString() })),
    history: {
      items: history.items.map((e) => ({
        id: e.id,
        delta: e.delta,
        reason: e.reason,
        ref: e.ref,
        at: e.at.toISOString(),
      })),
      nextCursor: history.nextCursor,
    },
  };
}

/**
 * Spends a buyer's points, oldest grant first, in the caller's transaction: each lot is taken with a
 * guarded UPDATE, so two checkouts spending at once can never take the same points twice. Answers
 * what was taken from which lot (to give back exactly that on a refund); 409 when the buyer does not
 * have them.
 */
export async function spendPoints(
  tx: Executor,
  input: { buyerId: string; points: number; reason: string; ref: string },
  now: Date,
): Promise<{ lotId: string; points: number }[]> {
  let left = input.points;
  const taken: { lotId: string; points: number }[] = [];
  const lots = await tx
    .select()
    .from(pointsLots)
    .where(
      and(eq(pointsLots.buyerId, input.buyerId), gt(pointsLots.remaining, 0), gt(pointsLots.expiresAt, now)),
    )
    .orderBy(asc(pointsLots.expiresAt), asc(pointsLots.grantedAt), asc(pointsLots.id))
    .for('update');
  for (const lot of lots) {
    if (left <= 0) break;
    const take = Math.min(left, lot.remaining);
    await tx
      .update(pointsLots)
      .set({ remaining: sql`${pointsLots.remaining} - ${take}` })
      .where(eq(pointsLots.id, lot.id));
    await tx.insert(pointsEntries).values({
      id: newId('pte'),
      buyerId: input.buyerId,
      delta: -take,
      reason: input.reason,
      ref: input.ref,
      lotId: lot.id,
      at: now,
    });
    taken.push({ lotId: lot.id, points: take });
    left -= take;
  }
  if (left > 0) throw new AppError(409, 'points_insufficient', { points: input.points });
  return taken;
}

/**
 * Gives spent points back (an unpaid order closed, a refund): into the lots they came from while
 * those are still valid; points whose lot has expired meanwhile are not returned (the platform's
 * rule), and their value is answered so the caller can book it.
 */
export async function returnPoints(
  tx: Executor,
  input: { buyerId: string; lots: { lotId: string; points: number }[]; reason: string; ref: string },
  now: Date,
): Promise<{ returned: number; lapsed: number }> {
  let returned = 0;
  let lapsed = 0;
  for (const { lotId, points } of input.lots) {
    if (points <= 0) continue;
    const [lot] = await tx
      .update(pointsLots)
      .set({ remaining: sql`${pointsLots.remaining} + ${points}` })
      .where(and(eq(pointsLots.id, lotId), gt(pointsLots.expiresAt, now)))
      .returning();
    if (!lot) {
      lapsed += points;
      continue;
    }
    returned += points;
    await tx.insert(pointsEntries).values({
      id: newId('pte'),
      buyerId: input.buyerId,
      delta: points,
      reason: input.reason,
      ref: input.ref,
      lotId,
      at: now,
    });
  }
  return { returned, lapsed };
}

/** Rewards at trade success are the platform's marketing cost until the points lapse or are used. */
export const POINTS_REWARDS = platformAccount('expense', 'points_rewards');

/**
 * Trade success earns points on the money paid (points paid with earn nothing), at the rate of the
 * order's rules; the platform funds them.
 */
export async function earnTradePoints(
  tx: Executor,
  input: { buyerId: string; orderId: string; paid: number; earnRateBp: number; fenPerPoint: number },
  now: Date,
): Promise<number> {
  const points = Math.floor((input.paid * input.earnRateBp) / 10_000);
  if (points <= 0) return 0;
  await postTransaction(tx, {
    kind: 'points.earned',
    memo: `points earned by order ${input.orderId}`,
    ref: input.orderId,
    postings: [
      { account: POINTS_REWARDS, amount: points * input.fenPerPoint },
      { account: POINTS_LIABILITY, amount: -points * input.fenPerPoint },
    ],
    now,
  });
  await grantPoints(
    tx,
    {
      buyerId: input.buyerId,
      points,
      fenPerPoint: input.fenPerPoint,
      reason: 'trade_success',
      ref: input.orderId,
    },
    now,
  );
  return points;
}

/**
 * A refund after trade success takes back the points the order earned, in proportion (`share` of
 * `whole`, cumulative so several refunds take back exactly what was earned). Points already spent
 * cannot be taken back; what is left of the lot is.
 */
export async function clawBackTradePoints(
  tx: Executor,
  input: { buyerId: string; orderId: string; before: number; after: number; whole: number },
  now: Date,
): Promise<number> {
  const [lot] = await tx
    .select()
    .from(pointsLots)
    .where(
      and(
        eq(pointsLots.buyerId, input.buyerId),
        eq(pointsLots.ref, input.orderId),
        eq(pointsLots.reason, 'trade_success'),
      ),
    )
    .for('update');
  if (!lot || input.whole <= 0) return 0;
  const at = (n: number) => Number((BigInt(lot.points) * BigInt(n)) / BigInt(input.whole));
  const due = at(input.after) - at(input.before);
  const take = Math.min(due, lot.remaining, lot.expiresAt > now ? lot.remaining : 0);
  if (take <= 0) return 0;
  await tx
    .update(pointsLots)
    .set({ remaining: sql`${pointsLots.remaining} - ${take}` })
    .where(eq(pointsLots.id, lot.id));
  await tx.insert(pointsEntries).values({
    id: newId('pte'),
    buyerId: input.buyerId,
    delta: -take,
    reason: 'refund_clawback',
    ref: input.orderId,
    lotId: lot.id,
    at: now,
  });
  await postTransaction(tx, {
    kind: 'points.clawed_back',
    memo: `points of order ${input.orderId} taken back after a refund`,
    ref: input.orderId,
    postings: [
      { account: POINTS_LIABILITY, amount: take * lot.fenPerPoint },
      { account: POINTS_REWARDS, amount: -take * lot.fenPerPoint },
    ],
    now,
  });
  return take;
}
