import { describe, expect, it } from 'vitest';
import type { signUp, TestContext } from '../../../test/helpers';
import { flows as flowsBetween, flowsByConsumer, stageCountsOn } from './aipl';
import { dayLabel, dayOf } from './days';
import { type DatabankMarket, databankSuite } from './testing';

let ctx: TestContext;
let m: DatabankMarket;
let operator: Awaited<ReturnType<typeof signUp>>;

databankSuite((suite) => {
  ({ ctx, m, operator } = suite);
});

let n = 0;
const send = async (
  events: { consumer: string; kind: string; productId?: string; amount?: number; rating?: number }[],
) => {
  const r = await operator.post('/events', {
    events: events.map((e) => ({
      id: `f${++n}`,
      kind: e.kind,
      occurredAt: ctx.clock.now().toISOString(),
      consumerId: e.consumer,
      productId: e.productId ?? m.products.a1,
      ...(e.amount !== undefined ? { amount: e.amount } : {}),
      ...(e.rating !== undefined ? { rating: e.rating } : {}),
    })),
  });
  expect(r.status).toBe(200);
};

describe('snapshots, flows and the campaign report', () => {
  it('flows between two snapshot days add up to the stage totals on each side', async () => {
    const scope = `brand:${m.brandA.id}`;
    // Day 1: three aware, one interested, one buyer.
    await send([
      { consumer: 'c1', kind: 'exposure' },
      { consumer: 'c2', kind: 'exposure' },
      { consumer: 'c3', kind: 'view' },
      { consumer: 'c4', kind: 'cart' },
      { consumer: 'c5', kind: 'purchase', amount: 5000 },
    ]);
    const day1 = dayOf(ctx.clock.now());
    await ctx.advance({ days: 1 }); // the daily run snapshots day 1
    // A campaign: c1 buys, c2 clicks, c5 buys again (loyal), six new consumers see the brand.
    await send([
      { consumer: 'c1', kind: 'purchase', amount: 3000 },
      { consumer: 'c2', kind: 'click' },
      { consumer: 'c5', kind: 'purchase', amount: 2000 },
      ...['n1', 'n2', 'n3', 'n4', 'n5', 'n6'].map((c) => ({ consumer: c, kind: 'exposure' })),
    ]);
    // 17 days later the day-1 awareness has lapsed: c3 is lost unless they came back.
    await ctx.advance({ days: 17 });
    const day2 = dayOf(ctx.clock.now()) - 1;

    const history = await m.ownerA.get(
      `/seller/shops/${m.shopA}/databank/history?scope=${scope}&from=${dayLabel(day1)}&to=${dayLabel(day2)}`,
    );
    expect(history.status).toBe(200);
    expect(history.body.items[0]).toEqual({
      day: dayLabel(day1),
      stages: { awareness: 3, interest: 1, purchase: 1, loyalty: 0 },
      total: 5,
    });

    const r = await m.ownerA.get(
      `/seller/shops/${m.shopA}/databank/flows?scope=${scope}&from=${dayLabel(day1)}&to=${dayLabel(day1 + 1)}`,
    );
    expect(r.status).toBe(200);
    const { before, after, flows } = r.body;
    expect(before).toEqual({ awareness: 3, interest: 1, purchase: 1, loyalty: 0 });
    expect(after).toEqual({ awareness: 7, interest: 2, purchase: 1, loyalty: 1 });
    // The report's totals come from the flows; each day counted on its own says the same.
    expect(await stageCountsOn(ctx.db, m.shopA, scope, day1)).toEqual(before);
    expect(await stageCountsOn(ctx.db, m.shopA, scope, day1 + 1)).toEqual(after);
    const sumFrom = (stage: string) =>
      flows
        .filter((f: { from: string }) => f.from === stage)
        .reduce((s: number, f: { consumers: number }) => s + f.consumers, 0);
    const sumTo = (stage: string) =>
      flows
        .filter((f: { to: string }) => f.to === stage)
        .reduce((s: number, f: { consumers: number }) => s + f.consumers, 0);
    for (const stage of ['awareness', 'interest', 'purchase', 'loyalty']) {
      expect(sumFrom(stage), `from ${stage}`).toBe(before[stage]);
      expect(sumTo(stage), `to ${stage}`).toBe(after[stage]);
    }
    expect(flows).toContainEqual({ from: 'none', to: 'awareness', consumers: 6 });
    expect(flows).toContainEqual({ from: 'awareness', to: 'purchase', consumers: 1 });
    expect(flows).toContainEqual({ from: 'purchase', to: 'loyalty', consumers: 1 });
    expect(r.body.summary).toBe('consumer assets +120% (5 -> 11)');

    // Over the longer span awareness lapsed: those consumers are lost.
    const late = await m.ownerA.get(
      `/seller/shops/${m.shopA}/databank/campaign-report?scope=${scope}&from=${dayLabel(day1 + 1)}&to=${dayLabel(day2)}`,
    );
    expect(late.status).toBe(200);
    expect(late.body.flows).toContainEqual({ from: 'awareness', to: 'none', consumers: 7 });
    expect(late.body.after.awareness).toBe(0);
    expect(await stageCountsOn(ctx.db, m.shopA, scope, day1 + 1)).toEqual(late.body.before);
    expect(await stageCountsOn(ctx.db, m.shopA, scope, day2)).toEqual(late.body.after);

    // Read from the changes in the period and the day's counts, flows equal the walk of every
    // consumer's whole history: over one snapshot day or many, and from before the first.
    for (const [from, to] of [
      [day1, day1 + 1],
      [day1, day2],
      [day1 + 1, day1 + 2],
      [day1 + 1, day2],
      [day1 + 3, day1 + 16],
      [day1 - 5, day1 + 1],
      [day2, day2],
    ] as const) {
      const fast = await flowsBetween(ctx.db, m.shopA, scope, from, to);
      expect(fast, `${from} -> ${to}`).toEqual(await flowsByConsumer(ctx.db, m.shopA, scope, from, to));
      expect(fast.length).toBeGreaterThan(0);
    }
    for (const stage of ['awareness', 'interest', 'purchase', 'loyalty']) {
      const to = late.body.flows
        .filter((f: { to: string }) => f.to === stage)
        .reduce((s: number, f: { consumers: number }) => s + f.consumers, 0);
      expect(to).toBe(late.body.after[stage]);
    }
  });

  it('refuses days that were not snapshotted, and bad dates, naming the field', async () => {
    const future = dayLabel(dayOf(ctx.clock.now()) + 3);
    const r = await m.ownerA.get(
      `/seller/shops/${m.shopA}/databank/flows?scope=brand:${m.brandA.id}&from=2020-01-01&to=${future}`,
    );
    expect(r.status).toBe(422);
    const bad = await m.ownerA.get(
      `/seller/shops/${m.shopA}/databank/flows?scope=brand:x&from=2020-02-30&to=2020-03-01`,
    );
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('/from');
    expect(
      (
        await m.ownerB.get(
          `/seller/shops/${m.shopA}/databank/flows?scope=brand:x&from=2020-01-01&to=2020-01-02`,
        )
      ).status,
    ).toBe(404);
  });
});
