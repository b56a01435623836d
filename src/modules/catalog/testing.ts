// Test-only fixtures for the catalog and inventory suites. Shops are written straight into the
// merchants module's tables because opening a real shop (application, review, deposit) is that
// module's business and beside the point here; production code never does this.

import type { Client, TestContext } from '../../../test/helpers';
import { newId } from '../../kernel/ids';
import { shopStaff, shops } from '../merchants/schema';
import { createBrand } from './brands';
import { createCategory } from './categories';

type StaffRole = (typeof shopStaff.$inferInsert)['role'];

/** Opens an active shop owned by `owner`; answers its id. */
export async function makeShop(
  ctx: TestContext,
  owner: { accountId: string },
  kind: 'mall' | 'market' = 'market',
  name = `测试店铺 ${Math.random().toString(36).slice(2, 8)}`,
): Promise<string> {
  const id = newId('shop');
  const now = ctx.clock.now();
  await ctx.db.insert(shops).values({ id, kind, name, ownerAccountId: owner.accountId, createdAt: now });
  await ctx.db
    .insert(shopStaff)
    .values({ shopId: id, accountId: owner.accountId, role: 'owner', createdAt: now });
  return id;
}

export async function addStaff(
  ctx: TestContext,
  shopId: string,
  account: { accountId: string },
  role: StaffRole,
): Promise<void> {
  await ctx.db
    .insert(shopStaff)
    .values({ shopId, accountId: account.accountId, role, createdAt: ctx.clock.now() });
}

/** A small tree: 女装 > 连衣裙 / 衬衫 / 半身裙, 数码 > 耳机 / 手机, 生鲜 (special, no no-reason returns) > 水果. */
export async function makeCategories(ctx: TestContext) {
  const now = ctx.clock.now();
  const suffix = Math.random().toString(36).slice(2, 8);
  const make = (nameZh: string, nameEn: string, parentId?: string, extra = {}) =>
    createCategory(
      ctx.db,
      { parentId, nameZh, nameEn, slug: `${nameEn.toLowerCase().replace(/\W+/g, '-')}-${suffix}`, ...extra },
      now,
    );
  const womens = await make('女装', 'Womenswear');
  const dresses = await make('连衣裙', 'Dresses', womens.id);
  const shirts = await make('衬衫', 'Shirts', womens.id);
  const skirts = await make('半身裙', 'Skirts', womens.id);
  const digital = await make('数码', 'Digital');
  const headphones = await make('耳机', 'Headphones', digital.id);
  const phones = await make('手机', 'Phones', digital.id);
  const fresh = await make('生鲜', 'Fresh food', undefined, { noReasonReturn: false, special: true });
  const fruit = await make('水果', 'Fruit', fresh.id);
  return { womens, dresses, shirts, skirts, digital, headphones, phones, fresh, fruit };
}

export async function makeBrand(ctx: TestContext, name: string, nameEn?: string) {
  return createBrand(ctx.db, { name, nameEn }, ctx.clock.now());
}

/** Creates a warehouse through the API (so the tenancy gate is exercised too); answers its id. */
export async function makeWarehouse(
  seller: Client,
  shopId: string,
  name = '杭州仓',
  region = '浙江省杭州市',
) {
  const r = await seller.post(`/seller/shops/${shopId}/warehouses`, { name, region });
  if (r.status !== 201) throw new Error(`warehouse: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id as string;
}

let codes = 0;
/** Lists a product through the API and, unless `publish: false`, puts it on sale. */
export async function listProduct(
  seller: Client,
  shopId: string,
  input: {
    title: string;
    categoryId: string;
    brandId?: string;
    warehouseId?: string;
    price?: number;
    stock?: number;
    skus?: { code?: string; attributes?: Record<string, string>; price?: number; stock?: number }[];
    images?: string[];
    publish?: boolean;
  },
): Promise<{ id: string; skus: { id: string; code: string }[] }> {
  const skus = (input.skus ?? [{}]).map((s) => ({
    code: s.code ?? `T-${++codes}-${Math.random().toString(36).slice(2, 6)}`,
    attributes: s.attributes ?? {},
    price: s.price ?? input.price ?? 9900,
    stock: input.warehouseId
      ? [{ warehouseId: input.warehouseId, quantity: s.stock ?? input.stock ?? 10 }]
      : [],
  }));
  const r = await seller.post(`/seller/shops/${shopId}/products`, {
    title: input.title,
    categoryId: input.categoryId,
    brandId: input.brandId,
    images: input.images ?? ['https://img.example.com/p.jpg'],
    skus,
  });
  if (r.status !== 201) throw new Error(`product: ${r.status} ${JSON.stringify(r.body)}`);
  if (input.publish !== false) {
    const p = await seller.post(`/seller/shops/${shopId}/products/${r.body.id}/publish`);
    if (p.status !== 200) throw new Error(`publish: ${p.status} ${JSON.stringify(p.body)}`);
  }
  return r.body;
}
