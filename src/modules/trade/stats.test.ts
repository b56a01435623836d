import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { makeCategories } from '../catalog/testing';
import { expectLedgerBalanced } from '../ledger/testing';
import { shopGmvByCategory, shopsWithSales } from './stats';
import { buyAndCheckout, makeSeller, makeSku, paidOrder } from './testing';

describe('sales statistics', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await makeTestApp();
  });
  afterAll(() => ctx?.close());

  it('sums paid, unclosed orders’ lines per category within the window', async () => {
    const cats = await makeCategories(ctx);
    const seller = await makeSeller(ctx, 'market');
    const other = await makeSeller(ctx, 'market');
    const headphones = await makeSku(seller, cats.headphones.id, { price: 12_000 });
    const phones = await makeSku(seller, cats.phones.id, { price: 300_000 });
    const dress = await makeSku(other, cats.dresses.id, { price: 5_000 });
    const buyer = await signUp(ctx);

    const start = ctx.clock.now();
    const first = await paidOrder(ctx, buyer, headphones.skuId);
    await paidOrder(ctx, buyer, headphones.skuId);
    await paidOrder(ctx, buyer, phones.skuId);
    await paidOrder(ctx, buyer, dress.skuId);
    // Paid, then refunded in full before shipping: the order closes and is no sale.
    const refunded = await paidOrder(ctx, buyer, headphones.skuId);
    const asked = await buyer.post(`/orders/${refunded.orderId}/refunds`, {
      kind: 'refund_only',
      reason: 'no_longer_needed',
    });
    expect(asked.status).toBe(201);
    await seller.owner.post(`/seller/shops/${seller.shopId}/refunds/${asked.body.id}/approve`);
    expect((await buyer.get(`/orders/${refunded.orderId}`)).body.status).toBe('closed');
    // Checked out, never paid: not a sale; it closes unpaid at its pay-by deadline.
    await buyAndCheckout(buyer, [{ skuId: phones.skuId, quantity: 2 }]);
    await ctx.advance({ days: 1 });
    const now = ctx.clock.now();

    const gmv = await shopGmvByCategory(ctx.db, seller.shopId, start, now);
    expect(Object.fromEntries(gmv)).toEqual({ [cats.headphones.id]: 24_000, [cats.phones.id]: 300_000 });
    // The window starts after the first order was paid: only the second headphone order counts.
    const later = await shopGmvByCategory(ctx.db, seller.shopId, new Date(first.paidAt.getTime() + 1), now);
    expect(later.get(cats.headphones.id)).toBe(12_000);
    // The window ends before any payment: nothing.
    expect((await shopGmvByCategory(ctx.db, seller.shopId, start, first.paidAt)).size).toBe(0);

    expect(
      await shopsWithSales(ctx.db, {
        categoryIds: [cats.headphones.id, cats.phones.id],
        since: start,
        until: now,
      }),
    ).toEqual([seller.shopId]);
    expect(
      (
        await shopsWithSales(ctx.db, {
          categoryIds: [cats.phones.id, cats.dresses.id],
          since: start,
          until: now,
        })
      ).sort(),
    ).toEqual([seller.shopId, other.shopId].sort());
    expect(await shopsWithSales(ctx.db, { categoryIds: [cats.fruit.id], since: start, until: now })).toEqual(
      [],
    );
    expect(await shopsWithSales(ctx.db, { categoryIds: [], since: start, until: now })).toEqual([]);
    await expectLedgerBalanced(ctx.db);
  });
});
