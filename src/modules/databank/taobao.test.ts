// The data bank on real behaviour: a committed slice of Taobao UserBehavior (see fixtures/README.md).
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type TestContext } from '../../../test/helpers';
import { DEFAULT_RULES } from '../governance';
import { factsRows, funnel, rebuildAllFacts, recomputeFacts } from './aipl';
import { type Facts, stageOf } from './aipl-rules';
import { formatSummary } from './cli';
import { dayOf } from './days';
import { type BehaviourEvent, storeEvents } from './events';
import { importUserBehavior, parseUserBehaviorLine } from './import';
import { makeDatabankMarket, SLICE } from './testing';

let ctx: TestContext;
let m: Awaited<ReturnType<typeof makeDatabankMarket>>;
const W = DEFAULT_RULES.market.aipl;
const lines = readFileSync(SLICE, 'utf8').trim().split('\n');
const lastTs = Math.max(...lines.map((l) => Number(l.split(',')[4])));

beforeAll(async () => {
  ctx = await makeTestApp({ sessionDays: 3650 });
  m = await makeDatabankMarket(ctx);
});
afterAll(async () => ctx?.close());

const toFacts = (r: Awaited<ReturnType<typeof factsRows>>[number]): Facts => ({
  exposureDay: r.exposureDay,
  viewDays: r.viewDays,
  activeDay: r.activeDay,
  purchaseDays: r.purchaseDays,
  praiseDay: r.praiseDay,
  spend: r.spend,
});

describe('Taobao UserBehavior slice', () => {
  // The extract ends on 2017-12-03; replayed so its last day is yesterday.
  let shiftDays = 0;
  let today = 0;

  it('imports with a summary, mapping every item onto the catalogue deterministically', async () => {
    today = dayOf(ctx.clock.now());
    shiftDays = today - 1 - dayOf(new Date(lastTs * 1000));
    const progress: number[] = [];
    const s = await importUserBehavior(ctx.db, SLICE, {
      now: ctx.clock.now(),
      shiftDays,
      batchSize: 500,
      unitPrice: () => 9900,
      onProgress: (done, total) => progress.push(done / total),
    });
    expect(s.rows).toBe(lines.length);
    expect(s.stored).toBe(3055);
    expect(s.malformed).toBe(0);
    expect(s.byKind).toEqual({ view: 2786, cart: 151, favourite: 61, purchase: 57 });
    expect(s.consumers).toBe(29);
    expect(s.products).toBe(5);
    expect(progress.at(-1)).toBe(1);
    expect(formatSummary('slice.csv', s)).toContain('stored      3,055');
    // Loading the same file again stores nothing twice.
    const again = await importUserBehavior(ctx.db, SLICE, { now: ctx.clock.now(), shiftDays });
    expect(again).toMatchObject({ stored: 0, duplicates: 3055 });
  });

  it('incremental facts equal a full recompute from the raw events', async () => {
    const incremental = await factsRows(ctx.db);
    expect(incremental.length).toBeGreaterThan(29);
    const rebuilt = await recomputeFacts(ctx.db);
    expect(rebuilt).toBe(incremental.length);
    expect(await factsRows(ctx.db)).toEqual(incremental);
  });

  it('the full rebuild (split over connections, then swapped in) gives the same rows, twice over', async () => {
    const incremental = await factsRows(ctx.db);
    expect(await rebuildAllFacts(ctx.database, 3)).toBe(incremental.length);
    expect(await factsRows(ctx.db)).toEqual(incremental);
    // The swapped-in table is aipl_facts in full: its key still refuses a duplicate, and a second
    // rebuild over it works the same.
    await expect(
      ctx.db.execute(
        sql`insert into aipl_facts (shop_id, scope, consumer_id) select shop_id, scope, consumer_id from aipl_facts limit 1`,
      ),
    ).rejects.toThrow();
    expect(await rebuildAllFacts(ctx.database, 2)).toBe(incremental.length);
    expect(await factsRows(ctx.db)).toEqual(incremental);
    // Split by consumer (as for tens of millions of events): three shares, two at a time.
    expect(await rebuildAllFacts(ctx.database, 2, 3)).toBe(incremental.length);
    expect(await factsRows(ctx.db)).toEqual(incremental);
  });

  it('events stored while a rebuild runs are neither lost nor counted twice', async () => {
    const at = ctx.clock.now();
    const event = (i: number): BehaviourEvent => ({
      id: `during-rebuild-${i}`,
      kind: i % 3 === 0 ? 'purchase' : 'view',
      occurredAt: new Date(at.getTime() - (i % 4) * 86_400_000),
      consumerId: `tb:during${i % 5}`,
      deviceId: null,
      shopId: m.shopB,
      productId: m.products.b1,
      skuId: null,
      brandId: m.brandB.id,
      categoryId: m.cats.headphones.id,
      channel: 'app',
      region: null,
      quantity: i % 3 === 0 ? 1 : null,
      amount: i % 3 === 0 ? 1200 : null,
      rating: null,
      source: 'test',
    });
    await Promise.all([
      rebuildAllFacts(ctx.database, 2),
      ...Array.from({ length: 6 }, (_, b) =>
        ctx.db.transaction((tx) =>
          storeEvents(
            tx,
            Array.from({ length: 5 }, (_, i) => event(b * 5 + i)),
            at,
          ),
        ),
      ),
    ]);
    const after = await factsRows(ctx.db);
    expect(after.filter((r) => r.consumerId.startsWith('tb:during'))).toHaveLength(10);
    await recomputeFacts(ctx.db);
    expect(await factsRows(ctx.db)).toEqual(after);
  });

  it('the funnel in SQL says what stageOf says, consumer by consumer', async () => {
    for (const shopId of [m.shopA, m.shopB]) {
      const rows = await factsRows(ctx.db, shopId);
      const scopes = [...new Set(rows.map((r) => r.scope))];
      for (const scope of scopes) {
        const expected = { awareness: 0, interest: 0, purchase: 0, loyalty: 0 };
        for (const r of rows.filter((x) => x.scope === scope)) {
          const st = stageOf(toFacts(r), today, W);
          if (st !== 'none') expected[st]++;
        }
        expect(await funnel(ctx.db, shopId, scope, today, W), scope).toEqual(expected);
      }
    }
  });

  it('per-stage counts of the slice (brand A at shop A, yesterday’s data seen today)', async () => {
    const counts = await funnel(ctx.db, m.shopA, `brand:${m.brandA.id}`, today, W);
    const total = counts.awareness + counts.interest + counts.purchase + counts.loyalty;
    // Every one of the 29 users viewed something; the hash spreads items over five products.
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThanOrEqual(29);
    // Nine days of history: interest needs views on two days or an active contact; most have both.
    expect(counts.interest + counts.purchase + counts.loyalty).toBeGreaterThan(counts.awareness);
  });

  it('the line parser refuses what is not a row', () => {
    expect(parseUserBehaviorLine('1,2268318,2520377,pv,1511544070')).toMatchObject({ kind: 'view' });
    expect(parseUserBehaviorLine('1,2268318,2520377,like,1511544070')).toBeUndefined();
    expect(parseUserBehaviorLine('1,2268318,2520377,pv')).toBeUndefined();
  });
});
