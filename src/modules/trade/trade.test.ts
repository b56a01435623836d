import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { products } from '../catalog/schema';
import { availableBySku } from '../inventory';
import { balanceOf, PLATFORM_CASH, PLATFORM_ESCROW, shopAccount } from '../ledger';
import { expectLedgerBalanced } from '../ledger/testing';
import { labelAccesses, orderEvents, orders, payments, shipments } from './schema';
import { COMMISSION_ACCOUNT } from './settlement';
import {
  ADDRESS,
  addStaff,
  buyAndCheckout,
  makeCategoryId,
  makeSeller,
  makeSku,
  type Seller,
  signedPost,
} from './testing';

let ctx: TestContext;
let mall: Seller;
let market: Seller;
let categoryId: string;
let mallSku: { skuId: string; productId: string };
let marketSku: { skuId: string; productId: string };

beforeAll(async () => {
  ctx = await makeTestApp({ sessionDays: 3650 });
  categoryId = await makeCategoryId(ctx);
  mall = await makeSeller(ctx, 'mall');
  market = await makeSeller(ctx, 'market');
  mallSku = await makeSku(mall, categoryId, { price: 10_000, stock: 50 });
  marketSku = await makeSku(market, categoryId, { price: 3_000, stock: 50 });
});
afterAll(async () => ctx.close());

const count = async (table: typeof orders | typeof payments | typeof shipments | typeof orderEvents) =>
  (await ctx.db.select().from(table)).length;

describe('the whole path through HTTP', () => {
  it('cart -> checkout -> pay -> callback -> ship -> pick-up -> receipt -> settlement', async () => {
    const buyer = await signUp(ctx);
    expect((await buyer.post('/cart/items', { skuId: mallSku.skuId, quantity: 1 })).status).toBe(200);
    const cart = await buyer.post('/cart/items', { skuId: mallSku.skuId, quantity: 1 });
    expect(cart.body.shops[0].lines[0]).toMatchObject({
      quantity: 2,
      unitPrice: 10_000,
      lineTotal: 20_000,
      problem: null,
    });
    await buyer.post('/cart/items', { skuId: marketSku.skuId, quantity: 3 });
    const view = await buyer.get('/cart');
    expect(view.status).toBe(200);
    expect(view.body.shops).toHaveLength(2);
    expect(view.body.total).toBe(29_000);
    expect(view.body.shops.map((s: { subtotal: number }) => s.subtotal).sort()).toEqual([20_000, 9_000]);

    const co = await buyer.post('/checkout', { address: ADDRESS }, { 'idempotency-key': 'co-1' });
    expect(co.status).toBe(201);
    expect(co.body.orders).toHaveLength(2);
    expect(co.body.payment.amount).toBe(29_000);
    expect((await buyer.get('/cart')).body.shops).toHaveLength(0);
    const avail = await availableBySku(ctx.db, [mallSku.skuId]);
    expect(avail.get(mallSku.skuId)).toBe(48);

    const mallOrderId = co.body.orders.find((o: { shopId: string }) => o.shopId === mall.shopId).id;
    const marketOrderId = co.body.orders.find((o: { shopId: string }) => o.shopId === market.shopId).id;
    const o = await buyer.get(`/orders/${mallOrderId}`);
    expect(o.body).toMatchObject({
      status: 'awaiting_payment',
      total: 20_000,
      shopKind: 'mall',
      rulesVersion: 1,
    });
    expect(o.body.lines[0]).toMatchObject({
      skuId: mallSku.skuId,
      quantity: 2,
      unitPrice: 10_000,
      lineTotal: 20_000,
    });
    expect(o.body.deadlines.payBy).toBe(new Date(ctx.clock.now().getTime() + 24 * 3_600_000).toISOString());

    const pay = await buyer.post(`/payments/${co.body.payment.id}/pay`);
    expect(pay.status).toBe(200);
    expect(pay.body).toEqual({ id: co.body.payment.id, status: 'processing' });
    await ctx.advance({ minutes: 1 });
    const paid = await buyer.get(`/orders/${mallOrderId}`);
    expect(paid.body.status).toBe('paid');
    expect(paid.body.deadlines.payBy).toBeUndefined();
    expect(paid.body.deadlines.shipBy).toBeDefined();
    expect(await balanceOf(ctx.db, PLATFORM_ESCROW)).toBe(29_000);

    // the seller sees the order with the buyer's contact masked
    const desk = await mall.owner.get(`/seller/shops/${mall.shopId}/orders?status=paid`);
    expect(desk.status).toBe(200);
    expect(desk.body.items[0].address.phone).toBe('138****5678');
    // buyer and merchant see the same totals for the same order
    const deskOrder = desk.body.items.find((i: { id: string }) => i.id === mallOrderId);
    expect(deskOrder.total).toBe(paid.body.total);
    expect(deskOrder.lines.map((l: { lineTotal: number }) => l.lineTotal)).toEqual(
      paid.body.lines.map((l: { lineTotal: number }) => l.lineTotal),
    );
    const label = await mall.owner.get(`/seller/shops/${mall.shopId}/orders/${mallOrderId}/shipping-label`);
    expect(label.body.address).toEqual(ADDRESS);
    expect(
      (await ctx.db.select().from(labelAccesses).where(eq(labelAccesses.orderId, mallOrderId))).length,
    ).toBe(1);

    for (const [seller, orderId, tracking] of [
      [mall, mallOrderId, 'SB-MALL-1'],
      [market, marketOrderId, 'SB-MKT-1'],
    ] as const) {
      const s = await seller.owner.post(`/seller/shops/${seller.shopId}/orders/${orderId}/shipments`, {
        carrier: 'sandbox',
        trackingNo: tracking,
      });
      expect(s.status).toBe(201);
      expect((await buyer.get(`/orders/${orderId}`)).body.status).toBe('paid');
      const scan = {
        carrier: 'sandbox',
        trackingNo: tracking,
        event: 'picked_up',
        at: ctx.clock.now().toISOString(),
      };
      const e = await signedPost(ctx, '/logistics/events', scan);
      expect(e.status).toBe(200);
      expect(e.body.status).toBe('shipped');
      expect((await signedPost(ctx, '/logistics/events', scan)).status).toBe(200); // repeat: harmless
    }
    const shipped = await buyer.get(`/orders/${mallOrderId}`);
    expect(shipped.body.status).toBe('shipped');
    expect(shipped.body.deadlines.confirmBy).toBe(
      new Date(ctx.clock.now().getTime() + 10 * 86_400_000).toISOString(),
    );

    for (const id of [mallOrderId, marketOrderId]) {
      const c = await buyer.post(`/orders/${id}/confirm-receipt`);
      expect(c.status).toBe(200);
      expect(c.body.status).toBe('succeeded');
    }
    // mall: 5% commission on 200 yuan; market: none
    expect(await balanceOf(ctx.db, shopAccount(mall.shopId, 'balance'))).toBe(19_000);
    expect(await balanceOf(ctx.db, shopAccount(market.shopId, 'balance'))).toBe(9_000);
    expect(await balanceOf(ctx.db, COMMISSION_ACCOUNT)).toBe(1_000);
    expect(await balanceOf(ctx.db, PLATFORM_ESCROW)).toBe(0);
    const [product] = await ctx.db.select().from(products).where(eq(products.id, mallSku.productId));
    expect(product!.salesCount).toBe(2);
    const history = await ctx.db.select().from(orderEvents).where(eq(orderEvents.orderId, mallOrderId));
    expect(history.map((h) => h.toStatus)).toEqual(['awaiting_payment', 'paid', 'shipped', 'succeeded']);

    // the shop withdraws: not more than its balance
    const finance = await signUp(ctx);
    await addStaff(ctx, mall.shopId, finance, 'finance');
    const tooMuch = await finance.post(`/seller/shops/${mall.shopId}/withdrawals`, {
      amount: 19_001,
      bankAccount: '6222 0000 1234',
    });
    expect(tooMuch.status).toBe(409);
    const w = await finance.post(`/seller/shops/${mall.shopId}/withdrawals`, {
      amount: 15_000,
      bankAccount: '6222 0000 1234',
    });
    expect(w.status).toBe(201);
    expect(await balanceOf(ctx.db, shopAccount(mall.shopId, 'balance'))).toBe(4_000);
    expect(await balanceOf(ctx.db, PLATFORM_CASH)).toBe(29_000 - 15_000);
    await expectLedgerBalanced(ctx.db);
  });
});

describe('payment callbacks', () => {
  async function pendingCharge(buyer: Client) {
    const co = await buyAndCheckout(buyer, [{ skuId: marketSku.skuId, quantity: 1 }]);
    await buyer.post(`/payments/${co.payment.id}/pay`);
    const [p] = await ctx.db.select().from(payments).where(eq(payments.id, co.payment.id));
    return { co, payment: p! };
  }
  const body = (p: { id: string; amount: number; chargeId: string | null }, extra = {}) => ({
    provider: 'sandbox',
    paymentId: p.id,
    chargeId: p.chargeId,
    amount: p.amount,
    status: 'succeeded',
    at: ctx.clock.now().toISOString(),
    ...extra,
  });

  it('a duplicate or replayed notification pays nothing twice', async () => {
    const buyer = await signUp(ctx);
    const { co, payment } = await pendingCharge(buyer);
    const escrow = await balanceOf(ctx.db, PLATFORM_ESCROW);
    const first = await signedPost(ctx, '/payments/callbacks/sandbox', body(payment));
    expect(first.status).toBe(200);
    expect(first.body.outcome).toBe('paid');
    const again = await signedPost(ctx, '/payments/callbacks/sandbox', body(payment));
    expect(again.body.outcome).toBe('duplicate');
    await ctx.advance({ minutes: 1 }); // the sandbox's own delivery arrives too
    expect(await balanceOf(ctx.db, PLATFORM_ESCROW)).toBe(escrow + payment.amount);
    expect((await buyer.get(`/orders/${co.orders[0]!.id}`)).body.status).toBe('paid');
    await expectLedgerBalanced(ctx.db);
  });

  it('the same notification delivered five times at once is applied once', async () => {
    const buyer = await signUp(ctx);
    const { payment } = await pendingCharge(buyer);
    const cash = await balanceOf(ctx.db, PLATFORM_CASH);
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => signedPost(ctx, '/payments/callbacks/sandbox', body(payment))),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.filter((a) => a.body.outcome === 'paid')).toHaveLength(1);
    expect(await balanceOf(ctx.db, PLATFORM_CASH)).toBe(cash + payment.amount);
    await expectLedgerBalanced(ctx.db);
  });

  it('a forged signature, a stale timestamp or a wrong amount changes nothing', async () => {
    const buyer = await signUp(ctx);
    const { co, payment } = await pendingCharge(buyer);
    const cash = await balanceOf(ctx.db, PLATFORM_CASH);
    const warn = vi.spyOn(ctx.app.log, 'warn');
    const forged = await signedPost(ctx, '/payments/callbacks/sandbox', body(payment), { secret: 'guess' });
    expect(forged.status).toBe(401);
    expect(forged.body.code).toBe('signature_invalid');
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ what: 'payment' }),
      'signed notification refused',
    );
    warn.mockRestore();
    const stale = await signedPost(ctx, '/payments/callbacks/sandbox', body(payment), {
      at: new Date(ctx.clock.now().getTime() - 6 * 60_000),
    });
    expect(stale.status).toBe(401);
    const noHeader = await signedPost(ctx, '/payments/callbacks/sandbox', body(payment), { signature: '' });
    expect(noHeader.status).toBe(401);
    const wrong = await signedPost(ctx, '/payments/callbacks/sandbox', body(payment, { amount: 1 }));
    expect(wrong.status).toBe(409);
    expect(await balanceOf(ctx.db, PLATFORM_CASH)).toBe(cash);
    expect((await buyer.get(`/orders/${co.orders[0]!.id}`)).body.status).toBe('awaiting_payment');
    const forgedScan = await signedPost(
      ctx,
      '/logistics/events',
      { carrier: 'sandbox', trackingNo: 'X', event: 'picked_up', at: ctx.clock.now().toISOString() },
      { secret: 'guess' },
    );
    expect(forgedScan.status).toBe(401);
  });
});

describe('tenancy', () => {
  it('staff of another shop get 404; another buyer gets 404', async () => {
    const buyer = await signUp(ctx);
    const co = await buyAndCheckout(buyer, [{ skuId: mallSku.skuId, quantity: 1 }]);
    await buyer.post(`/payments/${co.payment.id}/pay`);
    await ctx.advance({ minutes: 1 });
    const orderId = co.orders[0]!.id;
    const other = market.owner;
    const os = market.shopId;
    expect((await other.get(`/seller/shops/${mall.shopId}/orders`)).status).toBe(404);
    expect((await other.get(`/seller/shops/${os}/orders/${orderId}`)).status).toBe(404);
    expect((await other.get(`/seller/shops/${os}/orders/${orderId}/shipping-label`)).status).toBe(404);
    const ship = await other.post(`/seller/shops/${os}/orders/${orderId}/shipments`, {
      carrier: 'sandbox',
      trackingNo: 'T-1',
    });
    expect(ship.status).toBe(404);
    expect(
      (await other.get(`/seller/shops/${os}/orders`)).body.items.map((o: { id: string }) => o.id),
    ).not.toContain(orderId);
    const stranger = await signUp(ctx);
    expect((await stranger.get(`/orders/${orderId}`)).status).toBe(404);
    expect((await stranger.post(`/orders/${orderId}/confirm-receipt`)).status).toBe(404);
    expect((await stranger.post(`/payments/${co.payment.id}/pay`)).status).toBe(404);
    expect((await stranger.get('/orders')).body.items).toHaveLength(0);
    // a service-role colleague may read but not print labels
    const service = await signUp(ctx);
    await addStaff(ctx, mall.shopId, service, 'service');
    expect((await service.get(`/seller/shops/${mall.shopId}/orders/${orderId}/shipping-label`)).status).toBe(
      403,
    );
  });
});

describe('bad input answers a problem and writes nothing', () => {
  it('cart and checkout', async () => {
    const buyer = await signUp(ctx);
    const before = { orders: await count(orders), payments: await count(payments) };
    const neg = await buyer.post('/cart/items', { skuId: mallSku.skuId, quantity: -1 });
    expect(neg.status).toBe(400);
    expect(neg.headers['content-type']).toContain('application/problem+json');
    expect((await buyer.post('/cart/items', { skuId: mallSku.skuId, quantity: 1.5 })).status).toBe(400);
    const unknown = await buyer.post('/cart/items', { skuId: 'sku_nope', quantity: 1 });
    expect(unknown.status).toBe(404);
    expect(unknown.body.errors[0].path).toBe('/skuId');
    const draft = await makeSku(market, categoryId, { publish: false });
    const unpublished = await buyer.post('/cart/items', { skuId: draft.skuId, quantity: 1 });
    expect(unpublished.status).toBe(409);
    expect(unpublished.body.code).toBe('sku_not_for_sale');
    const empty = await buyer.post('/checkout', { address: ADDRESS });
    expect(empty.status).toBe(422);
    expect(empty.body.code).toBe('cart_empty');
    await buyer.post('/cart/items', { skuId: mallSku.skuId, quantity: 1 });
    const noPhone = await buyer.post('/checkout', { address: { name: 'a', region: 'b', line: 'c' } });
    expect(noPhone.status).toBe(400);
    expect(noPhone.body.errors.map((e: { path: string }) => e.path)).toContain('/address/phone');
    const tooMany = await buyer.patch(`/cart/items/${mallSku.skuId}`, { quantity: 60 });
    expect(tooMany.status).toBe(200);
    expect(tooMany.body.shops[0].lines[0].problem).toBe('insufficient_stock');
    const short = await buyer.post('/checkout', { address: ADDRESS });
    expect(short.status).toBe(409);
    expect(short.body.code).toBe('insufficient_stock');
    expect(short.body.detail).toContain(mallSku.skuId);
    expect({ orders: await count(orders), payments: await count(payments) }).toEqual(before);
    expect((await buyer.delete(`/cart/items/${mallSku.skuId}`)).status).toBe(200);
    expect((await buyer.delete(`/cart/items/${mallSku.skuId}`)).status).toBe(404);
  });

  it('a second shipment for one order is refused', async () => {
    const buyer = await signUp(ctx);
    const co = await buyAndCheckout(buyer, [{ skuId: marketSku.skuId, quantity: 1 }]);
    const orderId = co.orders[0]!.id;
    const early = await market.owner.post(`/seller/shops/${market.shopId}/orders/${orderId}/shipments`, {
      carrier: 'sandbox',
      trackingNo: 'EARLY',
    });
    expect(early.status).toBe(409); // not paid yet
    await buyer.post(`/payments/${co.payment.id}/pay`);
    await ctx.advance({ minutes: 1 });
    const url = `/seller/shops/${market.shopId}/orders/${orderId}/shipments`;
    expect((await market.owner.post(url, { carrier: 'sandbox', trackingNo: 'TWICE-1' })).status).toBe(201);
    const before = await count(shipments);
    const second = await market.owner.post(url, { carrier: 'sandbox', trackingNo: 'TWICE-2' });
    expect(second.status).toBe(409);
    expect(second.body.code).toBe('shipment_exists');
    expect(await count(shipments)).toBe(before);
    const bad = await market.owner.post(url, { carrier: '' });
    expect(bad.status).toBe(400);
  });
});

describe('cart and checkout details', () => {
  it('flags lines that cannot be bought, checks out only the chosen lines and replays a retried checkout', async () => {
    const buyer = await signUp(ctx, { lang: 'zh-CN' });
    const gone = await makeSku(market, categoryId, { price: 2_000 });
    await buyer.post('/cart/items', { skuId: gone.skuId, quantity: 1 });
    await buyer.post('/cart/items', { skuId: marketSku.skuId, quantity: 2 });
    await buyer.post('/cart/items', { skuId: mallSku.skuId, quantity: 1 });
    const unpublish = await market.owner.post(
      `/seller/shops/${market.shopId}/products/${gone.productId}/unpublish`,
    );
    expect(unpublish.status).toBe(200);
    const cart = await buyer.get('/cart');
    const marketGroup = cart.body.shops.find((g: { shopId: string }) => g.shopId === market.shopId);
    expect(marketGroup.lines.find((l: { skuId: string }) => l.skuId === gone.skuId).problem).toBe(
      'not_for_sale',
    );
    expect(marketGroup.subtotal).toBe(6_000);
    expect(cart.body.total).toBe(16_000);
    const refused = await buyer.post('/checkout', { address: ADDRESS });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('sku_not_for_sale');
    expect(refused.body.title).toContain('下架');

    const key = { 'idempotency-key': 'partial-1' };
    const co = await buyer.post('/checkout', { address: ADDRESS, skuIds: [marketSku.skuId] }, key);
    expect(co.status).toBe(201);
    expect(co.body.orders).toEqual([
      {
        id: expect.any(String),
        shopId: market.shopId,
        total: 6_000,
        pointsAmount: 0,
        returnInsurance: 'none',
        returnInsurancePremium: 0,
      },
    ]);
    const replay = await buyer.post('/checkout', { address: ADDRESS, skuIds: [marketSku.skuId] }, key);
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(co.body);
    const left = await buyer.get('/cart');
    expect(
      left.body.shops.flatMap((g: { lines: { skuId: string }[] }) => g.lines.map((l) => l.skuId)).sort(),
    ).toEqual([gone.skuId, mallSku.skuId].sort());
    const mine = await buyer.get('/orders?status=awaiting_payment');
    expect(mine.body.items.map((o: { id: string }) => o.id)).toEqual([co.body.orders[0].id]);
    expect((await buyer.get('/orders?status=paid')).body.items).toHaveLength(0);
  });
});
