import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { outboxEvents } from '../../kernel/schema';
import { addStaff, listProduct, makeCategories, makeShop, makeWarehouse } from '../catalog/testing';
import { reserveStock } from './reservations';

type Seller = Client & { accountId: string };
interface Level {
  skuId: string;
  warehouseId: string;
  onHand: number;
  reserved: number;
  available: number;
}

let ctx: TestContext;
let categoryId: string;
let ownerA: Seller;
let shopA: string;
let whA: string;
let skuA: string;
let ownerB: Seller;
let shopB: string;
let whB: string;
let skuB: string;

beforeAll(async () => {
  ctx = await makeTestApp();
  categoryId = (await makeCategories(ctx)).headphones.id;
  ownerA = await signUp(ctx);
  shopA = await makeShop(ctx, ownerA);
  whA = await makeWarehouse(ownerA, shopA, '杭州仓', '浙江省杭州市');
  skuA = (
    await listProduct(ownerA, shopA, { title: '无线蓝牙耳机', categoryId, warehouseId: whA, stock: 10 })
  ).skus[0]!.id;
  ownerB = await signUp(ctx);
  shopB = await makeShop(ctx, ownerB);
  whB = await makeWarehouse(ownerB, shopB, '广州仓', '广东省广州市');
  skuB = (await listProduct(ownerB, shopB, { title: '有线耳机', categoryId, warehouseId: whB, stock: 5 }))
    .skus[0]!.id;
});
afterAll(async () => ctx.close());

const adjust = (seller: Client, shopId: string, body: Record<string, unknown>) =>
  seller.post(`/seller/shops/${shopId}/stock/adjustments`, body);

describe('warehouses', () => {
  it('adds and lists the shop’s warehouses, page by page', async () => {
    const shop = await makeShop(ctx, ownerA);
    const created = await ownerA.post(`/seller/shops/${shop}/warehouses`, {
      name: ' 上海仓 ',
      region: '上海市',
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^wh_/),
      shopId: shop,
      name: '上海仓',
      region: '上海市',
      createdAt: ctx.clock.now().toISOString(),
    });
    await makeWarehouse(ownerA, shop, '北京仓', '北京市');
    await makeWarehouse(ownerA, shop, '成都仓', '四川省成都市');
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const r: { status: number; body: { items: { name: string }[]; nextCursor: string | null } } =
        await ownerA.get(`/seller/shops/${shop}/warehouses?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      names.push(...r.body.items.map((w) => w.name));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(names).toEqual(['上海仓', '北京仓', '成都仓']);
  });

  it('answers 400 per field in both languages', async () => {
    const en = await ownerA.post(`/seller/shops/${shopA}/warehouses`, { name: '' });
    expect(en.status).toBe(400);
    expect(en.body.errors).toHaveLength(2);
    expect(en.body.errors).toEqual(
      expect.arrayContaining([
        { path: '/name', in: 'body', message: 'must be at least 1 characters' },
        { path: '/region', in: 'body', message: 'is required' },
      ]),
    );
    const blank = await ownerA.post(`/seller/shops/${shopA}/warehouses`, { name: '   ', region: '上海市' });
    expect(blank.status).toBe(400);
    expect(blank.body.errors).toEqual([
      { path: '/name', in: 'body', message: 'must be at least 1 characters' },
    ]);
    const zh = await client(ctx.app, ownerA.token, 'zh-CN').post(`/seller/shops/${shopA}/warehouses`, {
      name: '仓',
    });
    expect(zh.body.errors).toEqual([{ path: '/region', in: 'body', message: '必填' }]);
  });
});

describe('stock adjustments', () => {
  it('receives, writes off and recounts stock, recording each movement and emitting stock.adjusted', async () => {
    const received = await adjust(ownerA, shopA, {
      skuId: skuA,
      warehouseId: whA,
      delta: 20,
      reason: 'receipt',
      note: '入库单 RK-20261101-01',
    });
    expect(received.status).toBe(201);
    expect(received.body.level).toMatchObject({
      skuId: skuA,
      warehouseId: whA,
      onHand: 30,
      reserved: 0,
      available: 30,
    });

    const damaged = await adjust(ownerA, shopA, {
      skuId: skuA,
      warehouseId: whA,
      delta: -3,
      reason: 'damage',
    });
    expect(damaged.body.level).toMatchObject({ onHand: 27, available: 27 });
    const counted = await adjust(ownerA, shopA, {
      skuId: skuA,
      warehouseId: whA,
      delta: -2,
      reason: 'count_correction',
    });
    expect(counted.body.level.onHand).toBe(25);

    // A SKU received into a warehouse it had no stock in yet.
    const second = await makeWarehouse(ownerA, shopA, '宁波仓', '浙江省宁波市');
    const fresh = await adjust(ownerA, shopA, {
      skuId: skuA,
      warehouseId: second,
      delta: 4,
      reason: 'return',
    });
    expect(fresh.status).toBe(201);
    expect(fresh.body.level).toMatchObject({ warehouseId: second, onHand: 4, reserved: 0 });

    const page = await client(ctx.app).get(`/products?q=${encodeURIComponent('无线蓝牙耳机')}`);
    const product = await client(ctx.app).get(`/products/${page.body.items[0].id}`);
    expect(product.body.skus[0].available).toBe(29);

    const moves = await ownerA.get(`/seller/shops/${shopA}/stock/movements?skuId=${skuA}`);
    expect(moves.status).toBe(200);
    expect(
      moves.body.items.map((m: { reason: string; deltaOnHand: number }) => [m.reason, m.deltaOnHand]),
    ).toEqual([
      ['return', 4],
      ['count_correction', -2],
      ['damage', -3],
      ['receipt', 20],
      ['initial', 10],
    ]);
    expect(moves.body.items[3]).toMatchObject({
      id: received.body.movementId,
      note: '入库单 RK-20261101-01',
      actorId: ownerA.accountId,
      deltaReserved: 0,
      ref: null,
    });

    const events = await ctx.db.select().from(outboxEvents).where(eq(outboxEvents.topic, 'stock.adjusted'));
    expect(events.map((e) => (e.payload as { delta: number }).delta)).toEqual([20, -3, -2, 4]);
    expect(events[0]!.payload).toMatchObject({
      shopId: shopA,
      skuId: skuA,
      warehouseId: whA,
      reason: 'receipt',
      onHand: 30,
    });
  });

  it('refuses to bring on-hand stock below what orders hold, saying so', async () => {
    const sku = (
      await listProduct(ownerA, shopA, { title: '降噪耳机', categoryId, warehouseId: whA, stock: 6 })
    ).skus[0]!.id;
    await reserveStock(ctx.db, {
      shopId: shopA,
      skuId: sku,
      quantity: 4,
      ref: 'order_x',
      now: ctx.clock.now(),
    });
    const r = await adjust(ownerA, shopA, { skuId: sku, warehouseId: whA, delta: -3, reason: 'damage' });
    expect(r.status).toBe(409);
    expect(r.body.title).toBe(
      'After this adjustment 3 units would be on hand, fewer than the 4 already reserved for orders',
    );
    const zh = await client(ctx.app, ownerA.token, 'zh-CN').post(`/seller/shops/${shopA}/stock/adjustments`, {
      skuId: sku,
      warehouseId: whA,
      delta: -3,
      reason: 'damage',
    });
    expect(zh.body.title).toBe('调整后实物库存 3 件将少于已被订单占用的 4 件');
    const ok = await adjust(ownerA, shopA, { skuId: sku, warehouseId: whA, delta: -2, reason: 'damage' });
    expect(ok.body.level).toMatchObject({ onHand: 4, reserved: 4, available: 0 });
    const levels = await ownerA.get(`/seller/shops/${shopA}/stock?skuId=${sku}`);
    expect(levels.body.items).toEqual([
      expect.objectContaining({
        skuId: sku,
        warehouseId: whA,
        warehouseName: '杭州仓',
        onHand: 4,
        reserved: 4,
        available: 0,
      }),
    ]);
  });

  it('checks the direction of each reason and the fields, in both languages', async () => {
    const bad = async (body: Record<string, unknown>, lang: 'en' | 'zh-CN' = 'en') =>
      (
        await client(ctx.app, ownerA.token, lang).post(`/seller/shops/${shopA}/stock/adjustments`, {
          skuId: skuA,
          warehouseId: whA,
          ...body,
        })
      ).body;
    expect((await bad({ delta: -1, reason: 'receipt' })).errors).toEqual([
      { path: '/delta', in: 'body', message: 'must be positive when the reason is receipt' },
    ]);
    expect((await bad({ delta: 1, reason: 'damage' }, 'zh-CN')).errors).toEqual([
      { path: '/delta', in: 'body', message: '原因为「damage」时调整数量须为负数' },
    ]);
    expect((await bad({ delta: 0, reason: 'other' })).errors[0].path).toBe('/delta');
    const schema = await bad({ delta: 1.5, reason: 'stolen' });
    expect(schema.status).toBe(400);
    expect(schema.errors.map((e: { path: string }) => e.path).sort()).toEqual(['/delta', '/reason']);
  });
});

describe('tenancy and roles', () => {
  it("gives shop A's staff 404 for shop B's warehouses, stock and movements", async () => {
    expect((await ownerA.get(`/seller/shops/${shopB}/warehouses`)).status).toBe(404);
    expect((await ownerA.get(`/seller/shops/${shopB}/stock?skuId=${skuB}`)).status).toBe(404);
    expect((await ownerA.get(`/seller/shops/${shopB}/stock/movements`)).status).toBe(404);
    expect((await ownerA.post(`/seller/shops/${shopB}/warehouses`, { name: 'x', region: 'y' })).status).toBe(
      404,
    );
    const viaB = await adjust(ownerA, shopB, { skuId: skuB, warehouseId: whB, delta: 1, reason: 'receipt' });
    expect(viaB.status).toBe(404);

    // B's real ids through A's own routes: nothing of B's is found or touched.
    const foreignWarehouse = await adjust(ownerA, shopA, {
      skuId: skuA,
      warehouseId: whB,
      delta: 1,
      reason: 'receipt',
    });
    expect(foreignWarehouse.status).toBe(404);
    expect(foreignWarehouse.body.errors).toEqual([
      { path: '/warehouseId', in: 'body', message: 'is not a warehouse of this shop' },
    ]);
    const foreignSku = await adjust(ownerA, shopA, {
      skuId: skuB,
      warehouseId: whA,
      delta: 1,
      reason: 'receipt',
    });
    expect(foreignSku.status).toBe(404);
    expect(foreignSku.body.errors).toEqual([
      { path: '/skuId', in: 'body', message: 'is not a SKU of this shop' },
    ]);
    expect((await ownerA.get(`/seller/shops/${shopA}/stock?skuId=${skuB}`)).body.items).toEqual([]);
    expect((await ownerA.get(`/seller/shops/${shopA}/stock?warehouseId=${whB}`)).body.items).toEqual([]);
    expect((await ownerA.get(`/seller/shops/${shopA}/stock/movements?skuId=${skuB}`)).body.items).toEqual([]);
    const mine = await ownerA.get(`/seller/shops/${shopA}/warehouses`);
    expect(mine.body.items.map((w: { id: string }) => w.id)).not.toContain(whB);

    const bStock = await ownerB.get(`/seller/shops/${shopB}/stock`);
    expect(bStock.body.items).toEqual([expect.objectContaining({ skuId: skuB, onHand: 5, reserved: 0 })]);
  });

  it('lets warehouse and operations staff work the stock; buyers and finance get 403', async () => {
    const buyer = await signUp(ctx);
    expect((await buyer.get(`/seller/shops/${shopA}/stock`)).status).toBe(403);
    expect((await buyer.post(`/seller/shops/${shopA}/warehouses`, { name: 'x', region: 'y' })).status).toBe(
      403,
    );

    const finance = await signUp(ctx);
    await addStaff(ctx, shopA, finance, 'finance');
    expect((await finance.get(`/seller/shops/${shopA}/stock`)).status).toBe(403);
    expect(
      (await adjust(finance, shopA, { skuId: skuA, warehouseId: whA, delta: 1, reason: 'receipt' })).status,
    ).toBe(403);

    const keeper = await signUp(ctx);
    await addStaff(ctx, shopA, keeper, 'warehouse');
    const r = await adjust(keeper, shopA, { skuId: skuA, warehouseId: whA, delta: 1, reason: 'receipt' });
    expect(r.status).toBe(201);
    const ops = await signUp(ctx);
    await addStaff(ctx, shopA, ops, 'operations');
    expect(
      (await ops.post(`/seller/shops/${shopA}/warehouses`, { name: '武汉仓', region: '湖北省武汉市' }))
        .status,
    ).toBe(201);
    expect((await client(ctx.app).get(`/seller/shops/${shopA}/stock`)).status).toBe(401);
  });
});

describe('stock levels', () => {
  it('pages the levels by SKU and warehouse and refuses a forged cursor', async () => {
    const shop = await makeShop(ctx, ownerB);
    const w1 = await makeWarehouse(ownerB, shop, '一号仓');
    const w2 = await makeWarehouse(ownerB, shop, '二号仓');
    const p = await ownerB.post(`/seller/shops/${shop}/products`, {
      title: '头戴式耳机',
      categoryId,
      skus: ['S', 'M', 'L'].map((size, i) => ({
        code: `HD-${size}`,
        attributes: { 颜色: size },
        price: 100,
        stock: [
          { warehouseId: w1, quantity: i + 1 },
          { warehouseId: w2, quantity: 10 * (i + 1) },
        ],
      })),
    });
    expect(p.status).toBe(201);
    const all: Level[] = [];
    let cursor: string | null = null;
    do {
      const r: { status: number; body: { items: Level[]; nextCursor: string | null } } = await ownerB.get(
        `/seller/shops/${shop}/stock?limit=4${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(r.status).toBe(200);
      all.push(...r.body.items);
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(all).toHaveLength(6);
    expect(new Set(all.map((l) => `${l.skuId}/${l.warehouseId}`)).size).toBe(6);
    expect(all.reduce((s, l) => s + l.onHand, 0)).toBe(66);
    const inW2 = await ownerB.get(`/seller/shops/${shop}/stock?warehouseId=${w2}`);
    expect(inW2.body.items.map((l: Level) => l.onHand).sort((a: number, b: number) => a - b)).toEqual([
      10, 20, 30,
    ]);
    const forged = Buffer.from(JSON.stringify({ skuId: 1 })).toString('base64url');
    expect((await ownerB.get(`/seller/shops/${shop}/stock?cursor=${forged}`)).status).toBe(400);
    expect((await ownerB.get(`/seller/shops/${shop}/stock/movements?cursor=${forged}`)).status).toBe(400);

    const moves = await ownerB.get(`/seller/shops/${shop}/stock/movements?limit=5`);
    expect(moves.body.items).toHaveLength(5);
    const rest = await ownerB.get(
      `/seller/shops/${shop}/stock/movements?limit=5&cursor=${moves.body.nextCursor}`,
    );
    expect(rest.body.items).toHaveLength(1);
    expect(rest.body.nextCursor).toBeNull();
  });
});
