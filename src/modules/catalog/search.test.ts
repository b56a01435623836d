import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { recordSales } from './products';
import { indexTerms, queryTerms } from './search';
import { listProduct, makeBrand, makeCategories, makeShop, makeWarehouse } from './testing';

describe('segmentation', () => {
  it('indexes the words inside long words and queries by whole words', () => {
    expect(indexTerms('夏季碎花雪纺连衣裙女中长款')).toEqual(
      expect.arrayContaining(['夏季', '碎花', '雪纺', '连衣裙', '连衣', '衣裙']),
    );
    expect(queryTerms('蓝牙耳机')).toEqual(['蓝牙', '耳机']);
    expect(queryTerms('连衣裙')).toEqual(['连衣裙']);
  });

  it('drops punctuation, spaces and function words, lower-cases and folds full-width letters', () => {
    expect(queryTerms(' 蓝牙，耳机！ ')).toEqual(['蓝牙', '耳机']);
    expect(queryTerms('女士的连衣裙')).toEqual(['女士', '连衣裙']);
    expect(queryTerms('ＡＰＰＬＥ iPhone')).toEqual(['apple', 'iphone']);
    expect(queryTerms("'; drop table x; --")).toEqual(['drop', 'table', 'x']);
    expect(queryTerms('！！…')).toEqual([]);
  });

  it('splits letter and digit runs so "iphone15" and "iPhone 15" meet', () => {
    expect(indexTerms('iPhone15')).toEqual(['iphone15', 'iphone', '15']);
    expect(queryTerms('iphone15')).toEqual(['iphone', '15']);
    expect(queryTerms('iPhone 15')).toEqual(['iphone', '15']);
  });
});

describe('GET /products', () => {
  let ctx: TestContext;
  let cats: Awaited<ReturnType<typeof makeCategories>>;
  const P: Record<string, string> = {};
  let shop1: string;
  let shop2: string;
  let appleBrand: string;
  let anon: Client;

  beforeAll(async () => {
    ctx = await makeTestApp();
    anon = client(ctx.app);
    cats = await makeCategories(ctx);
    appleBrand = (await makeBrand(ctx, 'Apple', 'Apple')).id;
    const xiaomi = (await makeBrand(ctx, '小米', 'Xiaomi')).id;
    const o1 = await signUp(ctx);
    const o2 = await signUp(ctx);
    shop1 = await makeShop(ctx, o1, 'market');
    shop2 = await makeShop(ctx, o2, 'mall');
    const w1 = await makeWarehouse(o1, shop1);
    const w2 = await makeWarehouse(o2, shop2);
    // Listed a minute apart, so "newest" has a clear order.
    const list = async (
      key: string,
      seller: Client,
      shopId: string,
      warehouseId: string,
      input: {
        title: string;
        categoryId: string;
        price: number;
        brandId?: string;
        attributes?: Record<string, string>;
      },
      publish = true,
    ) => {
      const p = await listProduct(seller, shopId, {
        ...input,
        warehouseId,
        skus: [{ attributes: input.attributes, price: input.price }],
        publish,
      });
      P[key] = p.id;
      await ctx.advance({ minutes: 1 });
    };
    await list('dressFloral', o1, shop1, w1, {
      title: '夏季碎花雪纺连衣裙女中长款',
      categoryId: cats.dresses.id,
      price: 15900,
      attributes: { 颜色: '藏青' },
    });
    await list('dressFrench', o2, shop2, w2, {
      title: '法式复古收腰连衣裙 V领',
      categoryId: cats.dresses.id,
      price: 29900,
    });
    await list('longSkirtDress', o1, shop1, w1, {
      title: '法式复古收腰长裙',
      categoryId: cats.dresses.id,
      price: 19900,
    });
    await list('halfSkirt', o1, shop1, w1, {
      title: '碎花半身裙 高腰',
      categoryId: cats.skirts.id,
      price: 8900,
    });
    await list('btEarbuds', o1, shop1, w1, {
      title: '无线蓝牙耳机入耳式降噪',
      categoryId: cats.headphones.id,
      price: 19900,
    });
    await list('wired', o2, shop2, w2, {
      title: '有线耳机 3.5mm 接口',
      categoryId: cats.headphones.id,
      price: 2900,
    });
    await list('blueShirt', o1, shop1, w1, {
      title: '蓝色衬衫女士长袖纯棉',
      categoryId: cats.shirts.id,
      price: 12900,
    });
    await list('speaker', o1, shop1, w1, {
      title: '小米蓝牙音箱便携',
      categoryId: cats.phones.id,
      price: 9900,
      brandId: xiaomi,
    });
    await list('iphone', o2, shop2, w2, {
      title: 'Apple iPhone 15 Pro 256GB',
      categoryId: cats.phones.id,
      price: 799900,
      brandId: appleBrand,
    });
    await list(
      'draft',
      o1,
      shop1,
      w1,
      { title: '蓝牙耳机 新品预售', categoryId: cats.headphones.id, price: 100 },
      false,
    );
    await list('delisted', o1, shop1, w1, {
      title: '头戴式蓝牙耳机',
      categoryId: cats.headphones.id,
      price: 100,
    });
    expect((await o1.post(`/seller/shops/${shop1}/products/${P.delisted}/unpublish`)).status).toBe(200);
  });
  afterAll(async () => ctx.close());

  const name = (id: string) => Object.entries(P).find(([, v]) => v === id)?.[0] ?? id;
  async function search(query: string): Promise<string[]> {
    const r = await anon.get(`/products?${query}`);
    expect(r.status).toBe(200);
    return r.body.items.map((i: { id: string }) => name(i.id));
  }
  const q = (words: string, extra = '') => search(`q=${encodeURIComponent(words)}&limit=100${extra}`);

  it('finds 连衣裙 in titles where it is embedded, title matches first, and not 半身裙', async () => {
    const found = await q('连衣裙');
    expect(found.slice(0, 2).sort()).toEqual(['dressFloral', 'dressFrench']);
    // In the 连衣裙 category but without the word in its title: found, ranked after.
    expect(found[2]).toBe('longSkirtDress');
    expect(found).toHaveLength(3);
  });

  it('finds 蓝牙耳机 only where both words are, never in drafts or delisted products', async () => {
    expect(await q('蓝牙耳机')).toEqual(['btEarbuds']);
    expect(await q('蓝牙 耳机！')).toEqual(['btEarbuds']);
    expect((await q('耳机')).sort()).toEqual(['btEarbuds', 'wired']);
    expect((await q('蓝牙')).sort()).toEqual(['btEarbuds', 'speaker']);
    expect(await q('蓝色')).toEqual(['blueShirt']);
  });

  it('matches English words, brand names and model numbers case-insensitively', async () => {
    expect(await q('iPhone')).toEqual(['iphone']);
    expect(await q('IPHONE15')).toEqual(['iphone']);
    expect(await q('apple')).toEqual(['iphone']);
    expect(await q('ＡＰＰＬＥ 手机')).toEqual(['iphone']);
    expect(await q('xiaomi')).toEqual(['speaker']);
    expect(await q('Samsung')).toEqual([]);
  });

  it('matches SKU attribute values together with title words', async () => {
    expect(await q('藏青连衣裙')).toEqual(['dressFloral']);
    expect(await q('藏青衬衫')).toEqual([]);
  });

  it('treats operator characters and quotes as plain text', async () => {
    expect(await q("'; drop table products; --")).toEqual([]);
    expect(await q('蓝牙 & !耳机 | (')).toEqual(['btEarbuds']);
    expect(await q(':*')).toHaveLength(9);
  });

  it('filters by category subtree, shop, brand and price range', async () => {
    expect((await search(`categoryId=${cats.womens.id}`)).sort()).toEqual(
      ['blueShirt', 'dressFloral', 'dressFrench', 'halfSkirt', 'longSkirtDress'].sort(),
    );
    expect(await q('碎花', `&categoryId=${cats.dresses.id}`)).toEqual(['dressFloral']);
    expect((await search(`shopId=${shop2}`)).sort()).toEqual(['dressFrench', 'iphone', 'wired']);
    expect(await search(`brandId=${appleBrand}`)).toEqual(['iphone']);
    expect((await search('minPrice=10000&maxPrice=20000')).sort()).toEqual(
      ['blueShirt', 'btEarbuds', 'dressFloral', 'longSkirtDress'].sort(),
    );
    expect(await search('categoryId=cat_missing')).toEqual([]);
    const bad = await anon.get('/products?minPrice=-1&sort=cheapest');
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['/minPrice', '/sort']);
  });

  it('sorts by newest, price and sales', async () => {
    const published = Object.keys(P).filter((k) => k !== 'draft' && k !== 'delisted');
    expect(await search('limit=100')).toEqual([...published].reverse());
    expect(await search('sort=price_asc&limit=100')).toEqual([
      'wired',
      'halfSkirt',
      'speaker',
      'blueShirt',
      'dressFloral',
      // Equal prices: the earlier listing first.
      'longSkirtDress',
      'btEarbuds',
      'dressFrench',
      'iphone',
    ]);
    expect(await search('sort=price_desc&limit=3')).toEqual(['iphone', 'dressFrench', 'btEarbuds']);

    await recordSales(ctx.db, P.wired!, 30);
    await recordSales(ctx.db, P.blueShirt!, 7);
    await recordSales(ctx.db, P.speaker!, 7);
    // Equal sales: the later listing first.
    expect(await search('sort=sales&limit=3')).toEqual(['wired', 'speaker', 'blueShirt']);
    // Relevance without words is the same order.
    expect(await search('sort=relevance&limit=3')).toEqual(['wired', 'speaker', 'blueShirt']);
    const item = (await anon.get(`/products?sort=sales&limit=1`)).body.items[0];
    expect(item).toEqual({
      id: P.wired,
      shopId: shop2,
      title: '有线耳机 3.5mm 接口',
      image: 'https://img.example.com/p.jpg',
      minPrice: 2900,
      maxPrice: 2900,
      salesCount: 30,
      categoryId: cats.headphones.id,
    });
  });

  it('pages with a cursor in every order, returning each product exactly once', async () => {
    for (const query of [
      'sort=newest',
      'sort=price_asc',
      'sort=price_desc',
      'sort=sales',
      'sort=relevance',
      `q=${encodeURIComponent('连衣裙')}`,
      `q=${encodeURIComponent('耳机')}&sort=relevance`,
      `categoryId=${cats.womens.id}&sort=price_asc`,
    ]) {
      const all = await search(`${query}&limit=100`);
      const paged: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const r: { status: number; body: { items: { id: string }[]; nextCursor: string | null } } =
          await anon.get(`/products?${query}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(r.status).toBe(200);
        paged.push(...r.body.items.map((i) => name(i.id)));
        cursor = r.body.nextCursor;
        pages++;
      } while (cursor && pages < 20);
      expect(paged, query).toEqual(all);
      expect(new Set(paged).size).toBe(paged.length);
      expect(pages).toBe(Math.max(1, Math.ceil(all.length / 2)));
    }
  });

  it('refuses a forged cursor or one from another order', async () => {
    const first = await anon.get('/products?sort=sales&limit=1');
    const other = await anon.get(`/products?sort=price_asc&cursor=${first.body.nextCursor}`);
    expect(other.status).toBe(400);
    expect(other.body.errors[0].path).toBe('/cursor');
    expect((await anon.get('/products?cursor=not-base64-json')).status).toBe(400);
    const forged = Buffer.from(JSON.stringify({ k: 'newest', id: 'x', t: "'; drop" })).toString('base64url');
    expect((await anon.get(`/products?sort=newest&cursor=${forged}`)).status).toBe(400);
  });

  it('answers 404 for a draft or delisted product and for an unknown id', async () => {
    expect((await anon.get(`/products/${P.draft}`)).status).toBe(404);
    expect((await anon.get(`/products/${P.delisted}`)).status).toBe(404);
    const missing = await client(ctx.app, undefined, 'zh-CN').get('/products/prod_missing');
    expect(missing.status).toBe(404);
    expect(missing.body.title).toBe('商品不存在');
  });
});
