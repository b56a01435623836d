import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { makeCategories } from '../catalog/testing';
import { expectLedgerBalanced } from '../ledger/testing';
import { payDeposit } from '../merchants';
import {
  ADDRESS,
  buyAndCheckout,
  makeSeller,
  makeSku,
  paidOrder,
  type Seller,
  shipAndPickUp,
  signedPost,
} from '../trade/testing';
import { noReasonWindow } from './refunds';

const HOUR = 3_600_000;

describe('refunds and returns', () => {
  let ctx: TestContext;
  let seller: Seller;
  let buyer: Client & { accountId: string };
  let operator: Client;
  let categoryId: string;
  let skuId: string;
  let tracking = 0;

  beforeEach(async () => {
    ctx = await makeTestApp({ sessionDays: 3650 });
    categoryId = (await makeCategories(ctx)).headphones.id;
    seller = await makeSeller(ctx, 'market');
    buyer = await signUp(ctx);
    operator = await signUp(ctx, { operator: true });
    skuId = (await makeSku(seller, categoryId, { price: 10_000, stock: 50 })).skuId;
  });
  afterEach(async () => {
    await expectLedgerBalanced(ctx.db);
    await ctx.close();
  });

  const shipped = async () => {
    const o = await paidOrder(ctx, buyer, skuId);
    await shipAndPickUp(ctx, seller, o.orderId, `RT${++tracking}${Date.now()}`);
    return o;
  };
  const order = async (id: string) => (await buyer.get(`/orders/${id}`)).body;
  const seller$ = (path: string) => `/seller/shops/${seller.shopId}${path}`;
  const count = async (query: string) => {
    const res = (await ctx.db.execute(query)) as unknown as { rows?: { n: number | string }[] };
    return Number((res.rows ?? (res as unknown as { n: number }[]))[0]?.n ?? 0);
  };

  it('an unshipped refund the seller ignores is paid at 48 h, not a moment earlier, and closes the order', async () => {
    const o = await paidOrder(ctx, buyer, skuId);
    const r = await buyer.post(`/orders/${o.orderId}/refunds`, {
      kind: 'refund_only',
      reason: 'no_longer_needed',
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ status: 'requested', stage: 'unshipped', amount: 10_000 });
    expect(Date.parse(r.body.actBy) - ctx.clock.now().getTime()).toBe(48 * HOUR);

    await ctx.advance({ hours: 47, minutes: 59 });
    expect((await buyer.get(`/refunds/${r.body.id}`)).body.status).toBe('requested');
    await ctx.advance({ minutes: 1 });
    const done = (await buyer.get(`/refunds/${r.body.id}`)).body;
    expect(done).toMatchObject({ status: 'refunded', fundedFrom: 'escrow', amount: 10_000 });
    expect(done.history.map((h: { to: string }) => h.to)).toEqual(['requested', 'refunded']);
    expect(await order(o.orderId)).toMatchObject({ status: 'closed', closeReason: 'refunded' });
    // Once more past the deadline: nothing is paid twice.
    await ctx.advance({ hours: 48 });
    expect(
      await count(
        `select count(*)::int as n from ledger_transactions where kind = 'refund' and ref = '${r.body.id}'`,
      ),
    ).toBe(1);
  });

  it('a late shipment refunds at once with not_shipped_on_time, never before the deadline', async () => {
    const o = await paidOrder(ctx, buyer, skuId);
    await ctx.advance({ minutes: (o.shipBy.getTime() - ctx.clock.now().getTime()) / 60_000 - 1 });
    const early = await buyer.post(`/orders/${o.orderId}/refunds`, {
      kind: 'refund_only',
      reason: 'not_shipped_on_time',
    });
    expect(early.status).toBe(422);
    expect(early.body.type).toBe('urn:jishi:problem:not-late-yet');
    await ctx.advance({ minutes: 2 });
    const r = await buyer.post(`/orders/${o.orderId}/refunds`, {
      kind: 'refund_only',
      reason: 'not_shipped_on_time',
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ status: 'refunded', amount: 10_000, fundedFrom: 'escrow' });
    expect(await order(o.orderId)).toMatchObject({ status: 'closed', closeReason: 'refunded' });
    // The units went back to sale.
    expect(await count(`select sum(reserved)::int as n from stock where sku_id = '${skuId}'`)).toBe(0);
  });

  it('a partial refund of one line of a three-line order refunds exactly that line', async () => {
    const a = await makeSku(seller, categoryId, { price: 3_333, stock: 10 });
    const b = await makeSku(seller, categoryId, { price: 12_345, stock: 10 });
    const c = await makeSku(seller, categoryId, { price: 999, stock: 10 });
    const co = await buyAndCheckout(buyer, [
      { skuId: a.skuId, quantity: 3 },
      { skuId: b.skuId, quantity: 1 },
      { skuId: c.skuId, quantity: 2 },
    ]);
    await buyer.post(`/payments/${co.payment.id}/pay`);
    await ctx.advance({ minutes: 1 });
    const orderId = co.orders[0]!.id;
    const lines = (await order(orderId)).lines as { id: string; skuId: string; paidAmount: number }[];
    const lineA = lines.find((l) => l.skuId === a.skuId)!;

    // Two of three units of line A: 2/3 of 9,999 is 6,666; the last unit returns the remaining 3,333.
    const r1 = await buyer.post(`/orders/${orderId}/refunds`, {
      kind: 'refund_only',
      reason: 'no_longer_needed',
      lines: [{ orderLineId: lineA.id, quantity: 2 }],
    });
    expect(r1.body.amount).toBe(6_666);
    const ok = await seller.owner.post(seller$(`/refunds/${r1.body.id}/approve`));
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('refunded');
    const tooMany = await buyer.post(`/orders/${orderId}/refunds`, {
      kind: 'refund_only',
      reason: 'no_longer_needed',
      lines: [{ orderLineId: lineA.id, quantity: 2 }],
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errors[0]).toMatchObject({ path: '/lines/0/quantity' });
    const r2 = await buyer.post(`/orders/${orderId}/refunds`, {
      kind: 'refund_only',
      reason: 'no_longer_needed',
      lines: [{ orderLineId: lineA.id, quantity: 1 }],
    });
    expect(r2.body.amount).toBe(3_333);
    await seller.owner.post(seller$(`/refunds/${r2.body.id}/approve`));
    const after = await order(orderId);
    expect(after.status).toBe('paid');
    const refundedA = after.lines.find((l: { id: string }) => l.id === lineA.id);
    expect(refundedA).toMatchObject({ refundedQuantity: 3, refundedAmount: lineA.paidAmount });
    for (const l of after.lines.filter((x: { id: string }) => x.id !== lineA.id)) {
      expect(l).toMatchObject({ refundedQuantity: 0, refundedAmount: 0 });
    }
    // Settlement later pays the shop only for what was not refunded.
    await shipAndPickUp(ctx, seller, orderId, `RT-partial-${Date.now()}`);
    await buyer.post(`/orders/${orderId}/confirm-receipt`);
    const ledger = (await seller.owner.get(seller$('/ledger'))).body;
    expect(ledger.balance).toBe(12_345 + 999 * 2);
  });

  it('two concurrent approvals pay once', async () => {
    const o = await paidOrder(ctx, buyer, skuId);
    const r = await buyer.post(`/orders/${o.orderId}/refunds`, {
      kind: 'refund_only',
      reason: 'no_longer_needed',
    });
    const answers = await Promise.all([
      seller.owner.post(seller$(`/refunds/${r.body.id}/approve`)),
      seller.owner.post(seller$(`/refunds/${r.body.id}/approve`)),
      seller.owner.post(seller$(`/refunds/${r.body.id}/approve`)),
    ]);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(2);
    expect(
      await count(
        `select count(*)::int as n from ledger_transactions where kind = 'refund' and ref = '${r.body.id}'`,
      ),
    ).toBe(1);
    expect((await order(o.orderId)).lines[0].refundedAmount).toBe(10_000);
  });

  it('return and refund: seller silent 5 days -> awaiting return; shipped back; seller silent 10 days -> refunded', async () => {
    const o = await shipped();
    const r = await buyer.post(`/orders/${o.orderId}/refunds`, {
      kind: 'return_refund',
      reason: 'quality_issue',
    });
    expect(r.body).toMatchObject({ status: 'requested', stage: 'shipped' });
    expect((await order(o.orderId)).receiptPaused).toBe(true);
    await ctx.advance({ hours: 119, minutes: 59 });
    expect((await buyer.get(`/refunds/${r.body.id}`)).body.status).toBe('requested');
    await ctx.advance({ minutes: 1 });
    const waiting = (await buyer.get(`/refunds/${r.body.id}`)).body;
    expect(waiting.status).toBe('awaiting_return');

    const back = await buyer.post(`/refunds/${r.body.id}/return-shipment`, {
      carrier: 'sandbox',
      trackingNo: 'BACK-1',
      postage: 1_200,
    });
    expect(back.body.status).toBe('return_shipped');
    await ctx.advance({ days: 9, hours: 23, minutes: 59 });
    expect((await buyer.get(`/refunds/${r.body.id}`)).body.status).toBe('return_shipped');
    await ctx.advance({ minutes: 1 });
    const done = (await buyer.get(`/refunds/${r.body.id}`)).body;
    // Quality fault: the seller pays the postage back too, from its balance or deposit.
    expect(done).toMatchObject({
      status: 'refunded',
      amount: 10_000,
      postagePaidBy: 'seller',
      postageRefund: 1_200,
    });
    expect(await order(o.orderId)).toMatchObject({ status: 'closed' });
  });

  it('a return never shipped closes after 7 days and the receipt clock runs again', async () => {
    const o = await shipped();
    const before = (await order(o.orderId)).deadlines.confirmBy;
    const r = await buyer.post(`/orders/${o.orderId}/refunds`, {
      kind: 'return_refund',
      reason: 'not_as_described',
    });
    await ctx.advance({ hours: 1 });
    await seller.owner.post(seller$(`/refunds/${r.body.id}/approve`));
    await ctx.advance({ days: 6, hours: 23, minutes: 59 });
    expect((await buyer.get(`/refunds/${r.body.id}`)).body.status).toBe('awaiting_return');
    await ctx.advance({ minutes: 1 });
    const closed = (await buyer.get(`/refunds/${r.body.id}`)).body;
    expect(closed).toMatchObject({ status: 'closed', closeReason: 'return_not_shipped' });
    const again = await order(o.orderId);
    expect(again.receiptPaused).toBe(false);
    // The clock kept the time that was left: it moved by the days it was stopped.
    expect(Date.parse(again.deadlines.confirmBy) - Date.parse(before)).toBe((7 * 24 + 1) * HOUR);
  });

  it('a refusal the buyer lets pass closes after 7 days; an escalation goes to the operator', async () => {
    const o1 = await shipped();
    const r1 = await buyer.post(`/orders/${o1.orderId}/refunds`, {
      kind: 'refund_only',
      reason: 'not_received',
    });
    const refused = await seller.owner.post(seller$(`/refunds/${r1.body.id}/refuse`), {
      reason: '物流显示已签收',
    });
    expect(refused.body).toMatchObject({ status: 'refused', refusalReason: '物流显示已签收' });
    await ctx.advance({ days: 6, hours: 23, minutes: 59 });
    expect((await buyer.get(`/refunds/${r1.body.id}`)).body.status).toBe('refused');
    await ctx.advance({ minutes: 1 });
    expect((await buyer.get(`/refunds/${r1.body.id}`)).body).toMatchObject({
      status: 'closed',
      closeReason: 'refusal_accepted',
    });

    const o2 = await shipped();
    const r2 = await buyer.post(`/orders/${o2.orderId}/refunds`, {
      kind: 'refund_only',
      reason: 'not_received',
    });
    await seller.owner.post(seller$(`/refunds/${r2.body.id}/refuse`), { reason: '已签收' });
    const esc = await buyer.post(`/refunds/${r2.body.id}/escalate`, { detail: '我没有收到' });
    expect(esc.body.status).toBe('escalated');
    await ctx.advance({ days: 30 });
    expect((await buyer.get(`/refunds/${r2.body.id}`)).body.status).toBe('escalated');
    const queue = await operator.get('/admin/refunds?status=escalated');
    expect(queue.body.items.map((x: { id: string }) => x.id)).toContain(r2.body.id);
    const decided = await operator.post(`/admin/refunds/${r2.body.id}/decide`, {
      outcome: 'refund',
      note: '物流签收照片不是买家',
    });
    expect(decided.body).toMatchObject({ status: 'refunded', decisionNote: '物流签收照片不是买家' });
  });

  it('after trade success the shop pays the refund from its balance, commission coming back', async () => {
    const mall = await makeSeller(ctx, 'mall');
    const mallSku = (await makeSku(mall, categoryId, { price: 20_000 })).skuId;
    const o = await paidOrder(ctx, buyer, mallSku);
    await shipAndPickUp(ctx, mall, o.orderId, `RT-mall-${Date.now()}`);
    await buyer.post(`/orders/${o.orderId}/confirm-receipt`);
    const settled = (await mall.owner.get(`/seller/shops/${mall.shopId}/ledger`)).body;
    expect(settled.balance).toBe(19_000); // 5% mall commission
    // Mall trade success earns one point per yuan paid.
    expect((await buyer.get('/me/points')).body.balance).toBe(200);

    const r = await buyer.post(`/orders/${o.orderId}/refunds`, { kind: 'return_refund', reason: 'damaged' });
    expect(r.body.stage).toBe('succeeded');
    await mall.owner.post(`/seller/shops/${mall.shopId}/refunds/${r.body.id}/approve`);
    await buyer.post(`/refunds/${r.body.id}/return-shipment`, { carrier: 'sandbox', trackingNo: 'BACK-M' });
    const done = await mall.owner.post(`/seller/shops/${mall.shopId}/refunds/${r.body.id}/confirm-return`);
    expect(done.body).toMatchObject({ status: 'refunded', fundedFrom: 'shop', amount: 20_000 });
    const after = (await mall.owner.get(`/seller/shops/${mall.shopId}/ledger`)).body;
    expect(after.balance).toBe(0);
    // The refund takes the earned points back.
    expect((await buyer.get('/me/points')).body.balance).toBe(0);
    // The statement explains the movement.
    expect(after.lines.items[0]).toMatchObject({ kind: 'refund', amount: -19_000 });
    expect(after.lines.items[0].memo).toContain(r.body.id);

    // Outside the 15-day after-sales window, no more requests.
    const o2 = await paidOrder(ctx, buyer, mallSku);
    await shipAndPickUp(ctx, mall, o2.orderId, `RT-mall2-${Date.now()}`);
    await buyer.post(`/orders/${o2.orderId}/confirm-receipt`);
    await ctx.advance({ days: 15 });
    const last = await buyer.post(`/orders/${o2.orderId}/refunds`, { kind: 'refund_only', reason: 'other' });
    expect(last.status).toBe(201);
    await buyer.post(`/refunds/${last.body.id}/withdraw`);
    await ctx.advance({ minutes: 1 });
    const late = await buyer.post(`/orders/${o2.orderId}/refunds`, { kind: 'refund_only', reason: 'other' });
    expect(late.status).toBe(422);
    expect(late.body.type).toBe('urn:jishi:problem:after-sales-window-closed');
  });

  it('seven-day no-reason return: 168 h from 00:00 the day after delivery; insurance pays the postage', async () => {
    const cats = await makeCategories(ctx);
    const fruit = (await makeSku(seller, cats.fruit.id, { price: 5_000 })).skuId;
    // Fresh fruit is not eligible.
    const f = await paidOrder(ctx, buyer, fruit);
    await shipAndPickUp(ctx, seller, f.orderId, `RT-fruit-${Date.now()}`);
    const refused = await buyer.post(`/orders/${f.orderId}/refunds`, {
      kind: 'return_refund',
      reason: 'no_reason',
    });
    expect(refused.status).toBe(422);
    expect(refused.body.type).toBe('urn:jishi:problem:no-reason-not-eligible');

    // The buyer buys return-shipping insurance at checkout.
    await buyer.post('/cart/items', { skuId, quantity: 1 });
    const co = await buyer.post('/checkout', { address: ADDRESS, returnInsurance: true });
    expect(co.body.orders[0]).toMatchObject({ returnInsurance: 'buyer', returnInsurancePremium: 150 });
    expect(co.body.payment.amount).toBe(10_150);
    await buyer.post(`/payments/${co.body.payment.id}/pay`);
    await ctx.advance({ minutes: 1 });
    const orderId = co.body.orders[0].id;
    const trackingNo = `RT-nr-${Date.now()}`;
    await shipAndPickUp(ctx, seller, orderId, trackingNo);
    // Delivered (signed for) at 2026-11-03 10:00 China time = 02:00Z; the window runs from
    // 2026-11-04 00:00 China time (11-03 16:00Z) for 168 h.
    await ctx.advance({ hours: 48 });
    const deliveredAt = ctx.clock.now();
    await signedPost(ctx, '/logistics/events', {
      carrier: 'sandbox',
      trackingNo,
      event: 'delivered',
      at: deliveredAt.toISOString(),
    });
    const window = noReasonWindow(deliveredAt, 168);
    expect(window.from.toISOString()).toBe('2026-11-03T16:00:00.000Z');
    expect(window.until.toISOString()).toBe('2026-11-10T16:00:00.000Z');
    await ctx.advance({ minutes: (window.until.getTime() - ctx.clock.now().getTime()) / 60_000 - 1 });
    const inTime = await buyer.post(`/orders/${orderId}/refunds`, {
      kind: 'return_refund',
      reason: 'no_reason',
    });
    expect(inTime.status).toBe(201);
    await buyer.post(`/refunds/${inTime.body.id}/withdraw`);
    await ctx.advance({ minutes: 2 });
    const tooLate = await buyer.post(`/orders/${orderId}/refunds`, {
      kind: 'return_refund',
      reason: 'no_reason',
    });
    expect(tooLate.status).toBe(422);
    expect(tooLate.body.type).toBe('urn:jishi:problem:no-reason-window-closed');
    expect(tooLate.body.detail).toBeDefined();
  });

  it('no-reason return within the window: the insurance pays the postage, capped', async () => {
    await buyer.post('/cart/items', { skuId, quantity: 1 });
    const co = await buyer.post('/checkout', { address: ADDRESS, returnInsurance: true });
    await buyer.post(`/payments/${co.body.payment.id}/pay`);
    await ctx.advance({ minutes: 1 });
    const orderId = co.body.orders[0].id;
    await shipAndPickUp(ctx, seller, orderId, `RT-nr2-${Date.now()}`);
    const r = await buyer.post(`/orders/${orderId}/refunds`, { kind: 'return_refund', reason: 'no_reason' });
    expect(r.status).toBe(201);
    await seller.owner.post(seller$(`/refunds/${r.body.id}/approve`));
    await buyer.post(`/refunds/${r.body.id}/return-shipment`, {
      carrier: 'sandbox',
      trackingNo: 'NR-1',
      postage: 3_000,
    });
    const done = await seller.owner.post(seller$(`/refunds/${r.body.id}/confirm-return`));
    // The buyer gets the goods' price back; the insurance pays the postage up to 25 yuan.
    expect(done.body).toMatchObject({
      status: 'refunded',
      amount: 10_000,
      postagePaidBy: 'insurance',
      postageRefund: 2_500,
    });

    // Without insurance, the buyer bears a no-reason return's postage.
    const o = await shipped();
    const r2 = await buyer.post(`/orders/${o.orderId}/refunds`, {
      kind: 'return_refund',
      reason: 'no_reason',
    });
    await seller.owner.post(seller$(`/refunds/${r2.body.id}/approve`));
    await buyer.post(`/refunds/${r2.body.id}/return-shipment`, {
      carrier: 'sandbox',
      trackingNo: 'NR-2',
      postage: 800,
    });
    const done2 = await seller.owner.post(seller$(`/refunds/${r2.body.id}/confirm-return`));
    expect(done2.body).toMatchObject({ postagePaidBy: 'buyer', postageRefund: 0 });
  });

  it('the shop that gives return-shipping insurance pays its premium out of settlement', async () => {
    await ctx.db.execute(`update shops set gives_return_insurance = true where id = '${seller.shopId}'`);
    const o = await paidOrder(ctx, buyer, skuId);
    expect((await order(o.orderId)).returnInsurance).toEqual({ providedBy: 'shop', premium: 150 });
    await shipAndPickUp(ctx, seller, o.orderId, `RT-gift-${Date.now()}`);
    await buyer.post(`/orders/${o.orderId}/confirm-receipt`);
    expect((await seller.owner.get(seller$('/ledger'))).body.balance).toBe(10_000 - 150);
  });

  it('refuses what the rules forbid, naming the field or the rule', async () => {
    const o = await paidOrder(ctx, buyer, skuId);
    const ret = await buyer.post(`/orders/${o.orderId}/refunds`, {
      kind: 'return_refund',
      reason: 'quality_issue',
    });
    expect(ret.status).toBe(422);
    expect(ret.body.type).toBe('urn:jishi:problem:return-needs-shipment');
    const bad = await buyer.post(`/orders/${o.orderId}/refunds`, { kind: 'refund_only', reason: 'because' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('/reason');
    const unknownLine = await buyer.post(`/orders/${o.orderId}/refunds`, {
      kind: 'refund_only',
      reason: 'other',
      lines: [{ orderLineId: 'oln_nope', quantity: 1 }],
    });
    expect(unknownLine.status).toBe(400);
    expect(unknownLine.body.errors[0]).toMatchObject({ path: '/lines/0/orderLineId' });
    const first = await buyer.post(`/orders/${o.orderId}/refunds`, { kind: 'refund_only', reason: 'other' });
    expect(first.status).toBe(201);
    const second = await buyer.post(`/orders/${o.orderId}/refunds`, { kind: 'refund_only', reason: 'other' });
    expect(second.status).toBe(409);
    expect(second.body.code).toBe('refund_already_open');
    const zh = await buyer.post(
      `/orders/${o.orderId}/refunds`,
      { kind: 'refund_only', reason: 'other' },
      {
        'accept-language': 'zh-CN',
      },
    );
    expect(zh.body.title).toContain('售后');
  });

  it('keeps tenants apart on every after-sales route', async () => {
    const o = await shipped();
    const r = await buyer.post(`/orders/${o.orderId}/refunds`, {
      kind: 'return_refund',
      reason: 'quality_issue',
    });
    const stranger = await signUp(ctx);
    const other = await makeSeller(ctx, 'market');
    const otherShop = (p: string) => `/seller/shops/${other.shopId}${p}`;

    expect(
      (await stranger.post(`/orders/${o.orderId}/refunds`, { kind: 'refund_only', reason: 'other' })).status,
    ).toBe(404);
    expect((await stranger.get(`/refunds/${r.body.id}`)).status).toBe(404);
    expect((await stranger.post(`/refunds/${r.body.id}/withdraw`)).status).toBe(404);
    expect((await stranger.post(`/refunds/${r.body.id}/escalate`)).status).toBe(404);
    expect(
      (await stranger.post(`/refunds/${r.body.id}/return-shipment`, { carrier: 'sandbox', trackingNo: 'X' }))
        .status,
    ).toBe(404);
    expect((await stranger.post(`/orders/${o.orderId}/complaints`, { reason: 'other' })).status).toBe(404);
    // Another shop's staff: the request does not exist for them, through their own shop or ours.
    expect((await other.owner.post(otherShop(`/refunds/${r.body.id}/approve`))).status).toBe(404);
    expect((await other.owner.post(otherShop(`/refunds/${r.body.id}/refuse`), { reason: 'x' })).status).toBe(
      404,
    );
    expect((await other.owner.post(otherShop(`/refunds/${r.body.id}/confirm-return`))).status).toBe(404);
    expect((await other.owner.get(otherShop(`/refunds/${r.body.id}`))).status).toBe(404);
    expect((await other.owner.get(seller$('/refunds'))).status).toBe(404);
    expect((await other.owner.post(seller$(`/refunds/${r.body.id}/approve`))).status).toBe(404);
    // A buyer on seller and operator routes.
    expect((await buyer.post(seller$(`/refunds/${r.body.id}/approve`))).status).toBe(403);
    expect((await buyer.get(seller$('/complaints'))).status).toBe(403);
    expect(
      (await buyer.post(`/admin/refunds/${r.body.id}/decide`, { outcome: 'refund', note: 'x' })).status,
    ).toBe(403);
    expect((await buyer.get('/admin/complaints')).status).toBe(403);
    expect((await buyer.post('/admin/complaints/cpl_x/uphold', { note: 'x' })).status).toBe(403);
    // Seller staff on the operator's routes; a warehouse clerk on the service desk.
    expect(
      (await seller.owner.post(`/admin/refunds/${r.body.id}/decide`, { outcome: 'refund', note: 'x' }))
        .status,
    ).toBe(403);
    const clerk = await signUp(ctx);
    const { addStaff } = await import('../catalog/testing');
    await addStaff(ctx, seller.shopId, clerk, 'warehouse');
    expect((await clerk.post(seller$(`/refunds/${r.body.id}/approve`))).status).toBe(403);
    // Without a token.
    const anonymous = await ctx.app.inject({ method: 'GET', url: '/api/v1/refunds' });
    expect(anonymous.statusCode).toBe(401);
    // Nothing moved.
    expect((await buyer.get(`/refunds/${r.body.id}`)).body.status).toBe('requested');
  });

  it('keeps an order under the rule-set version it was placed with', async () => {
    const market = (await operator.get('/admin/rule-sets?kind=market')).body.items[0];
    const rules = structuredClone(market.rules);
    rules.refund.sellerRespondHours.unshipped = 24;
    const tomorrow = new Date(ctx.clock.now().getTime() + 24 * HOUR);
    const published = await operator.post('/admin/rule-sets', {
      kind: 'market',
      effectiveFrom: tomorrow.toISOString(),
      rules,
    });
    expect(published.status).toBe(201);
    const before = await paidOrder(ctx, buyer, skuId);
    await ctx.advance({ hours: 25 });
    const after = await paidOrder(ctx, buyer, skuId);
    const r1 = await buyer.post(`/orders/${before.orderId}/refunds`, {
      kind: 'refund_only',
      reason: 'other',
    });
    const r2 = await buyer.post(`/orders/${after.orderId}/refunds`, { kind: 'refund_only', reason: 'other' });
    const now = ctx.clock.now().getTime();
    expect(Date.parse(r1.body.actBy) - now).toBe(48 * HOUR);
    expect(Date.parse(r2.body.actBy) - now).toBe(24 * HOUR);
  });

  it('pays deposit-backed charges: a refund after settlement beyond the balance draws on the deposit', async () => {
    await payDeposit(ctx.db, seller.shopId, ctx.clock.now());
    const o = await shipped();
    await buyer.post(`/orders/${o.orderId}/confirm-receipt`);
    // The merchant withdraws everything, then the buyer returns the goods.
    const w = await seller.owner.post(seller$('/withdrawals'), {
      amount: 10_000,
      bankAccount: '6222020202020202',
    });
    expect(w.status).toBe(201);
    const r = await buyer.post(`/orders/${o.orderId}/refunds`, {
      kind: 'refund_only',
      reason: 'quality_issue',
    });
    await seller.owner.post(seller$(`/refunds/${r.body.id}/approve`));
    const ledger = (await seller.owner.get(seller$('/ledger'))).body;
    expect(ledger.balance).toBe(0);
    expect(ledger.frozenDeposit).toBe(100_000 - 10_000);
  });
});
