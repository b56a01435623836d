import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { categoryTree, getCategory } from '../catalog';
import { drainOutbox } from '../databank/testing';
import { expectLedgerBalanced } from '../ledger/testing';
import {
  buyAndCheckout,
  makeCategoryId,
  makeSeller,
  makeSku,
  paidOrder,
  type Seller,
} from '../trade/testing';

let ctx: TestContext;
let categoryId: string;
let seller: Seller;
let flagged: Seller;
let p: Record<'p1' | 'p2' | 'p3' | 'p4' | 'p5', string>;
let skus: Record<'p1' | 'p2' | 'p3' | 'p4' | 'p5', string>;
let operator: Awaited<ReturnType<typeof signUp>>;

const drain = () => drainOutbox(ctx);

/** `units` units of the SKU in one paid order. */
async function buy(skuId: string, units: number, buyer?: Awaited<ReturnType<typeof signUp>>) {
  const b = buyer ?? (await signUp(ctx));
  let orderId: string;
  if (units === 1) orderId = (await paidOrder(ctx, b, skuId)).orderId;
  else {
    const co = await buyAndCheckout(b, [{ skuId, quantity: units }]);
    await b.post(`/payments/${co.payment.id}/pay`);
    await ctx.advance({ minutes: 1 });
    orderId = co.orders[0]!.id as string;
  }
  buyers.set(orderId, b);
  return orderId;
}

const buyers = new Map<string, Awaited<ReturnType<typeof signUp>>>();

beforeAll(async () => {
  ctx = await makeTestApp({ sessionDays: 3650 });
  operator = await signUp(ctx, { operator: true });
  categoryId = await makeCategoryId(ctx);
  seller = await makeSeller(ctx, 'market');
  flagged = await makeSeller(ctx, 'market');
  const make = async (s: Seller) => makeSku(s, categoryId, { price: 10_000, stock: 100 });
  const made = {
    p1: await make(seller),
    p2: await make(seller),
    p3: await make(seller),
    p4: await make(flagged),
    p5: await make(seller),
  };
  p = Object.fromEntries(Object.entries(made).map(([k, v]) => [k, v.productId])) as typeof p;
  skus = Object.fromEntries(Object.entries(made).map(([k, v]) => [k, v.skuId])) as typeof skus;

  // p1: three orders, two refunded. p2: the same buyer twice. p3: ten units at once. p4: twenty
  // units at a shop later found brushing. p5: two units, tying p2.
  const refundable = [await buy(skus.p1, 1), await buy(skus.p1, 1)];
  await buy(skus.p1, 1);
  const loyal = await signUp(ctx);
  await buy(skus.p2, 1, loyal);
  await buy(skus.p2, 1, loyal);
  await buy(skus.p3, 10);
  await buy(skus.p4, 20);
  await buy(skus.p5, 2);
  await drain();
  // Refunds of unshipped orders the seller ignores are paid after 48 hours.
  for (const orderId of refundable) {
    const r = await buyers
      .get(orderId)!
      .post(`/orders/${orderId}/refunds`, { kind: 'refund_only', reason: 'no_longer_needed' });
    expect(r.status).toBe(201);
  }
  await ctx.advance({ hours: 48, minutes: 1 });
  await drain();
});
afterAll(async () => ctx?.close());

const get = (list: string, extra = '') =>
  operator.get(`/rankings?categoryId=${categoryId}&list=${list}${extra}`);

describe('rankings', () => {
  it('a shop with a fake-trade finding drops out of every list', async () => {
    const before = await get('sales_units_30d');
    expect(before.body.items[0]).toMatchObject({ productId: p.p4, value: 20 });
    const r = await operator.post(`/admin/shops/${flagged.shopId}/fake-trades`, {
      fakeOrders: 3,
      note: '刷单',
    });
    expect(r.status).toBe(201);
    await drain();
    for (const list of ['sales_units_30d', 'sales_amount_7d', 'combined', 'new_products']) {
      const after = await get(list);
      expect(
        after.body.items.map((e: { productId: string }) => e.productId),
        list,
      ).not.toContain(p.p4);
    }
  });

  it('sales lists count net units: refunded orders do not count; ties break on amount, then product id', async () => {
    const r = await get('sales_units_30d');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const order = r.body.items.map((e: { productId: string }) => e.productId);
    const tie = [p.p2, p.p5].sort();
    expect(order).toEqual([p.p3, ...tie, p.p1]);
    const p1 = r.body.items.find((e: { productId: string }) => e.productId === p.p1);
    expect(p1.value).toBe(1);
    expect(p1.figures).toMatchObject({ units30d: 1, amount30d: 10_000, refundedUnits30d: 2 });
    expect(p1.explanation).toBe('1 units sold in 30 days, net of refunds; 2 refunded units not counted');
    const amount = await get('sales_amount_7d');
    expect(amount.body.items[0]).toMatchObject({ productId: p.p3, value: 100_000 });
    // The same data gives the same order every time.
    expect((await get('sales_units_30d')).body).toEqual(r.body);
  });

  it('a parent category rolls up its subcategories; a sibling shows none of them', async () => {
    const leaf = await getCategory(ctx.db, categoryId);
    const parent = await operator.get(`/rankings?categoryId=${leaf!.parentId}&list=sales_units_30d`);
    expect(parent.status).toBe(200);
    expect(parent.body.items).toEqual((await get('sales_units_30d')).body.items);
    const siblings = await categoryTree(ctx.db);
    const sibling = siblings.find((c) => c.id === leaf!.parentId)!.children.find((c) => c.id !== categoryId)!;
    expect(
      (await operator.get(`/rankings?categoryId=${sibling.id}&list=sales_units_30d`)).body.items,
    ).toEqual([]);
  });

  it('no route or parameter buys a place', async () => {
    // Whatever a caller adds to the query, the list is the same: there is nothing to pay for.
    const plain = await get('combined');
    expect(plain.body.items.length).toBeGreaterThan(1);
    const last = plain.body.items.at(-1).productId;
    for (const extra of [`&pin=${last}`, `&boost=${last}`, `&sponsored=${last}&position=1`, `&paid=true`]) {
      const r = await get('combined', extra);
      expect(r.status).toBe(200);
      expect(r.body, extra).toEqual(plain.body);
    }
    const spec = (await operator.get('/api/v1/openapi.json')).body;
    const rankingPaths = Object.entries(spec.paths as Record<string, Record<string, unknown>>).filter(
      ([path]) => path.includes('ranking'),
    );
    expect(rankingPaths.length).toBe(2);
    for (const [, methods] of rankingPaths) expect(Object.keys(methods)).toEqual(['get']);
    await expectLedgerBalanced(ctx.db);
  });

  it('a shop sees where its products stand, and only through its own shop', async () => {
    const mine = await seller.owner.get(`/seller/shops/${seller.shopId}/rankings?categoryId=${categoryId}`);
    expect(mine.status).toBe(200);
    expect(mine.body.items.map((i: { list: string }) => i.list)).toContain('combined');
    expect(
      (await flagged.owner.get(`/seller/shops/${seller.shopId}/rankings?categoryId=${categoryId}`)).status,
    ).toBe(404);
  });

  it('new products: survived at 10 units in 90 days, super new in the top 50 within 30 days of launch', async () => {
    const r = await get('new_products');
    const p3 = r.body.items.find((e: { productId: string }) => e.productId === p.p3);
    expect(p3.badges).toEqual(['bestseller', 'survived', 'super_new']);
    expect(p3.figures.unitsInLaunchPeriod).toBe(10);
    const p2 = r.body.items.find((e: { productId: string }) => e.productId === p.p2);
    expect(p2.badges).toEqual(['bestseller', 'super_new']);
    expect(p2.figures.repurchase).toEqual({ repeatBuyers: 1, buyers: 1, rate: null });
    // Thirty-one days on, nobody is super new any more, and the 30-day sales lists are empty.
    await ctx.advance({ days: 31 });
    const later = await get('new_products');
    for (const e of later.body.items) expect(e.badges).not.toContain('super_new');
    // Still tracked in its launch period although it sold nothing in the last 30 days.
    expect(later.body.items.find((e: { productId: string }) => e.productId === p.p3)).toMatchObject({
      value: 10,
      badges: ['survived'],
    });
    expect((await get('sales_units_30d')).body.items).toEqual([]);
  });
});
