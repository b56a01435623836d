import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { makeCategoryId, makeSeller, makeSku, paidOrder, type Seller } from './testing';

const HOUR = 3_600_000;

let ctx: TestContext;
let operator: Client;
let mall: Seller;
let market: Seller;
let categoryId: string;

beforeAll(async () => {
  ctx = await makeTestApp({ sessionDays: 3650 });
  categoryId = await makeCategoryId(ctx);
  mall = await makeSeller(ctx, 'mall');
  market = await makeSeller(ctx, 'market');
  operator = await signUp(ctx, { operator: true });
});
afterAll(async () => ctx.close());

/** Moves the clock to `at` (whole minutes, never past it). */
async function advanceTo(at: Date) {
  const minutes = Math.floor((at.getTime() - ctx.clock.now().getTime()) / 60_000);
  if (minutes > 0) await ctx.advance({ minutes });
}

const DOUBLE_11 = {
  name: '双十一',
  paidFrom: '2026-11-11T00:00:00+08:00',
  paidUntil: '2026-11-15T00:00:00+08:00',
  shipBy: '2026-11-16T23:59:59+08:00',
};

describe('ship-deadline campaigns: the operator routes', () => {
  it('only an operator may create or list them', async () => {
    const buyer = await signUp(ctx);
    for (const who of [buyer, mall.owner]) {
      const post = await who.post('/admin/ship-deadline-campaigns', DOUBLE_11);
      expect(post.status).toBe(403);
      expect((await who.get('/admin/ship-deadline-campaigns')).status).toBe(403);
    }
    expect((await operator.get('/admin/ship-deadline-campaigns')).body.items).toEqual([]);
  });

  it('a bad window answers 400 naming the fields, in en and zh-CN', async () => {
    const bad = { ...DOUBLE_11, paidUntil: DOUBLE_11.paidFrom, shipBy: '2026-11-10T00:00:00+08:00' };
    const en = await operator.post('/admin/ship-deadline-campaigns', bad);
    expect(en.status).toBe(400);
    expect(en.body.errors).toEqual([
      { path: '/paidUntil', in: 'body', message: 'must be later than paidFrom' },
      { path: '/shipBy', in: 'body', message: 'must not be earlier than paidUntil' },
    ]);
    const zh = await client(ctx.app, operator.token, 'zh-CN').post('/admin/ship-deadline-campaigns', {
      ...DOUBLE_11,
      shipBy: '2026-11-14T23:59:59+08:00',
    });
    expect(zh.status).toBe(400);
    expect(zh.body.errors).toEqual([
      { path: '/shipBy', in: 'body', message: '不能早于付款截止时间 paidUntil' },
    ]);
    const late = await operator.post('/admin/ship-deadline-campaigns', {
      ...DOUBLE_11,
      paidFrom: '2026-11-16T00:00:00+08:00',
    });
    expect(late.status).toBe(400);
    expect(late.body.errors.map((e: { path: string }) => e.path)).toEqual(['/paidUntil']);
    const noDate = await operator.post('/admin/ship-deadline-campaigns', { ...DOUBLE_11, shipBy: 'soon' });
    expect(noDate.status).toBe(400);
    expect(noDate.body.errors.map((e: { path: string }) => e.path)).toEqual(['/shipBy']);
    expect((await operator.get('/admin/ship-deadline-campaigns')).body.items).toEqual([]);
  });
});

describe('ship-deadline campaigns: the ship-by at payment', () => {
  let double11: { id: string; shipBy: string };
  let double11Mall: { id: string; shipBy: string };
  let december: { id: string; shipBy: string; paidFrom: string };

  it('creates and lists them, newest first, paged', async () => {
    const a = await operator.post('/admin/ship-deadline-campaigns', DOUBLE_11);
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({
      name: '双十一',
      shopKind: null,
      paidFrom: '2026-11-10T16:00:00.000Z',
      paidUntil: '2026-11-14T16:00:00.000Z',
      shipBy: '2026-11-16T15:59:59.000Z',
    });
    double11 = a.body;
    const b = await operator.post('/admin/ship-deadline-campaigns', {
      ...DOUBLE_11,
      name: '双十一 天猫',
      shopKind: 'mall',
      shipBy: '2026-11-18T23:59:59+08:00',
    });
    expect(b.status).toBe(201);
    double11Mall = b.body;
    const c = await operator.post('/admin/ship-deadline-campaigns', {
      name: '双十二预热 天猫',
      shopKind: 'mall',
      paidFrom: '2026-12-01T00:00:00+08:00',
      paidUntil: '2026-12-04T00:00:00+08:00',
      shipBy: '2026-12-06T23:59:59+08:00',
    });
    expect(c.status).toBe(201);
    december = c.body;

    const first = await operator.get('/admin/ship-deadline-campaigns?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    const second = await operator.get(
      `/admin/ship-deadline-campaigns?limit=2&cursor=${first.body.nextCursor}`,
    );
    expect(second.body.nextCursor).toBeNull();
    const ids = [...first.body.items, ...second.body.items].map((x: { id: string }) => x.id);
    expect(new Set(ids)).toEqual(new Set([double11.id, double11Mall.id, december.id]));
  });

  it('an order paid before the window keeps the normal deadline', async () => {
    const buyer = await signUp(ctx);
    const o = await paidOrder(ctx, buyer, (await makeSku(market, categoryId)).skuId);
    expect(o.shipBy.getTime() - o.paidAt.getTime()).toBe(72 * HOUR);
    expect(o.campaignId).toBeNull();
  });

  it('an order paid inside the window ships by the campaign, late only after it', async () => {
    await advanceTo(new Date('2026-11-11T00:30:00+08:00'));
    const buyer = await signUp(ctx);
    // the product promises 24 h; the campaign wins
    const fast = await paidOrder(
      ctx,
      buyer,
      (await makeSku(market, categoryId, { shipWithinHours: 24 })).skuId,
    );
    expect(fast.shipBy.toISOString()).toBe(double11.shipBy);
    expect(fast.campaignId).toBe(double11.id);
    // both campaigns cover a mall order: the later ship-by wins
    const mallOrder = await paidOrder(ctx, buyer, (await makeSku(mall, categoryId)).skuId);
    expect(mallOrder.shipBy.toISOString()).toBe(double11Mall.shipBy);
    expect(mallOrder.campaignId).toBe(double11Mall.id);
    const seen = await market.owner.get(`/seller/shops/${market.shopId}/orders/${fast.orderId}`);
    expect(seen.body.shipByCampaignId).toBe(double11.id);

    await ctx.advance({ hours: 73 });
    expect((await buyer.get(`/orders/${fast.orderId}`)).body).toMatchObject({
      status: 'paid',
      shipLate: false,
    });
    expect((await buyer.get(`/orders/${mallOrder.orderId}`)).body.shipLate).toBe(false);
    await advanceTo(new Date(double11.shipBy));
    expect((await buyer.get(`/orders/${fast.orderId}`)).body.shipLate).toBe(false);
    await ctx.advance({ minutes: 1 });
    expect((await buyer.get(`/orders/${fast.orderId}`)).body).toMatchObject({
      status: 'paid',
      shipLate: true,
    });
    expect((await buyer.get(`/orders/${mallOrder.orderId}`)).body.shipLate).toBe(false);
    await advanceTo(new Date(double11Mall.shipBy));
    await ctx.advance({ minutes: 1 });
    expect((await buyer.get(`/orders/${mallOrder.orderId}`)).body.shipLate).toBe(true);
  });

  it("a campaign for mall shops leaves a market shop's order alone", async () => {
    await advanceTo(new Date(new Date(december.paidFrom).getTime() + HOUR));
    const buyer = await signUp(ctx);
    const marketOrder = await paidOrder(ctx, buyer, (await makeSku(market, categoryId)).skuId);
    expect(marketOrder.shipBy.getTime() - marketOrder.paidAt.getTime()).toBe(72 * HOUR);
    expect(marketOrder.campaignId).toBeNull();
    const mallOrder = await paidOrder(ctx, buyer, (await makeSku(mall, categoryId)).skuId);
    expect(mallOrder.shipBy.toISOString()).toBe(december.shipBy);
    expect(mallOrder.campaignId).toBe(december.id);
  });
});
