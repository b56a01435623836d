import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { PLATFORM_CASH, PLATFORM_ESCROW, platformAccount, postTransaction } from '../src/modules/ledger';
import { makeTestApp } from './helpers';
import { runSoak } from './soak/driver';
import { checkInvariants } from './soak/invariants';

// The short soak of issue 8 part 4; `npm run soak -- <seed> [steps]` runs the long one.
const SEED = Number(process.env.JISHI_SOAK_SEED ?? 20261111);
const STEPS = Number(process.env.JISHI_SOAK_STEPS ?? 5000);

describe('money soak', () => {
  it(`keeps every invariant over ${STEPS} seeded random operations (seed ${SEED})`, async () => {
    const result = await runSoak({ seed: SEED, steps: STEPS, checkEvery: 1000 });
    expect(result.checks).toBe(Math.ceil(STEPS / 1000));
    // The walk must actually reach the money paths, not bounce off validation.
    for (const op of ['checkout', 'pay', 'ship', 'pickUp', 'confirm', 'refund', 'approve', 'uphold']) {
      expect(result.accepted[op] ?? 0, op).toBeGreaterThan(0);
    }
    expect(result.terms.buyerPayments).toBeGreaterThan(0);
    expect(result.terms.refundsToBuyers).toBeGreaterThan(0);
    expect(result.terms.compensationPaidByMerchants).toBeGreaterThan(0);
    expect(result.orders.succeeded).toBeGreaterThan(0);
    console.log(
      `soak seed ${SEED}: ${STEPS} ops in ${result.elapsedMs} ms (${Math.round((STEPS * 1000) / result.elapsedMs)} ops/s)`,
      JSON.stringify({ accepted: result.accepted, orders: result.orders, terms: result.terms }),
    );
  }, 600_000);

  it('the invariants catch money, stock and orders gone wrong', async () => {
    const ctx = await makeTestApp({ sessionDays: 36500 });
    try {
      await runSoak({ seed: 7, steps: 300, checkEvery: 300, ctx });
      expect((await checkInvariants(ctx.db)).problems).toEqual([]);
      const now = ctx.clock.now();
      // A buyer's payment booked as fee income: balanced, but buyers' money went unaccounted.
      await postTransaction(ctx.db, {
        kind: 'payment',
        memo: 'tampered',
        ref: 'tamper-1',
        postings: [
          { account: PLATFORM_CASH, amount: 100 },
          { account: platformAccount('revenue', 'tier_fees'), amount: -100 },
        ],
        now,
      });
      // Escrow moved by a kind the identity does not know.
      await postTransaction(ctx.db, {
        kind: 'mystery',
        memo: 'tampered',
        ref: 'tamper-2',
        postings: [
          { account: PLATFORM_ESCROW, amount: 50 },
          { account: PLATFORM_CASH, amount: -50 },
        ],
        now,
      });
      await ctx.db.execute(
        sql`update stock set on_hand = on_hand + 1 where sku_id = (select min(sku_id) from stock)`,
      );
      await ctx.db.execute(
        sql`update order_lines set refunded_quantity = quantity + 1 where id = (select min(id) from order_lines)`,
      );
      await ctx.db.execute(
        sql`update orders set status = 'succeeded' where id = (select min(id) from orders where status in ('awaiting_payment', 'paid', 'shipped'))`,
      );
      const { problems } = await checkInvariants(ctx.db);
      const text = problems.join('\n');
      expect(text).toMatch(/buyer payments \d+ != accounted/);
      expect(text).toContain('unaccounted ledger kind mystery');
      expect(text).toMatch(/on hand \d+ \+ shipped \d+ != received/);
      expect(text).toContain('refunded beyond the line');
      expect(text).toMatch(
        /order \S+: (succeeded without a settlement|paid-side state without a payment time|shipped or succeeded with a held reservation)/,
      );
    } finally {
      await ctx.close();
    }
  }, 120_000);
});
