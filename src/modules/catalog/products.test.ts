import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { outboxEvents } from '../../kernel/schema';
import { stock, stockMovements } from '../inventory/schema';
import { getSkuForSale, recordSales } from './products';
import { products, skus } from './schema';
import { addStaff, listProduct, makeBrand, makeCategories, makeShop, makeWarehouse } from './testing';

type Seller = Client & { accountId: string };
interface FieldProblem {
  path: string;
  in?: string;
  message: string;
}

let ctx: TestContext;
let cats: Awaited<ReturnType<typeof makeCategories>>;
let owner: Seller;
let shopId: string;
let warehouseA: string;
let warehouseB: string;
beforeAll(async () => {
  ctx = await makeTestApp();
  cats = await makeCategories(ctx);
  owner = await signUp(ctx);
  shopId = await makeShop(ctx, owner, 'mall');
  warehouseA = await makeWarehouse(owner, shopId, '杭州仓', '浙江省杭州市');
  warehouseB = await makeWarehouse(owner, shopId, '广州仓', '广东省广州市');
});
afterAll(async () => ctx.close());

const paths = (body: { errors?: FieldProblem[] }) => (body.errors ?? []).map((e) => e.path).sort();

async function countShopRows(id: string) {
  const p = await ctx.db.select({ id: products.id }).from(products).where(eq(products.shopId, id));
  const s = await ctx.db.select({ id: skus.id }).from(skus).where(eq(skus.shopId, id));
  const st = await ctx.db.select({ skuId: stock.skuId }).from(stock).where(eq(stock.shopId, id));
  const mv = await ctx.db
    .select({ id: stockMovements.id })
    .from(stockMovements)
    .where(eq(stockMovements.shopId, id));
  return { products: p.length, skus: s.length, stock: st.length, movements: mv.length };
}

const dress = () => ({
  title: '夏季碎花雪纺连衣裙女中长款',
  categoryId: cats.dresses.id,
  description: '<p>雪纺面料，清爽透气</p>',
  images: ['https://img.example.com/dress-1.jpg', 'http://img.example.com/dress-2.jpg'],
  shipWithinHours: 24,
  skus: [
    {
      code: `DR-${Math.random().toString(36).slice(2, 8)}-S`,
      attributes: { 颜色: '碎花蓝', 尺码: 'S' },
      price: 15900,
      stock: [
        { warehouseId: warehouseA, quantity: 10 },
        { warehouseId: warehouseB, quantity: 5 },
      ],
    },
    {
      code: `DR-${Math.random().toString(36).slice(2, 8)}-M`,
      attributes: { 颜色: '碎花蓝', 尺码: 'M' },
      price: 16900,
      stock: [{ warehouseId: warehouseA, quantity: 3 }],
    },
  ],
});

describe('listing a product', () => {
  it('creates a draft with its SKUs and opening stock in one go, and publishes it', async () => {
    const input = dress();
    const r = await owner.post(`/seller/shops/${shopId}/products`, input);
    expect(r.status).toBe(201);
    expect(r.body.id).toMatch(/^prod_/);
    expect(r.body.skus.map((s: { code: string }) => s.code)).toEqual(input.skus.map((s) => s.code));

    // A draft is not on the storefront, but the shop sees it with its stock.
    expect((await client(ctx.app).get(`/products/${r.body.id}`)).status).toBe(404);
    const draft = await owner.get(`/seller/shops/${shopId}/products/${r.body.id}`);
    expect(draft.status).toBe(200);
    expect(draft.body).toMatchObject({
      status: 'draft',
      minPrice: 15900,
      maxPrice: 16900,
      shipWithinHours: 24,
      category: { id: cats.dresses.id, nameZh: '连衣裙', noReasonReturn: true, special: false },
      publishedAt: null,
    });
    expect(draft.body.skus.map((s: { available: number }) => s.available)).toEqual([15, 3]);

    const published = await owner.post(`/seller/shops/${shopId}/products/${r.body.id}/publish`);
    expect(published.status).toBe(200);
    expect(published.body.status).toBe('published');
    expect(published.body.publishedAt).toBe(ctx.clock.now().toISOString());

    const page = await client(ctx.app).get(`/products/${r.body.id}`);
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({
      id: r.body.id,
      shopId,
      title: input.title,
      images: input.images,
      minPrice: 15900,
      maxPrice: 16900,
      salesCount: 0,
    });
    expect(page.body.skus).toEqual([
      {
        id: r.body.skus[0].id,
        code: input.skus[0]!.code,
        attributes: { 颜色: '碎花蓝', 尺码: 'S' },
        price: 15900,
        currency: 'CNY',
        status: 'active',
        available: 15,
      },
      {
        id: r.body.skus[1].id,
        code: input.skus[1]!.code,
        attributes: { 颜色: '碎花蓝', 尺码: 'M' },
        price: 16900,
        currency: 'CNY',
        status: 'active',
        available: 3,
      },
    ]);

    const events = await ctx.db
      .select({ topic: outboxEvents.topic, payload: outboxEvents.payload })
      .from(outboxEvents)
      .where(eq(outboxEvents.key, r.body.id));
    expect(events.map((e) => e.topic)).toEqual(['product.created', 'product.published']);
    expect(events[0]!.payload).toMatchObject({
      productId: r.body.id,
      shopId,
      skuIds: r.body.skus.map((s: { id: string }) => s.id),
    });

    // Publishing again changes nothing and emits nothing.
    expect((await owner.post(`/seller/shops/${shopId}/products/${r.body.id}/publish`)).status).toBe(200);
    const again = await ctx.db.select().from(outboxEvents).where(eq(outboxEvents.key, r.body.id));
    expect(again).toHaveLength(2);
  });

  it('answers 400 with field-level problems in English and Chinese, and writes nothing', async () => {
    const before = await countShopRows(shopId);
    const bad = await owner.post(`/seller/shops/${shopId}/products`, {
      categoryId: cats.dresses.id,
      skus: [{ code: 'X-1', attributes: {}, price: 0 }],
    });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.body.type).toBe('urn:jishi:problem:validation-failed');
    expect(bad.body.errors).toEqual(
      expect.arrayContaining([
        { path: '/title', in: 'body', message: 'is required' },
        { path: '/skus/0/price', in: 'body', message: 'must be at least 1' },
      ]),
    );

    const zh = { ...client(ctx.app, owner.token, 'zh-CN') };
    const noSkus = await zh.post(`/seller/shops/${shopId}/products`, { ...dress(), skus: [] });
    expect(noSkus.status).toBe(400);
    expect(noSkus.body.title).toBe('请求参数有误');
    expect(noSkus.body.errors).toEqual([{ path: '/skus', in: 'body', message: '至少需要 1 项' }]);

    const tooMany = await owner.post(`/seller/shops/${shopId}/products`, {
      ...dress(),
      skus: Array.from({ length: 201 }, (_, i) => ({
        code: `MANY-${i}`,
        attributes: { 编号: String(i) },
        price: 100,
      })),
    });
    expect(tooMany.status).toBe(400);
    expect(paths(tooMany.body)).toEqual(['/skus']);

    // Domain checks: every problem of the listing in one answer.
    const input = dress();
    const domain = await zh.post(`/seller/shops/${shopId}/products`, {
      ...input,
      categoryId: cats.womens.id,
      brandId: 'brand_missing',
      images: ['https://img.example.com/ok.jpg', 'javascript:alert(1)', 'ftp://img.example.com/x.jpg'],
      skus: [
        input.skus[0],
        { ...input.skus[1], code: input.skus[0]!.code },
        { code: 'DR-X', attributes: { 颜色: '碎花蓝' }, price: 100 },
        { code: 'DR-Y', attributes: { 颜色: '碎花蓝', 尺码: 'S' }, price: 100 },
      ],
    });
    expect(domain.status).toBe(400);
    expect(domain.body.errors).toEqual(
      expect.arrayContaining([
        { path: '/categoryId', in: 'body', message: '商品只能发布在末级类目下' },
        { path: '/brandId', in: 'body', message: '品牌不存在' },
        { path: '/images/1', in: 'body', message: '需为 http(s) 图片地址' },
        { path: '/images/2', in: 'body', message: '需为 http(s) 图片地址' },
        { path: '/skus/1/code', in: 'body', message: 'SKU 编码在本次提交中重复' },
        { path: '/skus/2/attributes', in: 'body', message: '销售属性需与同商品其他 SKU 一致（尺码/颜色）' },
        { path: '/skus/3/attributes', in: 'body', message: '与其他 SKU 的销售属性组合重复' },
      ]),
    );
    expect(domain.body.errors).toHaveLength(7);
    expect(domain.body.detail).toContain('/skus/1/code');

    const unknownCategory = await owner.post(`/seller/shops/${shopId}/products`, {
      ...dress(),
      categoryId: 'cat_nope',
    });
    expect(unknownCategory.body.errors).toEqual([
      { path: '/categoryId', in: 'body', message: 'is not an existing category' },
    ]);
    expect(await countShopRows(shopId)).toEqual(before);
  });

  it('leaves no product, SKU or stock behind when the third SKU names another shop’s warehouse', async () => {
    const other = await signUp(ctx);
    const otherShop = await makeShop(ctx, other);
    const foreignWarehouse = await makeWarehouse(other, otherShop);
    const before = await countShopRows(shopId);
    const input = dress();
    const r = await owner.post(`/seller/shops/${shopId}/products`, {
      ...input,
      skus: [
        ...input.skus,
        {
          code: 'DR-L-foreign',
          attributes: { 颜色: '碎花蓝', 尺码: 'L' },
          price: 17900,
          stock: [
            { warehouseId: warehouseA, quantity: 1 },
            { warehouseId: foreignWarehouse, quantity: 100 },
          ],
        },
      ],
    });
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([
      { path: '/skus/2/stock/1/warehouseId', in: 'body', message: 'is not a warehouse of this shop' },
    ]);
    expect(await countShopRows(shopId)).toEqual(before);
    expect((await countShopRows(otherShop)).stock).toBe(0);
  });

  it('refuses a SKU code the shop already uses with 409 naming it, rolling back the product written before', async () => {
    const first = dress();
    expect((await owner.post(`/seller/shops/${shopId}/products`, first)).status).toBe(201);
    const before = await countShopRows(shopId);
    const second = dress();
    second.skus[1]!.code = first.skus[1]!.code;
    const r = await owner.post(`/seller/shops/${shopId}/products`, second);
    expect(r.status).toBe(409);
    expect(r.body.code).toBe('sku_code_taken');
    expect(r.body.errors).toEqual([
      { path: '/skus/1/code', in: 'body', message: 'is already used by another SKU of this shop' },
    ]);
    expect(await countShopRows(shopId)).toEqual(before);

    // Codes are per shop: another shop may use the same one.
    const other = await signUp(ctx);
    const otherShop = await makeShop(ctx, other);
    const ok = await other.post(`/seller/shops/${otherShop}/products`, {
      title: '雪纺连衣裙',
      categoryId: cats.dresses.id,
      skus: [{ code: first.skus[1]!.code, attributes: {}, price: 100 }],
    });
    expect(ok.status).toBe(201);
  });

  it('creates one product for repeated requests with the same Idempotency-Key', async () => {
    const input = dress();
    const key = { 'idempotency-key': `create-${Math.random()}` };
    const before = await countShopRows(shopId);
    const first = await owner.post(`/seller/shops/${shopId}/products`, input, key);
    const replay = await owner.post(`/seller/shops/${shopId}/products`, input, key);
    expect(first.status).toBe(201);
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const after = await countShopRows(shopId);
    expect(after.products).toBe(before.products + 1);
    expect(after.skus).toBe(before.skus + 2);
    const changed = await owner.post(
      `/seller/shops/${shopId}/products`,
      { ...input, title: '另一个标题' },
      key,
    );
    expect(changed.status).toBe(409);
    expect((await countShopRows(shopId)).products).toBe(before.products + 1);
  });
});

describe('tenancy and roles', () => {
  let shopB: string;
  let ownerB: Seller;
  let productB: { id: string; skus: { id: string }[] };
  beforeAll(async () => {
    ownerB = await signUp(ctx);
    shopB = await makeShop(ctx, ownerB);
    const wh = await makeWarehouse(ownerB, shopB);
    productB = await listProduct(ownerB, shopB, {
      title: '无线蓝牙耳机入耳式降噪',
      categoryId: cats.headphones.id,
      warehouseId: wh,
      publish: false,
    });
  });

  it("answers 404 to shop A's staff for shop B's products, whichever way they ask", async () => {
    const base = `/seller/shops/${shopId}/products/${productB.id}`;
    expect((await owner.get(base)).status).toBe(404);
    expect((await owner.patch(base, { title: '改名' })).status).toBe(404);
    expect((await owner.post(`${base}/publish`)).status).toBe(404);
    expect((await owner.post(`${base}/unpublish`)).status).toBe(404);
    expect((await owner.post(`${base}/skus`, { code: 'HIJACK', attributes: {}, price: 1 })).status).toBe(404);
    expect((await owner.patch(`${base}/skus/${productB.skus[0]!.id}`, { price: 1 })).status).toBe(404);
    const list = await owner.get(`/seller/shops/${shopId}/products`);
    expect(list.body.items.map((p: { id: string }) => p.id)).not.toContain(productB.id);

    // Through shop B's own routes: A's staff are not B's staff, and B's existence is not revealed.
    const viaB = await owner.get(`/seller/shops/${shopB}/products/${productB.id}`);
    expect(viaB.status).toBe(404);
    expect((await owner.get(`/seller/shops/${shopB}/products`)).status).toBe(404);
    expect((await owner.post(`/seller/shops/${shopB}/products/${productB.id}/publish`)).status).toBe(404);

    const untouched = await ownerB.get(`/seller/shops/${shopB}/products/${productB.id}`);
    expect(untouched.body).toMatchObject({ title: '无线蓝牙耳机入耳式降噪', status: 'draft' });
    expect(untouched.body.skus[0].price).toBe(9900);
  });

  it('gives buyers 403 and staff without the operations role 403 on writes', async () => {
    const buyer = await signUp(ctx);
    expect((await buyer.post(`/seller/shops/${shopId}/products`, dress())).status).toBe(403);
    expect((await buyer.get(`/seller/shops/${shopId}/products`)).status).toBe(403);

    const finance = await signUp(ctx);
    await addStaff(ctx, shopId, finance, 'finance');
    const denied = await finance.post(`/seller/shops/${shopId}/products`, dress());
    expect(denied.status).toBe(403);
    expect(denied.body.title).toBe('Your staff role (finance) may not do this');
    // Every member of staff may read the listings.
    expect((await finance.get(`/seller/shops/${shopId}/products`)).status).toBe(200);

    const ops = await signUp(ctx);
    await addStaff(ctx, shopId, ops, 'operations');
    expect((await ops.post(`/seller/shops/${shopId}/products`, dress())).status).toBe(201);
    expect((await client(ctx.app).post(`/seller/shops/${shopId}/products`, dress())).status).toBe(401);
  });
});

describe('editing', () => {
  it('edits a product, re-indexing its search words, and validates what changes', async () => {
    const p = await listProduct(owner, shopId, {
      title: '有线耳机 3.5mm 接口',
      categoryId: cats.headphones.id,
      warehouseId: warehouseA,
    });
    const search = async (q: string) =>
      (await client(ctx.app).get(`/products?q=${encodeURIComponent(q)}&shopId=${shopId}`)).body.items.map(
        (i: { id: string }) => i.id,
      );
    expect(await search('蓝牙耳机')).not.toContain(p.id);

    const apple = await makeBrand(ctx, 'Beats', 'Beats');
    const r = await owner.patch(`/seller/shops/${shopId}/products/${p.id}`, {
      title: '无线蓝牙耳机头戴式',
      brandId: apple.id,
      shipWithinHours: 12,
      images: ['https://img.example.com/beats.jpg'],
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      title: '无线蓝牙耳机头戴式',
      brand: { id: apple.id, name: 'Beats' },
      shipWithinHours: 12,
      images: ['https://img.example.com/beats.jpg'],
    });
    expect(await search('蓝牙耳机')).toContain(p.id);
    expect(await search('beats')).toEqual([p.id]);
    expect(await search('有线')).not.toContain(p.id);

    const cleared = await owner.patch(`/seller/shops/${shopId}/products/${p.id}`, {
      brandId: null,
      shipWithinHours: null,
    });
    expect(cleared.body).toMatchObject({ brandId: null, brand: null, shipWithinHours: null });
    expect(await search('beats')).toEqual([]);

    const bad = await owner.patch(`/seller/shops/${shopId}/products/${p.id}`, {
      categoryId: cats.digital.id,
      images: ['data:image/png;base64,AAAA'],
      title: '   ',
    });
    expect(bad.status).toBe(400);
    expect(paths(bad.body)).toEqual(['/categoryId', '/images/0', '/title']);

    const events = await ctx.db
      .select({ topic: outboxEvents.topic, payload: outboxEvents.payload })
      .from(outboxEvents)
      .where(and(eq(outboxEvents.key, p.id), eq(outboxEvents.topic, 'product.updated')));
    expect(events[0]!.payload).toMatchObject({
      productId: p.id,
      shopId,
      changes: ['brandId', 'images', 'shipWithinHours', 'title'],
    });
  });

  it('adds and changes SKUs, keeping the price range and the storefront in step', async () => {
    const p = await listProduct(owner, shopId, {
      title: '法式复古收腰连衣裙',
      categoryId: cats.dresses.id,
      warehouseId: warehouseA,
      skus: [{ code: `FR-${Date.now()}-S`, attributes: { 尺码: 'S' }, price: 20000, stock: 4 }],
    });
    const base = `/seller/shops/${shopId}/products/${p.id}`;
    const added = await owner.post(`${base}/skus`, {
      code: `FR-${Date.now()}-M`,
      attributes: { 尺码: 'M' },
      price: 18000,
      stock: [{ warehouseId: warehouseB, quantity: 7 }],
    });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ attributes: { 尺码: 'M' }, price: 18000, status: 'active' });
    let page = await client(ctx.app).get(`/products/${p.id}`);
    expect(page.body).toMatchObject({ minPrice: 18000, maxPrice: 20000 });
    expect(page.body.skus.map((s: { available: number }) => s.available)).toEqual([4, 7]);

    const mismatch = await owner.post(`${base}/skus`, {
      code: 'FR-COLOR',
      attributes: { 颜色: '黑' },
      price: 1,
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.errors).toEqual([
      {
        path: '/attributes',
        in: 'body',
        message: 'must name the same attributes as the other SKUs of this product (尺码)',
      },
    ]);
    const duplicate = await owner.post(`${base}/skus`, {
      code: 'FR-DUP',
      attributes: { 尺码: 'S' },
      price: 1,
    });
    expect(paths(duplicate.body)).toEqual(['/attributes']);
    const taken = await owner.post(`${base}/skus`, {
      code: added.body.code,
      attributes: { 尺码: 'L' },
      price: 1,
    });
    expect(taken.status).toBe(409);
    expect(paths(taken.body)).toEqual(['/code']);
    const other = await signUp(ctx);
    const otherShop = await makeShop(ctx, other);
    const foreign = await owner.post(`${base}/skus`, {
      code: 'FR-L',
      attributes: { 尺码: 'L' },
      price: 1,
      stock: [{ warehouseId: await makeWarehouse(other, otherShop), quantity: 1 }],
    });
    expect(foreign.status).toBe(400);
    expect(paths(foreign.body)).toEqual(['/stock/0/warehouseId']);

    const repriced = await owner.patch(`${base}/skus/${added.body.id}`, { price: 25000 });
    expect(repriced.status).toBe(200);
    expect(repriced.body.price).toBe(25000);
    page = await client(ctx.app).get(`/products/${p.id}`);
    expect(page.body).toMatchObject({ minPrice: 20000, maxPrice: 25000 });

    const off = await owner.patch(`${base}/skus/${p.skus[0]!.id}`, { status: 'inactive' });
    expect(off.body.status).toBe('inactive');
    page = await client(ctx.app).get(`/products/${p.id}`);
    expect(page.body.skus.map((s: { id: string }) => s.id)).toEqual([added.body.id]);
    expect(page.body).toMatchObject({ minPrice: 25000, maxPrice: 25000 });
    const seller = await owner.get(`${base}`);
    expect(seller.body.skus.map((s: { status: string }) => s.status)).toEqual(['inactive', 'active']);

    // The last active SKU of a product on sale stays active.
    const last = await owner.patch(`${base}/skus/${added.body.id}`, { status: 'inactive' });
    expect(last.status).toBe(422);
    expect(last.body.type).toBe('urn:jishi:problem:product-needs-active-sku');
    expect((await owner.patch(`${base}/skus/sku_missing`, { price: 1 })).status).toBe(404);
  });

  it('takes a product off sale and back; a draft without active SKUs cannot be published', async () => {
    const p = await listProduct(owner, shopId, {
      title: '纯棉白衬衫',
      categoryId: cats.shirts.id,
      warehouseId: warehouseA,
      publish: false,
    });
    const base = `/seller/shops/${shopId}/products/${p.id}`;
    const notOnSale = await owner.post(`${base}/unpublish`);
    expect(notOnSale.status).toBe(409);

    await owner.patch(`${base}/skus/${p.skus[0]!.id}`, { status: 'inactive' });
    const refused = await client(ctx.app, owner.token, 'zh-CN').post(`${base}/publish`);
    expect(refused.status).toBe(422);
    expect(refused.body.title).toBe('在售商品至少需要一个有效 SKU');

    await owner.patch(`${base}/skus/${p.skus[0]!.id}`, { status: 'active' });
    expect((await owner.post(`${base}/publish`)).status).toBe(200);
    expect((await client(ctx.app).get(`/products/${p.id}`)).status).toBe(200);
    const off = await owner.post(`${base}/unpublish`);
    expect(off.body.status).toBe('delisted');
    expect((await client(ctx.app).get(`/products/${p.id}`)).status).toBe(404);
    const delisted = await owner.get(`/seller/shops/${shopId}/products?status=delisted`);
    expect(delisted.body.items.map((i: { id: string }) => i.id)).toEqual([p.id]);
    expect((await owner.post(`${base}/publish`)).body.status).toBe('published');
  });

  it('pages the shop’s own list across statuses, and searches it', async () => {
    const other = await signUp(ctx);
    const shop = await makeShop(ctx, other);
    const created: string[] = [];
    for (const title of ['碎花连衣裙', '条纹衬衫', '牛仔半身裙', '真丝连衣裙', '雪纺衬衫']) {
      const p = await listProduct(other, shop, {
        title,
        categoryId: cats.dresses.id,
        publish: title !== '条纹衬衫',
      });
      created.push(p.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r: { status: number; body: { items: { id: string }[]; nextCursor: string | null } } =
        await other.get(`/seller/shops/${shop}/products?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      seen.push(...r.body.items.map((i) => i.id));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...created].reverse());
    const drafts = await other.get(`/seller/shops/${shop}/products?status=draft`);
    expect(drafts.body.items).toHaveLength(1);
    expect(drafts.body.items[0]).toMatchObject({ title: '条纹衬衫', status: 'draft' });
    const shirts = await other.get(`/seller/shops/${shop}/products?q=${encodeURIComponent('衬衫')}`);
    expect(shirts.body.items.map((i: { title: string }) => i.title).sort()).toEqual(['条纹衬衫', '雪纺衬衫']);
    expect((await other.get(`/seller/shops/${shop}/products?status=sold`)).status).toBe(400);
  });
});

describe('for trade', () => {
  it('describes a SKU for sale with its category’s return rules, and counts sales', async () => {
    const p = await listProduct(owner, shopId, {
      title: '烟台红富士苹果 5斤装',
      categoryId: cats.fruit.id,
      warehouseId: warehouseA,
      images: ['https://img.example.com/apple.jpg'],
      skus: [{ code: `FUJI-${Date.now()}`, attributes: { 规格: '5斤' }, price: 3990 }],
    });
    const sku = await getSkuForSale(ctx.db, p.skus[0]!.id);
    expect(sku).toEqual({
      skuId: p.skus[0]!.id,
      productId: p.id,
      shopId,
      code: p.skus[0]!.code,
      title: '烟台红富士苹果 5斤装',
      image: 'https://img.example.com/apple.jpg',
      attributes: { 规格: '5斤' },
      price: 3990,
      currency: 'CNY',
      shipWithinHours: null,
      categoryId: cats.fruit.id,
      noReasonReturn: false,
      special: true,
      status: 'active',
      productStatus: 'published',
      shop: expect.objectContaining({ id: shopId, status: 'active' }),
    });
    expect(await getSkuForSale(ctx.db, 'sku_missing')).toBeUndefined();

    // Sales move the count only (never below 0): the search vector holds no sales word to rewrite.
    const row = async () =>
      (
        await ctx.db
          .select({ n: products.salesCount, v: sql<string>`${products.searchVector}::text` })
          .from(products)
          .where(inArray(products.id, [p.id]))
      )[0]!;
    const listed = await row();
    await ctx.db.transaction((tx) => recordSales(tx, p.id, 3));
    await recordSales(ctx.db, p.id, 2);
    let page = await client(ctx.app).get(`/products/${p.id}`);
    expect(page.body.salesCount).toBe(5);
    expect(await row()).toEqual({ n: 5, v: listed.v });
    await recordSales(ctx.db, p.id, -9);
    page = await client(ctx.app).get(`/products/${p.id}`);
    expect(page.body.salesCount).toBe(0);
    expect(await row()).toEqual({ n: 0, v: listed.v });
    expect(listed.v).not.toContain("'s:");
  });
});
