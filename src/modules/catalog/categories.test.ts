import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { listProduct, makeShop, makeWarehouse } from './testing';

let ctx: TestContext;
let operator: Awaited<ReturnType<typeof signUp>>;
beforeAll(async () => {
  ctx = await makeTestApp();
  operator = await signUp(ctx, { operator: true });
});
afterAll(async () => ctx.close());

describe('categories', () => {
  it('builds a tree with both languages, inheriting the return rules of the parent', async () => {
    const fresh = await operator.post('/admin/categories', {
      nameZh: '生鲜',
      nameEn: 'Fresh food',
      slug: 'fresh',
      noReasonReturn: false,
      special: true,
      sort: 2,
    });
    expect(fresh.status).toBe(201);
    expect(fresh.body).toMatchObject({ parentId: null, noReasonReturn: false, special: true, sort: 2 });
    const fruit = await operator.post('/admin/categories', {
      parentId: fresh.body.id,
      nameZh: '水果',
      nameEn: 'Fruit',
      slug: 'fruit',
    });
    expect(fruit.status).toBe(201);
    expect(fruit.body).toMatchObject({ parentId: fresh.body.id, noReasonReturn: false, special: true });
    const womens = await operator.post('/admin/categories', {
      nameZh: '女装',
      nameEn: 'Womenswear',
      slug: 'womens',
      sort: 1,
    });
    expect(womens.body).toMatchObject({ noReasonReturn: true, special: false });

    const tree = await client(ctx.app).get('/categories');
    expect(tree.status).toBe(200);
    const roots = tree.body.items.filter((c: { slug: string }) => ['womens', 'fresh'].includes(c.slug));
    expect(roots.map((c: { slug: string }) => c.slug)).toEqual(['womens', 'fresh']);
    expect(roots[1]).toMatchObject({
      nameZh: '生鲜',
      nameEn: 'Fresh food',
      children: [{ id: fruit.body.id, nameZh: '水果', nameEn: 'Fruit', children: [] }],
    });
    expect(roots[1]).not.toHaveProperty('path');
  });

  it('only operators may add or change categories', async () => {
    const buyer = await signUp(ctx);
    const r = await buyer.post('/admin/categories', { nameZh: '鞋', nameEn: 'Shoes', slug: 'shoes' });
    expect(r.status).toBe(403);
    expect(
      (await client(ctx.app).post('/admin/categories', { nameZh: '鞋', nameEn: 'Shoes', slug: 'shoes' }))
        .status,
    ).toBe(401);
  });

  it('refuses a taken slug (409 naming /slug), a bad slug and an unknown parent (400), in both languages', async () => {
    await operator.post('/admin/categories', { nameZh: '男装', nameEn: 'Menswear', slug: 'mens' });
    const taken = await operator.post('/admin/categories', { nameZh: '男士', nameEn: 'Men', slug: 'mens' });
    expect(taken.status).toBe(409);
    expect(taken.body.errors).toEqual([{ path: '/slug', in: 'body', message: 'is already in use' }]);

    const zh = await signUp(ctx, { operator: true, lang: 'zh-CN' });
    const bad = await zh.post('/admin/categories', { nameZh: '男士', nameEn: 'Men', slug: 'Men Wear' });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.body.errors).toEqual([
      { path: '/slug', in: 'body', message: '只能包含小写字母、数字和连字符' },
    ]);

    const orphan = await operator.post('/admin/categories', {
      parentId: 'cat_missing',
      nameZh: '男士',
      nameEn: 'Men',
      slug: 'men-x',
    });
    expect(orphan.status).toBe(400);
    expect(orphan.body.errors).toEqual([
      { path: '/parentId', in: 'body', message: 'is not an existing category' },
    ]);

    const missing = await operator.post('/admin/categories', { nameEn: 'Men', slug: 'men-y' });
    expect(missing.status).toBe(400);
    expect(missing.body.errors.map((e: { path: string }) => e.path)).toEqual(['/nameZh']);
  });

  it('keeps the tree at most four levels deep', async () => {
    let parentId: string | undefined;
    for (let level = 1; level <= 4; level++) {
      const r = await operator.post('/admin/categories', {
        parentId,
        nameZh: `第${level}级`,
        nameEn: `Level ${level}`,
        slug: `deep-${level}`,
      });
      expect(r.status).toBe(201);
      parentId = r.body.id;
    }
    const fifth = await operator.post('/admin/categories', {
      parentId,
      nameZh: '第5级',
      nameEn: 'Level 5',
      slug: 'deep-5',
    });
    expect(fifth.status).toBe(400);
    expect(fifth.body.errors[0]).toMatchObject({ path: '/parentId' });
  });

  it('renames and moves a category, re-indexing the products beneath it', async () => {
    const a = await operator.post('/admin/categories', {
      nameZh: '家电',
      nameEn: 'Appliances',
      slug: 'appliances',
    });
    const b = await operator.post('/admin/categories', {
      nameZh: '厨房',
      nameEn: 'Kitchen',
      slug: 'kitchen',
    });
    const leaf = await operator.post('/admin/categories', {
      parentId: a.body.id,
      nameZh: '电饭煲',
      nameEn: 'Rice cookers',
      slug: 'rice-cookers',
    });
    const owner = await signUp(ctx);
    const shopId = await makeShop(ctx, owner);
    const warehouseId = await makeWarehouse(owner, shopId);
    const product = await listProduct(owner, shopId, {
      title: '智能预约多功能煮饭锅 4L',
      categoryId: leaf.body.id,
      warehouseId,
    });

    const anon = client(ctx.app);
    const ids = async (q: string) =>
      (await anon.get(`/products?q=${encodeURIComponent(q)}`)).body.items.map((p: { id: string }) => p.id);
    expect(await ids('电饭煲')).toEqual([product.id]);
    expect(await ids('家电')).toEqual([product.id]);

    const renamed = await operator.patch(`/admin/categories/${leaf.body.id}`, { nameZh: '电饭锅' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ nameZh: '电饭锅', nameEn: 'Rice cookers', slug: 'rice-cookers' });
    expect(await ids('电饭煲')).toEqual([]);
    expect(await ids('电饭锅')).toEqual([product.id]);

    const moved = await operator.patch(`/admin/categories/${leaf.body.id}`, { parentId: b.body.id });
    expect(moved.status).toBe(200);
    expect(moved.body.parentId).toBe(b.body.id);
    expect(await ids('家电')).toEqual([]);
    expect(await ids('厨房')).toEqual([product.id]);
    // The descendant filter follows the move.
    const underKitchen = await anon.get(`/products?categoryId=${b.body.id}`);
    expect(underKitchen.body.items.map((p: { id: string }) => p.id)).toEqual([product.id]);
    expect((await anon.get(`/products?categoryId=${a.body.id}`)).body.items).toEqual([]);

    const cycle = await operator.patch(`/admin/categories/${b.body.id}`, { parentId: leaf.body.id });
    expect(cycle.status).toBe(422);
    expect(cycle.body.type).toBe('urn:jishi:problem:category-move-into-own-subtree');

    const clash = await operator.patch(`/admin/categories/${leaf.body.id}`, { slug: 'kitchen' });
    expect(clash.status).toBe(409);
    expect(clash.body.errors[0].path).toBe('/slug');
    expect((await operator.patch('/admin/categories/cat_nope', { nameZh: 'x' })).status).toBe(404);
  });
});

describe('brands', () => {
  it('adds brands (operator only), unique ignoring case, and lists them by name', async () => {
    const apple = await operator.post('/admin/brands', { name: 'Apple', nameEn: 'Apple' });
    expect(apple.status).toBe(201);
    expect(apple.body).toMatchObject({ name: 'Apple', nameEn: 'Apple' });
    const dup = await operator.post('/admin/brands', { name: 'APPLE' });
    expect(dup.status).toBe(409);
    expect(dup.body.errors[0].path).toBe('/name');
    await operator.post('/admin/brands', { name: '华为', nameEn: 'Huawei' });
    await operator.post('/admin/brands', { name: '小米', nameEn: 'Xiaomi' });
    const buyer = await signUp(ctx);
    expect((await buyer.post('/admin/brands', { name: 'Nope' })).status).toBe(403);

    const anon = client(ctx.app);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r: Answer<{ items: { name: string }[]; nextCursor: string | null }> = await anon.get(
        `/brands?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(r.status).toBe(200);
      seen.push(...r.body.items.map((b: { name: string }) => b.name));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['Apple', '华为', '小米']);
    const found = await anon.get(`/brands?q=${encodeURIComponent('huawei')}`);
    expect(found.body.items.map((b: { name: string }) => b.name)).toEqual(['华为']);
    expect((await anon.get('/brands?cursor=bm9wZQ')).status).toBe(400);
  });
});
