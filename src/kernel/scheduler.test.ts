import { AsyncLocalStorage } from 'node:async_hooks';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, onPostgres } from '../../test/helpers';
import type { Database, Db } from '../db';
import { HOUR, ManualClock } from './clock';
import {
  advanceManualClock,
  cancelDeadline,
  type DeadlineHandler,
  loadManualClock,
  pendingDeadline,
  registerDeadlineHandler,
  scheduleDeadline,
  sweepDeadlines,
  unregisterDeadlineHandler,
} from './scheduler';

let database: Database & { url?: string };
let db: Db;
const T0 = new Date('2026-11-01T02:00:00.000Z');
const plus = (ms: number, from = T0) => new Date(from.getTime() + ms);
const MIN = 60_000;
const kinds: string[] = [];

beforeAll(async () => {
  database = await freshDatabase();
  db = database.db;
  await db.execute(sql.raw('create table dl_effects (deadline_id text not null, worker text not null)'));
});
afterAll(async () => database.close());
afterEach(async () => {
  for (const kind of kinds.splice(0)) unregisterDeadlineHandler(kind);
  for (const table of ['deadlines', 'dl_effects', 'clock_state'])
    await db.execute(sql.raw(`delete from ${table}`));
});

function handle(kind: string, handler: DeadlineHandler): void {
  kinds.push(kind);
  registerDeadlineHandler(kind, handler);
}

async function rows<T>(query: ReturnType<typeof sql>): Promise<T[]> {
  const r = await db.execute(query);
  return (r as unknown as { rows: T[] }).rows;
}

interface DeadlineRow {
  id: string;
  kind: string;
  subject_id: string;
  status: string;
  attempts: number;
  due_at: string | Date;
  done_at: string | Date | null;
  last_error: string | null;
  payload: Record<string, unknown>;
}
const deadlinesOf = (kind: string) =>
  rows<DeadlineRow>(sql`select * from deadlines where kind = ${kind} order by created_at, id`);
const time = (v: string | Date | null) => (v === null ? null : new Date(v).toISOString());
const effectCount = async () =>
  (await rows<{ n: number }>(sql`select count(*)::int as n from dl_effects`))[0]!.n;

const schedule = (kind: string, subjectId: string, dueAt: Date, payload?: Record<string, unknown>) =>
  db.transaction((tx) => scheduleDeadline(tx, { kind, subjectId, dueAt, payload, now: T0 }));

describe('deadlines', () => {
  it('fires only once it is due, once, with its payload and its due time as now', async () => {
    const calls: { id: string; subjectId: string; payload: unknown; now: string; dueAt: string }[] = [];
    handle('test.due', async (tx, d, now) => {
      calls.push({
        id: d.id,
        subjectId: d.subjectId,
        payload: d.payload,
        now: now.toISOString(),
        dueAt: d.dueAt.toISOString(),
      });
      await tx.execute(sql`insert into dl_effects values (${d.id}, 'h')`);
    });
    const clock = new ManualClock(T0);
    await schedule('test.due', 'order_1', plus(HOUR), { orderId: 'order_1' });
    expect(await sweepDeadlines(db, clock)).toBe(0);
    clock.set(plus(HOUR - 1));
    expect(await sweepDeadlines(db, clock)).toBe(0);
    expect(calls).toEqual([]);
    expect((await pendingDeadline(db, 'test.due', 'order_1'))?.dueAt.toISOString()).toBe(
      plus(HOUR).toISOString(),
    );

    clock.set(plus(HOUR));
    expect(await sweepDeadlines(db, clock)).toBe(1);
    expect(calls).toEqual([
      {
        id: expect.stringMatching(/^dl_/),
        subjectId: 'order_1',
        payload: { orderId: 'order_1' },
        now: plus(HOUR).toISOString(),
        dueAt: plus(HOUR).toISOString(),
      },
    ]);
    clock.set(plus(10 * HOUR));
    expect(await sweepDeadlines(db, clock)).toBe(0);
    expect(calls).toHaveLength(1);
    const [row] = await deadlinesOf('test.due');
    expect(row).toMatchObject({ status: 'done', attempts: 0 });
    expect(time(row!.done_at)).toBe(plus(HOUR).toISOString());
    expect(await pendingDeadline(db, 'test.due', 'order_1')).toBeUndefined();
    expect(await effectCount()).toBe(1);
  });

  it('is only scheduled when the scheduling transaction commits', async () => {
    await expect(
      db.transaction(async (tx) => {
        await scheduleDeadline(tx, { kind: 'test.rolledback', subjectId: 's', dueAt: T0, now: T0 });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await deadlinesOf('test.rolledback')).toEqual([]);
  });

  it('keeps one pending row per (kind, subject): scheduling again moves it', async () => {
    const fired: unknown[] = [];
    handle('test.move', async (_tx, d, now) => {
      fired.push({ v: d.payload.v, now: now.toISOString() });
    });
    await schedule('test.move', 'shop_1', plus(HOUR), { v: 1 });
    await schedule('test.move', 'shop_1', plus(3 * HOUR), { v: 2 });
    await schedule('test.move', 'shop_2', plus(2 * HOUR), { v: 'other subject' });
    const first = await deadlinesOf('test.move');
    expect(first.filter((r) => r.subject_id === 'shop_1')).toHaveLength(1);
    expect(first.find((r) => r.subject_id === 'shop_1')).toMatchObject({
      status: 'pending',
      payload: { v: 2 },
    });
    expect(time(first.find((r) => r.subject_id === 'shop_1')!.due_at)).toBe(plus(3 * HOUR).toISOString());

    const clock = new ManualClock(plus(HOUR));
    expect(await sweepDeadlines(db, clock)).toBe(0);
    clock.set(plus(3 * HOUR));
    expect(await sweepDeadlines(db, clock)).toBe(2);
    expect(fired).toEqual([
      { v: 'other subject', now: plus(3 * HOUR).toISOString() },
      { v: 2, now: plus(3 * HOUR).toISOString() },
    ]);

    // Moving it earlier works too, and a done deadline does not block a new one for the subject.
    await schedule('test.move', 'shop_1', plus(8 * HOUR), { v: 3 });
    await schedule('test.move', 'shop_1', plus(5 * HOUR), { v: 4 });
    clock.set(plus(5 * HOUR));
    expect(await sweepDeadlines(db, clock)).toBe(1);
    expect(fired.at(-1)).toEqual({ v: 4, now: plus(5 * HOUR).toISOString() });
    const all = await deadlinesOf('test.move');
    expect(all.filter((r) => r.subject_id === 'shop_1').map((r) => r.status)).toEqual(['done', 'done']);
  });

  it('does not fire a cancelled deadline', async () => {
    let fired = 0;
    handle('test.cancel', async () => {
      fired++;
    });
    await schedule('test.cancel', 'order_9', plus(HOUR));
    await schedule('test.cancel', 'order_10', plus(HOUR));
    await db.transaction((tx) => cancelDeadline(tx, 'test.cancel', 'order_9', plus(MIN)));
    // Cancelling what is not pending is harmless.
    await db.transaction((tx) => cancelDeadline(tx, 'test.cancel', 'order_404', plus(MIN)));
    const clock = new ManualClock(plus(2 * HOUR));
    expect(await sweepDeadlines(db, clock)).toBe(1);
    expect(fired).toBe(1);
    const byStatus = Object.fromEntries((await deadlinesOf('test.cancel')).map((r) => [r.subject_id, r]));
    expect(byStatus.order_9).toMatchObject({ status: 'cancelled' });
    expect(time(byStatus.order_9!.done_at)).toBe(plus(MIN).toISOString());
    expect(byStatus.order_10).toMatchObject({ status: 'done' });
    expect(await pendingDeadline(db, 'test.cancel', 'order_9')).toBeUndefined();
  });

  it('retries a failing handler with backoff, never half-applied, and marks it failed after 8 tries', async () => {
    let calls = 0;
    handle('test.flaky', async (tx, d) => {
      calls++;
      await tx.execute(sql`insert into dl_effects values (${d.id}, 'half')`);
      throw new Error(`boom ${calls}`);
    });
    await schedule('test.flaky', 'order_7', T0);
    const clock = new ManualClock(T0);
    for (let attempt = 1; attempt <= 8; attempt++) {
      expect(await sweepDeadlines(db, clock)).toBe(1);
      expect(calls).toBe(attempt);
      expect(await effectCount()).toBe(0);
      const [row] = await deadlinesOf('test.flaky');
      expect(row).toMatchObject({ attempts: attempt, status: attempt < 8 ? 'pending' : 'failed' });
      expect(row!.last_error).toContain(`boom ${attempt}`);
      if (attempt === 8) break;
      const retryAt = plus(2 ** attempt * 1000, clock.now());
      expect(time(row!.due_at)).toBe(retryAt.toISOString());
      // Not before the backoff has passed.
      clock.set(plus(-1, retryAt));
      expect(await sweepDeadlines(db, clock)).toBe(0);
      expect(calls).toBe(attempt);
      clock.set(retryAt);
    }
    clock.set(plus(30 * 24 * HOUR));
    expect(await sweepDeadlines(db, clock)).toBe(0);
    expect(calls).toBe(8);
    expect(await effectCount()).toBe(0);
    expect(await pendingDeadline(db, 'test.flaky', 'order_7')).toBeUndefined();
  });

  it('applies the effect exactly once when a retry succeeds', async () => {
    let calls = 0;
    handle('test.once', async (tx, d) => {
      calls++;
      await tx.execute(sql`insert into dl_effects values (${d.id}, ${`call${calls}`})`);
      if (calls === 1) throw new Error('transient');
    });
    await schedule('test.once', 's', T0);
    const clock = new ManualClock(T0);
    expect(await sweepDeadlines(db, clock)).toBe(1);
    clock.advance(2000);
    expect(await sweepDeadlines(db, clock)).toBe(1);
    expect(await rows(sql`select worker from dl_effects`)).toEqual([{ worker: 'call2' }]);
    expect((await deadlinesOf('test.once'))[0]).toMatchObject({ status: 'done', attempts: 1 });
    clock.advance(HOUR);
    expect(await sweepDeadlines(db, clock)).toBe(0);
  });

  it('runs a handler that lost a deadlock again at once, without counting an attempt or waiting on the clock', async () => {
    let calls = 0;
    handle('test.deadlocked', async (tx, d) => {
      calls++;
      await tx.execute(sql`insert into dl_effects values (${d.id}, ${`call${calls}`})`);
      // As drizzle wraps the driver's error.
      if (calls === 1)
        throw new Error('Failed query', {
          cause: Object.assign(new Error('deadlock detected'), { code: '40P01' }),
        });
    });
    await schedule('test.deadlocked', 's', T0);
    const clock = new ManualClock(T0);
    expect(await sweepDeadlines(db, clock)).toBe(2);
    expect(calls).toBe(2);
    expect(await rows(sql`select worker from dl_effects`)).toEqual([{ worker: 'call2' }]);
    const [row] = await deadlinesOf('test.deadlocked');
    expect(row).toMatchObject({ status: 'done', attempts: 0 });
    expect(row!.last_error).toContain('Failed query');
    expect(time(row!.due_at)).toBe(T0.toISOString());
  });

  it('retries a deadline whose kind has no handler here instead of dropping it', async () => {
    await schedule('test.unhandled', 's', T0);
    const clock = new ManualClock(T0);
    expect(await sweepDeadlines(db, clock)).toBe(1);
    const [row] = await deadlinesOf('test.unhandled');
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    expect(row!.last_error).toContain('no handler registered for deadline kind test.unhandled');
    // Once the module is loaded, the retry runs it.
    let fired = 0;
    handle('test.unhandled', async () => {
      fired++;
    });
    clock.advance(2000);
    expect(await sweepDeadlines(db, clock)).toBe(1);
    expect(fired).toBe(1);
  });
});

describe('advanceManualClock', () => {
  it('stops at each due deadline in order, so handlers see their due time and chained deadlines run', async () => {
    const seen: string[] = [];
    handle('test.chain.a', async (tx, d, now) => {
      seen.push(`a ${d.subjectId} ${now.toISOString()}`);
      expect(now.getTime()).toBe(d.dueAt.getTime());
      await scheduleDeadline(tx, {
        kind: 'test.chain.b',
        subjectId: d.subjectId,
        dueAt: plus(HOUR, now),
        now,
      });
    });
    handle('test.chain.b', async (_tx, d, now) => {
      seen.push(`b ${d.subjectId} ${now.toISOString()}`);
    });
    handle('test.chain.c', async (_tx, d, now) => {
      seen.push(`c ${d.subjectId} ${now.toISOString()}`);
    });
    await schedule('test.chain.c', 'x', plus(150 * MIN));
    await schedule('test.chain.a', 'x', plus(HOUR));
    await schedule('test.chain.c', 'late', plus(10 * HOUR));
    const clock = new ManualClock(T0);
    const end = await advanceManualClock(db, clock, plus(5 * HOUR));
    expect(end.toISOString()).toBe(plus(5 * HOUR).toISOString());
    expect(clock.now().toISOString()).toBe(plus(5 * HOUR).toISOString());
    expect(seen).toEqual([
      `a x ${plus(HOUR).toISOString()}`,
      `b x ${plus(2 * HOUR).toISOString()}`,
      `c x ${plus(150 * MIN).toISOString()}`,
    ]);
    expect((await pendingDeadline(db, 'test.chain.c', 'late'))?.dueAt.toISOString()).toBe(
      plus(10 * HOUR).toISOString(),
    );
    // The moved time is shared through the database: another process's clock loads it.
    const other = new ManualClock(T0);
    await loadManualClock(db, other);
    expect(other.now().toISOString()).toBe(plus(5 * HOUR).toISOString());
  });

  it('runs a recurring deadline that reschedules itself (same kind and subject) every time it is due', async () => {
    const seen: string[] = [];
    handle('test.recurring', async (tx, d, now) => {
      const n = Number(d.payload.n);
      seen.push(`${n}@${now.toISOString()}`);
      if (n < 4) {
        await scheduleDeadline(tx, {
          kind: 'test.recurring',
          subjectId: d.subjectId,
          dueAt: plus(HOUR, now),
          payload: { n: n + 1 },
          now,
        });
      }
    });
    await schedule('test.recurring', 'shop_1', plus(HOUR), { n: 1 });
    const clock = new ManualClock(T0);
    await advanceManualClock(db, clock, plus(3 * HOUR + 30 * MIN));
    expect(seen).toEqual([1, 2, 3].map((n) => `${n}@${plus(n * HOUR).toISOString()}`));
    const next = await pendingDeadline(db, 'test.recurring', 'shop_1');
    expect(next?.dueAt.toISOString()).toBe(plus(4 * HOUR).toISOString());
    expect(next?.payload).toEqual({ n: 4 });
    await advanceManualClock(db, clock, plus(10 * HOUR));
    expect(seen).toHaveLength(4);
    expect(await pendingDeadline(db, 'test.recurring', 'shop_1')).toBeUndefined();
    expect((await deadlinesOf('test.recurring')).map((r) => r.status)).toEqual([
      'done',
      'done',
      'done',
      'done',
    ]);
  });

  it('runs an overdue deadline at the current time without moving the clock back', async () => {
    const seen: string[] = [];
    handle('test.overdue', async (_tx, _d, now) => {
      seen.push(now.toISOString());
    });
    await schedule('test.overdue', 's', plus(-HOUR));
    const clock = new ManualClock(T0);
    await advanceManualClock(db, clock, plus(MIN));
    expect(seen).toEqual([T0.toISOString()]);
    expect(clock.now().toISOString()).toBe(plus(MIN).toISOString());
  });

  it('keeps retrying a failing deadline on its backoff while the clock moves past it', async () => {
    const at: number[] = [];
    handle('test.backoff', async (_tx, _d, now) => {
      at.push((now.getTime() - T0.getTime()) / 1000);
      throw new Error('down');
    });
    await schedule('test.backoff', 's', T0);
    const clock = new ManualClock(T0);
    await advanceManualClock(db, clock, plus(HOUR));
    // Due at 0, then 2, 4, 8, ... seconds after each failure: 0, 2, 6, 14, 30, 62, 126, 254.
    expect(at).toEqual([0, 2, 6, 14, 30, 62, 126, 254]);
    expect((await deadlinesOf('test.backoff'))[0]).toMatchObject({ status: 'failed', attempts: 8 });
  });
});

describe('exactly once with concurrent sweepers', () => {
  const KIND = 'test.bulk';
  const N = 500;
  const due = plus(-MIN);

  async function insertDue(): Promise<void> {
    await db.execute(sql`
      insert into deadlines (id, kind, subject_id, due_at, payload, created_at)
      select 'dl_bulk_' || lpad(g::text, 4, '0'), ${KIND}, 'subject_' || g, ${due.toISOString()}::timestamptz,
             '{}'::jsonb, ${T0.toISOString()}::timestamptz
      from generate_series(1, ${N}) g`);
  }

  async function expectAllDoneOnce(): Promise<Record<string, number>> {
    const [totals] = await rows<{ effects: number; distinct_ids: number }>(
      sql`select count(*)::int as effects, count(distinct deadline_id)::int as distinct_ids from dl_effects`,
    );
    expect(totals).toEqual({ effects: N, distinct_ids: N });
    const statuses = await rows<{ status: string; n: number }>(
      sql`select status, count(*)::int as n from deadlines where kind = ${KIND} group by status`,
    );
    expect(statuses).toEqual([{ status: 'done', n: N }]);
    const split = await rows<{ worker: string; n: number }>(
      sql`select worker, count(*)::int as n from dl_effects group by worker order by worker`,
    );
    return Object.fromEntries(split.map((s) => [s.worker, s.n]));
  }

  it('two sweepers in one process over one database handle each deadline once', async () => {
    await insertDue();
    const sweeper = new AsyncLocalStorage<string>();
    handle(KIND, async (tx, d) => {
      await tx.execute(sql`insert into dl_effects values (${d.id}, ${sweeper.getStore() ?? '?'})`);
    });
    const clock = new ManualClock(T0);
    const loop = (name: string) =>
      sweeper.run(name, async () => {
        let handled = 0;
        for (;;) {
          const n = await sweepDeadlines(db, clock, 10);
          handled += n;
          if (n === 0) return handled;
        }
      });
    const [a, b] = await Promise.all([loop('A'), loop('B')]);
    expect(a + b).toBe(N);
    const split = await expectAllDoneOnce();
    expect(split).toEqual(Object.fromEntries(Object.entries({ A: a, B: b }).filter(([, n]) => n > 0)));
    console.log(`in-process sweepers on ${database.kind}: A handled ${a}, B handled ${b}`);
  });

  it.skipIf(!onPostgres)(
    'two sweepers whose batches deadlock on shared rows still handle each deadline once, at the same clock time',
    async () => {
      await db.execute(
        sql.raw(
          `create table if not exists dl_locks (name text primary key); insert into dl_locks values ('a'), ('b') on conflict do nothing`,
        ),
      );
      // Sweeper A's batch is d1 (locks a) then d2 (locks b); B's is d3 (locks b) then d4 (locks a).
      // Each batch's first handler waits until both hold their first row: a lock cycle, every time.
      const order = { d1: 'a', d2: 'b', d3: 'b', d4: 'a' } as const;
      for (const [subject, lock] of Object.entries(order)) {
        await db.execute(sql`
        insert into deadlines (id, kind, subject_id, due_at, payload, created_at)
        values (${`dl_cycle_${subject}`}, 'test.cycle', ${subject}, ${plus(-MIN).toISOString()}::timestamptz,
                ${JSON.stringify({ lock })}::jsonb, ${T0.toISOString()}::timestamptz)`);
      }
      let aHolds!: () => void;
      let bHolds!: () => void;
      const aHolding = new Promise<void>((r) => (aHolds = r));
      const bHolding = new Promise<void>((r) => (bHolds = r));
      const sweeper = new AsyncLocalStorage<string>();
      handle('test.cycle', async (tx, d) => {
        await tx.execute(sql`select name from dl_locks where name = ${d.payload.lock as string} for update`);
        if (d.subjectId === 'd1') {
          aHolds();
          await bHolding;
        } else if (d.subjectId === 'd3') {
          bHolds();
          await aHolding;
        }
        await tx.execute(sql`insert into dl_effects values (${d.id}, ${sweeper.getStore() ?? '?'})`);
      });
      const clock = new ManualClock(T0);
      const drain = (name: string) =>
        sweeper.run(name, async () => {
          while ((await sweepDeadlines(db, clock, 2)) > 0);
        });
      const a = drain('A');
      await aHolding;
      await Promise.all([a, drain('B')]);
      const effects = await rows<{ deadline_id: string; n: number }>(
        sql`select deadline_id, count(*)::int as n from dl_effects group by deadline_id order by deadline_id`,
      );
      expect(effects).toEqual(Object.keys(order).map((s) => ({ deadline_id: `dl_cycle_${s}`, n: 1 })));
      const done = await deadlinesOf('test.cycle');
      expect(done.map((r) => [r.status, r.attempts])).toEqual(Object.keys(order).map(() => ['done', 0]));
      // One of the two lost the cycle, and went round again without moving a due time.
      expect(done.filter((r) => r.last_error?.includes('deadlock'))).toHaveLength(1);
      expect(done.every((r) => time(r.due_at) === plus(-MIN).toISOString())).toBe(true);
      expect(clock.now()).toEqual(T0);
    },
  );

  it.skipIf(!onPostgres)('two worker processes handle each of 500 deadlines exactly once', async () => {
    await insertDue();
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const spawnWorker = () =>
      spawn(
        process.execPath,
        ['--import', 'tsx', 'test/fixtures/scheduler-worker.ts', database.url!, KIND, T0.toISOString(), '2'],
        { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] },
      );
    const workers = [spawnWorker(), spawnWorker()];
    const watch = (child: ChildProcessWithoutNullStreams) => {
      const lines: string[] = [];
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += String(d);
      });
      const rl = createInterface({ input: child.stdout });
      const ready = new Promise<void>((resolve, reject) => {
        rl.on('line', (line) => {
          lines.push(line);
          if (line === 'ready') resolve();
        });
        child.on('exit', (code) => reject(new Error(`worker exited early (${code}): ${stderr}`)));
      });
      const exited = new Promise<{ code: number | null; lines: string[]; stderr: string }>((resolve) =>
        child.on('close', (code) => resolve({ code, lines, stderr })),
      );
      return { ready, exited };
    };
    const watched = workers.map(watch);
    await Promise.all(watched.map((w) => w.ready));
    for (const w of workers) w.stdin.write('go\n');
    const results = await Promise.all(watched.map((w) => w.exited));
    const reports = results.map((r) => {
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.lines.at(-1) ?? '{}') as { pid: number; handled: number };
    });
    const split = await expectAllDoneOnce();
    expect(Object.keys(split).sort()).toEqual(reports.map((r) => String(r.pid)).sort());
    for (const r of reports) {
      expect(split[String(r.pid)]).toBe(r.handled);
      expect(r.handled).toBeGreaterThan(0);
    }
    expect(reports.reduce((a, r) => a + r.handled, 0)).toBe(N);
    console.log(
      `worker processes on PostgreSQL: ${reports.map((r) => `pid ${r.pid} handled ${r.handled}`).join(', ')}`,
    );
  });
});
