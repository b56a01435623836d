import { describe, expect, it } from 'vitest';
import { client, signUp, type TestContext } from '../../../test/helpers';
import { expectLedgerBalanced } from '../ledger/testing';
import { review, succeededOrder } from '../reviews/testing';
import { ADDRESS, makeCategoryId, makeSeller, makeSku } from '../trade/testing';
import { factsRows, funnel } from './aipl';
import { dayOf } from './days';
import { windowsOfShop } from './jobs';
import { pseudonym } from './segments';
import { type DatabankMarket, databankSuite, drainOutbox } from './testing';

let ctx: TestContext;
let m: DatabankMarket;
let operator: Awaited<ReturnType<typeof signUp>>;

databankSuite((suite) => {
  ({ ctx, m, operator } = suite);
});

let n = 0;
const send = async (consumer: string, kind: string, extra: Record<string, unknown> = {}) => {
  const r = await operator.post('/events', {
    events: [
      {
        id: `c${++n}`,
        kind,
        occurredAt: ctx.clock.now().toISOString(),
        consumerId: consumer,
        productId: m.products.a1,
        ...extra,
      },
    ],
  });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
};

const layers = async () => {
  const r = await m.ownerA.get(`/seller/shops/${m.shopA}/crm/layers`);
  expect(r.status).toBe(200);
  return Object.fromEntries(
    r.body.items.map((i: { layer: string; consumers: number }) => [i.layer, i.consumers]),
  );
};

describe('CRM layers and memberships', () => {
  it('puts each consumer in the strongest layer that applies, with its strength', async () => {
    await send('v1', 'view');
    await send('g1', 'view');
    await send('g1', 'cart');
    await send('f1', 'follow', { productId: undefined, shopId: m.shopA });
    await send('fr1', 'follow', { productId: undefined, shopId: m.shopA });
    await send('cu1', 'purchase', { amount: 12_000, region: '浙江' });
    expect(await layers()).toMatchObject({ visitor: 1, guest: 1, fan: 2, friend: 0, customer: 1, member: 0 });
    // Service staff add a fan back: mutual, a friend. A consumer who does not follow cannot be.
    expect((await m.ownerA.post(`/seller/shops/${m.shopA}/crm/friends`, { consumerId: 'fr1' })).status).toBe(
      200,
    );
    expect((await m.ownerA.post(`/seller/shops/${m.shopA}/crm/friends`, { consumerId: 'v1' })).status).toBe(
      404,
    );
    expect((await m.ownerB.post(`/seller/shops/${m.shopA}/crm/friends`, { consumerId: 'fr1' })).status).toBe(
      404,
    );
    const r = await m.ownerA.get(`/seller/shops/${m.shopA}/crm/layers`);
    expect(r.body.items).toContainEqual({ layer: 'friend', strength: 'strong', consumers: 1 });
    expect(r.body.items).toContainEqual({ layer: 'visitor', strength: 'weak', consumers: 1 });
    expect(r.body.items).toContainEqual({ layer: 'fan', strength: 'medium', consumers: 1 });
  });

  it('a buyer follows a shop from its page, becomes a fan, and can unfollow', async () => {
    const anonymous = await client(ctx.app).get(`/shops/${m.shopB}/follow`);
    expect(anonymous.status).toBe(200);
    expect(anonymous.body).toEqual({ following: false, followedAt: null, fans: 0 });
    const fan = await signUp(ctx);
    const followed = await fan.put(`/shops/${m.shopB}/follow`, undefined, {
      'idempotency-key': `f-${fan.accountId}`,
    });
    expect(followed.status).toBe(200);
    expect(followed.body).toMatchObject({ following: true, fans: 1 });
    // Following again changes nothing.
    expect((await fan.put(`/shops/${m.shopB}/follow`)).body).toEqual(followed.body);
    const layersB = async () =>
      Object.fromEntries(
        (await m.ownerB.get(`/seller/shops/${m.shopB}/crm/layers`)).body.items.map(
          (i: { layer: string; consumers: number }) => [i.layer, i.consumers],
        ),
      );
    expect(await layersB()).toMatchObject({ fan: 1 });
    const gone = await fan.delete(`/shops/${m.shopB}/follow`);
    expect(gone.body).toEqual({ following: false, followedAt: null, fans: 0 });
    expect((await layersB()).fan).toBe(0);
    expect((await fan.put(`/shops/${m.shopB}/follow`)).body.fans).toBe(1);
    expect((await fan.put('/shops/shop_nope/follow')).status).toBe(404);
    expect((await client(ctx.app).put(`/shops/${m.shopB}/follow`)).status).toBe(401);
  });

  it('membership programmes have levels by spend and may be shared by several shops', async () => {
    const created = await m.ownerA.post(`/seller/shops/${m.shopA}/membership-programme`, {
      name: '安踏会员',
      levels: [
        { name: '普通会员', minSpend: 0 },
        { name: '金卡', minSpend: 10_000 },
      ],
    });
    expect(created.status).toBe(201);
    const bad = await m.ownerB.post(`/seller/shops/${m.shopB}/membership-programme`, {
      name: 'x',
      levels: [{ name: 'a', minSpend: 5 }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('/levels/0/minSpend');
    const buyer = await signUp(ctx);
    const joined = await buyer.post(`/shops/${m.shopA}/membership`);
    expect(joined.status).toBe(200);
    expect(joined.body).toMatchObject({ level: '普通会员', spend: 0 });
    expect(await layers()).toMatchObject({ member: 1 });
    // Spend at the shop lifts the level.
    await send(buyer.accountId, 'purchase', { amount: 15_000 });
    expect((await buyer.get(`/shops/${m.shopA}/membership`)).body).toMatchObject({
      level: '金卡',
      spend: 15_000,
    });
    // Shop B is not in the programme until an operator shares it.
    expect((await buyer.get(`/shops/${m.shopB}/membership`)).status).toBe(404);
    expect(
      (await m.ownerA.post(`/admin/membership-programmes/${created.body.id}/shops`, { shopId: m.shopB }))
        .status,
    ).toBe(403);
    const shared = await operator.post(`/admin/membership-programmes/${created.body.id}/shops`, {
      shopId: m.shopB,
    });
    expect(shared.status).toBe(200);
    expect((await buyer.get(`/shops/${m.shopB}/membership`)).body).toMatchObject({
      programme: '安踏会员',
      level: '金卡',
    });
  });
});

describe('segments', () => {
  it('count follow the data, and the export carries only per-shop pseudonyms', async () => {
    const made = await m.ownerA.post(`/seller/shops/${m.shopA}/segments`, {
      name: '近期购买',
      filter: { layers: ['customer', 'member'], minSpend: 10_000, recencyDays: 30 },
    });
    expect(made.status).toBe(201);
    expect(made.body.consumers).toBe(2); // cu1 (12,000) and the member who spent 15,000
    await send('cu2', 'purchase', { amount: 20_000, region: '浙江' });
    const now = await m.ownerA.get(`/seller/shops/${m.shopA}/segments/${made.body.id}`);
    expect(now.body.consumers).toBe(3);

    const byRegion = await m.ownerA.post(`/seller/shops/${m.shopA}/segments`, {
      name: '浙江',
      filter: { regions: ['浙江'], stages: ['purchase'], scope: `brand:${m.brandA.id}` },
    });
    expect(byRegion.body.consumers).toBe(2);

    const csv = await m.ownerA.get(`/seller/shops/${m.shopA}/segments/${made.body.id}/export`);
    expect(csv.status).toBe(200);
    expect(String(csv.headers['content-type'])).toContain('text/csv');
    const rows = (csv.body as unknown as string).trim().split('\n');
    expect(rows[0]).toBe('consumer');
    expect(rows.slice(1)).toContain(pseudonym(ctx.config.identitySecret, m.shopA, 'cu1'));
    expect(csv.body).not.toContain('cu1');
    // Another shop's pseudonym of the same consumer differs, so exports cannot be joined.
    expect(pseudonym(ctx.config.identitySecret, m.shopB, 'cu1')).not.toBe(
      pseudonym(ctx.config.identitySecret, m.shopA, 'cu1'),
    );
    expect((await m.ownerB.get(`/seller/shops/${m.shopA}/segments/${made.body.id}/export`)).status).toBe(404);
    expect((await m.ownerB.get(`/seller/shops/${m.shopB}/segments/${made.body.id}`)).status).toBe(404);
    const bad = await m.ownerA.post(`/seller/shops/${m.shopA}/segments`, {
      name: 'x',
      filter: { layers: ['vip'] },
    });
    expect(bad.status).toBe(400);
  });
});

describe('behaviour from trade and reviews (outbox)', () => {
  it('a paid order is a purchase and a positive review makes the buyer loyal; exports show no phone or address', async () => {
    const seller = await makeSeller(ctx, 'market');
    const categoryId = await makeCategoryId(ctx);
    const { skuId } = await makeSku(seller, categoryId);
    const buyer = await signUp(ctx);
    const orderId = await succeededOrder(ctx, buyer, seller, skuId);
    await drainOutbox(ctx);
    const today = dayOf(ctx.clock.now());
    const w = await windowsOfShop(ctx.db, seller.shopId, ctx.clock.now());
    const scope = `category:${categoryId}`;
    expect(await funnel(ctx.db, seller.shopId, scope, today, w)).toMatchObject({ purchase: 1, loyalty: 0 });
    const [facts] = await factsRows(ctx.db, seller.shopId);
    expect(facts).toMatchObject({ consumerId: buyer.accountId, spend: 10_000 });
    await review(buyer, orderId, 1);
    await drainOutbox(ctx);
    expect(await funnel(ctx.db, seller.shopId, scope, today, w)).toMatchObject({ purchase: 0, loyalty: 1 });

    const seg = await seller.owner.post(`/seller/shops/${seller.shopId}/segments`, {
      name: 'all',
      filter: { layers: ['customer'] },
    });
    expect(seg.body.consumers).toBe(1);
    const csv = (await seller.owner.get(`/seller/shops/${seller.shopId}/segments/${seg.body.id}/export`))
      .body as string;
    expect(csv).not.toContain(ADDRESS.phone);
    expect(csv).not.toContain(ADDRESS.line);
    expect(csv).not.toContain(buyer.accountId);
    await expectLedgerBalanced(ctx.db);
  });
});
