import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { outboxEvents } from '../../kernel/schema';
import { expectLedgerBalanced } from '../ledger/testing';
import { addStaff, makeCategoryId, makeSeller, makeSku, paidOrder, type Seller } from '../trade/testing';
import { REVIEW_MESSAGES } from './messages';
import { maskBuyer, shanghaiMonth } from './reviews';
import { review, stars, succeededOrder } from './testing';

let ctx: TestContext;
let seller: Seller;
let other: Seller;
let sku: { skuId: string; productId: string };
let otherSku: { skuId: string; productId: string };

const DAY_MS = 86_400_000;
const problemType = (code: string) => `urn:jishi:problem:${code.replace(/_/g, '-')}`;

beforeAll(async () => {
  ctx = await makeTestApp({ sessionDays: 3650 });
  const categoryId = await makeCategoryId(ctx);
  seller = await makeSeller(ctx, 'market');
  other = await makeSeller(ctx, 'mall');
  sku = await makeSku(seller, categoryId, { price: 5_000, stock: 200 });
  otherSku = await makeSku(other, categoryId, { price: 8_000, stock: 50 });
});
afterAll(async () => {
  await expectLedgerBalanced(ctx.db);
  await ctx.close();
});

/** Moves the clock to `at` (the remaining time from now). */
async function advanceTo(at: Date) {
  const minutes = Math.round((at.getTime() - ctx.clock.now().getTime()) / 60_000);
  if (minutes < 0) throw new Error('cannot go back in time');
  await ctx.advance({ minutes });
}

async function succeededAt(buyer: Client, orderId: string): Promise<Date> {
  return new Date((await buyer.get(`/orders/${orderId}`)).body.succeededAt);
}

describe('pure helpers', () => {
  it('names the natural month in Asia/Shanghai (UTC+8)', () => {
    expect(shanghaiMonth(new Date('2026-11-30T15:59:59.999Z'))).toBe('2026-11');
    expect(shanghaiMonth(new Date('2026-11-30T16:00:00.000Z'))).toBe('2026-12');
    expect(shanghaiMonth(new Date('2026-12-31T16:00:00.000Z'))).toBe('2027-01');
  });

  it('masks the buyer to the first character, hiding the name length', () => {
    expect(maskBuyer('张三丰')).toBe('张***');
    expect(maskBuyer('李')).toBe('李***');
    expect(maskBuyer('alice')).toBe('a***');
  });
});

describe('messages', () => {
  it('has every problem in both languages with the same placeholders', () => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [code, text] of Object.entries(REVIEW_MESSAGES)) {
      expect(text['zh-CN'], code).toMatch(/\p{Script=Han}/u);
      expect(text.en, code).toMatch(/^[\x20-\x7e]+$/);
      expect(placeholders(text['zh-CN']), code).toEqual(placeholders(text.en));
    }
  });
});

describe('writing a review', () => {
  it('is allowed until the last moment of the window after trade success, then 422 with the rule', async () => {
    const buyer = await signUp(ctx, { displayName: '张三丰' });
    const early = await succeededOrder(ctx, buyer, seller, sku.skuId);
    const late = await succeededOrder(ctx, buyer, seller, sku.skuId);
    const deadline = new Date((await succeededAt(buyer, late)).getTime() + 15 * DAY_MS);
    const earlyDeadline = new Date((await succeededAt(buyer, early)).getTime() + 15 * DAY_MS);

    await advanceTo(new Date(earlyDeadline.getTime() - 60_000));
    const ok = await buyer.post(`/orders/${early}/reviews`, {
      rating: 1,
      stars: stars(5, 4, 3),
      text: '  音质很好，物流也快  ',
    });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({
      orderId: early,
      shopId: seller.shopId,
      rating: 1,
      originalRating: 1,
      stars: { item: 5, service: 4, logistics: 3 },
      text: '音质很好，物流也快',
      buyer: '张***',
      productIds: [sku.productId],
      points: 1,
      scoring: true,
      dsrCounted: true,
      revised: false,
      followUp: null,
      reply: null,
    });

    await advanceTo(new Date(deadline.getTime() + 60_000));
    const closed = await buyer.post(`/orders/${late}/reviews`, { rating: 1, stars: stars(5) });
    expect(closed.status).toBe(422);
    expect(closed.body.type).toBe(problemType('review_window_closed'));
    expect(closed.body.detail).toContain('15');
    const zh = await buyer.post(
      `/orders/${late}/reviews`,
      { rating: 1, stars: stars(5) },
      { 'accept-language': 'zh-CN' },
    );
    expect(zh.body.title).toBe(`评价期已过：交易成功后 15 天内可以评价（截止 ${deadline.toISOString()}）`);
    // Nothing was written by the refused attempt.
    expect((await buyer.get('/me/reviews')).body.items).toHaveLength(1);
  });

  it('writes review.created to the outbox with the order, shop, buyer, products and rating', async () => {
    const buyer = await signUp(ctx);
    const orderId = await succeededOrder(ctx, buyer, seller, sku.skuId);
    const r = await review(buyer, orderId, 0, stars(3));
    const events = await ctx.db
      .select()
      .from(outboxEvents)
      .where(and(eq(outboxEvents.topic, 'review.created'), eq(outboxEvents.key, orderId)));
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({
      reviewId: r.id,
      orderId,
      shopId: seller.shopId,
      buyerId: buyer.accountId,
      productIds: [sku.productId],
      rating: 0,
    });
  });

  it('accepts one review per order', async () => {
    const buyer = await signUp(ctx);
    const orderId = await succeededOrder(ctx, buyer, seller, sku.skuId);
    await review(buyer, orderId, 1);
    const again = await buyer.post(`/orders/${orderId}/reviews`, { rating: -1, stars: stars(1) });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('review_exists');
  });

  it('two reviews of one order at the same moment: one is written, the other 409', async () => {
    const buyer = await signUp(ctx);
    const orderId = await succeededOrder(ctx, buyer, seller, sku.skuId);
    const answers = await Promise.all([
      buyer.post(`/orders/${orderId}/reviews`, { rating: 1, stars: stars(5) }),
      buyer.post(`/orders/${orderId}/reviews`, { rating: -1, stars: stars(1) }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
    const mine = (await buyer.get('/me/reviews')).body.items;
    expect(mine).toHaveLength(1);
    // The refused one took no place in the pair's month: the next review still scores.
    expect(mine[0].scoring).toBe(true);
  });

  it('refuses an order whose trade has not succeeded, with the rule', async () => {
    const buyer = await signUp(ctx);
    const { orderId } = await paidOrder(ctx, buyer, sku.skuId);
    const r = await buyer.post(`/orders/${orderId}/reviews`, { rating: 1, stars: stars(5) });
    expect(r.status).toBe(422);
    expect(r.body.type).toBe(problemType('review_trade_not_succeeded'));
  });

  it('another buyer’s order does not exist for them (404); a shop’s API cannot review', async () => {
    const buyer = await signUp(ctx);
    const stranger = await signUp(ctx);
    const orderId = await succeededOrder(ctx, buyer, seller, sku.skuId);
    const r = await stranger.post(`/orders/${orderId}/reviews`, { rating: -1, stars: stars(1) });
    expect(r.status).toBe(404);
    expect((await stranger.post('/orders/ord_nope/reviews', { rating: 1, stars: stars(5) })).status).toBe(
      404,
    );
    const anonymous = await ctx.app.inject({
      method: 'POST',
      url: `/api/v1/orders/${orderId}/reviews`,
      payload: { rating: 1, stars: stars(5) },
    });
    expect(anonymous.statusCode).toBe(401);
    // The owner's review is still possible: the stranger's attempt changed nothing.
    await review(buyer, orderId, 1);
  });

  it('names the bad field in both languages', async () => {
    const buyer = await signUp(ctx);
    const orderId = await succeededOrder(ctx, buyer, seller, sku.skuId);
    const url = `/orders/${orderId}/reviews`;
    const paths = async (body: unknown, lang?: Client) => {
      const r = await (lang ?? buyer).post(url, body);
      expect(r.status).toBe(400);
      expect(r.headers['content-type']).toContain('application/problem+json');
      return r.body.errors.map((e: { path: string }) => e.path);
    };
    expect(await paths({ rating: 2, stars: stars(5) })).toEqual(['/rating']);
    expect(await paths({ rating: 1, stars: { item: 6, service: 0, logistics: 5 } })).toEqual([
      '/stars/item',
      '/stars/service',
    ]);
    expect(await paths({ rating: 1, stars: { item: 4.5, service: 5, logistics: 5 } })).toEqual([
      '/stars/item',
    ]);
    expect(await paths({ rating: 1 })).toEqual(['/stars']);
    expect(await paths({ rating: 1, stars: { item: 5, service: 5 } })).toEqual(['/stars/logistics']);
    expect(await paths({ rating: 1, stars: stars(5), text: 'x'.repeat(501) })).toEqual(['/text']);

    const en = await buyer.post(url, { rating: 1, stars: stars(5), text: '好'.repeat(501) });
    expect(en.body.errors[0]).toMatchObject({ path: '/text', message: 'must be at most 500 characters' });
    const zh = await buyer.post(
      url,
      { rating: 1, stars: stars(5), text: '好'.repeat(501) },
      { 'accept-language': 'zh-CN' },
    );
    expect(zh.body.errors[0]).toMatchObject({ path: '/text', message: '长度不能超过 500' });
    const rating = await buyer.post(url, { rating: 5, stars: stars(5) });
    expect(rating.body.errors[0].message).toBe('must be one of: 1, 0, -1');

    // 500 characters (not bytes) is still fine, and nothing was written by the refusals.
    const ok = await buyer.post(url, { rating: 1, stars: stars(5), text: '好'.repeat(500) });
    expect(ok.status).toBe(201);
  });
});

describe('changing a review', () => {
  it('a negative review changes once, only upward, and its points follow', async () => {
    const buyer = await signUp(ctx);
    const orderId = await succeededOrder(ctx, buyer, seller, sku.skuId);
    const r = await review(buyer, orderId, -1, stars(1));
    expect(r.points).toBe(-1);

    const same = await buyer.post(`/reviews/${r.id}/revise`, { rating: -1 });
    expect(same.status).toBe(422);
    expect(same.body.type).toBe(problemType('review_revision_not_upward'));

    const up = await buyer.post(`/reviews/${r.id}/revise`, { rating: 0 });
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({
      rating: 0,
      originalRating: -1,
      points: 0,
      revised: true,
      stars: { item: 1, service: 1, logistics: 1 },
    });

    const again = await buyer.post(`/reviews/${r.id}/revise`, { rating: 1 });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('review_already_revised');

    const events = await ctx.db
      .select()
      .from(outboxEvents)
      .where(and(eq(outboxEvents.topic, 'review.revised'), eq(outboxEvents.key, orderId)));
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({
      reviewId: r.id,
      orderId,
      shopId: seller.shopId,
      buyerId: buyer.accountId,
      productIds: [sku.productId],
      rating: 0,
      previousRating: -1,
    });
  });

  it('a positive review never changes; a neutral one cannot go down', async () => {
    const buyer = await signUp(ctx);
    const good = await review(buyer, await succeededOrder(ctx, buyer, seller, sku.skuId), 1);
    const neutral = await review(buyer, await succeededOrder(ctx, buyer, seller, sku.skuId), 0, stars(3));
    const r = await buyer.post(`/reviews/${good.id}/revise`, { rating: 1 });
    expect(r.status).toBe(422);
    expect(r.body.type).toBe(problemType('review_positive_final'));
    const down = await buyer.post(`/reviews/${neutral.id}/revise`, { rating: -1 });
    expect(down.status).toBe(422);
    expect(down.body.type).toBe(problemType('review_revision_not_upward'));
    const bad = await buyer.post(`/reviews/${neutral.id}/revise`, { rating: 3 });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('/rating');
    // The stars are not part of a revision.
    const stars_ = await buyer.post(`/reviews/${neutral.id}/revise`, { rating: 1, stars: stars(5) });
    expect(stars_.status).toBe(200);
    expect(stars_.body.stars).toEqual(stars(3));
  });

  it('only within the edit days of the review: the moment before yes, after it 422', async () => {
    const buyer = await signUp(ctx);
    const a = await succeededOrder(ctx, buyer, seller, sku.skuId);
    const b = await succeededOrder(ctx, buyer, seller, sku.skuId);
    const ra = await review(buyer, a, -1, stars(2));
    const rb = await review(buyer, b, -1, stars(2));
    const mine = (await buyer.get('/me/reviews')).body.items;
    const createdB = new Date(mine.find((x: { id: string }) => x.id === rb.id).createdAt);
    const createdA = new Date(mine.find((x: { id: string }) => x.id === ra.id).createdAt);

    await advanceTo(new Date(createdA.getTime() + 30 * DAY_MS - 60_000));
    expect((await buyer.post(`/reviews/${ra.id}/revise`, { rating: 1 })).status).toBe(200);
    await advanceTo(new Date(createdB.getTime() + 30 * DAY_MS + 60_000));
    const late = await buyer.post(`/reviews/${rb.id}/revise`, { rating: 1 });
    expect(late.status).toBe(422);
    expect(late.body.type).toBe(problemType('review_edit_window_closed'));
  });

  it('another buyer’s review does not exist for them', async () => {
    const buyer = await signUp(ctx);
    const stranger = await signUp(ctx);
    const r = await review(buyer, await succeededOrder(ctx, buyer, seller, sku.skuId), -1, stars(1));
    expect((await stranger.post(`/reviews/${r.id}/revise`, { rating: 1 })).status).toBe(404);
    expect((await stranger.post(`/reviews/${r.id}/follow-up`, { text: '冒充' })).status).toBe(404);
    expect((await buyer.post(`/reviews/${r.id}/revise`, { rating: 1 })).status).toBe(200);
  });
});

describe('follow-up (追评)', () => {
  it('once, within the append days of trade success, changing no score', async () => {
    const buyer = await signUp(ctx);
    const a = await succeededOrder(ctx, buyer, seller, sku.skuId);
    const b = await succeededOrder(ctx, buyer, seller, sku.skuId);
    const succeeded = await succeededAt(buyer, b);
    const ra = await review(buyer, a, 0, stars(3));
    const rb = await review(buyer, b, 1);

    const blank = await buyer.post(`/reviews/${ra.id}/follow-up`, { text: '   ' });
    expect(blank.status).toBe(400);
    expect(blank.body.errors[0]).toMatchObject({ path: '/text' });
    expect((await buyer.post(`/reviews/${ra.id}/follow-up`, {})).body.errors[0].path).toBe('/text');

    await advanceTo(new Date((await succeededAt(buyer, a)).getTime() + 180 * DAY_MS - 60_000));
    const f = await buyer.post(`/reviews/${ra.id}/follow-up`, { text: '用了半年，还是很好' });
    expect(f.status).toBe(200);
    expect(f.body).toMatchObject({
      rating: 0,
      points: 0,
      followUp: { text: '用了半年，还是很好', at: ctx.clock.now().toISOString() },
    });
    const again = await buyer.post(`/reviews/${ra.id}/follow-up`, { text: '再追一次' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('review_follow_up_exists');

    await advanceTo(new Date(succeeded.getTime() + 180 * DAY_MS + 60_000));
    const late = await buyer.post(`/reviews/${rb.id}/follow-up`, { text: '太晚了' });
    expect(late.status).toBe(422);
    expect(late.body.type).toBe(problemType('review_follow_up_window_closed'));
  });
});

describe('the shop’s reply and lists', () => {
  let buyer: Client & { accountId: string };
  let reviewId: string;

  beforeAll(async () => {
    buyer = await signUp(ctx, { displayName: '李小龙' });
    reviewId = (
      await review(buyer, await succeededOrder(ctx, buyer, seller, sku.skuId), -1, stars(2), '包装破损')
    ).id;
  });

  it('service staff reply once; other roles 403, other shops 404, buyers 403', async () => {
    const service = await signUp(ctx);
    const warehouse = await signUp(ctx);
    await addStaff(ctx, seller.shopId, service, 'service');
    await addStaff(ctx, seller.shopId, warehouse, 'warehouse');
    const url = `/seller/shops/${seller.shopId}/reviews/${reviewId}/reply`;

    expect((await warehouse.post(url, { text: '抱歉' })).status).toBe(403);
    expect((await buyer.post(url, { text: '自问自答' })).status).toBe(403);
    // Another shop's owner: through our shop's path the shop "does not exist"; through theirs the review does not.
    expect((await other.owner.post(url, { text: '抢答' })).status).toBe(404);
    const viaOwn = await other.owner.post(`/seller/shops/${other.shopId}/reviews/${reviewId}/reply`, {
      text: '抢答',
    });
    expect(viaOwn.status).toBe(404);
    expect(viaOwn.body.code).toBe('review_not_found');
    const blank = await service.post(url, { text: '' });
    expect(blank.status).toBe(400);
    expect(blank.body.errors[0].path).toBe('/text');

    const r = await service.post(url, { text: '非常抱歉，已为您补发' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: reviewId, replied: true, reply: { text: '非常抱歉，已为您补发' } });
    const again = await seller.owner.post(url, { text: '再回复' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('review_reply_exists');
  });

  it('the product page lists reviews newest first with the buyer masked, paged', async () => {
    const second = await signUp(ctx, { displayName: '王五' });
    const newest = await review(
      second,
      await succeededOrder(ctx, second, seller, sku.skuId),
      1,
      stars(5),
      '好',
    );
    const anonymous = ctx.app.inject({
      method: 'GET',
      url: `/api/v1/products/${sku.productId}/reviews?limit=1`,
    });
    const first = JSON.parse((await anonymous).body);
    expect(first.items).toHaveLength(1);
    expect(first.items[0]).toMatchObject({ id: newest.id, buyer: '王***', text: '好', reply: null });
    expect(first.items[0].orderId).toBeUndefined();
    expect(first.items[0].points).toBeUndefined();
    expect(first.nextCursor).toEqual(expect.any(String));
    const next = await buyer.get(
      `/products/${sku.productId}/reviews?limit=1&cursor=${encodeURIComponent(first.nextCursor)}`,
    );
    expect(next.body.items[0]).toMatchObject({
      id: reviewId,
      buyer: '李***',
      reply: { text: '非常抱歉，已为您补发' },
    });
    expect((await buyer.get(`/products/${otherSku.productId}/reviews`)).body.items).toEqual([]);
    const bad = await buyer.get(`/products/${sku.productId}/reviews?cursor=nonsense`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('/cursor');
  });

  it('staff list their shop’s reviews with the reply state; buyers 403, other shops 404', async () => {
    const all = await seller.owner.get(`/seller/shops/${seller.shopId}/reviews?limit=100`);
    expect(all.status).toBe(200);
    const mine = all.body.items.find((r: { id: string }) => r.id === reviewId);
    expect(mine).toMatchObject({ replied: true, buyer: '李***', rating: -1 });
    expect(all.body.items.every((r: { orderId: string }) => typeof r.orderId === 'string')).toBe(true);

    const unreplied = await seller.owner.get(
      `/seller/shops/${seller.shopId}/reviews?replied=false&limit=100`,
    );
    expect(unreplied.body.items.length).toBe(all.body.items.length - 1);
    expect(unreplied.body.items.some((r: { id: string }) => r.id === reviewId)).toBe(false);
    const negative = await seller.owner.get(`/seller/shops/${seller.shopId}/reviews?rating=-1&limit=100`);
    expect(negative.body.items.every((r: { rating: number }) => r.rating === -1)).toBe(true);
    expect(negative.body.items.some((r: { id: string }) => r.id === reviewId)).toBe(true);

    expect((await buyer.get(`/seller/shops/${seller.shopId}/reviews`)).status).toBe(403);
    expect((await other.owner.get(`/seller/shops/${seller.shopId}/reviews`)).status).toBe(404);
    expect((await other.owner.get(`/seller/shops/${other.shopId}/reviews`)).body.items).toEqual([]);
  });

  it('a buyer sees only their own reviews', async () => {
    const mine = await buyer.get('/me/reviews');
    expect(mine.body.items.map((r: { id: string }) => r.id)).toEqual([reviewId]);
    expect((await (await signUp(ctx)).get('/me/reviews')).body.items).toEqual([]);
  });
});
