import type { WithSubquery } from 'drizzle-orm';
import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm';
import type { Db, Executor, Tx } from '../db';
import { p, statement } from '../db/statements';
import type { Clock, ManualClock } from './clock';
import { errorText, isSerializationConflict } from './errors';
import { newId } from './ids';
import { clockState, deadlines } from './schema';

export interface Deadline {
  id: string;
  kind: string;
  subjectId: string;
  dueAt: Date;
  payload: Record<string, unknown>;
  attempts: number;
}

export type DeadlineHandler = (tx: Tx, deadline: Deadline, now: Date) => Promise<void>;

const handlers = new Map<string, DeadlineHandler>();

/** Modules register one handler per deadline kind (`order.pay_by`, `shop.tier_expiry`, ...). */
export function registerDeadlineHandler(kind: string, handler: DeadlineHandler): void {
  handlers.set(kind, handler);
}

export function unregisterDeadlineHandler(kind: string): void {
  handlers.delete(kind);
}

/**
 * Sets (or moves) the one pending deadline of this kind for this subject, in the caller's transaction.
 */
export async function scheduleDeadline(
  tx: Executor,
  input: { kind: string; subjectId: string; dueAt: Date; payload?: Record<string, unknown>; now: Date },
): Promise<void> {
  await upsertDeadline(tx, deadlineValues('', input));
}

// The trade paths schedule and cancel deadlines on every step: built once (see statement()).
const upsertDeadline = statement((db) => deadlinesUpsert(db, ['']));

/**
 * For a statement that schedules deadlines along with other writes (a data-modifying CTE, built
 * once with statement()): scheduleDeadline for one deadline per prefix, whose values
 * deadlineValues() gives, after the writes of `ctes` if any. The subjects must differ (one row
 * cannot be upserted twice).
 */
export function deadlinesUpsert(db: Db, prefixes: string[], ctes: WithSubquery[] = []) {
  return (ctes.length ? db.with(...ctes) : db)
    .insert(deadlines)
    .values(
      prefixes.map((x) => ({
        id: p(`${x}id`),
        kind: p(`${x}kind`),
        subjectId: p(`${x}subjectId`),
        dueAt: p(`${x}dueAt`),
        payload: p(`${x}payload`),
        createdAt: p(`${x}now`),
      })),
    )
    .onConflictDoUpdate({
      target: [deadlines.kind, deadlines.subjectId],
      targetWhere: sql`status = 'pending'`,
      // The proposed row's values: one statement may schedule several deadlines.
      set: {
        dueAt: sql`excluded.due_at`,
        payload: sql`excluded.payload`,
        attempts: 0,
        lastError: null,
      },
    });
}

/** The placeholders' values of one deadline of deadlinesUpsert(), under its prefix. */
export function deadlineValues(
  prefix: string,
  input: { kind: string; subjectId: string; dueAt: Date; payload?: Record<string, unknown>; now: Date },
): Record<string, unknown> {
  return {
    [`${prefix}id`]: newId('dl'),
    [`${prefix}kind`]: input.kind,
    [`${prefix}subjectId`]: input.subjectId,
    [`${prefix}dueAt`]: input.dueAt,
    [`${prefix}payload`]: input.payload ?? {},
    [`${prefix}now`]: input.now,
  };
}

const cancelPending = statement((db) => deadlineCancel(db, ''));

/**
 * cancelDeadline as part of a statement built once with statement(), after the writes of `ctes` if
 * any; cancelValues() gives its values under `prefix`.
 */
export function deadlineCancel(db: Db, prefix: string, ctes: WithSubquery[] = []) {
  return (ctes.length ? db.with(...ctes) : db)
    .update(deadlines)
    .set({ status: 'cancelled', doneAt: p(`${prefix}now`) } as never)
    .where(
      and(
        eq(deadlines.kind, p(`${prefix}kind`)),
        eq(deadlines.subjectId, p(`${prefix}subjectId`)),
        // A literal, not a parameter: a generic plan can then use the partial index on pending rows.
        sql`${deadlines.status} = 'pending'`,
      ),
    );
}

export function cancelValues(prefix: string, kind: string, subjectId: string, now: Date) {
  return { [`${prefix}kind`]: kind, [`${prefix}subjectId`]: subjectId, [`${prefix}now`]: now };
}

export async function cancelDeadline(
  tx: Executor,
  kind: string,
  subjectId: string,
  now: Date,
): Promise<void> {
  await cancelPending(tx, cancelValues('', kind, subjectId, now));
}

export async function pendingDeadline(tx: Executor, kind: string, subjectId: string) {
  const [row] = await tx
    .select()
    .from(deadlines)
    .where(
      and(eq(deadlines.kind, kind), eq(deadlines.subjectId, subjectId), eq(deadlines.status, 'pending')),
    );
  return row;
}

const MAX_ATTEMPTS = 8;

/** Due deadlines claimed per transaction: a burst (payment callbacks) pays one BEGIN, claim and COMMIT per batch. */
const SWEEP_BATCH = 8;

/**
 * Runs every deadline due at `clock.now()`, each in the same transaction as its `done` mark, so its
 * effect happens exactly once even with several processes sweeping (SKIP LOCKED). Up to SWEEP_BATCH
 * due rows are claimed and marked done by one statement, in one transaction, and handled in due
 * order. The rows are marked done before the handlers run, so a handler may schedule the next
 * deadline of the same kind for the same subject (a recurring one). Each handler runs in its own
 * savepoint: when it throws, its effects alone are undone and, still holding the row, the attempt is
 * recorded and retried later with backoff (2, 4, 8, ... seconds); after MAX_ATTEMPTS it is marked
 * failed. A deadlock or serialization failure is not an attempt: the row is due again at once.
 * Returns how many deadlines were handled (including failed attempts).
 */
export async function sweepDeadlines(db: Db, clock: Clock, limit = 1000): Promise<number> {
  let handled = 0;
  while (handled < limit) {
    const now = clock.now();
    const took = await db.transaction(async (tx) => {
      const rows = await claimDue(tx, { now, limit: Math.min(SWEEP_BATCH, limit - handled) });
      // RETURNING has no order of its own.
      rows.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      for (const row of rows) await runHandler(tx, row, now);
      return rows.length;
    });
    if (took === 0) break;
    handled += took;
  }
  return handled;
}

// Every sweep runs this, due rows or not: built once (see statement()).
const claimDue = statement((db) =>
  db
    .update(deadlines)
    .set({ status: 'done', doneAt: p('now') } as never)
    .where(
      inArray(
        deadlines.id,
        db
          .select({ id: deadlines.id })
          .from(deadlines)
          .where(and(sql`${deadlines.status} = 'pending'`, lte(deadlines.dueAt, p('now'))))
          .orderBy(asc(deadlines.dueAt), asc(deadlines.id))
          .limit(p('limit') as never)
          .for('update', { skipLocked: true }),
      ),
    )
    .returning(),
);

/** One claimed deadline's handler, in a savepoint; a failure is recorded on the row for a later retry. */
async function runHandler(tx: Tx, row: typeof deadlines.$inferSelect, now: Date): Promise<void> {
  try {
    const handler = handlers.get(row.kind);
    if (!handler) throw new Error(`no handler registered for deadline kind ${row.kind}`);
    await tx.transaction((sp) =>
      handler(sp, { ...row, payload: row.payload as Record<string, unknown> }, now),
    );
  } catch (error) {
    if (isSerializationConflict(error)) {
      // A deadlock with another sweeper's batch (or a serialization failure) says nothing about
      // the handler: the row goes back as it was, due now, and is claimed again once this batch has
      // committed and let go of its locks. A backoff would wait on the clock, and a manual clock
      // that nobody moves would leave the order unclosed.
      await tx
        .update(deadlines)
        .set({ status: 'pending', doneAt: null, lastError: errorText(error) })
        .where(eq(deadlines.id, row.id));
      return;
    }
    const attempts = row.attempts + 1;
    const failed = attempts >= MAX_ATTEMPTS;
    await tx
      .update(deadlines)
      .set({
        attempts,
        lastError: errorText(error),
        status: failed ? 'failed' : 'pending',
        dueAt: failed ? row.dueAt : new Date(now.getTime() + 2 ** attempts * 1000),
        doneAt: failed ? now : null,
      })
      .where(eq(deadlines.id, row.id));
  }
}

/** Loads the persisted manual time (or stores the clock's current one on first use). */
export async function loadManualClock(db: Db, clock: ManualClock): Promise<void> {
  const [row] = await db.select().from(clockState).where(eq(clockState.id, 1));
  if (row) clock.set(row.now);
  else await db.insert(clockState).values({ id: 1, now: clock.now() }).onConflictDoNothing();
}

/**
 * Moves the manual clock to `target`, stopping at each due deadline on the way so handlers see the
 * time they were due at and the deadlines they schedule fall where they would in real time.
 */
export async function advanceManualClock(db: Db, clock: ManualClock, target: Date): Promise<Date> {
  for (let guard = 0; guard < 100_000; guard++) {
    const [next] = await db
      .select({ dueAt: deadlines.dueAt })
      .from(deadlines)
      .where(and(eq(deadlines.status, 'pending'), lte(deadlines.dueAt, target)))
      .orderBy(asc(deadlines.dueAt))
      .limit(1);
    if (!next) break;
    if (next.dueAt > clock.now()) clock.set(next.dueAt);
    await db
      .insert(clockState)
      .values({ id: 1, now: clock.now() })
      .onConflictDoUpdate({
        target: clockState.id,
        set: { now: clock.now() },
      });
    const n = await sweepDeadlines(db, clock);
    if (n === 0) break;
  }
  if (target > clock.now()) clock.set(target);
  await db
    .insert(clockState)
    .values({ id: 1, now: clock.now() })
    .onConflictDoUpdate({
      target: clockState.id,
      set: { now: clock.now() },
    });
  return clock.now();
}
