import { and, asc, desc, eq, type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../../db';
import { AppError } from '../../kernel/errors';
import { decodeCursor, page } from '../../kernel/pagination';
import { availableBySku } from '../inventory';
import { getShop, shopTrading } from '../merchants';
import { getCategory } from './categories';
import { getProduct, getShopProduct, type Product, productBrand, productSkus } from './products';
import { categories, type ProductStatus, products } from './schema';
import { searchQuerySql } from './search';
import { effectsInForce, notHiddenSql, searchPrioritySql } from './search-adjustments';

export const SEARCH_SORTS = ['relevance', 'sales', 'price_asc', 'price_desc', 'newest'] as const;
export type SearchSort = (typeof SEARCH_SORTS)[number];

export interface SearchFilters {
  q?: string;
  categoryId?: string;
  shopId?: string;
  brandId?: string;
  /** Fen; a product matches when some of its prices fall in [minPrice, maxPrice]. */
  minPrice?: number;
  maxPrice?: number;
  sort?: SearchSort;
  cursor?: string;
  limit: number;
}

/** The key of the last row of a page, for the sort it was read in. */
interface SearchCursor {
  k: SearchSort;
  id: string;
  /** Search priority (boosted 1, demoted -1); absent in cursors from before adjustments, read as 0. */
  b?: number;
  s?: number;
  c?: number;
  p?: number;
  t?: string;
}

const badCursor = () =>
  new AppError(400, 'bad_cursor', {}, [{ path: '/cursor', in: 'query', code: 'field.invalid' }]);

function readCursor(raw: string | undefined, sort: SearchSort): SearchCursor | undefined {
  const c = decodeCursor<Record<string, unknown>>(raw);
  if (!c) return undefined;
  const int = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v);
  const ok =
    c.k === sort &&
    typeof c.id === 'string' &&
    (c.b === undefined || int(c.b)) &&
    (sort !== 'relevance' || (int(c.s) && int(c.c))) &&
    (sort !== 'sales' || int(c.c)) &&
    ((sort !== 'price_asc' && sort !== 'price_desc') || int(c.p)) &&
    (sort !== 'newest' || (typeof c.t === 'string' && !Number.isNaN(Date.parse(c.t))));
  if (!ok) throw badCursor();
  return c as unknown as SearchCursor;
}

const listColumns = {
  id: products.id,
  shopId: products.shopId,
  title: products.title,
  images: products.images,
  minPrice: products.minPrice,
  maxPrice: products.maxPrice,
  salesCount: products.salesCount,
  categoryId: products.categoryId,
  publishedAt: products.publishedAt,
};

/** Products in this category or any category beneath it. */
const inCategoryTree = (categoryId: string) =>
  sql`${products.categoryId} in (select c.id from ${categories} c where starts_with(c.path, (select p.path from ${categories} p where p.id = ${categoryId})))`;

/**
 * The storefront search: published products only, every word of `q` must match (title, brand,
 * category or SKU attributes). Relevance ranks title words above brand, category and attribute
 * words, then the better seller first; without words, relevance means best sellers first. Keyset-paged, so
 * a page boundary never repeats or skips a product while the catalogue stands still.
 * Search adjustments in force at `now` apply before any order: hidden shops' products are left
 * out (a penalty, a suspended shop), boosted ones come first and demoted ones last, whatever the sort.
 */
export async function searchProducts(tx: Executor, f: SearchFilters, now: Date) {
  const tsq = searchQuerySql(f.q);
  const asked: SearchSort = f.sort ?? (tsq ? 'relevance' : 'newest');
  // Without words there is nothing to be relevant to: the best sellers come first (综合排序).
  const sort: SearchSort = asked === 'relevance' && !tsq ? 'sales' : asked;
  const after = readCursor(f.cursor, sort);
  // Integer score so the cursor can carry it exactly.
  const score = tsq
    ? sql<number>`(ts_rank(${products.searchVector}, ${tsq}) * 1000000)::integer`
    : sql<number>`0`;
  // Most of the time nothing is adjusted: then the checks are left out and the sort indexes serve.
  const effects = await effectsInForce(tx, now);
  const ranked = effects.has('boosted') || effects.has('demoted');
  const priority = ranked ? searchPrioritySql(now) : sql<number>`0`;
  const b = after?.b ?? 0;

  let keyset: SQL | undefined;
  let order: SQL[];
  switch (sort) {
    case 'relevance':
      order = [sql`${score} desc`, desc(products.salesCount), desc(products.id)];
      if (after) {
        keyset = sql`(${priority}, ${score}, ${products.salesCount}, ${products.id}) < (${b}::integer, ${after.s}::integer, ${after.c}::integer, ${after.id})`;
      }
      break;
    case 'sales':
      order = [desc(products.salesCount), desc(products.id)];
      if (after) {
        keyset = sql`(${priority}, ${products.salesCount}, ${products.id}) < (${b}::integer, ${after.c}::integer, ${after.id})`;
      }
      break;
    case 'price_asc':
      order = [asc(products.minPrice), asc(products.id)];
      // Ascending after the descending priority: compare the negated priority.
      if (after) {
        keyset = sql`(-${priority}, ${products.minPrice}, ${products.id}) > (${-b}::integer, ${after.p}::bigint, ${after.id})`;
      }
      break;
    case 'price_desc':
      order = [desc(products.minPrice), desc(products.id)];
      if (after) {
        keyset = sql`(${priority}, ${products.minPrice}, ${products.id}) < (${b}::integer, ${after.p}::bigint, ${after.id})`;
      }
      break;
    case 'newest':
      order = [desc(products.publishedAt), desc(products.id)];
      if (after) {
        keyset = sql`(${priority}, ${products.publishedAt}, ${products.id}) < (${b}::integer, ${after.t}::timestamptz, ${after.id})`;
      }
      break;
  }
  if (ranked) order.unshift(sql`${priority} desc`);

  const rows = await tx
    .select({ ...listColumns, score, priority })
    .from(products)
    .where(
      and(
        eq(products.status, 'published'),
        effects.has('hidden') ? notHiddenSql(now) : undefined,
        tsq ? sql`${products.searchVector} @@ ${tsq}` : undefined,
        f.categoryId ? inCategoryTree(f.categoryId) : undefined,
        f.shopId ? eq(products.shopId, f.shopId) : undefined,
        f.brandId ? eq(products.brandId, f.brandId) : undefined,
        f.minPrice !== undefined ? sql`${products.maxPrice} >= ${f.minPrice}` : undefined,
        f.maxPrice !== undefined ? sql`${products.minPrice} <= ${f.maxPrice}` : undefined,
        keyset,
      ),
    )
    .orderBy(...order)
    .limit(f.limit + 1);

  const result = page(rows, f.limit, (r): Record<string, unknown> => {
    const key: SearchCursor = { k: sort, id: r.id, b: Number(r.priority) };
    if (sort === 'relevance') Object.assign(key, { s: r.score, c: r.salesCount });
    if (sort === 'sales') key.c = r.salesCount;
    if (sort === 'price_asc' || sort === 'price_desc') key.p = r.minPrice ?? 0;
    if (sort === 'newest') key.t = r.publishedAt?.toISOString();
    return { ...key };
  });
  return { items: result.items.map(toListItem), nextCursor: result.nextCursor };
}

function toListItem(r: {
  id: string;
  shopId: string;
  title: string;
  images: string[];
  minPrice: number | null;
  maxPrice: number | null;
  salesCount: number;
  categoryId: string;
}) {
  return {
    id: r.id,
    shopId: r.shopId,
    title: r.title,
    image: r.images[0] ?? null,
    minPrice: r.minPrice,
    maxPrice: r.maxPrice,
    salesCount: r.salesCount,
    categoryId: r.categoryId,
  };
}

/** The merchant console's product list: every status, newest first, optionally searched. */
export async function listShopProducts(
  tx: Executor,
  shopId: string,
  opts: { status?: ProductStatus; q?: string; cursor?: string; limit: number },
) {
  const after = decodeCursor<{ id?: unknown }>(opts.cursor);
  if (after && typeof after.id !== 'string') throw badCursor();
  const tsq = searchQuerySql(opts.q);
  const rows = await tx
    .select({
      ...listColumns,
      status: products.status,
      createdAt: products.createdAt,
      updatedAt: products.updatedAt,
    })
    .from(products)
    .where(
      and(
        eq(products.shopId, shopId),
        opts.status ? eq(products.status, opts.status) : undefined,
        tsq ? sql`${products.searchVector} @@ ${tsq}` : undefined,
        after ? sql`${products.id} < ${after.id}` : undefined,
      ),
    )
    .orderBy(desc(products.id))
    .limit(opts.limit + 1);
  const result = page(rows, opts.limit, (r) => ({ id: r.id }));
  return {
    items: result.items.map((r) => ({
      ...toListItem(r),
      status: r.status,
      publishedAt: r.publishedAt?.toISOString() ?? null,
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
    })),
    nextCursor: result.nextCursor,
  };
}

/**
 * A product page: the product, its brand and category, and its SKUs with what can be sold of each
 * (from inventory). Buyers see the active SKUs; the shop's staff see all of them.
 */
async function describeProduct(tx: Executor, product: Product, opts: { allSkus: boolean }) {
  const list = await productSkus(tx, product.id, !opts.allSkus);
  const available = await availableBySku(
    tx,
    list.map((s) => s.id),
  );
  const brand = await productBrand(tx, product.brandId);
  const category = await getCategory(tx, product.categoryId);
  return {
    id: product.id,
    shopId: product.shopId,
    title: product.title,
    description: product.description,
    images: product.images,
    status: product.status,
    categoryId: product.categoryId,
    category: category
      ? {
          id: category.id,
          nameZh: category.nameZh,
          nameEn: category.nameEn,
          noReasonReturn: category.noReasonReturn,
          special: category.special,
        }
      : null,
    brandId: product.brandId,
    brand: brand ? { id: brand.id, name: brand.name, nameEn: brand.nameEn } : null,
    shipWithinHours: product.shipWithinHours,
    minPrice: product.minPrice,
    maxPrice: product.maxPrice,
    salesCount: product.salesCount,
    publishedAt: product.publishedAt?.toISOString() ?? null,
    createdAt: product.createdAt.toISOString(),
    updatedAt: product.updatedAt.toISOString(),
    skus: list.map((s) => ({
      id: s.id,
      code: s.code,
      attributes: s.attributes,
      price: s.price,
      currency: s.currency,
      status: s.status,
      available: available.get(s.id) ?? 0,
    })),
  };
}

export type ProductView = Awaited<ReturnType<typeof describeProduct>>;

/**
 * The storefront's product page; drafts and delisted products do not exist for buyers, nor do the
 * listings of a shop that is not trading (suspended or sealed by a penalty, or closed).
 */
export async function getPublishedProductView(
  tx: Executor,
  productId: string,
): Promise<ProductView | undefined> {
  const product = await getProduct(tx, productId);
  if (product?.status !== 'published') return undefined;
  const shop = await getShop(tx, product.shopId);
  if (!shop || !shopTrading(shop)) return undefined;
  return describeProduct(tx, product, { allSkus: false });
}

export async function getShopProductView(
  tx: Executor,
  shopId: string,
  productId: string,
): Promise<ProductView | undefined> {
  const product = await getShopProduct(tx, shopId, productId);
  return product ? describeProduct(tx, product, { allSkus: true }) : undefined;
}
