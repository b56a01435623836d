import { and, asc, desc, eq, gt, lt, or, type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../../db';
import { AppError } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { emit } from '../../kernel/outbox';
import { decodeCursor, page } from '../../kernel/pagination';
import { scheduleDeadline } from '../../kernel/scheduler';
import { platformAccount, postTransaction } from '../ledger';
import { pointsEntries, pointsLots } from './schema';

export const POINTS_EXPIRY = 'points.expiry';
/** Points outstanding are a debt of the platform to its buyers, at their value in fen. */
export const POINTS_LIABILITY = platformAccount('liability', 'points');
const POINTS_EXPIRED = platformAccount('revenue', 'points_expired');

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
  const after = decodeCursor<{ a?: unknown; i?: unknown }>(query.cursor);
  const where: (SQL | undefined)[] = [eq(pointsEntries.buyerId, buyerId)];
  if (after) {
    if (typeof after.a !== 'string' || typeof after.i !== 'string' || Number.isNaN(Date.parse(after.a))) {
      throw new AppError(400, 'bad_cursor', {}, [{ path: '/cursor', in: 'query', code: 'field.invalid' }]);
    }
    const a = new Date(after.a);
    where.push(or(lt(pointsEntries.at, a), and(eq(pointsEntries.at, a), lt(pointsEntries.id, after.i))));
  }
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
  const history = page(rows, limit, (e) => ({ a: e.at.toISOString(), i: e.id }));
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
