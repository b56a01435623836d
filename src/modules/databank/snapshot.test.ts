import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { signUp, TestContext } from '../../../test/helpers';
import { DEFAULT_RULES } from '../governance';
import {
  funnel,
  queueSnapshot,
  scopesOfShop,
  snapshotTaken,
  stageCountsOn,
  takeSnapshot,
  takeSnapshotPart,
} from './aipl';
import { dayLabel, dayOf } from './days';
import { SNAPSHOT_PART } from './jobs';
import { type DatabankMarket, databankSuite } from './testing';

// The daily snapshot is taken a few shops per transaction, so that a large market's snapshot never
// becomes one transaction of minutes that holds back the outbox and the other deadlines.

let ctx: TestContext;
let m: DatabankMarket;
let operator: Awaited<ReturnType<typeof signUp>>;
const windows = DEFAULT_RULES.market.aipl;
const windowsOf = async () => windows;
const rowsOf = <T>(r: unknown): T[] => (r as { rows: T[] }).rows;

databankSuite((suite) => {
  ({ ctx, m, operator } = suite);
});

let n = 0;
const send = async (events: { consumer: string; kind: string; productId: string; amount?: number }[]) => {
  const r = await operator.post('/events', {
    events: events.map((e) => ({
      id: `s${++n}`,
      kind: e.kind,
      occurredAt: ctx.clock.now().toISOString(),
      consumerId: e.consumer,
      productId: e.productId,
      ...(e.amount !== undefined ? { amount: e.amount } : {}),
    })),
  });
  expect(r.status).toBe(200);
};

const queued = async (day: number) =>
  rowsOf<{ shop_id: string }>(
    await ctx.db.execute(sql`select shop_id from aipl_snapshot_queue where day = ${day} order by shop_id`),
  ).map((r) => r.shop_id);

/** Each scope's counts as the snapshot stored them for `day`, and as the facts and the change rows say. */
async function storedAndExpected(shopId: string, day: number) {
  const stored = rowsOf<{
    scope: string;
    awareness: number;
    interest: number;
    purchase: number;
    loyalty: number;
  }>(
    await ctx.db.execute(
      sql`select scope, awareness, interest, purchase, loyalty from aipl_daily where shop_id = ${shopId} and day = ${day} order by scope`,
    ),
  );
  const expected = [];
  for (const scope of await scopesOfShop(ctx.db, shopId)) {
    const counts = await funnel(ctx.db, shopId, scope, day, windows);
    expect(await stageCountsOn(ctx.db, shopId, scope, day), scope).toEqual(counts);
    expected.push({ scope, ...counts });
  }
  return { stored, expected };
}

describe('the daily snapshot, a part per transaction', () => {
  it('takes a day shop by shop and marks it complete with its last shop, once', async () => {
    await send([
      { consumer: 'c1', kind: 'exposure', productId: m.products.a1 },
      { consumer: 'c2', kind: 'purchase', productId: m.products.a1, amount: 5000 },
      { consumer: 'c3', kind: 'cart', productId: m.products.b1 },
      { consumer: 'c1', kind: 'view', productId: m.products.b2 },
    ]);
    const day = dayOf(ctx.clock.now());
    expect(await queueSnapshot(ctx.db, day, ctx.clock.now())).toBe(2);
    // Queueing again queues nothing twice.
    expect(await queueSnapshot(ctx.db, day, ctx.clock.now())).toBe(0);
    const shops = [m.shopA, m.shopB].sort();
    expect(await queued(day)).toEqual(shops);

    // A budget of one facts row: each part takes one shop.
    const first = await ctx.db.transaction((tx) => takeSnapshotPart(tx, windowsOf, ctx.clock.now(), 1));
    expect(first).toMatchObject({ day, more: true });
    expect(first.scopes).toBeGreaterThan(0);
    expect(await queued(day)).toEqual(shops.slice(1));
    // Half a day is not a snapshot: flows to it are refused until its last shop is in.
    expect(await snapshotTaken(ctx.db, day)).toBe(false);
    const refused = await m.ownerA.get(
      `/seller/shops/${m.shopA}/databank/flows?scope=brand:${m.brandA.id}&from=${dayLabel(day)}&to=${dayLabel(day)}`,
    );
    expect(refused.status).toBe(422);

    const second = await ctx.db.transaction((tx) => takeSnapshotPart(tx, windowsOf, ctx.clock.now(), 1));
    expect(second).toMatchObject({ day, more: false });
    expect(await queued(day)).toEqual([]);
    expect(await snapshotTaken(ctx.db, day)).toBe(true);
    const answered = await m.ownerA.get(
      `/seller/shops/${m.shopA}/databank/flows?scope=brand:${m.brandA.id}&from=${dayLabel(day)}&to=${dayLabel(day)}`,
    );
    expect(answered.status).toBe(200);

    for (const shopId of shops) {
      const { stored, expected } = await storedAndExpected(shopId, day);
      expect(stored, shopId).toEqual(expected);
    }

    // A complete day is not queued again, and taking it again writes nothing.
    const changes = rowsOf<{ n: number }>(
      await ctx.db.execute(sql`select count(*)::int as n from aipl_stage_changes where day = ${day}`),
    )[0]?.n;
    // Each consumer's brand and category in each shop (b2 has no brand): 2 + 2 + 2 + 1.
    expect(changes).toBe(7);
    expect(await queueSnapshot(ctx.db, day, ctx.clock.now())).toBe(0);
    expect(await ctx.db.transaction((tx) => takeSnapshot(tx, day, windowsOf, ctx.clock.now()))).toEqual({
      scopes: 0,
      changes: 0,
    });
  });

  it('takes queued days in order, each measured against the day before', async () => {
    await ctx.advance({ days: 1 });
    const d1 = dayOf(ctx.clock.now());
    await send([{ consumer: 'c4', kind: 'exposure', productId: m.products.a2 }]);
    await ctx.advance({ days: 20 });
    const d2 = dayOf(ctx.clock.now());
    // The daily runs of those days took their snapshots; take two later days by hand, the later
    // queued first. c4's awareness has lapsed by d2 + 1.
    await queueSnapshot(ctx.db, d2 + 2, ctx.clock.now());
    await queueSnapshot(ctx.db, d2 + 1, ctx.clock.now());
    // A part of one facts row takes one shop: the first day's shops come first.
    const parts: { day: number | null; more: boolean }[] = [];
    for (let more = true; more; ) {
      const part = await ctx.db.transaction((tx) => takeSnapshotPart(tx, windowsOf, ctx.clock.now(), 1));
      parts.push({ day: part.day, more: part.more });
      more = part.more;
    }
    expect(parts.map((x) => x.day)).toEqual([d2 + 1, d2 + 1, d2 + 2, d2 + 2]);
    expect(parts.at(-1)?.more).toBe(false);
    // Each day has its rows once: c4 was aware on d1 and lost on one day only.
    const c4 = rowsOf<{ day: number; stage: string; from_stage: string }>(
      await ctx.db.execute(
        sql`select day, stage, from_stage from aipl_stage_changes where consumer_id = 'c4' and scope = ${`category:${m.cats.shirts.id}`} order by day`,
      ),
    );
    expect(c4.map((r) => r.day)).toEqual([d1, c4[1]?.day]);
    expect(c4[0]).toMatchObject({ stage: 'awareness', from_stage: 'none' });
    expect(c4[1]).toMatchObject({ stage: 'none', from_stage: 'awareness' });
    expect(c4[1]!.day).toBeLessThanOrEqual(d2 + 1);
    expect(await snapshotTaken(ctx.db, d2 + 1)).toBe(true);
    expect(await snapshotTaken(ctx.db, d2 + 2)).toBe(true);
  });

  it('the daily run queues yesterday and the sweep takes it in parts of their own', async () => {
    await send([{ consumer: 'c5', kind: 'click', productId: m.products.b1 }]);
    const day = dayOf(ctx.clock.now());
    await ctx.advance({ days: 1 });
    expect(await snapshotTaken(ctx.db, day)).toBe(true);
    expect(await queued(day)).toEqual([]);
    const parts = rowsOf<{ status: string }>(
      await ctx.db.execute(
        sql`select status from deadlines where kind = ${SNAPSHOT_PART} and status <> 'done' order by created_at`,
      ),
    );
    expect(parts).toEqual([]);
    const stored = await storedAndExpected(m.shopB, day);
    expect(stored.stored).toEqual(stored.expected);
  });
  it('holds back a shop whose snapshot fails, takes the others, and retries it until it goes in', async () => {
    // Past the days the test above took by hand.
    await ctx.advance({ days: 3 });
    await send([
      { consumer: 'c6', kind: 'click', productId: m.products.a1 },
      { consumer: 'c6', kind: 'click', productId: m.products.b1 },
    ]);
    const day = dayOf(ctx.clock.now());
    expect(await snapshotTaken(ctx.db, day)).toBe(false);
    // Shop A's daily counts cannot be written: a broken shop, as far as the snapshot can tell.
    await ctx.db.execute(
      sql.raw(`create function refuse_shop_a() returns trigger language plpgsql as $$
        begin if new.shop_id = '${m.shopA}' then raise exception 'shop A is broken'; end if; return new; end $$`),
    );
    await ctx.db.execute(
      sql.raw(
        'create trigger refuse_shop_a before insert on aipl_daily for each row execute function refuse_shop_a()',
      ),
    );
    const held = async () =>
      rowsOf<{ day: number; shop_id: string; attempts: number; last_error: string | null }>(
        await ctx.db.execute(
          sql`select day, shop_id, attempts, last_error from aipl_snapshot_queue order by day, shop_id`,
        ),
      );
    const pendingParts = async () =>
      rowsOf<{ due_at: string }>(
        await ctx.db.execute(
          sql`select due_at from deadlines where kind = ${SNAPSHOT_PART} and status = 'pending'`,
        ),
      );
    try {
      // The daily run queues the day; the sweep takes shop B and keeps retrying shop A.
      await ctx.advance({ days: 1 });
      const first = await held();
      expect(first.map((r) => [r.day, r.shop_id])).toEqual([[day, m.shopA]]);
      expect(first[0]!.attempts).toBeGreaterThan(1);
      expect(first[0]!.last_error).toContain('shop A is broken');
      expect(await snapshotTaken(ctx.db, day)).toBe(false);
      const b = await storedAndExpected(m.shopB, day);
      expect(b.stored.length).toBeGreaterThan(0);
      expect(b.stored).toEqual(b.expected);
      // Nothing of shop A was half written, and its retry is scheduled.
      expect(
        rowsOf<{ n: number }>(
          await ctx.db.execute(
            sql`select count(*)::int as n from aipl_stage_changes where shop_id = ${m.shopA} and day = ${day}`,
          ),
        )[0]?.n,
      ).toBe(0);
      expect(await pendingParts()).toHaveLength(1);

      // The next day: shop B's next day goes in; shop A's waits behind the day it is held at.
      await ctx.advance({ days: 1 });
      expect((await held()).map((r) => [r.day, r.shop_id])).toEqual([
        [day, m.shopA],
        [day + 1, m.shopA],
      ]);
      expect(
        rowsOf<{ n: number }>(
          await ctx.db.execute(
            sql`select count(*)::int as n from aipl_daily where shop_id = ${m.shopB} and day = ${day + 1}`,
          ),
        )[0]?.n,
      ).toBeGreaterThan(0);
    } finally {
      await ctx.db.execute(sql`drop trigger if exists refuse_shop_a on aipl_daily`);
      await ctx.db.execute(sql`drop function if exists refuse_shop_a()`);
    }
    // Mended: the next retry (at most an hour away) takes shop A's days in order, and both are complete.
    await ctx.advance({ hours: 1, minutes: 1 });
    expect(await held()).toEqual([]);
    expect(await pendingParts()).toEqual([]);
    expect(await snapshotTaken(ctx.db, day)).toBe(true);
    expect(await snapshotTaken(ctx.db, day + 1)).toBe(true);
    const a = await storedAndExpected(m.shopA, day);
    expect(a.stored.length).toBeGreaterThan(0);
    expect(a.stored).toEqual(a.expected);
  });
});
