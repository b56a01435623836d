import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { DEFAULT_RULES } from '../governance';
import { makeSeller, type Seller } from '../trade/testing';
import { ANNUAL_RESET, carryOver, fakeTradePoints, penaltyYear, penaltyYearEnd } from './penalties';
import { addPoints, advanceTo, deadlinesFor, eventsFor } from './testing';

describe('the penalty year', () => {
  it('ends on Dec 31 at 24:00 in Shanghai (16:00 UTC)', () => {
    expect(penaltyYearEnd(2026).toISOString()).toBe('2026-12-31T16:00:00.000Z');
    expect(penaltyYear(new Date('2026-12-31T15:59:59.999Z'))).toBe(2026);
    expect(penaltyYear(new Date('2026-12-31T16:00:00.000Z'))).toBe(2027);
  });

  it('carries over what the rules say', () => {
    const reset = DEFAULT_RULES.market.penalty.annualReset;
    const c = (general: number, serious: number, counterfeit: number) =>
      carryOver({ general, serious, counterfeit }, reset);
    expect(c(30, 47, 23)).toEqual({ general: 0, serious: 0, counterfeit: 0 });
    expect(c(0, 48, 24)).toEqual({ general: 0, serious: 48, counterfeit: 24 });
    expect(c(0, 0, 47)).toEqual({ general: 0, serious: 0, counterfeit: 24 });
    expect(c(0, 0, 48)).toEqual({ general: 0, serious: 0, counterfeit: 48 });
  });
});

describe('fake-trade points', () => {
  const rules = DEFAULT_RULES.market.penalty.fakeTrade;
  it.each([
    [1, 95, false, 0],
    [1, 96, false, 12],
    [2, 95, false, 0],
    [2, 200, false, 12],
    [3, 95, false, 12],
    [3, 96, false, 48],
    [4, 1, false, 48],
    [9, 500, false, 48],
    [1, 5, true, 24],
    [4, 500, true, 24],
  ])('offence %i with %i fake orders (late: %s) costs %i', (offence, fakeOrders, lateDetected, points) => {
    expect(fakeTradePoints(rules, { offence, fakeOrders, lateDetected })).toBe(points);
  });
});

describe('with the app', () => {
  let ctx: TestContext;
  let operator: Client;

  beforeAll(async () => {
    ctx = await makeTestApp({ sessionDays: 3650 });
    operator = await signUp(ctx, { operator: true });
  });
  afterAll(async () => ctx.close());

  const stateOf = async (s: Seller) => (await s.owner.get(`/seller/shops/${s.shopId}/penalties`)).body;

  it('counts brushing offences within the year and scores them by the schedule', async () => {
    const s = await makeSeller(ctx, 'market');
    const url = `/admin/shops/${s.shopId}/fake-trades`;
    const find = async (fakeOrders: number, lateDetected?: boolean) => {
      const r = await operator.post(url, { fakeOrders, lateDetected, note: `${fakeOrders} fake orders` });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body;
    };
    expect(await find(100)).toMatchObject({ offence: 1, points: 12, totals: { serious: 12 } });
    const second = await find(10);
    expect(second).toMatchObject({ offence: 2, points: 0, totals: { serious: 12 } });
    expect(second.penalty).toMatchObject({ ladder: 'serious', node: 12 });
    expect(await find(10)).toMatchObject({ offence: 3, points: 12, totals: { serious: 24 } });
    const fourth = await find(1);
    expect(fourth).toMatchObject({ offence: 4, points: 48, totals: { serious: 72 } });
    expect(fourth.penalty).toMatchObject({ action: 'seal_account', until: null });

    const records = (await stateOf(s)).records.items;
    expect(records.map((r: { offence: number }) => r.offence)).toEqual([4, 3, 2, 1]);
    expect(records[3]).toMatchObject({
      reason: 'fake_trade',
      fakeOrders: 100,
      lateDetected: false,
      points: 12,
    });

    // Found months after the fact: the fixed 24, which crosses 12 and 24 at once: 14 days only.
    const late = await makeSeller(ctx, 'market');
    const r = await operator.post(`/admin/shops/${late.shopId}/fake-trades`, {
      fakeOrders: 3,
      lateDetected: true,
      note: 'found in an audit',
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ offence: 1, points: 24, penalty: { action: 'restrict', node: 24 } });
  });

  it('resets on Dec 31 at 24:00 Shanghai time, exactly once, carrying counterfeit 24..47 as 24', async () => {
    const a = await makeSeller(ctx, 'market');
    const b = await makeSeller(ctx, 'mall');
    const c = await makeSeller(ctx, 'market');
    await addPoints(operator, a.shopId, 'general', 5);
    await addPoints(operator, a.shopId, 'serious', 10);
    await addPoints(operator, a.shopId, 'counterfeit', 30, 'counterfeit'); // 40 on the serious ladder: closed 21 d
    await addPoints(operator, b.shopId, 'counterfeit', 50, 'counterfeit'); // sealed
    await addPoints(operator, c.shopId, 'counterfeit', 20, 'counterfeit');
    expect((await a.owner.get(`/seller/shops/${a.shopId}`)).body.penaltyPoints).toBe(45);

    const end = penaltyYearEnd(2026);
    await advanceTo(ctx, new Date(end.getTime() - 60_000));
    expect((await stateOf(a)).totals).toEqual({ general: 5, serious: 10, counterfeit: 30, total: 45 });
    expect((await stateOf(a)).year).toBe(2026);

    await ctx.advance({ minutes: 1 });
    const sa = await stateOf(a);
    expect(sa.year).toBe(2027);
    expect(sa.totals).toEqual({ general: 0, serious: 0, counterfeit: 24, total: 24 });
    expect((await stateOf(b)).totals).toEqual({ general: 0, serious: 0, counterfeit: 50, total: 50 });
    expect((await stateOf(b)).penalty).toMatchObject({ action: 'seal_account' });
    expect((await stateOf(c)).totals.total).toBe(0);
    expect((await a.owner.get(`/seller/shops/${a.shopId}`)).body.penaltyPoints).toBe(24);
    expect((await c.owner.get(`/seller/shops/${c.shopId}`)).body.penaltyPoints).toBe(0);
    // Last year's records are still there.
    expect(sa.records.items).toHaveLength(3);

    const resets = await deadlinesFor(ctx, ANNUAL_RESET, a.shopId);
    expect(resets.map((d) => [d.status, d.dueAt.toISOString()])).toEqual([
      ['done', end.toISOString()],
      ['pending', penaltyYearEnd(2027).toISOString()],
    ]);
    expect((await deadlinesFor(ctx, ANNUAL_RESET, c.shopId)).map((d) => d.status)).toEqual(['done']);
    const events = await eventsFor(ctx, 'shop.penalty_points_reset', a.shopId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ endedYear: 2026, after: { general: 0, serious: 0, counterfeit: 24 } });

    // The carried 24 counts on the serious ladder in the new year: 12 more reach the 36 closure.
    const next = await addPoints(operator, a.shopId, 'serious', 12);
    expect(next.totals).toEqual({ general: 0, serious: 12, counterfeit: 24, total: 36 });
    expect(next.penalty).toMatchObject({ action: 'close_shop', node: 36 });

    // A year on, the carried 24 is carried again (24..47 -> 24) and the serious 12 goes.
    await advanceTo(ctx, new Date(penaltyYearEnd(2027).getTime() + 60_000));
    expect((await stateOf(a)).totals).toEqual({ general: 0, serious: 0, counterfeit: 24, total: 24 });
    expect(await eventsFor(ctx, 'shop.penalty_points_reset', a.shopId)).toHaveLength(2);
  });
});
