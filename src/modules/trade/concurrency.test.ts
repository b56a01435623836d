import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type TestContext } from '../../../test/helpers';
import { AppError } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { accounts } from '../identity/schema';
import { availableBySku } from '../inventory';
import { reservations, stock } from '../inventory/schema';
import { checkout } from './checkout';
import { cartItems, orderLines, orders, payments } from './schema';
import { ADDRESS, makeCategoryId, makeSeller, makeSku } from './testing';

let ctx: TestContext;

beforeAll(async () => {
  ctx = await makeTestApp({}, { poolSize: 40 });
});
afterAll(async () => ctx.close());

describe('the last units', () => {
  it('500 buyers check out the last 100 units at once: exactly 100 sold, the rest 409', async () => {
    const categoryId = await makeCategoryId(ctx);
    const seller = await makeSeller(ctx, 'market');
    const { skuId } = await makeSku(seller, categoryId, { stock: 100, price: 1_000 });
    const now = ctx.clock.now();
    // Buyers are written straight into the table: hashing 500 passwords is beside the point here.
    const buyers = Array.from({ length: 500 }, (_, i) => ({
      id: newId('acct'),
      login: `rush_${i}_${Math.random().toString(36).slice(2, 8)}`,
      displayName: `buyer ${i}`,
      passwordHash: 'not-a-password',
      createdAt: now,
    }));
    await ctx.db.insert(accounts).values(buyers);
    await ctx.db
      .insert(cartItems)
      .values(buyers.map((b) => ({ buyerId: b.id, skuId, quantity: 1, addedAt: now, updatedAt: now })));

    const results = await Promise.allSettled(
      buyers.map((b) => ctx.db.transaction((tx) => checkout(tx, b.id, { address: ADDRESS }, now))),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(100);
    expect(lost).toHaveLength(400);
    for (const r of lost) {
      expect(r.reason).toBeInstanceOf(AppError);
      expect((r.reason as AppError).status).toBe(409);
      expect((r.reason as AppError).code).toBe('insufficient_stock');
    }
    expect((await availableBySku(ctx.db, [skuId])).get(skuId)).toBe(0);
    const [level] = await ctx.db.select().from(stock).where(eq(stock.skuId, skuId));
    expect(level!.reserved).toBe(100);
    const held = await ctx.db
      .select({ n: sql<number>`count(*)::int`, q: sql<number>`coalesce(sum(quantity), 0)::int` })
      .from(reservations)
      .where(and(eq(reservations.skuId, skuId), eq(reservations.status, 'held')));
    expect(held[0]).toEqual({ n: 100, q: 100 });
    const lines = await ctx.db.select().from(orderLines).where(eq(orderLines.skuId, skuId));
    expect(lines).toHaveLength(100);
    expect((await ctx.db.select().from(orders).where(eq(orders.shopId, seller.shopId))).length).toBe(100);
    expect((await ctx.db.select().from(payments)).length).toBe(100);
    // the losers keep their cart line; the winners' lines are gone
    expect((await ctx.db.select().from(cartItems).where(eq(cartItems.skuId, skuId))).length).toBe(400);
  });
});
