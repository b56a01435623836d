import { and, desc, inArray, sql, type WithSubquery } from 'drizzle-orm';
import type { Db, Executor, Tx } from '../db';
import { p, statement } from '../db/statements';
import { outboxConsumers, outboxEvents } from './schema';

export interface DomainEvent<P = Record<string, unknown>> {
  id: number;
  topic: string;
  key: string | null;
  payload: P;
  occurredAt: Date;
}

/** Appends a domain event in the caller's transaction: it exists exactly when the change does. */
export async function emit(
  tx: Executor,
  topic: string,
  payload: Record<string, unknown>,
  opts: { key?: string; at: Date },
): Promise<void> {
  await insertEvent(tx, { topic, key: opts.key ?? null, payload, at: opts.at });
}

// Nearly every state change emits: its SQL is built once (see statement()).
const insertEvent = statement((db) => eventsInsert(db, ['']));

/**
 * For a statement that writes events along with other rows (a data-modifying CTE, built once with
 * statement()): the insert of one event per prefix, whose values eventValues() gives, after the
 * writes of `ctes` if any.
 */
export function eventsInsert(db: Db, prefixes: string[], ctes: WithSubquery[] = []) {
  return (ctes.length ? db.with(...ctes) : db).insert(outboxEvents).values(
    prefixes.map((x) => ({
      topic: p(`${x}topic`),
      key: p(`${x}key`),
      payload: p(`${x}payload`),
      occurredAt: p(`${x}at`),
    })),
  );
}

/** The placeholders' values of one event of eventsInsert(), under its prefix. */
export function eventValues(
  prefix: string,
  topic: string,
  payload: Record<string, unknown>,
  opts: { key?: string; at: Date },
): Record<string, unknown> {
  return {
    [`${prefix}topic`]: topic,
    [`${prefix}key`]: opts.key ?? null,
    [`${prefix}payload`]: payload,
    [`${prefix}at`]: opts.at,
  };
}

type Handler = (tx: Tx, event: DomainEvent) => Promise<void>;
type BatchHandler = (tx: Tx, events: DomainEvent[]) => Promise<void>;
interface Consumer {
  name: string;
  topics: Set<string> | '*';
  handle: BatchHandler;
}

const consumers = new Map<string, Consumer>();

/**
 * A consumer sees every event of its topics once, inside its own transaction, ordered by the
 * transaction that wrote it (then by write order): events of one transaction stay together and in order.
 */
export function registerConsumer(name: string, topics: string[] | '*', handle: Handler): void {
  registerBatchConsumer(name, topics, async (tx, events) => {
    for (const e of events) await handle(tx, e);
  });
}

/**
 * As registerConsumer, but the consumer takes each delivery's events together (up to a dispatch
 * batch, in the same order), so it can read and write for all of them in a few statements: a busy
 * hour's paid orders cost a read model a dozen statements per batch rather than per order.
 */
export function registerBatchConsumer(name: string, topics: string[] | '*', handle: BatchHandler): void {
  consumers.set(name, { name, topics: topics === '*' ? '*' : new Set(topics), handle });
}

export function unregisterConsumer(name: string): void {
  consumers.delete(name);
}

/**
 * The oldest transaction that may still commit events into this database's outbox, as text: the
 * oldest of those running at the statement's snapshot, leaving out the ones that pg_stat_activity
 * places in another database of the same server (they cannot write here), and this transaction's
 * own (its events are not yet committed). A transaction that ended after the snapshot is not found
 * in pg_stat_activity and so still counts: its events may be invisible to this snapshot. Without the
 * database filter, one long transaction anywhere on the server (a report in another database, another
 * application) held every delivery back.
 */
const HORIZON = sql`
  select least(
    (select min(x::text::numeric) from pg_snapshot_xip(pg_current_snapshot()) as x
      where not exists (
        select 1 from pg_stat_activity a
         where a.backend_xid::text::numeric = x::text::numeric % 4294967296
           and a.datid is not null
           and a.datid <> (select oid from pg_database where datname = current_database()))),
    pg_snapshot_xmax(pg_current_snapshot())::text::numeric,
    pg_current_xact_id_if_assigned()::text::numeric
  )::text as xid`;

/**
 * Delivers pending events to every registered consumer. Safe to run from several processes: each
 * consumer's position row is locked with SKIP LOCKED, so one process at a time advances it.
 * Hands each consumer at most `batch` events of its topics per call and returns how many events were
 * handed to consumers, so 0 means every consumer is caught up with what is visible now.
 * One transaction serves every consumer (one lock statement, one horizon, one look at the end of
 * the outbox), so a call costs a dozen statements rather than eight per consumer; each consumer's
 * handling runs in a savepoint of its own, so a failing consumer is rolled back alone, and its
 * error is thrown once the others' progress has committed.
 */
export async function dispatchOutbox(db: Db, batch = 500): Promise<number> {
  const registered = [...consumers.values()];
  if (registered.length === 0) return 0;
  const names = registered.map((c) => c.name);
  await db
    .insert(outboxConsumers)
    .values(names.map((name) => ({ name })))
    .onConflictDoNothing();
  let failure: unknown;
  const delivered = await db.transaction(async (tx) => {
    const positions = await tx
      .select()
      .from(outboxConsumers)
      .where(inArray(outboxConsumers.name, names))
      .orderBy(outboxConsumers.name)
      .for('update', { skipLocked: true });
    if (positions.length === 0) return 0;
    // Only events from transactions older than every one still running here: none can appear
    // behind us later. The horizon is read once so every statement below agrees on it.
    const [horizon] = ((await tx.execute(HORIZON)) as unknown as { rows: { xid: string }[] }).rows;
    const below = sql`${outboxEvents.txId} < ${horizon!.xid}::xid8`;
    let handed = 0;
    let lastVisible: { txId: string; id: number } | undefined | null = null;
    const moves: { name: string; txId: string; id: number }[] = [];
    for (const pos of positions) {
      const consumer = consumers.get(pos.name);
      if (!consumer) continue;
      const visible = and(
        sql`(${outboxEvents.txId}, ${outboxEvents.id}) > (${pos.positionTx}::xid8, ${pos.positionId})`,
        below,
      );
      const events = await tx
        .select()
        .from(outboxEvents)
        .where(
          consumer.topics === '*' ? visible : and(visible, inArray(outboxEvents.topic, [...consumer.topics])),
        )
        .orderBy(outboxEvents.txId, outboxEvents.id)
        .limit(batch);
      if (events.length > 0) {
        try {
          await tx.transaction((sp) =>
            consumer.handle(
              sp,
              events.map((e) => ({ ...e, payload: e.payload as Record<string, unknown> })),
            ),
          );
        } catch (error) {
          failure ??= error;
          continue; // rolled back to its savepoint: its position stays where it was
        }
        handed += events.length;
      }
      // A full batch: continue after its last event. Otherwise this consumer has seen everything
      // visible, so move past the other topics' events too and never scan them again.
      let next: { txId: string; id: number } | undefined =
        events.length === batch ? events[events.length - 1] : undefined;
      if (!next) {
        if (lastVisible === null) {
          [lastVisible] = await tx
            .select({ txId: outboxEvents.txId, id: outboxEvents.id })
            .from(outboxEvents)
            .where(below)
            .orderBy(desc(outboxEvents.txId), desc(outboxEvents.id))
            .limit(1);
        }
        next = lastVisible;
      }
      // The last visible event may lie behind this consumer's position (a full batch moved it on
      // in an earlier call, say): never move back.
      if (next && (next.txId !== pos.positionTx || next.id !== pos.positionId) && after(next, pos)) {
        moves.push({ name: pos.name, ...next });
      }
    }
    // Consumers moving to the same place (the common case: all caught up) move in one statement.
    const byTarget = new Map<string, { txId: string; id: number; names: string[] }>();
    for (const m of moves) {
      const key = `${m.txId}/${m.id}`;
      const group = byTarget.get(key) ?? { txId: m.txId, id: m.id, names: [] };
      group.names.push(m.name);
      byTarget.set(key, group);
    }
    for (const target of byTarget.values()) {
      await tx
        .update(outboxConsumers)
        .set({ positionTx: target.txId, positionId: target.id, updatedAt: new Date() })
        .where(inArray(outboxConsumers.name, target.names));
    }
    return handed;
  });
  if (failure !== undefined) throw failure;
  return delivered;
}

/** Whether outbox position `a` comes after `b` (transaction id, then event id; xid8 as decimal text). */
function after(a: { txId: string; id: number }, b: { positionTx: string; positionId: number }): boolean {
  const ta = BigInt(a.txId);
  const tb = BigInt(b.positionTx);
  return ta > tb || (ta === tb && a.id > b.positionId);
}
