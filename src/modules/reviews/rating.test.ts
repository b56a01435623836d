import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { expectLedgerBalanced } from '../ledger/testing';
import { makeCategoryId, makeSeller, makeSku } from '../trade/testing';
import { creditScore, positiveRate, shopRating } from '.';
import { review, stars, succeededOrder } from './testing';

let ctx: TestContext;
let categoryId: string;

beforeAll(async () => {
  ctx = await makeTestApp({ sessionDays: 3650 });
  categoryId = await makeCategoryId(ctx);
});
afterAll(async () => {
  await expectLedgerBalanced(ctx.db);
  await ctx.close();
});

async function shopWithSku(price = 5_000) {
  const seller = await makeSeller(ctx, 'market');
  const sku = await makeSku(seller, categoryId, { price, stock: 100 });
  return { seller, sku };
}

async function advanceTo(at: Date) {
  const minutes = Math.round((at.getTime() - ctx.clock.now().getTime()) / 60_000);
  if (minutes < 0) throw new Error(`cannot go back in time to ${at.toISOString()}`);
  await ctx.advance({ minutes });
}

const credit = (shopId: string) => creditScore(ctx.db, shopId);

// The suite walks the shared clock forward from 2026-11-01 (Shanghai), month by month.
describe('rating points (credit)', () => {
  it('orders of 1 yuan or less do not score; 1.01 yuan does', async () => {
    const { seller, sku } = await shopWithSku(100);
    const dearer = await makeSku(seller, categoryId, { price: 101, stock: 10 });
    const buyer = await signUp(ctx);
    const cheap = await review(buyer, await succeededOrder(ctx, buyer, seller, sku.skuId), 1);
    expect(cheap).toMatchObject({ points: 0, scoring: false, dsrCounted: true });
    const ok = await review(buyer, await succeededOrder(ctx, buyer, seller, dearer.skuId), 1);
    expect(ok).toMatchObject({ points: 1, scoring: true });
    expect(await credit(seller.shopId)).toBe(1);
    // A cheap negative review does not cost the shop anything either, even after a revision.
    const bad = await review(buyer, await succeededOrder(ctx, buyer, seller, sku.skuId), -1, stars(1));
    expect(bad.points).toBe(0);
    expect((await buyer.post(`/reviews/${bad.id}/revise`, { rating: 1 })).body.points).toBe(0);
    expect(await credit(seller.shopId)).toBe(1);
  });

  it('at most 6 points per buyer and shop in a natural month; the next month scores again', async () => {
    const { seller, sku } = await shopWithSku();
    const buyer = await signUp(ctx);
    const another = await signUp(ctx);
    const results = [];
    for (let i = 0; i < 7; i++)
      results.push(await review(buyer, await succeededOrder(ctx, buyer, seller, sku.skuId), 1));
    expect(results.map((r) => r.points)).toEqual([1, 1, 1, 1, 1, 1, 0]);
    expect(results[6]!.scoring).toBe(false);
    expect(await credit(seller.shopId)).toBe(6);
    // The cap is per pair: another buyer still scores this month.
    expect((await review(another, await succeededOrder(ctx, another, seller, sku.skuId), 1)).points).toBe(1);
    expect(await credit(seller.shopId)).toBe(7);

    // 2026-12-01 00:00 in Shanghai is 2026-11-30T16:00Z.
    await advanceTo(new Date('2026-11-30T16:00:00Z'));
    const december = await review(buyer, await succeededOrder(ctx, buyer, seller, sku.skuId), 1);
    expect(december).toMatchObject({ points: 1, scoring: true });
    expect(await credit(seller.shopId)).toBe(8);
  });

  it('seven reviews of one pair written at the same moment still score six points', async () => {
    const { seller, sku } = await shopWithSku();
    const buyer = await signUp(ctx);
    const orders = [];
    for (let i = 0; i < 7; i++) orders.push(await succeededOrder(ctx, buyer, seller, sku.skuId));
    const written = await Promise.all(orders.map((id) => review(buyer, id, 1)));
    expect(written.filter((r) => r.scoring)).toHaveLength(6);
    expect(written.filter((r) => r.dsrCounted)).toHaveLength(3);
    expect(await credit(seller.shopId)).toBe(6);
  });

  it('negative and neutral reviews take places too; a revision moves the points within the place', async () => {
    const { seller, sku } = await shopWithSku();
    const buyer = await signUp(ctx);
    const negative = await review(buyer, await succeededOrder(ctx, buyer, seller, sku.skuId), -1, stars(1));
    const neutral = await review(buyer, await succeededOrder(ctx, buyer, seller, sku.skuId), 0, stars(3));
    for (let i = 0; i < 4; i++) await review(buyer, await succeededOrder(ctx, buyer, seller, sku.skuId), 1);
    expect(await credit(seller.shopId)).toBe(-1 + 0 + 4);
    const seventh = await review(buyer, await succeededOrder(ctx, buyer, seller, sku.skuId), -1, stars(1));
    expect(seventh).toMatchObject({ points: 0, scoring: false });

    expect((await buyer.post(`/reviews/${negative.id}/revise`, { rating: 1 })).body.points).toBe(1);
    expect((await buyer.post(`/reviews/${neutral.id}/revise`, { rating: 1 })).body.points).toBe(1);
    // A review beyond the cap stays without points when revised.
    expect((await buyer.post(`/reviews/${seventh.id}/revise`, { rating: 1 })).body.points).toBe(0);
    expect(await credit(seller.shopId)).toBe(6);
  });
});

describe('shop rating (DSR) and positive rate', () => {
  it('the mean stars of 6 months over the first 3 reviews per buyer and month; old ones drop out', async () => {
    const { seller, sku } = await shopWithSku();
    expect(await shopRating(ctx.db, seller.shopId, ctx.clock.now())).toBeNull();
    expect((await seller.owner.get(`/seller/shops/${seller.shopId}`)).body.rating).toBeNull();

    const a = await signUp(ctx);
    const b = await signUp(ctx);
    const firstReviewAt = ctx.clock.now();
    const aStars = [stars(5), stars(4), stars(3), stars(1)];
    const aReviews = [];
    for (const s of aStars)
      aReviews.push(await review(a, await succeededOrder(ctx, a, seller, sku.skuId), 1, s));
    expect(aReviews.map((r) => r.dsrCounted)).toEqual([true, true, true, false]);
    await review(b, await succeededOrder(ctx, b, seller, sku.skuId), 0, stars(2, 3, 4));

    // item (5+4+3+2)/4 = 3.5, service (5+4+3+3)/4 = 3.75, logistics (5+4+3+4)/4 = 4, overall 45/12 = 3.75
    const expected = { item: 3.5, service: 3.75, logistics: 4, overall: 3.75, reviews: 4 };
    expect(await shopRating(ctx.db, seller.shopId, ctx.clock.now())).toEqual(expected);
    expect((await seller.owner.get(`/seller/shops/${seller.shopId}`)).body.rating).toBe(3.75);
    const pub = await ctx.app.inject({ method: 'GET', url: `/api/v1/shops/${seller.shopId}/rating` });
    expect(JSON.parse(pub.body)).toMatchObject({
      shopId: seller.shopId,
      dsr: expected,
      positive: 4,
      total: 5,
      positiveRate: 0.8,
    });

    // Three months on, another buyer rates the shop 1 star everywhere.
    await ctx.advance({ days: 91 });
    const c = await signUp(ctx);
    await review(c, await succeededOrder(ctx, c, seller, sku.skuId), -1, stars(1, 2, 1));
    // (14 + 1) / 5 = 3, (15 + 2) / 5 = 3.4, (16 + 1) / 5 = 3.4, overall 49 / 15 = 3.27
    expect(await shopRating(ctx.db, seller.shopId, ctx.clock.now())).toEqual({
      item: 3,
      service: 3.4,
      logistics: 3.4,
      overall: 3.27,
      reviews: 5,
    });

    // Six months after the first reviews they drop out: the moment before, they still count.
    const sixMonths = new Date(firstReviewAt);
    sixMonths.setUTCMonth(sixMonths.getUTCMonth() + 6);
    await advanceTo(new Date(sixMonths.getTime() - 60_000));
    expect((await shopRating(ctx.db, seller.shopId, ctx.clock.now()))?.reviews).toBe(5);
    // Months are calendar months and a shorter month clamps the day (May 31 - 6 months = Nov 30),
    // so a review on the last day of a month may count a day or so longer. A few days on, all are out.
    await ctx.advance({ days: 3 });
    expect(await shopRating(ctx.db, seller.shopId, ctx.clock.now())).toEqual({
      item: 1,
      service: 2,
      logistics: 1,
      overall: 1.33,
      reviews: 1,
    });
    expect((await seller.owner.get(`/seller/shops/${seller.shopId}`)).body.rating).toBe(1.33);
    const later = JSON.parse(
      (await ctx.app.inject({ method: 'GET', url: `/api/v1/shops/${seller.shopId}/rating` })).body,
    );
    expect(later).toMatchObject({ positive: 0, total: 1, positiveRate: 0 });

    await ctx.advance({ days: 100 });
    expect(await shopRating(ctx.db, seller.shopId, ctx.clock.now())).toBeNull();
    expect((await seller.owner.get(`/seller/shops/${seller.shopId}`)).body.rating).toBeNull();
  });

  it('the 3-per-pair cap resets with the natural month', async () => {
    const { seller, sku } = await shopWithSku();
    const a = await signUp(ctx);
    // Move to the last hours of a Shanghai month, then into the next one.
    const now = ctx.clock.now();
    const shanghai = new Date(now.getTime() + 8 * 3_600_000);
    const nextMonthStart = Date.UTC(shanghai.getUTCFullYear(), shanghai.getUTCMonth() + 1, 1) - 8 * 3_600_000;
    await advanceTo(new Date(nextMonthStart - 2 * 3_600_000));
    const before = [];
    for (let i = 0; i < 4; i++) {
      const orderId = await succeededOrder(ctx, a, seller, sku.skuId);
      before.push(orderId);
    }
    await advanceTo(new Date(nextMonthStart + 60_000));
    const after = await succeededOrder(ctx, a, seller, sku.skuId);
    const counted = [];
    for (const id of before) counted.push((await review(a, id, 1, stars(5))).dsrCounted);
    // The trade's month decides, not the review's: the four orders of the old month share its places.
    expect(counted).toEqual([true, true, true, false]);
    expect((await review(a, after, 1, stars(1))).dsrCounted).toBe(true);
    expect((await shopRating(ctx.db, seller.shopId, ctx.clock.now()))?.reviews).toBe(4);
  });

  it('positive rate per shop and per product, over a time range, by the current rating', async () => {
    const { seller, sku } = await shopWithSku();
    const second = await makeSku(seller, categoryId, { price: 2_000, stock: 10 });
    const buyer = await signUp(ctx);
    const start = ctx.clock.now();
    expect(await positiveRate(ctx.db, { shopId: seller.shopId })).toEqual({
      positive: 0,
      total: 0,
      rate: null,
    });

    await review(buyer, await succeededOrder(ctx, buyer, seller, sku.skuId), 1);
    await review(buyer, await succeededOrder(ctx, buyer, seller, sku.skuId), 0, stars(3));
    const negative = await review(
      buyer,
      await succeededOrder(ctx, buyer, seller, second.skuId),
      -1,
      stars(1),
    );
    const mid = ctx.clock.now();
    await ctx.advance({ days: 1 });
    await review(buyer, await succeededOrder(ctx, buyer, seller, second.skuId), 1);

    expect(await positiveRate(ctx.db, { shopId: seller.shopId })).toEqual({
      positive: 2,
      total: 4,
      rate: 0.5,
    });
    expect(await positiveRate(ctx.db, { productId: sku.productId })).toEqual({
      positive: 1,
      total: 2,
      rate: 0.5,
    });
    expect(await positiveRate(ctx.db, { shopId: seller.shopId, productId: second.productId })).toEqual({
      positive: 1,
      total: 2,
      rate: 0.5,
    });
    expect(
      await positiveRate(ctx.db, { shopId: seller.shopId, since: start, until: new Date(mid.getTime() + 1) }),
    ).toEqual({ positive: 1, total: 3, rate: 1 / 3 });
    expect(await positiveRate(ctx.db, { shopId: seller.shopId, since: new Date(mid.getTime() + 1) })).toEqual(
      {
        positive: 1,
        total: 1,
        rate: 1,
      },
    );

    await buyer.post(`/reviews/${negative.id}/revise`, { rating: 1 });
    expect(await positiveRate(ctx.db, { productId: second.productId })).toEqual({
      positive: 2,
      total: 2,
      rate: 1,
    });
    expect(await positiveRate(ctx.db, { shopId: seller.shopId })).toEqual({
      positive: 3,
      total: 4,
      rate: 0.75,
    });
  });

  it('an unknown shop has no rating (404 on the public route)', async () => {
    expect(await shopRating(ctx.db, 'shop_nope', ctx.clock.now())).toBeNull();
    const r = await ctx.app.inject({ method: 'GET', url: '/api/v1/shops/shop_nope/rating' });
    expect(r.statusCode).toBe(404);
  });
});
