import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type TestContext } from '../../../test/helpers';
import { AppError } from '../../kernel/errors';
import { accountSpec, PLATFORM_CASH, platformAccount, shopAccount } from './accounts';
import {
  balanceOf,
  checkLedger,
  checkPostings,
  platformSummary,
  postTransaction,
  shopStatement,
} from './ledger';
import { ledgerAccounts, ledgerPostings, ledgerTransactions } from './schema';
import { expectLedgerBalanced } from './testing';

describe('posting rules (no database)', () => {
  it('accepts balanced integer postings', () => {
    expect(() =>
      checkPostings([
        { account: PLATFORM_CASH, amount: 100 },
        { account: 'shop:shop_a:deposit', amount: -100 },
      ]),
    ).not.toThrow();
  });

  it('refuses postings that do not sum to zero, per currency', () => {
    expect(() =>
      checkPostings([
        { account: PLATFORM_CASH, amount: 100 },
        { account: 'shop:shop_a:deposit', amount: -99 },
      ]),
    ).toThrow(/do not balance/);
    expect(() =>
      checkPostings([
        { account: PLATFORM_CASH, amount: 100 },
        { account: 'platform:revenue:fx', amount: -100, currency: 'USD' },
      ]),
    ).toThrow(/do not balance/);
  });

  it('refuses fractions, unsafe integers, zero and single lines', () => {
    const with_ = (amount: number) => [
      { account: PLATFORM_CASH, amount },
      { account: 'platform:revenue:x', amount: -amount },
    ];
    expect(() => checkPostings(with_(10.5))).toThrow(/integer/);
    expect(() => checkPostings(with_(2 ** 53))).toThrow(/integer/);
    expect(() => checkPostings(with_(Number.NaN))).toThrow(/integer/);
    expect(() => checkPostings(with_(0))).toThrow(/non-zero/);
    expect(() => checkPostings([{ account: PLATFORM_CASH, amount: 0 }])).toThrow(/two postings/);
  });

  it('knows the chart of accounts from the code alone', () => {
    expect(accountSpec('platform:cash')).toEqual({ kind: 'asset', shopId: null, allowNegative: true });
    expect(accountSpec('platform:revenue:tier_fees')).toMatchObject({ kind: 'revenue', allowNegative: true });
    expect(accountSpec('shop:shop_01abc:deposit')).toEqual({
      kind: 'liability',
      shopId: 'shop_01abc',
      allowNegative: false,
    });
    expect(() => accountSpec('shop:shop_01abc:savings')).toThrow(/chart/);
    expect(() => accountSpec('platform:equity:x')).toThrow(/chart/);
    expect(() => accountSpec('cash')).toThrow(/chart/);
    expect(() => shopAccount('a:b', 'deposit')).toThrow();
  });
});

describe('postTransaction', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await makeTestApp();
  });
  afterAll(async () => ctx.close());
  const now = () => ctx.clock.now();

  it('creates accounts on first use and keeps balances in their normal direction', async () => {
    const shop = 'shop_t1';
    await ctx.db.transaction((tx) =>
      postTransaction(tx, {
        kind: 'test.deposit',
        memo: 'deposit in',
        ref: shop,
        shopId: shop,
        postings: [
          { account: PLATFORM_CASH, amount: 100_000 },
          { account: shopAccount(shop, 'deposit'), amount: -100_000 },
        ],
        now: now(),
      }),
    );
    expect(await balanceOf(ctx.db, PLATFORM_CASH)).toBe(100_000);
    // A liability: the credit shows as a positive balance owed to the shop.
    expect(await balanceOf(ctx.db, shopAccount(shop, 'deposit'))).toBe(100_000);
    expect(await balanceOf(ctx.db, 'platform:revenue:never_used')).toBe(0);
    const [acct] = await ctx.db
      .select()
      .from(ledgerAccounts)
      .where(eq(ledgerAccounts.code, shopAccount(shop, 'deposit')));
    expect(acct).toMatchObject({ kind: 'liability', shopId: shop, allowNegative: false, currency: 'CNY' });
    await expectLedgerBalanced(ctx.db);
  });

  it('refuses to overdraw a shop account with 409 insufficient_funds, and writes nothing', async () => {
    const shop = 'shop_t2';
    const before = await ctx.db.select({ n: sql<number>`count(*)::int` }).from(ledgerTransactions);
    const attempt = ctx.db.transaction((tx) =>
      postTransaction(tx, {
        kind: 'test.payout',
        memo: 'more than the shop has',
        postings: [
          { account: shopAccount(shop, 'balance'), amount: 1 },
          { account: PLATFORM_CASH, amount: -1 },
        ],
        now: now(),
      }),
    );
    await expect(attempt).rejects.toMatchObject({ status: 409, code: 'insufficient_funds' });
    await expect(attempt).rejects.toBeInstanceOf(AppError);
    const after = await ctx.db.select({ n: sql<number>`count(*)::int` }).from(ledgerTransactions);
    expect(after[0]?.n).toBe(before[0]?.n);
    expect(await balanceOf(ctx.db, PLATFORM_CASH)).toBe(100_000);
    await expectLedgerBalanced(ctx.db);
  });

  it('lets platform accounts go negative (the platform funds itself)', async () => {
    await ctx.db.transaction((tx) =>
      postTransaction(tx, {
        kind: 'test.subsidy',
        memo: 'platform-funded',
        postings: [
          { account: platformAccount('expense', 'subsidies'), amount: 500 },
          { account: 'platform:liability:owed_to_buyers', amount: -500 },
        ],
        now: now(),
      }),
    );
    expect(await balanceOf(ctx.db, platformAccount('expense', 'subsidies'))).toBe(500);
    await ctx.db.transaction((tx) =>
      postTransaction(tx, {
        kind: 'test.subsidy_paid',
        memo: 'paid out',
        postings: [
          { account: 'platform:liability:owed_to_buyers', amount: 500 },
          { account: PLATFORM_CASH, amount: -200_000 },
          { account: platformAccount('expense', 'misc'), amount: 199_500 },
        ],
        now: now(),
      }),
    );
    expect(await balanceOf(ctx.db, PLATFORM_CASH)).toBe(-100_000);
    await expectLedgerBalanced(ctx.db);
  });

  it('nets one account named twice into one update and records the balance after each line', async () => {
    const shop = 'shop_t3';
    const { id } = await ctx.db.transaction((tx) =>
      postTransaction(tx, {
        kind: 'test.settle',
        memo: 'two lines to one account',
        shopId: shop,
        postings: [
          { account: PLATFORM_CASH, amount: 1000 },
          { account: shopAccount(shop, 'balance'), amount: -700 },
          { account: shopAccount(shop, 'balance'), amount: -300 },
        ],
        now: now(),
      }),
    );
    const lines = await ctx.db
      .select()
      .from(ledgerPostings)
      .where(eq(ledgerPostings.transactionId, id))
      .orderBy(ledgerPostings.id);
    expect(lines.map((l) => [l.amount, l.balanceAfter])).toEqual([
      [1000, -99_000],
      [-700, 700],
      [-300, 1000],
    ]);
    const statement = await shopStatement(ctx.db, shop, {});
    expect(statement.items.map((l) => [l.amount, l.balanceAfter])).toEqual([
      [300, 1000],
      [700, 700],
    ]);
    await expectLedgerBalanced(ctx.db);
  });

  it('refuses an unbalanced or malformed transaction before writing anything', async () => {
    const bad = ctx.db.transaction((tx) =>
      postTransaction(tx, {
        kind: 'test.bad',
        memo: 'unbalanced',
        postings: [
          { account: PLATFORM_CASH, amount: 10 },
          { account: 'platform:revenue:x', amount: -9 },
        ],
        now: now(),
      }),
    );
    await expect(bad).rejects.toThrow(/do not balance/);
    expect(await balanceOf(ctx.db, 'platform:revenue:x')).toBe(0);
  });

  it('keeps the total at zero and reports it in the platform summary', async () => {
    const summary = await platformSummary(ctx.db);
    expect(summary.total).toBe(0);
    expect(summary.shops.deposit).toBe(100_000);
    expect(summary.shops.balance).toBe(1000);
    expect(summary.accounts.map((a) => a.code)).toContain(PLATFORM_CASH);
  });

  it('serialises concurrent withdrawals so a shop account never goes below zero', async () => {
    const shop = 'shop_t4';
    await ctx.db.transaction((tx) =>
      postTransaction(tx, {
        kind: 'test.fund',
        memo: 'fund',
        postings: [
          { account: PLATFORM_CASH, amount: 1000 },
          { account: shopAccount(shop, 'balance'), amount: -1000 },
        ],
        now: now(),
      }),
    );
    const withdraw = () =>
      ctx.db.transaction((tx) =>
        postTransaction(tx, {
          kind: 'test.withdraw',
          memo: 'withdraw',
          postings: [
            { account: shopAccount(shop, 'balance'), amount: 600 },
            { account: PLATFORM_CASH, amount: -600 },
          ],
          now: now(),
        }),
      );
    const results = await Promise.allSettled([withdraw(), withdraw(), withdraw()]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'insufficient_funds' });
    }
    expect(await balanceOf(ctx.db, shopAccount(shop, 'balance'))).toBe(400);
    await expectLedgerBalanced(ctx.db);
  });

  it('checkLedger finds a tampered balance, an unbalanced transaction and a non-zero total', async () => {
    await ctx.db
      .update(ledgerAccounts)
      .set({ balance: sql`${ledgerAccounts.balance} + 1` })
      .where(eq(ledgerAccounts.code, PLATFORM_CASH));
    const [victim] = await ctx.db.select().from(ledgerPostings).limit(1);
    await ctx.db
      .update(ledgerPostings)
      .set({ amount: sql`${ledgerPostings.amount} + 5` })
      .where(eq(ledgerPostings.id, victim!.id));
    const problems = await checkLedger(ctx.db);
    const codes = problems.map((p) => p.code).sort();
    expect(codes).toContain('balance_mismatch');
    expect(codes).toContain('unbalanced_transaction');
    expect(codes).toContain('nonzero_total');
    await expect(expectLedgerBalanced(ctx.db)).rejects.toThrow(/ledger is not balanced/);
  });
});
