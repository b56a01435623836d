import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { balanceOf, platformAccount, postTransaction } from '../ledger';
import { expectLedgerBalanced } from '../ledger/testing';
import { grantPoints, POINTS_LIABILITY, pointsExpiryFor } from './points';

describe('points', () => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await makeTestApp({ sessionDays: 3650 });
  });
  afterEach(async () => {
    await expectLedgerBalanced(ctx.db);
    await ctx.close();
  });

  it('expire at the end of the following year, China time', () => {
    expect(pointsExpiryFor(new Date('2026-11-01T02:00:00Z')).toISOString()).toBe('2027-12-31T16:00:00.000Z');
    // 31 Dec 2026 17:00Z is already 1 Jan 2027 in China: the points last to the end of 2028.
    expect(pointsExpiryFor(new Date('2026-12-31T17:00:00Z')).toISOString()).toBe('2028-12-31T16:00:00.000Z');
  });

  it('a lot lapses at its deadline, not a moment before; its value leaves the liability', async () => {
    const buyer = await signUp(ctx);
    const now = ctx.clock.now();
    await ctx.db.transaction(async (tx) => {
      // Funded the way a merchant's compensation funds it.
      await postTransaction(tx, {
        kind: 'test.points_funding',
        memo: 'points funded',
        postings: [
          { account: platformAccount('expense', 'marketing'), amount: 1_200 },
          { account: POINTS_LIABILITY, amount: -1_200 },
        ],
        now,
      });
      await grantPoints(
        tx,
        { buyerId: buyer.accountId, points: 1_200, fenPerPoint: 1, reason: 'compensation' },
        now,
      );
    });
    const me = client(ctx.app, buyer.token);
    expect((await me.get('/me/points')).body.balance).toBe(1_200);
    const until = new Date('2027-12-31T16:00:00.000Z').getTime();
    await ctx.advance({ minutes: (until - ctx.clock.now().getTime()) / 60_000 - 1 });
    expect((await me.get('/me/points')).body.balance).toBe(1_200);
    await ctx.advance({ minutes: 1 });
    const after = (await me.get('/me/points')).body;
    expect(after.balance).toBe(0);
    expect(after.history.items.map((e: { delta: number; reason: string }) => [e.delta, e.reason])).toEqual([
      [-1_200, 'expired'],
      [1_200, 'compensation'],
    ]);
    expect(await balanceOf(ctx.db, POINTS_LIABILITY)).toBe(0);
    // A buyer sees only their own points; a shop owner or a stranger has none of them.
    expect((await (await signUp(ctx)).get('/me/points')).body).toMatchObject({ balance: 0, expiring: [] });
    expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/me/points' })).statusCode).toBe(401);
  });
});
