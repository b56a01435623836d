import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { cancelDeadline } from '../../kernel/scheduler';
import { availableBySku } from '../inventory';
import { balanceOf, PLATFORM_CASH, PLATFORM_ESCROW, shopAccount } from '../ledger';
import { expectLedgerBalanced } from '../ledger/testing';
import { getOrder, SANDBOX_CALLBACK } from './orders';
import { pauseReceiptClock, resumeReceiptClock } from './receipt';
import { payments } from './schema';
import {
  buyAndCheckout,
  makeCategoryId,
  makeSeller,
  makeSku,
  paidOrder,
  type Seller,
  shipAndPickUp,
  signedPost,
} from './testing';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let ctx: TestContext;
let mall: Seller;
let market: Seller;
let categoryId: string;

beforeAll(async () => {
  ctx = await makeTestApp({ sessionDays: 3650 });
  categoryId = await makeCategoryId(ctx);
  mall = await makeSeller(ctx, 'mall');
  market = await makeSeller(ctx, 'market');
});
afterAll(async () => ctx.close());

const ship = (seller: Seller, orderId: string, trackingNo: string) =>
  shipAndPickUp(ctx, seller, orderId, trackingNo);

describe('pay-by', () => {
  it('an unpaid order closes after 24 h and its stock returns', async () => {
    const { skuId } = await makeSku(market, categoryId, { stock: 5 });
    const buyer = await signUp(ctx);
    const co = await buyAndCheckout(buyer, [{ skuId, quantity: 2 }]);
    expect((await availableBySku(ctx.db, [skuId])).get(skuId)).toBe(3);
    await ctx.advance({ hours: 23, minutes: 59 });
    expect((await buyer.get(`/orders/${co.orders[0]!.id}`)).body.status).toBe('awaiting_payment');
    await ctx.advance({ minutes: 1 });
    const o = (await buyer.get(`/orders/${co.orders[0]!.id}`)).body;
    expect(o).toMatchObject({ status: 'closed', closeReason: 'unpaid_timeout' });
    expect((await availableBySku(ctx.db, [skuId])).get(skuId)).toBe(5);
    const [p] = await ctx.db.select().from(payments).where(eq(payments.id, co.payment.id));
    expect(p!.status).toBe('closed');
    expect((await buyer.post(`/payments/${co.payment.id}/pay`)).status).toBe(409);
  });

  it('a success arriving after the orders closed is refunded, not revived', async () => {
    const { skuId } = await makeSku(market, categoryId, { stock: 5 });
    const buyer = await signUp(ctx);
    const co = await buyAndCheckout(buyer, [{ skuId, quantity: 1 }]);
    // the charge opens; its notification is lost, and the order closes at 24 h
    await buyer.post(`/payments/${co.payment.id}/pay`);
    const [p] = await ctx.db.select().from(payments).where(eq(payments.id, co.payment.id));
    // the provider's delivery is lost
    await cancelDeadline(ctx.db, SANDBOX_CALLBACK, p!.id, ctx.clock.now());
    await ctx.advance({ hours: 24 });
    expect((await buyer.get(`/orders/${co.orders[0]!.id}`)).body.status).toBe('closed');
    const cash = await balanceOf(ctx.db, PLATFORM_CASH);
    const late = await signedPost(ctx, '/payments/callbacks/sandbox', {
      provider: 'sandbox',
      paymentId: p!.id,
      chargeId: p!.chargeId,
      amount: p!.amount,
      status: 'succeeded',
      at: ctx.clock.now().toISOString(),
    });
    expect(late.status).toBe(200);
    expect(late.body.outcome).toBe('refunded');
    expect((await buyer.get(`/orders/${co.orders[0]!.id}`)).body.status).toBe('closed');
    expect(await balanceOf(ctx.db, PLATFORM_CASH)).toBe(cash);
    const [after] = await ctx.db.select().from(payments).where(eq(payments.id, p!.id));
    expect(after!.status).toBe('refunded');
    await expectLedgerBalanced(ctx.db);
  });
});

describe('ship-by', () => {
  it('mall 48 h, market 72 h, a product promising 24 h', async () => {
    const buyer = await signUp(ctx);
    const mallOrder = await paidOrder(ctx, buyer, (await makeSku(mall, categoryId)).skuId);
    expect(mallOrder.shipBy.getTime() - mallOrder.paidAt.getTime()).toBe(48 * HOUR);
    const marketOrder = await paidOrder(ctx, buyer, (await makeSku(market, categoryId)).skuId);
    expect(marketOrder.shipBy.getTime() - marketOrder.paidAt.getTime()).toBe(72 * HOUR);
    const fast = await paidOrder(
      ctx,
      buyer,
      (await makeSku(market, categoryId, { shipWithinHours: 24 })).skuId,
    );
    expect(fast.shipBy.getTime() - fast.paidAt.getTime()).toBe(24 * HOUR);

    // nobody ships the fast one in time: it is marked late and stays paid
    await ship(market, marketOrder.orderId, 'ONTIME-1');
    await ctx.advance({ hours: 24 });
    const lateOne = (await buyer.get(`/orders/${fast.orderId}`)).body;
    expect(lateOne).toMatchObject({ status: 'paid', shipLate: true });
    const stats = await market.owner.get(`/seller/shops/${market.shopId}/orders/stats`);
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({ due: 1, late: 1, onTime: 0, onTimeRate: 0 });
    const soon = await mall.owner.get(`/seller/shops/${mall.shopId}/orders?shipWithinHours=6`);
    expect(soon.body.items).toHaveLength(0);
    await ctx.advance({ hours: 20 });
    const due = await mall.owner.get(`/seller/shops/${mall.shopId}/orders?shipWithinHours=6`);
    expect(due.body.items.map((o: { id: string }) => o.id)).toEqual([mallOrder.orderId]);
    await ctx.advance({ hours: 48 });
    const later = await market.owner.get(`/seller/shops/${market.shopId}/orders/stats`);
    expect(later.body).toMatchObject({ due: 2, late: 1, onTime: 1, onTimeRate: 0.5 });
  });
});

describe('receipt', () => {
  it('auto-confirms 10 days after pick-up and settles', async () => {
    const buyer = await signUp(ctx);
    const own = await makeSeller(ctx, 'market');
    const { orderId } = await paidOrder(ctx, buyer, (await makeSku(own, categoryId, { price: 5_000 })).skuId);
    await ship(own, orderId, 'AUTO-1');
    const before = await balanceOf(ctx.db, shopAccount(own.shopId, 'balance'));
    await ctx.advance({ days: 9, hours: 23 });
    expect((await buyer.get(`/orders/${orderId}`)).body.status).toBe('shipped');
    await ctx.advance({ hours: 1 });
    expect((await buyer.get(`/orders/${orderId}`)).body.status).toBe('succeeded');
    expect(await balanceOf(ctx.db, shopAccount(own.shopId, 'balance'))).toBe(before + 5_000);
    expect((await buyer.post(`/orders/${orderId}/confirm-receipt`)).status).toBe(409);
    await expectLedgerBalanced(ctx.db);
  });

  it('the buyer extends once by 3 days, only when 3 days or fewer remain', async () => {
    const buyer = await signUp(ctx);
    const { orderId } = await paidOrder(ctx, buyer, (await makeSku(market, categoryId)).skuId);
    expect((await buyer.post(`/orders/${orderId}/extend-receipt`)).status).toBe(409); // not shipped
    await ship(market, orderId, 'EXT-1');
    const confirmBy = new Date((await buyer.get(`/orders/${orderId}`)).body.deadlines.confirmBy);
    const early = await buyer.post(`/orders/${orderId}/extend-receipt`);
    expect(early.status).toBe(422);
    expect(early.body.code).toBe('receipt_extension_too_early');
    await ctx.advance({ days: 7 });
    const ok = await buyer.post(`/orders/${orderId}/extend-receipt`);
    expect(ok.status).toBe(200);
    expect(ok.body.confirmBy).toBe(new Date(confirmBy.getTime() + 3 * DAY).toISOString());
    const twice = await buyer.post(`/orders/${orderId}/extend-receipt`);
    expect(twice.status).toBe(422);
    expect(twice.body.code).toBe('receipt_extension_used');
    await ctx.advance({ days: 3 });
    expect((await buyer.get(`/orders/${orderId}`)).body.status).toBe('shipped');
    await ctx.advance({ days: 3 });
    expect((await buyer.get(`/orders/${orderId}`)).body.status).toBe('succeeded');
  });

  it('pausing keeps the time left; resuming restarts it', async () => {
    const buyer = await signUp(ctx);
    const { orderId } = await paidOrder(ctx, buyer, (await makeSku(market, categoryId)).skuId);
    await ship(market, orderId, 'PAUSE-1');
    await ctx.advance({ days: 4 });
    const paused = await ctx.db.transaction((tx) => pauseReceiptClock(tx, orderId, ctx.clock.now()));
    expect(paused.receiptPausedMs).toBe(6 * DAY);
    expect((await buyer.get(`/orders/${orderId}`)).body.receiptPaused).toBe(true);
    await ctx.advance({ days: 20 });
    expect((await getOrder(ctx.db, orderId))!.status).toBe('shipped');
    const resumed = await ctx.db.transaction((tx) => resumeReceiptClock(tx, orderId, ctx.clock.now()));
    expect(resumed.confirmBy!.getTime()).toBe(ctx.clock.now().getTime() + 6 * DAY);
    expect(resumed.receiptPausedMs).toBeNull();
    await ctx.advance({ days: 5, hours: 23 });
    expect((await getOrder(ctx.db, orderId))!.status).toBe('shipped');
    await ctx.advance({ hours: 1 });
    expect((await getOrder(ctx.db, orderId))!.status).toBe('succeeded');
    expect(await balanceOf(ctx.db, PLATFORM_ESCROW)).toBeGreaterThanOrEqual(0);
    await expectLedgerBalanced(ctx.db);
  });
});
