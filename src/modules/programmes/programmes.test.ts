import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { outboxEvents } from '../../kernel/schema';
import { makeCategories } from '../catalog/testing';
import { expectLedgerBalanced } from '../ledger/testing';
import { addStaff, makeSeller, makeSku, paidOrder, type Seller, shipAndPickUp } from '../trade/testing';
import { badgesByShop } from './programmes';
import { programmeRuns } from './schema';

type Categories = Awaited<ReturnType<typeof makeCategories>>;

interface CriterionAnswer {
  criterion: string;
  label: string;
  value: number | null;
  threshold: number | null;
  passed: boolean;
  reasonCode: string;
  reason: string;
}
interface ShopAnswer {
  shopId: string;
  qualified: boolean;
  outcome: string;
  criteria: CriterionAnswer[];
}

/** One shop's result in an evaluation answer. */
const resultOf = (body: { shops: ShopAnswer[] }, shopId: string): ShopAnswer => {
  const found = body.shops.find((s) => s.shopId === shopId);
  if (!found) throw new Error(`shop ${shopId} was not evaluated`);
  return found;
};

let tracking = 0;

/**
 * A shop selling in `categoryId` with one order shipped in time, received and reviewed with these
 * stars, and (unless `inspected: false`) a passed quality inspection. Answers the shop and its product.
 */
async function sellingShop(
  ctx: TestContext,
  operator: Client,
  categoryId: string,
  opts: { stars?: number; inspected?: boolean } = {},
): Promise<Seller & { productId: string; skuId: string }> {
  const seller = await makeSeller(ctx, 'market');
  const { skuId, productId } = await makeSku(seller, categoryId, { stock: 50 });
  const buyer = await signUp(ctx);
  const { orderId } = await paidOrder(ctx, buyer, skuId);
  await shipAndPickUp(ctx, seller, orderId, `QP${++tracking}${Date.now()}`);
  const received = await buyer.post(`/orders/${orderId}/confirm-receipt`);
  expect(received.body.status).toBe('succeeded');
  const s = opts.stars ?? 5;
  const review = await buyer.post(`/orders/${orderId}/reviews`, {
    rating: s >= 3 ? 1 : -1,
    stars: { item: s, service: s, logistics: s },
  });
  expect(review.status).toBe(201);
  if (opts.inspected !== false) {
    const qc = await operator.post('/admin/quality-checks', {
      shopId: seller.shopId,
      categoryId,
      productId,
      passed: true,
      note: '抽检合格',
    });
    expect(qc.status).toBe(201);
  }
  return { ...seller, productId, skuId };
}

const searchOrder = async (ctx: TestContext, categoryId: string) => {
  const r = await signUp(ctx).then((c) => c.get(`/products?categoryId=${categoryId}&limit=50`));
  expect(r.status).toBe(200);
  return (r.body.items as { id: string }[]).map((p) => p.id);
};

const events = (ctx: TestContext, topic: string) =>
  ctx.db.select().from(outboxEvents).where(eq(outboxEvents.topic, topic)).orderBy(asc(outboxEvents.id));

describe.sequential('quality-supplier programme: admission, boost and demotion', () => {
  let ctx: TestContext;
  let operator: Client;
  let cats: Categories;
  let good: Seller & { productId: string; skuId: string };
  let rival: Seller & { productId: string; skuId: string };
  let programmeId: string;

  beforeAll(async () => {
    ctx = await makeTestApp({ sessionDays: 3650 });
    operator = await signUp(ctx, { operator: true });
    cats = await makeCategories(ctx);
    good = await sellingShop(ctx, operator, cats.headphones.id);
    // Listed later, so it comes first in "newest" order until a boost says otherwise.
    rival = await sellingShop(ctx, operator, cats.headphones.id, { inspected: false });
    // Every ship-by deadline of those orders passes: their shipping record is complete.
    await ctx.advance({ days: 4 });
  });
  afterAll(() => ctx?.close());

  it('an operator defines a programme on a category with the default criteria', async () => {
    const r = await operator.post('/admin/programmes', {
      name: '耳机优质商家',
      categoryId: cats.headphones.id,
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      name: '耳机优质商家',
      categoryId: cats.headphones.id,
      criteria: {
        minRating: 3,
        minCategorySharePercent: 50,
        minOnTimePercent: 98,
        salesWindowDays: 30,
        qualityCheckDays: 90,
      },
      lastEvaluatedAt: null,
      // 00:00 on 1 December in China.
      nextReviewAt: '2026-11-30T16:00:00.000Z',
    });
    programmeId = r.body.id;
    const list = await operator.get('/admin/programmes');
    expect(list.body.items.map((p: { id: string }) => p.id)).toEqual([programmeId]);
  });

  it('evaluation admits the shop meeting every criterion and tells why the other is not', async () => {
    expect(await searchOrder(ctx, cats.digital.id)).toEqual([rival.productId, good.productId]);

    const r = await operator.post(`/admin/programmes/${programmeId}/evaluate`);
    expect(r.status).toBe(200);
    expect(r.body.run).toMatchObject({ trigger: 'operator', shopsEvaluated: 2, admitted: 1, demoted: 0 });
    const admitted = resultOf(r.body, good.shopId);
    expect(admitted).toMatchObject({ qualified: true, outcome: 'admitted' });
    expect(admitted.criteria.map((c) => [c.criterion, c.value, c.passed])).toEqual([
      ['rating', 5, true],
      ['category_share', 100, true],
      ['on_time_shipping', 100, true],
      ['return_rate', 0, true],
      ['quality_checks', 100, true],
    ]);
    expect(admitted.criteria.map((c) => c.threshold).filter((_t: unknown, i: number) => i !== 3)).toEqual([
      3, 50, 98, 100,
    ]);
    const refused = resultOf(r.body, rival.shopId);
    expect(refused).toMatchObject({ qualified: false, outcome: 'not_admitted' });
    expect(refused.criteria.filter((c) => !c.passed)).toEqual([
      expect.objectContaining({
        criterion: 'quality_checks',
        value: null,
        reason: 'No quality inspection in the last 90 days',
      }),
    ]);

    const members = await operator.get(`/admin/programmes/${programmeId}/members`);
    expect(members.body.items).toEqual([
      { shopId: good.shopId, status: 'member', admittedAt: ctx.clock.now().toISOString(), demotedAt: null },
    ]);
    const badges = await signUp(ctx).then((c) => c.get(`/shops/${good.shopId}/badges`));
    expect(badges.body.items).toEqual([
      {
        programmeId,
        name: '耳机优质商家',
        categoryId: cats.headphones.id,
        since: ctx.clock.now().toISOString(),
      },
    ]);
    expect((await client404(ctx, `/shops/${rival.shopId}/badges`)).body.items).toEqual([]);
    // The batch form a search page would use.
    const batch = await badgesByShop(ctx.db, [good.shopId, rival.shopId, good.shopId], ctx.clock.now());
    expect([...batch.keys()]).toEqual([good.shopId]);
    expect(batch.get(good.shopId)?.map((b) => b.programmeId)).toEqual([programmeId]);
    expect((await events(ctx, 'programme.member_admitted')).map((e) => e.payload)).toEqual([
      expect.objectContaining({ programmeId, shopId: good.shopId, categoryId: cats.headphones.id }),
    ]);

    // The member's products now come first in its category's search, whatever the sort.
    expect(await searchOrder(ctx, cats.digital.id)).toEqual([good.productId, rival.productId]);
    expect(await searchOrder(ctx, cats.headphones.id)).toEqual([good.productId, rival.productId]);

    // The merchant sees its standing, criterion by criterion, in its language.
    const mine = await good.owner.get(`/seller/shops/${good.shopId}/programmes`, {
      'accept-language': 'zh-CN',
    });
    expect(mine.status).toBe(200);
    expect(mine.body.items).toHaveLength(1);
    expect(mine.body.items[0]).toMatchObject({ status: 'member', lastEvaluation: { outcome: 'admitted' } });
    expect(mine.body.items[0].lastEvaluation.criteria[0]).toMatchObject({
      label: '店铺评分',
      reason: '店铺评分 5 星，不低于 3 星',
    });
  });

  it('evaluating again keeps the member without a second admission', async () => {
    const r = await operator.post(`/admin/programmes/${programmeId}/evaluate`);
    expect(r.body.run).toMatchObject({ admitted: 0, demoted: 0 });
    expect(resultOf(r.body, good.shopId).outcome).toBe('kept');
    expect(await events(ctx, 'programme.member_admitted')).toHaveLength(1);
  });

  it('a member that lets an order go past its ship-by is demoted, with the reason shown', async () => {
    const buyer = await signUp(ctx);
    await paidOrder(ctx, buyer, good.skuId);
    // Never shipped: the ship-by deadline passes and the order is marked late.
    await ctx.advance({ days: 4 });

    const r = await operator.post(`/admin/programmes/${programmeId}/evaluate`);
    expect(r.body.run).toMatchObject({ demoted: 1 });
    const demoted = resultOf(r.body, good.shopId);
    expect(demoted.outcome).toBe('demoted');
    expect(demoted.criteria.filter((c) => !c.passed)).toEqual([
      expect.objectContaining({ criterion: 'on_time_shipping', value: 50, threshold: 98, passed: false }),
    ]);

    const mine = await good.owner.get(`/seller/shops/${good.shopId}/programmes`);
    const standing = mine.body.items[0];
    expect(standing).toMatchObject({
      programme: { id: programmeId },
      status: 'demoted',
      demotedAt: ctx.clock.now().toISOString(),
      lastEvaluation: { qualified: false, outcome: 'demoted' },
    });
    const shipping = (standing.lastEvaluation.criteria as CriterionAnswer[]).find(
      (c) => c.criterion === 'on_time_shipping',
    );
    expect(shipping).toMatchObject({
      value: 50,
      threshold: 98,
      passed: false,
      reasonCode: 'programme.on_time_low',
      reason: '50% shipped on time in the last 30 days (1 of 2 late), below 98%',
    });

    expect((await client404(ctx, `/shops/${good.shopId}/badges`)).body.items).toEqual([]);
    expect(await searchOrder(ctx, cats.digital.id)).toEqual([rival.productId, good.productId]);
    const demotions = await events(ctx, 'programme.member_demoted');
    expect(demotions).toHaveLength(1);
    expect(demotions[0]!.payload).toMatchObject({
      programmeId,
      shopId: good.shopId,
      failed: [{ criterion: 'on_time_shipping', value: 50, threshold: 98 }],
    });
    const members = await operator.get(`/admin/programmes/${programmeId}/members?status=member`);
    expect(members.body.items).toEqual([]);
    await expectLedgerBalanced(ctx.db);
  });

  it('other shops’ staff, buyers and anonymous callers cannot cross the lines', async () => {
    const buyer = await signUp(ctx);
    for (const [method, url, body] of [
      ['post', '/admin/programmes', { name: 'x', categoryId: cats.digital.id }],
      ['get', '/admin/programmes'],
      ['post', `/admin/programmes/${programmeId}/evaluate`],
      ['get', `/admin/programmes/${programmeId}/members`],
      ['post', '/admin/quality-checks', { shopId: good.shopId, categoryId: cats.digital.id, passed: true }],
    ] as const) {
      const asBuyer = method === 'post' ? await buyer.post(url, body) : await buyer.get(url);
      expect(asBuyer.status, `${method} ${url}`).toBe(403);
      const asMerchant = method === 'post' ? await good.owner.post(url, body) : await good.owner.get(url);
      expect(asMerchant.status, `${method} ${url}`).toBe(403);
    }
    // The rival's owner and its staff never see the other shop's standing; a buyer is not staff.
    expect((await rival.owner.get(`/seller/shops/${good.shopId}/programmes`)).status).toBe(404);
    const clerk = await signUp(ctx);
    await addStaff(ctx, rival.shopId, clerk, 'service');
    expect((await clerk.get(`/seller/shops/${good.shopId}/programmes`)).status).toBe(404);
    expect((await clerk.get(`/seller/shops/${rival.shopId}/programmes`)).status).toBe(200);
    expect((await buyer.get(`/seller/shops/${good.shopId}/programmes`)).status).toBe(403);
    expect((await client404(ctx, '/shops/shop_nope/badges')).status).toBe(404);
    expect((await operator.post('/admin/programmes/qp_nope/evaluate')).status).toBe(404);
    expect((await operator.get('/admin/programmes/qp_nope/members')).status).toBe(404);
  });

  it('bad input is refused naming the field', async () => {
    const noCategory = await operator.post('/admin/programmes', { name: 'x', categoryId: 'cat_nope' });
    expect(noCategory.status).toBe(400);
    expect(noCategory.body.errors).toEqual([expect.objectContaining({ path: '/categoryId' })]);
    const parent = await operator.post('/admin/programmes', { name: 'x', categoryId: cats.digital.id });
    expect(parent.status).toBe(400);
    expect(parent.body.errors).toEqual([
      {
        path: '/categoryId',
        in: 'body',
        message: 'must be a leaf category (return rates are kept per leaf category)',
      },
    ]);
    const badThreshold = await operator.post('/admin/programmes', {
      name: 'x',
      categoryId: cats.headphones.id,
      criteria: { minOnTimePercent: 120 },
    });
    expect(badThreshold.status).toBe(400);
    const own = await operator.post('/admin/programmes', {
      name: '严选耳机',
      categoryId: cats.headphones.id,
      criteria: { minOnTimePercent: 99.5, qualityCheckDays: 30 },
    });
    expect(own.status).toBe(201);
    expect(own.body.criteria).toEqual({
      minRating: 3,
      minCategorySharePercent: 50,
      minOnTimePercent: 99.5,
      salesWindowDays: 30,
      qualityCheckDays: 30,
    });
    const future = await operator.post('/admin/quality-checks', {
      shopId: good.shopId,
      categoryId: cats.headphones.id,
      passed: true,
      inspectedAt: new Date(ctx.clock.now().getTime() + 3_600_000).toISOString(),
    });
    expect(future.status).toBe(400);
    expect(future.body.errors).toEqual([expect.objectContaining({ path: '/inspectedAt' })]);
    const othersProduct = await operator.post('/admin/quality-checks', {
      shopId: good.shopId,
      categoryId: cats.headphones.id,
      productId: rival.productId,
      passed: true,
    });
    expect(othersProduct.status).toBe(400);
    expect(othersProduct.body.errors).toEqual([expect.objectContaining({ path: '/productId' })]);
    const noShop = await operator.post('/admin/quality-checks', {
      shopId: 'shop_nope',
      categoryId: cats.headphones.id,
      passed: false,
    });
    expect(noShop.status).toBe(400);
    expect(noShop.body.errors).toEqual([expect.objectContaining({ path: '/shopId' })]);
  });

  it('a failed inspection keeps a shop out even when everything else is right', async () => {
    const r = await operator.post('/admin/quality-checks', {
      shopId: rival.shopId,
      categoryId: cats.headphones.id,
      passed: false,
      note: '材质不符',
    });
    expect(r.status).toBe(201);
    await operator.post('/admin/quality-checks', {
      shopId: rival.shopId,
      categoryId: cats.headphones.id,
      passed: true,
    });
    const e = await operator.post(`/admin/programmes/${programmeId}/evaluate`);
    const rivalResult = resultOf(e.body, rival.shopId);
    expect(rivalResult.outcome).toBe('not_admitted');
    expect(rivalResult.criteria.find((c) => c.criterion === 'quality_checks')).toMatchObject({
      value: 50,
      passed: false,
      reason: '1 of 2 quality inspections in the last 90 days failed',
    });
  });
});

describe.sequential('the monthly review', () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await makeTestApp({ sessionDays: 3650 });
  });
  afterAll(() => ctx?.close());

  it('runs exactly once at 00:00 on the 1st in China, admitting the shops that qualify', async () => {
    const operator = await signUp(ctx, { operator: true });
    const cats = await makeCategories(ctx);
    const created = await operator.post('/admin/programmes', {
      name: '耳机优质商家',
      categoryId: cats.headphones.id,
    });
    const programmeId = created.body.id as string;
    const shop = await sellingShop(ctx, operator, cats.headphones.id);
    const runs = () => ctx.db.select().from(programmeRuns).where(eq(programmeRuns.programmeId, programmeId));

    // 23:59 on 30 November in China: nothing yet.
    const review = new Date('2026-11-30T16:00:00.000Z');
    await ctx.advance({ minutes: Math.round((review.getTime() - ctx.clock.now().getTime()) / 60_000) - 1 });
    expect(ctx.clock.now().toISOString()).toBe('2026-11-30T15:59:00.000Z');
    expect(await runs()).toEqual([]);
    expect((await ctx.app.inject({ url: `/api/v1/shops/${shop.shopId}/badges` })).json().items).toEqual([]);

    await ctx.advance({ minutes: 1 });
    const done = await runs();
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ trigger: 'monthly', actorId: null, shopsEvaluated: 1, admitted: 1 });
    expect(done[0]!.at.toISOString()).toBe(review.toISOString());
    const badges = (await ctx.app.inject({ url: `/api/v1/shops/${shop.shopId}/badges` })).json();
    expect(badges.items).toEqual([expect.objectContaining({ programmeId, since: review.toISOString() })]);
    const list = await operator.get('/admin/programmes');
    expect(list.body.items[0]).toMatchObject({
      lastEvaluatedAt: review.toISOString(),
      nextReviewAt: '2026-12-31T16:00:00.000Z',
    });

    // A day later nothing has run again; the next run is January's.
    await ctx.advance({ days: 1 });
    expect(await runs()).toHaveLength(1);
    const admissions = await ctx.db
      .select()
      .from(outboxEvents)
      .where(and(eq(outboxEvents.topic, 'programme.member_admitted'), eq(outboxEvents.key, shop.shopId)));
    expect(admissions).toHaveLength(1);
    await expectLedgerBalanced(ctx.db);
  });
});

/** An anonymous GET (public storefront routes). */
async function client404(ctx: TestContext, url: string) {
  const res = await ctx.app.inject({ url: `/api/v1${url}` });
  return { status: res.statusCode, body: res.json() };
}

describe.sequential('returns and concurrent evaluations', () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await makeTestApp({ sessionDays: 3650 });
  });
  afterAll(() => ctx?.close());

  it('a shop whose return rate is not below the category average is kept out; two evaluations at once admit once', async () => {
    const operator = await signUp(ctx, { operator: true });
    const cats = await makeCategories(ctx);
    const clean = await sellingShop(ctx, operator, cats.phones.id);
    const returner = await sellingShop(ctx, operator, cats.phones.id);
    // A second order of the returner's comes back: 1 of its 2 shipped units returned and refunded.
    const buyer = await signUp(ctx);
    const { orderId } = await paidOrder(ctx, buyer, returner.skuId);
    await shipAndPickUp(ctx, returner, orderId, `QP${++tracking}${Date.now()}`);
    const asked = await buyer.post(`/orders/${orderId}/refunds`, {
      kind: 'return_refund',
      reason: 'quality_issue',
    });
    expect(asked.status).toBe(201);
    const refundUrl = `/seller/shops/${returner.shopId}/refunds/${asked.body.id}`;
    expect((await returner.owner.post(`${refundUrl}/approve`)).status).toBe(200);
    const sent = await buyer.post(`/refunds/${asked.body.id}/return-shipment`, {
      carrier: 'sandbox',
      trackingNo: `RT${++tracking}${Date.now()}`,
    });
    expect(sent.status).toBe(200);
    const confirmed = await returner.owner.post(`${refundUrl}/confirm-return`);
    expect(confirmed.body.status).toBe('refunded');
    await ctx.advance({ days: 4 });

    const created = await operator.post('/admin/programmes', {
      name: '手机优质商家',
      categoryId: cats.phones.id,
    });
    const programmeId = created.body.id as string;
    const evaluate = () => operator.post(`/admin/programmes/${programmeId}/evaluate`);
    const [a, b] = await Promise.all([evaluate(), evaluate()]);
    expect([a.status, b.status]).toEqual([200, 200]);
    // One run admitted the clean shop, the other found it already a member.
    expect([a.body.run.admitted, b.body.run.admitted].sort()).toEqual([0, 1]);
    expect([resultOf(a.body, clean.shopId).outcome, resultOf(b.body, clean.shopId).outcome].sort()).toEqual([
      'admitted',
      'kept',
    ]);
    const admissions = await events(ctx, 'programme.member_admitted');
    expect(admissions.map((e) => e.key)).toEqual([clean.shopId]);

    const kept = resultOf(a.body, returner.shopId);
    expect(kept.outcome).toBe('not_admitted');
    // 1 of 2 units came back; the category as a whole: 1 of 3.
    expect(kept.criteria.filter((c) => !c.passed)).toEqual([
      expect.objectContaining({
        criterion: 'return_rate',
        value: 50,
        threshold: 33.33,
        reason: 'Return rate 50% over the last 30 days, not below the category average of 33.33%',
      }),
    ]);
    expect(resultOf(a.body, clean.shopId).criteria.find((c) => c.criterion === 'return_rate')).toMatchObject({
      value: 0,
      threshold: 33.33,
      passed: true,
    });
    await expectLedgerBalanced(ctx.db);
  });
});
