import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, signUp, type TestContext } from '../../../test/helpers';
import { newId } from '../../kernel/ids';
import { addStaff } from '../catalog/testing';
import { makeCategoryId, makeSeller, makeSku, type Seller } from '../trade/testing';
import { claimFlashQuota, confirmFlashClaims, flashGateSettled, releaseFlashClaims } from './flash-sales';
import { gateErrors, gateModes, makeFlashTestApp, useGate } from './flash-testing';

let ctx: TestContext;

beforeAll(async () => {
  ctx = await makeFlashTestApp();
});
afterAll(async () => {
  await useGate(false);
  await ctx.close();
});

const inMinutes = (m: number) => new Date(ctx.clock.now().getTime() + m * 60_000).toISOString();

describe.each(await gateModes())('flash sale routes (Redis gate: $redis)', ({ redis }) => {
  let seller: Seller;
  let skuId: string;
  let otherSkuId: string;
  let other: Seller;

  beforeAll(async () => {
    await useGate(redis);
    gateErrors.length = 0;
    const categoryId = await makeCategoryId(ctx);
    seller = await makeSeller(ctx, 'market');
    skuId = (await makeSku(seller, categoryId, { stock: 50, price: 10_000 })).skuId;
    other = await makeSeller(ctx, 'mall');
    otherSkuId = (await makeSku(other, categoryId, { stock: 50, price: 10_000 })).skuId;
  });
  afterAll(async () => {
    await flashGateSettled();
    expect(gateErrors).toEqual([]);
  });

  const body = (over: Record<string, unknown> = {}) => ({
    skuId,
    flashPrice: 1_990,
    quota: 20,
    perBuyerLimit: 2,
    startsAt: inMinutes(10),
    endsAt: inMinutes(70),
    ...over,
  });
  const url = () => `/seller/shops/${seller.shopId}/flash-sales`;

  it('validation errors name the field, in the caller’s language', async () => {
    const r = await seller.owner.post(url(), body({ flashPrice: 10_000, quota: 51, perBuyerLimit: 1 }));
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toContain('application/problem+json');
    const paths = r.body.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(['/flashPrice', '/quota']);
    expect(r.body.errors.find((e: { path: string }) => e.path === '/quota').message).toContain('50');

    const w = await seller.owner.post(url(), body({ startsAt: inMinutes(-1), endsAt: inMinutes(-2) }));
    expect(w.status).toBe(400);
    expect(w.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['/endsAt', '/startsAt']);
    const long = await seller.owner.post(url(), body({ endsAt: inMinutes(10 + 8 * 24 * 60) }));
    expect(long.body.errors.map((e: { path: string }) => e.path)).toEqual(['/endsAt']);
    const limit = await seller.owner.post(url(), body({ quota: 3, perBuyerLimit: 4 }));
    expect(limit.body.errors.map((e: { path: string }) => e.path)).toEqual(['/perBuyerLimit']);
    const zero = await seller.owner.post(url(), body({ flashPrice: 0 }));
    expect(zero.status).toBe(400);
    expect(zero.body.errors[0].path).toBe('/flashPrice');
    // another shop's SKU is not this shop's
    const foreign = await seller.owner.post(url(), body({ skuId: otherSkuId }));
    expect(foreign.status).toBe(400);
    expect(foreign.body.errors.map((e: { path: string }) => e.path)).toEqual(['/skuId']);
    const zh = await client(ctx.app, seller.owner.token, 'zh-CN').post(url(), body({ flashPrice: 20_000 }));
    expect(zh.body.errors[0].message).toBe('秒杀价须低于商品原价 10000 分');
  });

  it('creates, lists, refuses an overlap, shows the countdown, pauses and resumes', async () => {
    const created = await seller.owner.post(url(), body(), { 'idempotency-key': newId('k') });
    expect(created.status).toBe(201);
    const sale = created.body;
    expect(sale).toMatchObject({
      skuId,
      shopId: seller.shopId,
      listPrice: 10_000,
      flashPrice: 1_990,
      quota: 20,
      remaining: 20,
      soldOut: false,
      phase: 'upcoming',
      status: 'active',
    });
    const overlap = await seller.owner.post(url(), body({ startsAt: inMinutes(60), endsAt: inMinutes(90) }));
    expect(overlap.status).toBe(409);
    expect(overlap.body.code).toBe('flash_sale_overlap');
    // back to back is not an overlap
    const next = await seller.owner.post(url(), body({ startsAt: inMinutes(70), endsAt: inMinutes(100) }));
    expect(next.status).toBe(201);

    const list = await seller.owner.get(url());
    expect(list.body.items.map((s: { id: string }) => s.id)).toEqual([next.body.id, sale.id]);

    const anyone = client(ctx.app);
    const upcoming = await anyone.get('/flash-sales');
    expect(upcoming.body.items.map((s: { id: string }) => s.id)).toContain(sale.id);
    expect(
      (await anyone.get('/flash-sales?active=true')).body.items.map((s: { id: string }) => s.id),
    ).not.toContain(sale.id);
    await ctx.advance({ minutes: 10 });
    const live = await anyone.get('/flash-sales?active=true');
    expect(live.body.items.map((s: { id: string }) => s.id)).toContain(sale.id);
    const one = await anyone.get(`/flash-sales/${sale.id}`);
    expect(one.body).toMatchObject({
      id: sale.id,
      phase: 'live',
      remaining: 20,
      soldOut: false,
      startsAt: sale.startsAt,
      endsAt: sale.endsAt,
      serverTime: ctx.clock.now().toISOString(),
    });
    expect((await anyone.get('/flash-sales/flash_nope')).status).toBe(404);

    // claims, a payment, a close: the report
    const now = ctx.clock.now();
    const orders = [newId('ord'), newId('ord'), newId('ord')];
    for (const [i, o] of orders.entries()) {
      await claimFlashQuota(
        ctx.db,
        { campaignId: sale.id, buyerId: `b${i % 2}`, quantity: 1, orderId: o },
        now,
      );
    }
    await ctx.db.transaction((tx) => confirmFlashClaims(tx, orders[0]!, now));
    await ctx.db.transaction((tx) => releaseFlashClaims(tx, orders[1]!, now));
    const report = await seller.owner.get(`${url()}/${sale.id}`);
    expect(report.status).toBe(200);
    expect(report.body.report).toEqual({
      quota: 20,
      remaining: 18,
      orders: 3,
      claimed: 3,
      held: 1,
      sold: 1,
      released: 1,
      distinctBuyers: 2,
      buyersWhoBought: 1,
      conversion: 0.3333,
      revenue: 1_990,
      discountCost: { merchant: 8_010, platform: 0 },
    });
    expect((await anyone.get(`/flash-sales/${sale.id}`)).body.remaining).toBe(18);

    const paused = await seller.owner.post(`${url()}/${sale.id}/pause`);
    expect(paused.body).toMatchObject({ status: 'paused', phase: 'paused' });
    expect((await seller.owner.post(`${url()}/${sale.id}/pause`)).body.code).toBe(
      'flash_sale_already_paused',
    );
    expect(
      (await anyone.get('/flash-sales?active=true')).body.items.map((s: { id: string }) => s.id),
    ).not.toContain(sale.id);
    expect((await anyone.get(`/flash-sales/${sale.id}`)).body.phase).toBe('paused');
    const resumed = await seller.owner.post(`${url()}/${sale.id}/resume`);
    expect(resumed.body).toMatchObject({ status: 'active', phase: 'live' });
    expect((await seller.owner.post(`${url()}/${sale.id}/resume`)).body.code).toBe('flash_sale_not_paused');
    await ctx.advance({ minutes: 60 });
    expect((await seller.owner.post(`${url()}/${sale.id}/pause`)).body.code).toBe('flash_sale_ended');
    expect((await anyone.get(`/flash-sales/${sale.id}`)).body.phase).toBe('ended');
  });

  it('tenancy: another shop’s staff get 404, a buyer 403, a warehouse clerk 403; operators see all', async () => {
    const created = await seller.owner.post(
      url(),
      body({ startsAt: inMinutes(200), endsAt: inMinutes(260) }),
    );
    expect(created.status).toBe(201);
    const id = created.body.id;
    for (const path of [url(), `${url()}/${id}`]) {
      expect((await other.owner.get(path)).status).toBe(404);
    }
    expect((await other.owner.post(url(), body())).status).toBe(404);
    expect((await other.owner.post(`${url()}/${id}/pause`)).status).toBe(404);
    // the other shop asking through its own shop id for this sale: not found either
    expect((await other.owner.get(`/seller/shops/${other.shopId}/flash-sales/${id}`)).status).toBe(404);
    expect((await other.owner.post(`/seller/shops/${other.shopId}/flash-sales/${id}/pause`)).status).toBe(
      404,
    );

    const buyer = await signUp(ctx);
    expect((await buyer.get(url())).status).toBe(403);
    expect((await buyer.post(url(), body())).status).toBe(403);
    expect((await buyer.post(`${url()}/${id}/pause`)).status).toBe(403);
    expect((await buyer.get('/admin/flash-sales')).status).toBe(403);

    const clerk = await signUp(ctx);
    await addStaff(ctx, seller.shopId, clerk, 'warehouse');
    expect((await clerk.post(url(), body())).status).toBe(403);
    const ops = await signUp(ctx);
    await addStaff(ctx, seller.shopId, ops, 'operations');
    expect((await ops.get(url())).status).toBe(200);

    const operator = await signUp(ctx, { operator: true });
    const all = await operator.get('/admin/flash-sales');
    expect(all.status).toBe(200);
    expect(all.body.items.map((s: { id: string }) => s.id)).toContain(id);
    const mine = await operator.get(`/admin/flash-sales?shopId=${other.shopId}`);
    expect(mine.body.items.map((s: { id: string }) => s.id)).not.toContain(id);
  });
});
