import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { DAY } from '../../kernel/clock';
import { listProduct } from '../catalog/testing';
import { makeCategoryId, makeSeller, makeSku, type Seller } from '../trade/testing';
import { PENALTY_END } from './penalties';
import { addPoints, advanceTo, deadlinesFor, eventsFor } from './testing';

let ctx: TestContext;
let operator: Client & { accountId: string };
let buyer: Client;
let anon: Client;
let categoryId: string;

beforeAll(async () => {
  ctx = await makeTestApp({ sessionDays: 3650 });
  operator = await signUp(ctx, { operator: true });
  buyer = await signUp(ctx);
  anon = client(ctx.app);
  categoryId = await makeCategoryId(ctx);
});
afterAll(async () => ctx.close());

let titles = 0;
/** A published product with a title no other test uses, so a search finds exactly it. */
async function listed(seller: Seller) {
  const word = `penaltytest${++titles}x`;
  const p = await listProduct(seller.owner, seller.shopId, {
    title: `蓝牙耳机 ${word}`,
    categoryId,
    warehouseId: seller.warehouseId,
  });
  return { productId: p.id, skuId: p.skus[0]!.id, word };
}

async function searchIds(word: string): Promise<string[]> {
  const r = await anon.get(`/products?q=${word}`);
  expect(r.status).toBe(200);
  return r.body.items.map((i: { id: string }) => i.id);
}

async function tryListing(seller: Seller) {
  return seller.owner.post(`/seller/shops/${seller.shopId}/products`, {
    title: '新品 蓝牙耳机',
    categoryId,
    images: ['https://img.example.com/p.jpg'],
    skus: [{ code: `N-${Math.random().toString(36).slice(2, 8)}`, price: 9900 }],
  });
}

async function state(seller: Seller) {
  const r = await seller.owner.get(`/seller/shops/${seller.shopId}/penalties`);
  expect(r.status).toBe(200);
  return r.body;
}

describe('general points', () => {
  it('12 points ban listing and hide the shop for 7 days; the moment after the end they lift', async () => {
    const seller = await makeSeller(ctx, 'market');
    const p = await listed(seller);
    const draft = await listProduct(seller.owner, seller.shopId, {
      title: '草稿 耳机',
      categoryId,
      warehouseId: seller.warehouseId,
      publish: false,
    });
    expect(await searchIds(p.word)).toEqual([p.productId]);

    await addPoints(operator, seller.shopId, 'general', 5, 'late_shipment_not_compensated');
    expect((await tryListing(seller)).status).toBe(201);

    const start = ctx.clock.now();
    const until = new Date(start.getTime() + 7 * DAY);
    const body = await addPoints(operator, seller.shopId, 'general', 7, 'refusal_to_ship');
    expect(body.totals).toEqual({ general: 12, serious: 0, counterfeit: 0, total: 12 });
    expect(body.penalty).toMatchObject({
      action: 'restrict',
      ladder: 'general',
      node: 12,
      restricts: ['search', 'listing'],
      until: until.toISOString(),
    });

    const refused = await tryListing(seller);
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('listing_banned');
    expect(refused.body.type).toBe('urn:jishi:problem:listing-banned');
    expect(refused.body.detail).toContain(until.toISOString());
    expect(refused.body.detail).toContain('general 12');
    const publish = await seller.owner.post(`/seller/shops/${seller.shopId}/products/${draft.id}/publish`);
    expect(publish.status).toBe(422);
    expect(publish.body.code).toBe('listing_banned');
    const zh = await client(ctx.app, seller.owner.token, 'zh-CN').post(
      `/seller/shops/${seller.shopId}/products/${draft.id}/publish`,
    );
    expect(zh.body.title).toContain('不能发布');

    // Hidden from search, but the listing itself is still on sale (店铺屏蔽, not a closure).
    expect(await searchIds(p.word)).toEqual([]);
    expect((await anon.get(`/products/${p.productId}`)).status).toBe(200);
    expect((await buyer.post('/cart/items', { skuId: p.skuId, quantity: 1 })).status).toBe(200);

    // The merchant sees why and until when.
    const s = await state(seller);
    expect(s.totals.total).toBe(12);
    expect(s.penalty).toMatchObject({ action: 'restrict', until: until.toISOString(), reason: 'general 12' });
    expect(s.records.items.map((r: { points: number }) => r.points)).toEqual([7, 5]);
    expect(s.records.items[0]).toMatchObject({
      track: 'general',
      reason: 'refusal_to_ship',
      reasonText: 'Refusal to ship',
      note: '7 general points',
    });
    const view = await seller.owner.get(`/seller/shops/${seller.shopId}`);
    expect(view.body.penaltyPoints).toBe(12);

    // The moment before the end: still restricted.
    await advanceTo(ctx, new Date(until.getTime() - 60_000));
    expect((await tryListing(seller)).status).toBe(422);
    expect(await searchIds(p.word)).toEqual([]);
    expect(await eventsFor(ctx, 'shop.penalty_lifted', seller.shopId)).toEqual([]);

    // The moment after: lifted, exactly once.
    await ctx.advance({ minutes: 1 });
    expect((await tryListing(seller)).status).toBe(201);
    expect(
      (await seller.owner.post(`/seller/shops/${seller.shopId}/products/${draft.id}/publish`)).status,
    ).toBe(200);
    expect(await searchIds(p.word)).toEqual([p.productId]);
    expect((await state(seller)).penalty).toBeNull();
    const lifted = await eventsFor(ctx, 'shop.penalty_lifted', seller.shopId);
    expect(lifted).toHaveLength(1);
    expect(lifted[0]).toMatchObject({ action: 'restrict', node: 12, endsAt: until.toISOString() });
    const penalised = await eventsFor(ctx, 'shop.penalised', seller.shopId);
    expect(penalised).toHaveLength(1);
    expect(penalised[0]).toMatchObject({ action: 'restrict', ladder: 'general', node: 12 });
    const ends = await deadlinesFor(ctx, PENALTY_END, seller.shopId);
    expect(ends.map((d) => d.status)).toEqual(['done']);
    // The points stay for the year: the next node is at 24.
    expect((await state(seller)).totals.general).toBe(12);
    const again = await addPoints(operator, seller.shopId, 'general', 11);
    expect(again.penalty).toBeNull();
    expect((await addPoints(operator, seller.shopId, 'general', 1)).penalty).toMatchObject({ node: 24 });
  });
});

describe('serious points', () => {
  it('12 / 24 / 36 / 48: restricted 7 d, 14 d, shop closed 21 d, sealed for good', async () => {
    const seller = await makeSeller(ctx, 'market');
    const p = await listed(seller);

    const t0 = ctx.clock.now();
    const n12 = await addPoints(operator, seller.shopId, 'serious', 12, 'description_mismatch');
    expect(n12.penalty).toMatchObject({
      action: 'restrict',
      ladder: 'serious',
      node: 12,
      until: new Date(t0.getTime() + 7 * DAY).toISOString(),
    });

    await ctx.advance({ days: 1 });
    const t1 = ctx.clock.now();
    const n24 = await addPoints(operator, seller.shopId, 'serious', 12);
    expect(n24.penalty).toMatchObject({
      action: 'restrict',
      node: 24,
      until: new Date(t1.getTime() + 14 * DAY).toISOString(),
    });
    expect((await tryListing(seller)).body.code).toBe('listing_banned');

    await ctx.advance({ days: 1 });
    const t2 = ctx.clock.now();
    const closedUntil = new Date(t2.getTime() + 21 * DAY);
    const n36 = await addPoints(operator, seller.shopId, 'serious', 12);
    expect(n36.penalty).toMatchObject({
      action: 'close_shop',
      node: 36,
      restricts: ['search', 'listing', 'trading'],
      until: closedUntil.toISOString(),
    });
    // Closed: not listed, not found, not buyable, its page gone for buyers.
    const closed = await tryListing(seller);
    expect(closed.status).toBe(422);
    expect(closed.body.code).toBe('shop_suspended');
    expect(closed.body.detail).toContain(closedUntil.toISOString());
    expect(await searchIds(p.word)).toEqual([]);
    expect((await anon.get(`/products/${p.productId}`)).status).toBe(404);
    const cart = await buyer.post('/cart/items', { skuId: p.skuId, quantity: 1 });
    expect(cart.status).toBe(409);
    expect(cart.body.code).toBe('sku_not_for_sale');
    const view = (await seller.owner.get(`/seller/shops/${seller.shopId}`)).body;
    expect(view.status).toBe('suspended');
    expect(view.penaltyPoints).toBe(36);

    // Each heavier node replaced the one before it.
    const history = (await state(seller)).history;
    expect(history.map((h: { node: number; status: string }) => [h.node, h.status])).toEqual([
      [36, 'active'],
      [24, 'superseded'],
      [12, 'superseded'],
    ]);

    // The closure ends on time: the shop trades again.
    await advanceTo(ctx, new Date(closedUntil.getTime() - 60_000));
    expect((await seller.owner.get(`/seller/shops/${seller.shopId}`)).body.status).toBe('suspended');
    await ctx.advance({ minutes: 1 });
    expect((await seller.owner.get(`/seller/shops/${seller.shopId}`)).body.status).toBe('active');
    expect((await anon.get(`/products/${p.productId}`)).status).toBe(200);
    expect(await searchIds(p.word)).toEqual([p.productId]);

    const n48 = await addPoints(operator, seller.shopId, 'serious', 12);
    expect(n48.penalty).toMatchObject({ action: 'seal_account', node: 48, until: null });
    const sealed = await tryListing(seller);
    expect(sealed.status).toBe(422);
    expect(sealed.body.code).toBe('shop_sealed');
    expect((await deadlinesFor(ctx, PENALTY_END, seller.shopId)).every((d) => d.status !== 'pending')).toBe(
      true,
    );
    await ctx.advance({ days: 60 });
    expect((await tryListing(seller)).body.code).toBe('shop_sealed');
    expect(await searchIds(p.word)).toEqual([]);
    expect((await seller.owner.get(`/seller/shops/${seller.shopId}`)).body.status).toBe('suspended');
    const events = await eventsFor(ctx, 'shop.penalised', seller.shopId);
    expect(events.map((e) => e.node)).toEqual([12, 24, 36, 48]);
  });

  it('one deduction crossing several nodes applies only the heaviest', async () => {
    const seller = await makeSeller(ctx, 'mall');
    const t = ctx.clock.now();
    const body = await addPoints(operator, seller.shopId, 'serious', 40);
    expect(body.penalty).toMatchObject({
      action: 'close_shop',
      node: 36,
      until: new Date(t.getTime() + 21 * DAY).toISOString(),
    });
    const history = (await state(seller)).history;
    expect(history).toHaveLength(1);
    expect(await eventsFor(ctx, 'shop.penalised', seller.shopId)).toHaveLength(1);

    // Several general nodes at once: one 7-day restriction, not two.
    const other = await makeSeller(ctx, 'market');
    const g = await addPoints(operator, other.shopId, 'general', 25);
    expect(g.penalty).toMatchObject({ node: 24, ladder: 'general' });
    expect((await state(other)).history).toHaveLength(1);
  });

  it('a node during an active penalty: a lighter one is absorbed, a heavier one replaces it', async () => {
    const seller = await makeSeller(ctx, 'market');
    const t = ctx.clock.now();
    const until14 = new Date(t.getTime() + 14 * DAY).toISOString();
    await addPoints(operator, seller.shopId, 'serious', 24);
    await ctx.advance({ days: 2 });

    // A general node (7 days) during the 14-day penalty: nothing new, nothing queued after it.
    const light = await addPoints(operator, seller.shopId, 'general', 12);
    expect(light.penalty).toMatchObject({ node: 24, ladder: 'serious', until: until14 });
    expect((await state(seller)).history).toHaveLength(1);
    expect(await eventsFor(ctx, 'shop.penalised', seller.shopId)).toHaveLength(1);

    // Counterfeit points count on the serious ladder: 24 + 12 reaches 36, a closure, heavier.
    await ctx.advance({ days: 1 });
    const t2 = ctx.clock.now();
    const heavy = await addPoints(operator, seller.shopId, 'counterfeit', 12, 'counterfeit');
    expect(heavy.totals).toEqual({ general: 12, serious: 24, counterfeit: 12, total: 48 });
    expect(heavy.penalty).toMatchObject({
      action: 'close_shop',
      node: 36,
      until: new Date(t2.getTime() + 21 * DAY).toISOString(),
    });
    const history = (await state(seller)).history;
    expect(history.map((h: { status: string }) => h.status)).toEqual(['active', 'superseded']);
    // The old end no longer lifts anything; the new one does.
    await advanceTo(ctx, new Date(new Date(until14).getTime() + 60_000));
    expect((await tryListing(seller)).body.code).toBe('shop_suspended');
    await advanceTo(ctx, new Date(t2.getTime() + 21 * DAY));
    expect((await tryListing(seller)).status).toBe(201);
    expect(await eventsFor(ctx, 'shop.penalty_lifted', seller.shopId)).toHaveLength(1);
  });
});

describe('concurrent deductions', () => {
  it('queue on the shop: two findings of 6 reach 12 once, with one penalty', async () => {
    const seller = await makeSeller(ctx, 'market');
    const body = { track: 'general', points: 6, reason: 'other' };
    const [r1, r2] = await Promise.all([
      operator.post(`/admin/shops/${seller.shopId}/penalties`, body),
      operator.post(`/admin/shops/${seller.shopId}/penalties`, body),
    ]);
    expect([r1.status, r2.status]).toEqual([201, 201]);
    expect([r1.body.totals.general, r2.body.totals.general].sort((a, b) => a - b)).toEqual([6, 12]);
    expect(await eventsFor(ctx, 'shop.penalised', seller.shopId)).toHaveLength(1);
    expect((await state(seller)).totals.general).toBe(12);
  });
});

describe('tenancy and validation', () => {
  it('only operators add points; staff see only their own shop', async () => {
    const a = await makeSeller(ctx, 'market');
    const b = await makeSeller(ctx, 'market');
    const body = { track: 'general', points: 3, reason: 'other' };

    expect((await anon.post(`/admin/shops/${a.shopId}/penalties`, body)).status).toBe(401);
    const asBuyer = await buyer.post(`/admin/shops/${a.shopId}/penalties`, body);
    expect(asBuyer.status).toBe(403);
    expect((await a.owner.post(`/admin/shops/${a.shopId}/penalties`, body)).status).toBe(403);
    expect(
      (await buyer.post(`/admin/shops/${a.shopId}/fake-trades`, { fakeOrders: 5, note: 'x' })).status,
    ).toBe(403);
    expect((await buyer.get(`/admin/shops/${a.shopId}/penalties`)).status).toBe(403);
    expect((await a.owner.get(`/admin/shops/${a.shopId}/penalties`)).status).toBe(403);

    await addPoints(operator, a.shopId, 'general', 3);
    // Another shop's staff: 404, as if it did not exist; a buyer with no shop: 403.
    expect((await b.owner.get(`/seller/shops/${a.shopId}/penalties`)).status).toBe(404);
    expect((await buyer.get(`/seller/shops/${a.shopId}/penalties`)).status).toBe(403);
    expect((await b.owner.get(`/seller/shops/${b.shopId}/penalties`)).body.records.items).toEqual([]);

    const admin = await operator.get(`/admin/shops/${a.shopId}/penalties`);
    expect(admin.status).toBe(200);
    expect(admin.body.records.items[0]).toMatchObject({ points: 3, issuedBy: operator.accountId });
    expect((await operator.get('/admin/shops/shop_nope/penalties')).status).toBe(404);
    expect((await operator.post('/admin/shops/shop_nope/penalties', body)).status).toBe(404);
  });

  it('names the field of bad input', async () => {
    const a = await makeSeller(ctx, 'market');
    const url = `/admin/shops/${a.shopId}/penalties`;
    const bad = [
      [{ track: 'minor', points: 3, reason: 'other' }, '/track'],
      [{ track: 'general', points: 0, reason: 'other' }, '/points'],
      [{ track: 'general', points: 1.5, reason: 'other' }, '/points'],
      [{ track: 'general', points: 3, reason: 'rude' }, '/reason'],
      [{ track: 'general', points: 3 }, '/reason'],
    ] as const;
    for (const [body, path] of bad) {
      const r = await operator.post(url, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.headers['content-type']).toContain('application/problem+json');
      expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    const fake = `/admin/shops/${a.shopId}/fake-trades`;
    expect((await operator.post(fake, { fakeOrders: 0, note: 'x' })).body.errors[0].path).toBe('/fakeOrders');
    expect((await operator.post(fake, { fakeOrders: 3 })).body.errors[0].path).toBe('/note');
    expect((await operator.get(`/admin/shops/${a.shopId}/penalties?cursor=eyJ4IjoxfQ`)).status).toBe(400);
    // Nothing was recorded by the refused requests.
    expect((await operator.get(`/admin/shops/${a.shopId}/penalties`)).body.records.items).toEqual([]);
  });

  it('pages the records', async () => {
    const a = await makeSeller(ctx, 'market');
    for (const n of [1, 2, 3]) await addPoints(operator, a.shopId, 'general', n);
    const first = await operator.get(`/admin/shops/${a.shopId}/penalties?limit=2`);
    expect(first.body.records.items.map((r: { points: number }) => r.points)).toEqual([3, 2]);
    const next = await operator.get(
      `/admin/shops/${a.shopId}/penalties?limit=2&cursor=${first.body.records.nextCursor}`,
    );
    expect(next.body.records.items.map((r: { points: number }) => r.points)).toEqual([1]);
    expect(next.body.records.nextCursor).toBeNull();
  });
});

describe('a shop without points', () => {
  it('lists and sells as before', async () => {
    const seller = await makeSeller(ctx, 'market');
    await makeSku(seller, categoryId);
    expect((await state(seller)).penalty).toBeNull();
    expect((await seller.owner.get(`/seller/shops/${seller.shopId}`)).body.penaltyPoints).toBe(0);
  });
});
