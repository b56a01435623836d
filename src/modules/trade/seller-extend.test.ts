import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { getOrder, orderHistory } from './orders';
import { pauseReceiptClock, resumeReceiptClock } from './receipt';
import {
  addStaff,
  buyAndCheckout,
  makeCategoryId,
  makeSeller,
  makeSku,
  type Seller,
  shipAndPickUp,
} from './testing';

const DAY = 86_400_000;

let ctx: TestContext;
let shop: Seller;
let other: Seller;
let categoryId: string;
let buyer: Client;
let service: Client & { accountId: string };
let operations: Client & { accountId: string };
let warehouse: Client & { accountId: string };

beforeAll(async () => {
  ctx = await makeTestApp({ sessionDays: 3650 });
  categoryId = await makeCategoryId(ctx);
  shop = await makeSeller(ctx, 'market');
  other = await makeSeller(ctx, 'market');
  buyer = await signUp(ctx);
  service = await signUp(ctx);
  operations = await signUp(ctx);
  warehouse = await signUp(ctx);
  await addStaff(ctx, shop.shopId, service, 'service');
  await addStaff(ctx, shop.shopId, operations, 'operations');
  await addStaff(ctx, shop.shopId, warehouse, 'warehouse');
});
afterAll(async () => ctx.close());

let tracking = 0;
/** A paid order of `shop`; shipped (picked up) unless told otherwise. */
async function order(opts: { ship?: boolean } = {}) {
  const { skuId } = await makeSku(shop, categoryId);
  const co = await buyAndCheckout(buyer, [{ skuId, quantity: 1 }]);
  await buyer.post(`/payments/${co.payment.id}/pay`);
  await ctx.advance({ minutes: 1 });
  const orderId = co.orders[0]!.id;
  if (opts.ship !== false) {
    const trackingNo = `SX-${++tracking}-${Math.random().toString(36).slice(2, 6)}`;
    await shipAndPickUp(ctx, shop, orderId, trackingNo);
  }
  return orderId;
}

const url = (orderId: string, shopId = shop.shopId) =>
  `/seller/shops/${shopId}/orders/${orderId}/extend-receipt`;

describe('the seller extends the receipt time', () => {
  it('service, operations and the owner extend, any number of times; the deadline moves', async () => {
    const orderId = await order();
    const confirmBy = (await getOrder(ctx.db, orderId))!.confirmBy!;
    const a = await service.post(url(orderId), { days: 3 });
    expect(a.status).toBe(200);
    expect(a.body).toEqual({ id: orderId, confirmBy: new Date(confirmBy.getTime() + 3 * DAY).toISOString() });
    const b = await operations.post(url(orderId), { days: 10 });
    expect(b.status).toBe(200);
    const c = await shop.owner.post(url(orderId), { days: 5 });
    expect(c.status).toBe(200);
    const expected = new Date(confirmBy.getTime() + 18 * DAY);
    expect(c.body.confirmBy).toBe(expected.toISOString());
    const seen = await buyer.get(`/orders/${orderId}`);
    expect(seen.body.deadlines.confirmBy).toBe(expected.toISOString());
    // the buyer's own allowance is untouched
    expect((await getOrder(ctx.db, orderId))!.receiptExtensions).toBe(0);

    const events = (await orderHistory(ctx.db, orderId)).filter(
      (e) => e.reason === 'seller_extended_receipt',
    );
    expect(events.map((e) => [e.actorType, e.actorId, e.fromStatus, e.toStatus, e.detail])).toEqual([
      ['staff', service.accountId, 'shipped', 'shipped', { days: 3, confirmBy: a.body.confirmBy }],
      ['staff', operations.accountId, 'shipped', 'shipped', { days: 10, confirmBy: b.body.confirmBy }],
      ['staff', shop.owner.accountId, 'shipped', 'shipped', { days: 5, confirmBy: c.body.confirmBy }],
    ]);

    // the old deadline (10 days) passes without confirming; the new one confirms
    await ctx.advance({ days: 10 });
    expect((await getOrder(ctx.db, orderId))!.status).toBe('shipped');
    const left = expected.getTime() - ctx.clock.now().getTime();
    await ctx.advance({ minutes: Math.floor(left / 60_000) - 1 });
    expect((await getOrder(ctx.db, orderId))!.status).toBe('shipped');
    await ctx.advance({ minutes: 1 });
    expect((await getOrder(ctx.db, orderId))!.status).toBe('succeeded');
  });

  it('only 3, 5, 7 or 10 days', async () => {
    const orderId = await order();
    const r = await shop.owner.post(url(orderId), { days: 4 });
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: { path: string }) => e.path)).toEqual(['/days']);
  });

  it('not before the order is shipped: 422 in en and zh-CN', async () => {
    const orderId = await order({ ship: false });
    const en = await shop.owner.post(url(orderId), { days: 3 });
    expect(en.status).toBe(422);
    expect(en.body).toMatchObject({
      type: 'urn:jishi:problem:seller-extend-receipt-not-shipped',
      code: 'seller_extend_receipt_not_shipped',
      title: 'Only a shipped order awaiting receipt can have its receipt time extended (now: paid)',
    });
    const zh = await client(ctx.app, shop.owner.token, 'zh-CN').post(url(orderId), { days: 3 });
    expect(zh.status).toBe(422);
    expect(zh.body.title).toBe('只有已发货、待确认收货的订单可以延长收货时间（当前：paid）');
  });

  it('not while after-sales has paused the clock: 422 in en and zh-CN; allowed again once resumed', async () => {
    const orderId = await order();
    await ctx.db.transaction((tx) => pauseReceiptClock(tx, orderId, ctx.clock.now()));
    const en = await service.post(url(orderId), { days: 7 });
    expect(en.status).toBe(422);
    expect(en.body).toMatchObject({
      type: 'urn:jishi:problem:seller-extend-receipt-clock-paused',
      title: 'The receipt clock is paused while after-sales is in progress; it cannot be extended',
    });
    const zh = await client(ctx.app, service.token, 'zh-CN').post(url(orderId), { days: 7 });
    expect(zh.status).toBe(422);
    expect(zh.body.title).toBe('售后处理中，收货倒计时已暂停，不能延长收货时间');
    expect((await getOrder(ctx.db, orderId))!.receiptPausedMs).not.toBeNull();

    const resumed = await ctx.db.transaction((tx) => resumeReceiptClock(tx, orderId, ctx.clock.now()));
    const ok = await service.post(url(orderId), { days: 7 });
    expect(ok.status).toBe(200);
    expect(ok.body.confirmBy).toBe(new Date(resumed.confirmBy!.getTime() + 7 * DAY).toISOString());
  });

  it('other roles 403, another shop 404, a buyer 403', async () => {
    const orderId = await order();
    const before = (await getOrder(ctx.db, orderId))!.confirmBy;
    const wh = await warehouse.post(url(orderId), { days: 3 });
    expect(wh.status).toBe(403);
    // another shop's owner, through this shop's path and through their own
    expect((await other.owner.post(url(orderId), { days: 3 })).status).toBe(404);
    const own = await other.owner.post(url(orderId, other.shopId), { days: 3 });
    expect(own.status).toBe(404);
    expect(own.body.code).toBe('order_not_found');
    expect((await buyer.post(url(orderId), { days: 3 })).status).toBe(403);
    expect((await getOrder(ctx.db, orderId))!.confirmBy).toEqual(before);
  });
});
