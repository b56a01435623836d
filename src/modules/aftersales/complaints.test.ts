import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { makeCategories } from '../catalog/testing';
import { DEFAULT_RULES } from '../governance';
import { expectLedgerBalanced } from '../ledger/testing';
import { payDeposit } from '../merchants';
import { makeSeller, makeSku, paidOrder, type Seller, shipAndPickUp } from '../trade/testing';
import { splitShopCharge } from './charges';
import { lateShipmentCompensation } from './complaints';

const yuan = (n: number) => n * 100;

describe('late-shipment compensation (pure)', () => {
  const rules = DEFAULT_RULES.market.lateShipment.compensation;
  it('is 5% of the goods, at least 5 and at most 30 yuan', () => {
    const table = [50, 100, 300, 600, 1000].map((y) => lateShipmentCompensation(yuan(y), rules, false) / 100);
    expect(table).toEqual([5, 5, 15, 30, 30]);
  });
  it('has a 1-yuan floor in special categories', () => {
    expect(lateShipmentCompensation(yuan(10), rules, true)).toBe(yuan(1));
    expect(lateShipmentCompensation(yuan(50), rules, true)).toBe(250);
    expect(lateShipmentCompensation(yuan(1000), rules, true)).toBe(yuan(30));
  });
  it('charges the balance first, then the deposit, then the platform advances', () => {
    expect(splitShopCharge(1_000, 600, 5_000)).toEqual({ fromBalance: 600, fromDeposit: 400, advanced: 0 });
    expect(splitShopCharge(1_000, 0, 300)).toEqual({ fromBalance: 0, fromDeposit: 300, advanced: 700 });
    expect(splitShopCharge(1_000, 2_000, 0)).toEqual({ fromBalance: 1_000, fromDeposit: 0, advanced: 0 });
  });
});

describe('complaints', () => {
  let ctx: TestContext;
  let buyer: Client & { accountId: string };
  let operator: Client;
  let cats: Awaited<ReturnType<typeof makeCategories>>;
  let tracking = 0;

  beforeEach(async () => {
    ctx = await makeTestApp({ sessionDays: 3650 });
    cats = await makeCategories(ctx);
    buyer = await signUp(ctx);
    operator = await signUp(ctx, { operator: true });
  });
  afterEach(async () => {
    await expectLedgerBalanced(ctx.db);
    await ctx.close();
  });

  /** An order that missed its ship-by and was refunded at once for it. */
  const lateAndRefunded = async (skuId: string) => {
    const o = await paidOrder(ctx, buyer, skuId);
    await ctx.advance({ minutes: (o.shipBy.getTime() - ctx.clock.now().getTime()) / 60_000 + 1 });
    const r = await buyer.post(`/orders/${o.orderId}/refunds`, {
      kind: 'refund_only',
      reason: 'not_shipped_on_time',
    });
    expect(r.body.status).toBe('refunded');
    return o.orderId;
  };

  it('opens for 15 days after a refund succeeds, and not before', async () => {
    const seller = await makeSeller(ctx, 'market');
    const { skuId } = await makeSku(seller, cats.headphones.id, { price: yuan(300) });
    const o = await paidOrder(ctx, buyer, skuId);
    const early = await buyer.post(`/orders/${o.orderId}/complaints`, { reason: 'late_shipment' });
    expect(early.status).toBe(422);
    expect(early.body.type).toBe('urn:jishi:problem:complaint-not-open');

    const orderId = await lateAndRefunded(
      (await makeSku(seller, cats.headphones.id, { price: yuan(300) })).skuId,
    );
    await ctx.advance({ days: 15 });
    const lastMoment = await buyer.post(`/orders/${orderId}/complaints`, { reason: 'not_as_described' });
    expect(lastMoment.status).toBe(201);
    await ctx.advance({ minutes: 1 });
    const late = await buyer.post(`/orders/${orderId}/complaints`, { reason: 'late_shipment' });
    expect(late.status).toBe(422);
    expect(late.body.type).toBe('urn:jishi:problem:complaint-window-closed');
    const zh = await buyer.post(
      `/orders/${orderId}/complaints`,
      { reason: 'late_shipment' },
      { 'accept-language': 'zh-CN' },
    );
    expect(zh.body.title).toContain('投诉期限');
  });

  it('opens for 15 days after trade success', async () => {
    const seller = await makeSeller(ctx, 'market');
    const { skuId } = await makeSku(seller, cats.headphones.id);
    const o = await paidOrder(ctx, buyer, skuId);
    await shipAndPickUp(ctx, seller, o.orderId, `C-${++tracking}`);
    await buyer.post(`/orders/${o.orderId}/confirm-receipt`);
    // On time: a late-shipment complaint has nothing to stand on.
    const notLate = await buyer.post(`/orders/${o.orderId}/complaints`, { reason: 'late_shipment' });
    expect(notLate.status).toBe(422);
    expect(notLate.body.type).toBe('urn:jishi:problem:complaint-not-late');
    await ctx.advance({ days: 14, hours: 23, minutes: 59 });
    expect(
      (await buyer.post(`/orders/${o.orderId}/complaints`, { reason: 'other', detail: '态度差' })).status,
    ).toBe(201);
    expect((await buyer.post(`/orders/${o.orderId}/complaints`, { reason: 'other' })).status).toBe(409);
  });

  it('market shop: an upheld late-shipment complaint pays cash from the balance, else the deposit, plus 3 points', async () => {
    const seller = await makeSeller(ctx, 'market');
    await payDeposit(ctx.db, seller.shopId, ctx.clock.now());
    const { skuId } = await makeSku(seller, cats.headphones.id, { price: yuan(300) });
    const orderId = await lateAndRefunded(skuId);
    const c = await buyer.post(`/orders/${orderId}/complaints`, {
      reason: 'late_shipment',
      detail: '三天没发货',
    });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ status: 'open', compensation: yuan(15), compensationPayout: 'cash' });
    const queue = await operator.get('/admin/complaints?status=open');
    expect(queue.body.items.map((x: { id: string }) => x.id)).toContain(c.body.id);

    const upheld = await operator.post(`/admin/complaints/${c.body.id}/uphold`, { note: '核实超时未发货' });
    expect(upheld.status).toBe(200);
    expect(upheld.body).toMatchObject({
      status: 'upheld',
      compensatedVoluntarily: false,
      penaltyPoints: 3,
      decisionNote: '核实超时未发货',
    });
    // The shop had no balance: the 15 yuan came out of its frozen deposit, which it must top up.
    const ledger = (await seller.owner.get(`/seller/shops/${seller.shopId}/ledger`)).body;
    expect(ledger.frozenDeposit).toBe(yuan(1000) - yuan(15));
    expect(ledger.lines.items[0]).toMatchObject({
      kind: 'complaint.compensation',
      account: 'deposit',
      amount: -yuan(15),
    });
    const penalties = (await seller.owner.get(`/seller/shops/${seller.shopId}/penalties`)).body;
    expect(JSON.stringify(penalties)).toContain('late_shipment_not_compensated');
    // Decided once.
    expect((await operator.post(`/admin/complaints/${c.body.id}/dismiss`, { note: 'x' })).status).toBe(409);
    // The merchant tops the deposit up; then it is whole and there is nothing more to pay.
    const topUp = await seller.owner.post(`/seller/shops/${seller.shopId}/deposit/top-up`);
    expect(topUp.body).toEqual({ paid: yuan(15), deposit: yuan(1000) });
    expect((await seller.owner.get(`/seller/shops/${seller.shopId}/ledger`)).body.frozenDeposit).toBe(
      yuan(1000),
    );
    expect((await seller.owner.post(`/seller/shops/${seller.shopId}/deposit/top-up`)).status).toBe(409);
  });

  it('mall shop: compensation in points (100 points = 1 yuan), paid voluntarily spares the penalty points', async () => {
    const mall = await makeSeller(ctx, 'mall');
    const { skuId } = await makeSku(mall, cats.headphones.id, { price: yuan(1000) });
    const orderId = await lateAndRefunded(skuId);
    const c = await buyer.post(`/orders/${orderId}/complaints`, { reason: 'late_shipment' });
    expect(c.body).toMatchObject({ compensation: yuan(30), compensationPayout: 'points' });
    // The merchant pays before the ruling; with no balance or deposit the platform advances it.
    const paid = await mall.owner.post(`/seller/shops/${mall.shopId}/complaints/${c.body.id}/compensate`);
    expect(paid.status).toBe(200);
    expect(paid.body.compensatedVoluntarily).toBe(true);
    expect(
      (await mall.owner.post(`/seller/shops/${mall.shopId}/complaints/${c.body.id}/compensate`)).status,
    ).toBe(409);
    const upheld = await operator.post(`/admin/complaints/${c.body.id}/uphold`, { note: '已主动赔付' });
    expect(upheld.body).toMatchObject({ status: 'upheld', penaltyPoints: 0 });
    const points = (await buyer.get('/me/points')).body;
    expect(points.balance).toBe(3000);
    expect(points.history.items[0]).toMatchObject({ delta: 3000, reason: 'compensation', ref: c.body.id });
    // Points expire at the end of next year, China time.
    expect(points.expiring).toEqual([{ points: 3000, expiresAt: '2027-12-31T16:00:00.000Z' }]);
  });

  it('special categories have a 1-yuan floor', async () => {
    const seller = await makeSeller(ctx, 'market');
    const { skuId } = await makeSku(seller, cats.fruit.id, { price: yuan(10) });
    const orderId = await lateAndRefunded(skuId);
    const c = await buyer.post(`/orders/${orderId}/complaints`, { reason: 'late_shipment' });
    expect(c.body.compensation).toBe(yuan(1));
  });

  it('four upheld late shipments make 12 general points: the shop cannot list', async () => {
    const seller = await makeSeller(ctx, 'market');
    await payDeposit(ctx.db, seller.shopId, ctx.clock.now());
    const { skuId } = await makeSku(seller, cats.headphones.id, { price: yuan(100), stock: 20 });
    for (let i = 0; i < 4; i++) {
      const orderId = await lateAndRefunded(skuId);
      const c = await buyer.post(`/orders/${orderId}/complaints`, { reason: 'late_shipment' });
      const up = await operator.post(`/admin/complaints/${c.body.id}/uphold`, { note: `第 ${i + 1} 次` });
      expect(up.body.penaltyPoints).toBe(3);
    }
    const listing = await seller.owner.post(`/seller/shops/${seller.shopId}/products`, {
      title: '新品耳机',
      categoryId: cats.headphones.id,
      skus: [
        {
          code: 'N1',
          attributes: {},
          price: 1000,
          stock: [{ warehouseId: seller.warehouseId, quantity: 1 }],
        },
      ],
    });
    expect(listing.status).toBe(422);
    expect(listing.body.detail).toMatch(/\d{4}-\d{2}-\d{2}/);
  });

  it('a dismissed complaint pays nothing; another buyer or shop cannot touch it', async () => {
    const seller = await makeSeller(ctx, 'market');
    const { skuId } = await makeSku(seller, cats.headphones.id, { price: yuan(600) });
    const orderId = await lateAndRefunded(skuId);
    const c = await buyer.post(`/orders/${orderId}/complaints`, { reason: 'late_shipment' });
    const other = await makeSeller(ctx, 'market');
    expect(
      (await other.owner.post(`/seller/shops/${other.shopId}/complaints/${c.body.id}/compensate`)).status,
    ).toBe(404);
    expect((await other.owner.get(`/seller/shops/${seller.shopId}/complaints`)).status).toBe(404);
    expect((await buyer.post(`/admin/complaints/${c.body.id}/dismiss`, { note: 'x' })).status).toBe(403);
    const stranger = await signUp(ctx);
    expect((await stranger.get('/complaints')).body.items).toEqual([]);
    const missingNote = await operator.post(`/admin/complaints/${c.body.id}/dismiss`, {});
    expect(missingNote.status).toBe(400);
    expect(missingNote.body.errors[0].path).toBe('/note');
    const d = await operator.post(`/admin/complaints/${c.body.id}/dismiss`, { note: '物流异常，非商家原因' });
    expect(d.body).toMatchObject({ status: 'dismissed', compensatedAt: null });
    expect((await seller.owner.get(`/seller/shops/${seller.shopId}/ledger`)).body.lines.items).toEqual([]);
  });
});
