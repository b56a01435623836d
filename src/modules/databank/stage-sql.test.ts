// The SQL must say what the rules in aipl-rules.ts say: stageSql (many rows at once, from the stored
// deciding days or, for a past day, the arrays) what stageOf says, for any facts and any day under
// several rule sets; and the recompute from raw events what the incremental merge makes of them,
// for every kind of behaviour.
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../../../test/helpers';
import type { Database } from '../../db';
import { DEFAULT_RULES } from '../governance';
import { factsRows, rebuildAllFacts, recomputeFacts, stageSql } from './aipl';
import { type AiplWindows, EVENT_KINDS, type Facts, stageOf } from './aipl-rules';
import { type BehaviourEvent, storeEvents } from './events';

let database: Database;
beforeAll(async () => {
  database = await freshDatabase();
});
afterAll(async () => database?.close());

const T = 20_000;
const day = fc.integer({ min: T - 40, max: T + 5 });
const days = (max: number) =>
  fc.uniqueArray(day, { maxLength: max }).map((ds) => [...ds].sort((a, b) => b - a));
const facts: fc.Arbitrary<Facts> = fc.record({
  exposureDay: fc.option(day),
  viewDays: days(2),
  activeDay: fc.option(day),
  purchaseDays: days(4),
  praiseDay: fc.option(day),
  spend: fc.constant(0),
});
const W = DEFAULT_RULES.market.aipl;
const rules: AiplWindows[] = [
  W,
  { awarenessDays: 3, interestDays: 5, purchaseDays: 20, loyaltyDays: 10, loyaltyMinPurchaseDays: 2 },
  { awarenessDays: 7, interestDays: 2, purchaseDays: 30, loyaltyDays: 25, loyaltyMinPurchaseDays: 3 },
  { ...W, loyaltyMinPurchaseDays: 1 },
];
const ints = (ds: number[]) => `{${ds.join(',')}}`;

describe('stageSql', () => {
  it('agrees with stageOf row by row, on days before, between and after the facts', async () => {
    const rows = fc.sample(facts, { numRuns: 400, seed: 20261123 });
    const db = database.db;
    await db.execute(sql`delete from aipl_facts where shop_id = 'stage-sql'`);
    for (const [i, f] of rows.entries()) {
      await db.execute(sql`
        insert into aipl_facts (shop_id, scope, consumer_id, exposure_day, view_days, active_day, purchase_days, praise_day,
          last_day, aware_day, interest_day, purchase_day, loyal_day)
        select 'stage-sql', 'brand:x', ${`c${i}`}, e, v, a, p, pr,
          greatest(e, v[1], a, p[1], pr), greatest(e, v[1]), greatest(a, v[2]), p[1], greatest(pr, p[2])
        from (select ${f.exposureDay}::integer as e, ${ints(f.viewDays)}::integer[] as v, ${f.activeDay}::integer as a,
          ${ints(f.purchaseDays)}::integer[] as p, ${f.praiseDay}::integer as pr) x`);
    }
    for (const w of rules) {
      for (const today of [T - 45, T - 20, T - 3, T, T + 5, T + 12, T + 30]) {
        const got = (
          (await db.execute(sql`
            select consumer_id as c, ${stageSql(today, w)} as st from aipl_facts
            where shop_id = 'stage-sql'`)) as unknown as { rows: { c: string; st: string }[] }
        ).rows;
        const byConsumer = new Map(got.map((r) => [r.c, r.st]));
        rows.forEach((f, i) => {
          expect(byConsumer.get(`c${i}`), `${JSON.stringify(f)} on ${today} under ${JSON.stringify(w)}`).toBe(
            stageOf(f, today, w),
          );
        });
      }
    }
  });
});

describe('recompute from the raw events', () => {
  it('equals the incremental facts for every kind of behaviour, in brand and category scopes', async () => {
    const db = database.db;
    const now = new Date('2026-11-20T04:00:00Z');
    const event = fc.record({
      kind: fc.constantFrom(...EVENT_KINDS),
      consumer: fc.integer({ min: 1, max: 12 }),
      shop: fc.integer({ min: 1, max: 2 }),
      brand: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }),
      category: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }),
      // Mostly within weeks, some within months: the rebuild reads the second view day off a bitmap
      // of 64 days, and off the gathered days when the views span more.
      daysAgo: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 200 })),
      rating: fc.option(fc.constantFrom(-1, 0, 1), { nil: null }),
    });
    const sample = fc.sample(event, { numRuns: 600, seed: 11 });
    const events: BehaviourEvent[] = sample.map((e, i) => ({
      id: `kinds-${i}`,
      kind: e.kind,
      occurredAt: new Date(now.getTime() - e.daysAgo * 86_400_000 - (i % 7) * 3_600_000),
      consumerId: `k${e.consumer}`,
      deviceId: null,
      shopId: `kinds-shop${e.shop}`,
      productId: null,
      skuId: null,
      brandId: e.brand === null ? null : `b${e.brand}`,
      categoryId: e.category === null ? null : `c${e.category}`,
      channel: 'app',
      region: null,
      quantity: e.kind === 'purchase' ? 1 : null,
      amount: e.kind === 'purchase' ? 100 + i : null,
      rating: e.kind === 'review' ? e.rating : null,
      source: 'test',
    }));
    for (let i = 0; i < events.length; i += 50) {
      await db.transaction((tx) => storeEvents(tx, events.slice(i, i + 50), now));
    }
    const mine = async () => (await factsRows(db)).filter((r) => r.shopId.startsWith('kinds-'));
    const incremental = await mine();
    expect(new Set(incremental.map((r) => r.scope.split(':')[0]))).toEqual(new Set(['brand', 'category']));
    const spans = incremental
      .filter((r) => r.viewDays.length === 2)
      .map((r) => r.viewDays[0]! - r.viewDays[1]!);
    expect(spans.some((d) => d < 64) && spans.some((d) => d >= 64)).toBe(true);
    // Purchase days too come off a bitmap when they span fewer than 64 days, else off the events.
    const purchaseSpans = incremental
      .filter((r) => r.purchaseDays.length >= 2)
      .map((r) => r.purchaseDays[0]! - r.purchaseDays.at(-1)!);
    expect(purchaseSpans.some((d) => d < 64) && purchaseSpans.some((d) => d >= 64)).toBe(true);
    expect(incremental.some((r) => r.purchaseDays.length >= 3)).toBe(true);
    expectDecidingDays(incremental);
    await recomputeFacts(db);
    expect(await mine()).toEqual(incremental);
    await rebuildAllFacts(database, 2, 3);
    expect(await mine()).toEqual(incremental);
  });
});

type FactsRow = Awaited<ReturnType<typeof factsRows>>[number];
const greatest = (...xs: (number | null | undefined)[]) => {
  const known = xs.filter((x): x is number => x !== null && x !== undefined);
  return known.length === 0 ? null : Math.max(...known);
};
/** The deciding days are plain columns: each writer must store what their definitions in schema.ts say. */
function expectDecidingDays(rows: FactsRow[]) {
  expect(rows.length).toBeGreaterThan(0);
  for (const r of rows) {
    const [v1, v2] = r.viewDays;
    const [p1, p2] = r.purchaseDays;
    expect(
      {
        lastDay: r.lastDay,
        awareDay: r.awareDay,
        interestDay: r.interestDay,
        purchaseDay: r.purchaseDay,
        loyalDay: r.loyalDay,
      },
      JSON.stringify(r),
    ).toEqual({
      lastDay: greatest(r.exposureDay, v1, r.activeDay, p1, r.praiseDay),
      awareDay: greatest(r.exposureDay, v1),
      interestDay: greatest(r.activeDay, v2),
      purchaseDay: p1 ?? null,
      loyalDay: greatest(r.praiseDay, p2),
    });
  }
}
