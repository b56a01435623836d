import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { makeCategories } from '../catalog/testing';
import { PLATFORM_CASH, postTransaction } from '../ledger';
import { expectLedgerBalanced } from '../ledger/testing';
import { grantPoints, POINTS_LIABILITY } from '../points';
import { ADDRESS, makeSeller, makeSku, type Seller, shipAndPickUp } from '../trade/testing';

const DAY = 86_400_000;

describe('promotions at checkout', () => {
  let ctx: TestContext;
  let seller: Seller;
  let other: Seller;
  let buyer: Client & { accountId: string };
  let operator: Client;
  let categoryId: string;
  let window: { validFrom: string; validUntil: string };

  beforeEach(async () => {
    ctx = await makeTestApp({ sessionDays: 3650 });
    categoryId = (await makeCategories(ctx)).headphones.id;
    seller = await makeSeller(ctx, 'mall');
    other = await makeSeller(ctx, 'market');
    buyer = await signUp(ctx);
    operator = await signUp(ctx, { operator: true });
    const now = ctx.clock.now().getTime();
    window = { validFrom: new Date(now).toISOString(), validUntil: new Date(now + 30 * DAY).toISOString() };
  });
  afterEach(async () => {
    await expectLedgerBalanced(ctx.db);
    await ctx.close();
  });

  const pay = async (paymentId: string) => {
    expect((await buyer.post(`/payments/${paymentId}/pay`)).status).toBe(200);
    await ctx.advance({ minutes: 1 });
  };
  const givePoints = async (points: number) => {
    const now = ctx.clock.now();
    await ctx.db.transaction(async (tx) => {
      await postTransaction(tx, {
        kind: 'test.points',
        memo: 'points bought by the platform for a buyer',
        postings: [
          { account: PLATFORM_CASH, amount: points },
          { account: POINTS_LIABILITY, amount: -points },
        ],
        now,
      });
      await grantPoints(tx, { buyerId: buyer.accountId, points, fenPerPoint: 1, reason: 'test' }, now);
    });
  };

  it('a shop coupon, a shop full reduction, a cross-shop reduction and points, exact per line; the ledger follows', async () => {
    const a = await makeSku(seller, categoryId, { price: 20_000, stock: 20 });
    const b = await makeSku(seller, categoryId, { price: 13_333, stock: 20 });
    const c = await makeSku(other, categoryId, { price: 9_999, stock: 20 });
    const fr = await seller.owner.post(`/seller/shops/${seller.shopId}/full-reductions`, {
      name: '满300减30',
      mode: 'tiered',
      tiers: [
        { threshold: 30_000, off: 3_000 },
        { threshold: 50_000, off: 6_000 },
      ],
      ...window,
    });
    expect(fr.status).toBe(201);
    const offer = await seller.owner.post(`/seller/shops/${seller.shopId}/coupons`, {
      name: '店铺券 满200减20',
      kind: 'amount',
      amount: 2_000,
      threshold: 20_000,
      totalLimit: 100,
      perBuyerLimit: 1,
      ...window,
    });
    expect(offer.status).toBe(201);
    const cross = await operator.post('/admin/full-reductions', {
      name: '跨店每满300减50',
      mode: 'every',
      tiers: [{ threshold: 30_000, off: 5_000 }],
      funder: 'shared',
      platformShareBp: 5000,
      ...window,
    });
    expect(cross.status).toBe(201);
    const claimed = await buyer.post(`/coupons/offers/${offer.body.id}/claim`);
    expect(claimed.status).toBe(201);
    expect((await buyer.post(`/coupons/offers/${offer.body.id}/claim`)).body.type).toBe(
      'urn:jishi:problem:coupon-limit-reached',
    );
    await givePoints(1_000);

    await buyer.post('/cart/items', { skuId: a.skuId, quantity: 1 });
    await buyer.post('/cart/items', { skuId: b.skuId, quantity: 1 });
    await buyer.post('/cart/items', { skuId: c.skuId, quantity: 1 });
    const cart = await buyer.get(`/cart?couponIds=${claimed.body.id}&usePoints=1000`);
    expect(cart.status).toBe(200);
    const pricing = cart.body.pricing;
    // 333.33 in shop A reaches the 300 tier (30.00) and the coupon (20.00); the cross-shop
    // reduction counts 333.33 + 99.99 = 433.32 after item level: one step of 300, 50.00.
    expect(pricing.listTotal).toBe(43_332);
    expect(pricing.discountTotal).toBe(3_000 + 2_000 + 5_000);
    expect(pricing.pointsUsed).toBe(1_000);
    for (const l of pricing.lines) {
      const discounts = l.discounts.reduce((s: number, d: { amount: number }) => s + d.amount, 0);
      expect(discounts + l.paid).toBe(l.listTotal);
    }

    const co = await buyer.post('/checkout', {
      address: ADDRESS,
      couponIds: [claimed.body.id],
      usePoints: 1_000,
    });
    expect(co.status).toBe(201);
    expect(co.body.pricing).toMatchObject({
      discountTotal: 10_000,
      pointsUsed: 1_000,
      couponsApplied: [claimed.body.id],
    });
    const totals = co.body.orders.reduce((s: number, o: { total: number }) => s + o.total, 0);
    expect(totals).toBe(43_332 - 10_000);
    expect(co.body.payment.amount).toBe(totals - 1_000);
    await pay(co.body.payment.id);
    expect((await buyer.get('/me/points')).body.balance).toBe(0);
    expect((await buyer.get('/me/coupons')).body.items[0].status).toBe('used');

    // Shop A ships and settles: it gets what the buyer paid plus the platform's half of the
    // cross-shop reduction, less 5% mall commission on that.
    const orderA = co.body.orders.find((o: { shopId: string }) => o.shopId === seller.shopId);
    const viewA = (await buyer.get(`/orders/${orderA.id}`)).body;
    const platformA = viewA.lines.reduce((s: number, l: { paidAmount: number }) => s + l.paidAmount, 0);
    expect(platformA).toBe(orderA.total);
    await shipAndPickUp(ctx, seller, orderA.id, `PR-${Date.now()}`);
    await buyer.post(`/orders/${orderA.id}/confirm-receipt`);
    const report = await operator.get(`/admin/promotions/full_reduction/${cross.body.id}/report`);
    expect(report.body.discount).toBe(5_000);
    expect(report.body.platformFunded + report.body.merchantFunded).toBe(5_000);
    const ledger = (await seller.owner.get(`/seller/shops/${seller.shopId}/ledger`)).body;
    const platformShareA = await shareOf(orderA.id);
    const commission = await sqlNumber(
      `select sum(floor((paid_amount + platform_funded) * 500 / 10000))::int as n from order_lines where order_id = '${orderA.id}'`,
    );
    expect(ledger.balance).toBe(orderA.total + platformShareA - commission);
    const shopReport = await seller.owner.get(
      `/seller/shops/${seller.shopId}/promotions/coupon/${offer.body.id}/report`,
    );
    expect(shopReport.body).toEqual({ orders: 1, discount: 2_000, merchantFunded: 2_000, platformFunded: 0 });
  });

  async function sqlNumber(query: string) {
    const res = (await ctx.db.execute(query)) as unknown as { rows: { n: number }[] };
    return Number(res.rows[0]?.n ?? 0);
  }
  const shareOf = (orderId: string) =>
    sqlNumber(
      `select coalesce(sum(platform_funded), 0)::int as n from order_discounts where order_id = '${orderId}'`,
    );

  it('a partial refund of a discounted line returns exactly its paid share, points flowing back', async () => {
    const a = await makeSku(other, categoryId, { price: 10_000, stock: 20 });
    const b = await makeSku(other, categoryId, { price: 5_001, stock: 20 });
    await other.owner.post(`/seller/shops/${other.shopId}/full-reductions`, {
      name: '每满100减15',
      mode: 'every',
      tiers: [{ threshold: 10_000, off: 1_500 }],
      ...window,
    });
    await givePoints(2_000);
    await buyer.post('/cart/items', { skuId: a.skuId, quantity: 3 });
    await buyer.post('/cart/items', { skuId: b.skuId, quantity: 1 });
    const co = await buyer.post('/checkout', { address: ADDRESS, usePoints: 2_000 });
    expect(co.status).toBe(201);
    await pay(co.body.payment.id);
    const orderId = co.body.orders[0].id;
    const order = (await buyer.get(`/orders/${orderId}`)).body;
    const lineA = order.lines.find((l: { skuId: string }) => l.skuId === a.skuId);
    // 350.01 -> every 100 off 15 three times = 45.00 off, spread by amount.
    expect(order.total).toBe(35_001 - 4_500);

    const r1 = await buyer.post(`/orders/${orderId}/refunds`, {
      kind: 'refund_only',
      reason: 'no_longer_needed',
      lines: [{ orderLineId: lineA.id, quantity: 1 }],
    });
    expect(r1.body.amount).toBe(Math.floor(lineA.paidAmount / 3));
    await other.owner.post(`/seller/shops/${other.shopId}/refunds/${r1.body.id}/approve`);
    const pointsAfter = (await buyer.get('/me/points')).body.balance;
    expect(pointsAfter).toBe(Math.floor(lineA.pointsAmount / 3));
    const r2 = await buyer.post(`/orders/${orderId}/refunds`, {
      kind: 'refund_only',
      reason: 'no_longer_needed',
      lines: [{ orderLineId: lineA.id, quantity: 2 }],
    });
    expect(r1.body.amount + r2.body.amount).toBe(lineA.paidAmount);
    await other.owner.post(`/seller/shops/${other.shopId}/refunds/${r2.body.id}/approve`);
    const after = (await buyer.get(`/orders/${orderId}`)).body;
    const refunded = after.lines.find((l: { id: string }) => l.id === lineA.id);
    expect(refunded).toMatchObject({ refundedQuantity: 3, refundedAmount: lineA.paidAmount });
    expect((await buyer.get('/me/points')).body.balance).toBe(lineA.pointsAmount);
  });

  it('an unpaid order closing gives back the coupon, the points and the subsidy budget', async () => {
    const a = await makeSku(other, categoryId, { price: 10_000, stock: 20 });
    const subsidy = await operator.post('/admin/subsidies', {
      skuId: a.skuId,
      perUnit: 1_000,
      budget: 2_500,
      ...window,
    });
    expect(subsidy.status).toBe(201);
    const offer = await operator.post('/admin/coupons', {
      name: '平台券 9 折',
      kind: 'percent',
      percentOffBp: 1000,
      cap: 500,
      totalLimit: 10,
      perBuyerLimit: 1,
      ...window,
    });
    const coupon = await buyer.post(`/coupons/offers/${offer.body.id}/claim`);
    await givePoints(300);
    await buyer.post('/cart/items', { skuId: a.skuId, quantity: 3 });
    const co = await buyer.post('/checkout', {
      address: ADDRESS,
      couponIds: [coupon.body.id],
      usePoints: 300,
    });
    expect(co.status).toBe(201);
    // The subsidy stops at its 25.00 budget; the coupon is 10% of the rest, capped at 5.00.
    expect(co.body.pricing.discountTotal).toBe(2_500 + 500);
    expect((await buyer.get('/me/coupons')).body.items[0].status).toBe('held');
    // Another buyer now finds the budget spent.
    const second = await signUp(ctx);
    await second.post('/cart/items', { skuId: a.skuId, quantity: 1 });
    expect((await second.get('/cart')).body.pricing.discountTotal).toBe(0);

    await ctx.advance({ hours: 24, minutes: 1 });
    expect((await buyer.get(`/orders/${co.body.orders[0].id}`)).body.status).toBe('closed');
    expect((await buyer.get('/me/coupons')).body.items[0].status).toBe('unused');
    expect((await buyer.get('/me/points')).body.balance).toBe(300);
    expect((await second.get('/cart')).body.pricing.discountTotal).toBe(1_000);
  });

  it('a flash sale prices checkout, takes no coupon, closes unpaid after 30 minutes and gives the unit back', async () => {
    const a = await makeSku(other, categoryId, { price: 19_900, stock: 10 });
    const startsAt = new Date(ctx.clock.now().getTime() + 60_000);
    const sale = await other.owner.post(`/seller/shops/${other.shopId}/flash-sales`, {
      skuId: a.skuId,
      flashPrice: 9_900,
      quota: 1,
      perBuyerLimit: 1,
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + DAY).toISOString(),
    });
    expect(sale.status).toBe(201);
    await ctx.advance({ minutes: 2 });
    const offer = await operator.post('/admin/coupons', {
      name: '平台券',
      kind: 'amount',
      amount: 500,
      totalLimit: 10,
      perBuyerLimit: 1,
      ...window,
    });
    const coupon = await buyer.post(`/coupons/offers/${offer.body.id}/claim`);
    await buyer.post('/cart/items', { skuId: a.skuId, quantity: 1 });
    const co = await buyer.post('/checkout', { address: ADDRESS, couponIds: [coupon.body.id] });
    expect(co.status).toBe(201);
    // The flash price, and the platform coupon does not stack on a flash-sale line.
    expect(co.body.orders[0].total).toBe(9_900);
    expect(co.body.pricing.couponsApplied).toEqual([]);
    const order = (await buyer.get(`/orders/${co.body.orders[0].id}`)).body;
    expect(Date.parse(order.deadlines.payBy) - ctx.clock.now().getTime()).toBe(30 * 60_000);
    // The quota is taken: a second buyer pays the list price.
    const second = await signUp(ctx);
    await second.post('/cart/items', { skuId: a.skuId, quantity: 1 });
    expect((await second.get('/cart')).body.pricing.total).toBe(9_900);
    const sold = await second.post('/checkout', { address: ADDRESS });
    expect(sold.status).toBe(409);
    expect(sold.body.code).toBe('flash_sold_out');
    await ctx.advance({ minutes: 31 });
    expect((await buyer.get(`/orders/${co.body.orders[0].id}`)).body.status).toBe('closed');
    const again = await second.post('/checkout', { address: ADDRESS });
    expect(again.status).toBe(201);
    expect(again.body.orders[0].total).toBe(9_900);
  });

  it('explains why a coupon does not apply, in the buyer language', async () => {
    const a = await makeSku(other, categoryId, { price: 27_650 });
    const offer = await other.owner.post(`/seller/shops/${other.shopId}/coupons`, {
      name: '满300减30',
      kind: 'amount',
      amount: 3_000,
      threshold: 30_000,
      totalLimit: 10,
      perBuyerLimit: 1,
      ...window,
    });
    const coupon = await buyer.post(`/coupons/offers/${offer.body.id}/claim`);
    await buyer.post('/cart/items', { skuId: a.skuId, quantity: 1 });
    const en = await buyer.get(`/cart?couponIds=${coupon.body.id}`);
    expect(en.body.pricing.coupons[0]).toMatchObject({
      applied: false,
      missing: 2_350,
      explanation: 'spend ¥23.50 more to use it',
    });
    const zh = await buyer.get(`/cart?couponIds=${coupon.body.id}`, { 'accept-language': 'zh-CN' });
    expect(zh.body.pricing.coupons[0].explanation).toBe('再买 ¥23.50 可用');
    const notMine = await buyer.get('/cart?couponIds=cpn_nope');
    expect(notMine.status).toBe(400);
    expect(notMine.body.errors[0].path).toBe('/couponIds/0');
  });

  it('keeps campaigns to their owners and funding rules', async () => {
    const platformFunded = await seller.owner.post(`/seller/shops/${seller.shopId}/coupons`, {
      name: 'x',
      kind: 'amount',
      amount: 100,
      totalLimit: 1,
      perBuyerLimit: 1,
      funder: 'platform',
      ...window,
    });
    expect(platformFunded.status).toBe(400);
    expect(platformFunded.body.errors[0].path).toBe('/funder');
    const valid = { name: 'x', kind: 'amount', amount: 100, totalLimit: 1, perBuyerLimit: 1, ...window };
    expect((await other.owner.post(`/seller/shops/${seller.shopId}/coupons`, valid)).status).toBe(404);
    const sku = await makeSku(other, categoryId, { price: 5_000 });
    expect(
      (await buyer.post('/admin/subsidies', { skuId: sku.skuId, perUnit: 100, budget: 1_000, ...window }))
        .status,
    ).toBe(403);
    expect((await buyer.get(`/seller/shops/${seller.shopId}/promotions`)).status).toBe(403);
    const fr = await seller.owner.post(`/seller/shops/${seller.shopId}/full-reductions`, {
      name: '满100减10',
      mode: 'tiered',
      tiers: [{ threshold: 10_000, off: 1_000 }],
      ...window,
    });
    expect(
      (await other.owner.post(`/seller/shops/${other.shopId}/promotions/full_reduction/${fr.body.id}/pause`))
        .status,
    ).toBe(404);
    const paused = await seller.owner.post(
      `/seller/shops/${seller.shopId}/promotions/full_reduction/${fr.body.id}/pause`,
    );
    expect(paused.body).toEqual({ id: fr.body.id, status: 'paused' });
  });
});
