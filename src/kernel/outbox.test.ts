import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, onPostgres } from '../../test/helpers';
import type { Database, Db } from '../db';
import {
  type DomainEvent,
  dispatchOutbox,
  emit,
  registerBatchConsumer,
  registerConsumer,
  unregisterConsumer,
} from './outbox';

let database: Database;
let db: Db;
const at = new Date('2026-11-01T02:00:00.000Z');
const registered: string[] = [];

beforeAll(async () => {
  database = await freshDatabase();
  db = database.db;
  await db.execute(
    sql.raw('create table outbox_test_effects (consumer text not null, event_id bigint not null)'),
  );
});
afterAll(async () => database.close());
afterEach(() => {
  for (const name of registered.splice(0)) unregisterConsumer(name);
});

function consume(name: string, topics: string[] | '*', onEvent?: (e: DomainEvent) => void) {
  const seen: DomainEvent[] = [];
  registered.push(name);
  registerConsumer(name, topics, async (tx, event) => {
    // The consumer's effect is written in the dispatch transaction, like a real read model.
    await tx.execute(sql`insert into outbox_test_effects values (${name}, ${event.id})`);
    seen.push(event);
    onEvent?.(event);
  });
  return seen;
}

async function effects(name: string): Promise<number[]> {
  const r = await db.execute(
    sql`select event_id::int as id from outbox_test_effects where consumer = ${name} order by event_id`,
  );
  return (r as unknown as { rows: { id: number }[] }).rows.map((row) => row.id);
}

async function eventIds(topic: string): Promise<number[]> {
  const r = await db.execute(
    sql`select id::int as id from outbox_events where topic = ${topic} order by tx_id, id`,
  );
  return (r as unknown as { rows: { id: number }[] }).rows.map((row) => row.id);
}

/**
 * Waits until every transaction that began before this call has ended. Transactions in other
 * databases do not hold the dispatcher back, but one of the same database that began and ended
 * between two statements can still be in its snapshot for a moment; a test that expects its events
 * delivered waits here first (real time, not the test clock). It waits for the whole server, so
 * it is never too early.
 */
async function settled(): Promise<void> {
  const [mark] = (
    (await db.transaction((tx) => tx.execute(sql`select pg_current_xact_id()::text as xid`))) as unknown as {
      rows: { xid: string }[];
    }
  ).rows;
  for (let i = 0; i < 1500; i++) {
    const [h] = (
      (await db.execute(
        sql`select pg_snapshot_xmin(pg_current_snapshot()) > ${mark!.xid}::xid8 as past`,
      )) as unknown as { rows: { past: boolean }[] }
    ).rows;
    if (h?.past) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('an older transaction stayed open for 30 s');
}

/** Dispatches until a call hands nothing more to any consumer. */
async function drain(batch?: number): Promise<number> {
  await settled();
  let total = 0;
  for (let i = 0; i < 1000; i++) {
    const n = await dispatchOutbox(db, batch);
    if (n === 0) return total;
    total += n;
  }
  throw new Error('outbox did not drain');
}

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};

describe('emit', () => {
  it('leaves no event when the transaction rolls back', async () => {
    await expect(
      db.transaction(async (tx) => {
        await emit(tx, 'test.rollback', { n: 1 }, { at });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await eventIds('test.rollback')).toEqual([]);
    await db.transaction(async (tx) => {
      await emit(tx, 'test.rollback', { n: 2 }, { key: 'k', at });
    });
    const r = await db.execute(
      sql`select topic, key, payload, occurred_at from outbox_events where topic = 'test.rollback'`,
    );
    const rows = (r as unknown as { rows: Record<string, unknown>[] }).rows;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ topic: 'test.rollback', key: 'k', payload: { n: 2 } });
    expect(new Date(rows[0]!.occurred_at as string).toISOString()).toBe(at.toISOString());
  });
});

describe('dispatchOutbox', () => {
  it('delivers each committed event once, in commit order, across several calls', async () => {
    const seen = consume('test-ordered', ['test.ordered']);
    const other = consume('test-other', ['test.other']);
    const all = consume('test-all', '*');
    const emitted: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 4; i++) {
        await db.transaction(async (tx) => {
          await emit(tx, 'test.ordered', { round, i }, { key: `o${i}`, at });
          await emit(tx, 'test.other', { round, i }, { at });
        });
      }
      await settled();
      const delivered = await dispatchOutbox(db);
      expect(delivered).toBeGreaterThan(0);
      emitted.push(...(await eventIds('test.ordered')).filter((id) => !emitted.includes(id)));
      expect(seen.map((e) => e.id)).toEqual(emitted);
      // Nothing new: nothing delivered again.
      expect(await dispatchOutbox(db)).toBe(0);
    }
    expect(seen.map((e) => e.payload)).toEqual(
      [0, 1, 2].flatMap((round) => [0, 1, 2, 3].map((i) => ({ round, i }))),
    );
    expect(seen.every((e) => e.topic === 'test.ordered' && e.occurredAt.getTime() === at.getTime())).toBe(
      true,
    );
    expect(seen[0]?.key).toBe('o0');
    expect(other).toHaveLength(12);
    expect(other.every((e) => e.topic === 'test.other')).toBe(true);
    expect(all.filter((e) => e.topic.startsWith('test.ordered') || e.topic === 'test.other')).toHaveLength(
      24,
    );
    expect(await effects('test-ordered')).toEqual(emitted);
  });

  it('delivers what was emitted before it registered, a batch of its own topics per call', async () => {
    for (let i = 0; i < 10; i++) {
      await db.transaction((tx) => emit(tx, 'test.batch', { i }, { at }));
    }
    // A new consumer starts at the beginning of the outbox, behind many events of other topics;
    // those neither count against its batch nor make a call answer 0 while its events wait.
    expect((await eventIds('test.ordered')).length).toBeGreaterThan(3);
    const seen = consume('test-batch', ['test.batch']);
    const counts: number[] = [];
    await settled();
    for (let call = 0; call < 5; call++) counts.push(await dispatchOutbox(db, 3));
    expect(counts).toEqual([3, 3, 3, 1, 0]);
    expect(seen.map((e) => e.payload.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('moves past other topics once caught up, so later events of its topics are found', async () => {
    const seen = consume('test-sparse', ['test.sparse']);
    await drain();
    for (let i = 0; i < 20; i++) await db.transaction((tx) => emit(tx, 'test.noise', { i }, { at }));
    await settled();
    expect(await dispatchOutbox(db, 2)).toBe(0);
    const [pos] = await (async () => {
      const r = await db.execute(
        sql`select position_id::int as id from outbox_consumers where name = 'test-sparse'`,
      );
      return (r as unknown as { rows: { id: number }[] }).rows;
    })();
    expect(pos?.id).toBe(Math.max(...(await eventIds('test.noise'))));
    await db.transaction((tx) => emit(tx, 'test.sparse', { n: 1 }, { at }));
    await settled();
    expect(await dispatchOutbox(db, 2)).toBe(1);
    expect(seen.map((e) => e.payload)).toEqual([{ n: 1 }]);
  });

  it('rolls back a failing consumer and delivers the event again on the next call', async () => {
    let fail = true;
    const seen: number[] = [];
    registered.push('test-flaky');
    registerConsumer('test-flaky', ['test.flaky'], async (tx, event) => {
      await tx.execute(sql`insert into outbox_test_effects values ('test-flaky', ${event.id})`);
      if (fail) throw new Error('consumer down');
      seen.push(event.id);
    });
    await db.transaction((tx) => emit(tx, 'test.flaky', {}, { at }));
    await settled();
    await expect(dispatchOutbox(db)).rejects.toThrow('consumer down');
    expect(await effects('test-flaky')).toEqual([]);
    fail = false;
    await drain();
    const ids = await eventIds('test.flaky');
    expect(seen).toEqual(ids);
    expect(await effects('test-flaky')).toEqual(ids);
  });

  it('hands a batch consumer each delivery whole, in order, and rolls a failing delivery back whole', async () => {
    await drain();
    for (let i = 0; i < 7; i++) await db.transaction((tx) => emit(tx, 'test.together', { i }, { at }));
    let fail = true;
    const deliveries: number[][] = [];
    registered.push('test-together');
    registerBatchConsumer('test-together', ['test.together'], async (tx, events) => {
      for (const e of events)
        await tx.execute(sql`insert into outbox_test_effects values ('test-together', ${e.id})`);
      if (fail) throw new Error('read model down');
      deliveries.push(events.map((e) => e.payload.i as number));
    });
    await settled();
    await expect(dispatchOutbox(db, 3)).rejects.toThrow('read model down');
    expect(await effects('test-together')).toEqual([]);
    fail = false;
    const counts: number[] = [];
    for (let call = 0; call < 4; call++) counts.push(await dispatchOutbox(db, 3));
    expect(counts).toEqual([3, 3, 1, 0]);
    expect(deliveries).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(await effects('test-together')).toEqual(await eventIds('test.together'));
  });

  it.skipIf(!onPostgres)(
    'delivers events of a slow transaction that commits after later ones: none skipped, none twice',
    async () => {
      const seen = consume('test-interleaved', ['test.interleaved']);
      const emitted = deferred();
      const release = deferred();
      // The slow transaction emits first (lower event id and transaction id), then stays open
      // (until released, rather than for a guessed sleep) while others commit and the dispatcher runs.
      const slow = db.transaction(async (tx) => {
        await emit(tx, 'test.interleaved', { who: 'slow' }, { at });
        emitted.resolve();
        await release.promise;
      });
      await emitted.promise;
      for (let i = 0; i < 5; i++) {
        await db.transaction((tx) => emit(tx, 'test.interleaved', { who: `fast${i}` }, { at }));
      }
      const ids = await eventIds('test.interleaved');
      expect(ids).toHaveLength(5); // the slow one is not visible yet
      // A dispatcher that moved past the fast events now would skip the slow one for ever.
      await dispatchOutbox(db);
      await dispatchOutbox(db);
      expect(seen.filter((e) => e.payload.who === 'slow')).toHaveLength(0);
      release.resolve();
      await slow;
      const all = await eventIds('test.interleaved');
      expect(all).toHaveLength(6);
      const slowId = Math.min(...all);
      await drain();
      expect(seen.map((e) => e.id).sort((a, b) => a - b)).toEqual([...all].sort((a, b) => a - b));
      expect(new Set(seen.map((e) => e.id)).size).toBe(6);
      expect(seen.find((e) => e.id === slowId)?.payload.who).toBe('slow');
      expect((await effects('test-interleaved')).sort((a, b) => a - b)).toEqual(
        [...all].sort((a, b) => a - b),
      );
    },
  );

  it.skipIf(!onPostgres)(
    'is not held back by a long transaction in another database of the same server',
    async () => {
      const seen = consume('test-elsewhere', ['test.elsewhere']);
      await drain();
      // Another application's (or a report's) write transaction, open in a database of its own.
      const other = await freshDatabase();
      const began = deferred();
      const release = deferred();
      const elsewhere = other.db.transaction(async (tx) => {
        await tx.execute(sql`select pg_current_xact_id()`);
        began.resolve();
        await release.promise;
      });
      try {
        await began.promise;
        await db.transaction((tx) => emit(tx, 'test.elsewhere', { n: 1 }, { at }));
        // Delivered at once, with the other transaction still open (no settled() first).
        await dispatchOutbox(db);
        expect(seen.map((e) => e.payload)).toEqual([{ n: 1 }]);
      } finally {
        release.resolve();
        await elsewhere;
        await other.close();
      }
    },
  );

  it.skipIf(!onPostgres)(
    'keeps delivering exactly once while many writers commit concurrently with the dispatcher',
    async () => {
      const seen = consume('test-stress', ['test.stress']);
      let writing = true;
      const writers = Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; i < 25; i++) {
          await db.transaction(async (tx) => {
            await emit(tx, 'test.stress', { w, i }, { at });
            if (i % 5 === 0) await tx.execute(sql`select pg_sleep(0.02)`);
          });
        }
      });
      const dispatcher = (async () => {
        while (writing) await dispatchOutbox(db, 7);
      })();
      await Promise.all(writers);
      writing = false;
      await dispatcher;
      await drain();
      const all = await eventIds('test.stress');
      expect(all).toHaveLength(200);
      expect(seen).toHaveLength(200);
      expect(seen.map((e) => e.id).sort((a, b) => a - b)).toEqual([...all].sort((a, b) => a - b));
      // Within one writer (one after the other), events arrive in the order they were committed.
      for (let w = 0; w < 8; w++) {
        const mine = seen.filter((e) => e.payload.w === w).map((e) => e.payload.i);
        expect(mine).toEqual(Array.from({ length: 25 }, (_, i) => i));
      }
    },
  );

  it('never delivers an event twice when two dispatchers run at the same time', async () => {
    for (let i = 0; i < 60; i++) {
      await db.transaction((tx) => emit(tx, 'test.concurrent', { i }, { at }));
    }
    const seen = consume('test-concurrent', ['test.concurrent']);
    // Small batches and a slow handler so the two calls overlap on the consumer's position.
    registerConsumer('test-concurrent', ['test.concurrent'], async (tx, event) => {
      await tx.execute(sql`insert into outbox_test_effects values ('test-concurrent', ${event.id})`);
      await new Promise((r) => setTimeout(r, 2));
      seen.push(event);
    });
    const runs = await Promise.all([drain(5), drain(5), drain(5), drain(5)]);
    expect(runs.reduce((a, b) => a + b, 0)).toBe(60);
    const ids = await eventIds('test.concurrent');
    expect(seen.map((e) => e.id)).toEqual(ids);
    expect(await effects('test-concurrent')).toEqual(ids);
  });

  it('stops delivering to an unregistered consumer and resumes where it left off', async () => {
    const seen = consume('test-resume', ['test.resume']);
    await db.transaction((tx) => emit(tx, 'test.resume', { n: 1 }, { at }));
    await drain();
    unregisterConsumer('test-resume');
    await db.transaction((tx) => emit(tx, 'test.resume', { n: 2 }, { at }));
    await drain();
    expect(seen.map((e) => e.payload.n)).toEqual([1]);
    const again = consume('test-resume', ['test.resume']);
    await drain();
    expect(again.map((e) => e.payload.n)).toEqual([2]);
  });
});
