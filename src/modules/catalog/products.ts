import { and, asc, count, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db';
import { p, statement } from '../../db/statements';
import { AppError, type FieldError, notFound, ruleViolation } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { CNY } from '../../kernel/money';
import { emit } from '../../kernel/outbox';
import { findShopWarehouses, setInitialStock } from '../inventory';
import { getShop, requireListingAllowed, type Shop, shopTrading } from '../merchants';
import { categoryLineage, getCategory, isLeafCategory } from './categories';
import {
  checkImages,
  checkSkuAttributes,
  checkSkuCodes,
  checkStockLines,
  inSkuList,
  priceRange,
  type SkuPath,
} from './rules';
import { brands, categories, type ProductStatus, products, type SkuStatus, skus } from './schema';
import { type SearchDocument, searchVectorSql } from './search';
import './messages';

export interface StockLineInput {
  warehouseId: string;
  quantity: number;
}

export interface SkuInput {
  code: string;
  attributes?: Record<string, string>;
  /** Fen, at least 1. */
  price: number;
  /** Opening stock per warehouse of the shop. */
  stock?: StockLineInput[];
}

export interface ProductInput {
  title: string;
  categoryId: string;
  brandId?: string | null;
  description?: string;
  images?: string[];
  shipWithinHours?: number | null;
  skus: SkuInput[];
}

/** Product columns without the search vector, which is written by SQL and never read back. */
const productColumns = {
  id: products.id,
  shopId: products.shopId,
  categoryId: products.categoryId,
  brandId: products.brandId,
  title: products.title,
  description: products.description,
  images: products.images,
  status: products.status,
  shipWithinHours: products.shipWithinHours,
  minPrice: products.minPrice,
  maxPrice: products.maxPrice,
  salesCount: products.salesCount,
  publishedAt: products.publishedAt,
  createdAt: products.createdAt,
  updatedAt: products.updatedAt,
};
export type Product = Omit<typeof products.$inferSelect, 'searchVector'>;
export type Sku = typeof skus.$inferSelect;

const validationFailed = (errors: FieldError[]) =>
  new AppError(400, 'validation_failed', {}, errors, 'validation_failed_detail');

/** Listings live in leaf categories only (as on Tmall): a buyer browsing 女装 > 连衣裙 finds them all there. */
async function checkCategory(tx: Executor, categoryId: string, errors: FieldError[]): Promise<void> {
  if (!(await getCategory(tx, categoryId))) {
    errors.push({ path: '/categoryId', in: 'body', code: 'field.category_not_found' });
  } else if (!(await isLeafCategory(tx, categoryId))) {
    errors.push({ path: '/categoryId', in: 'body', code: 'field.category_not_leaf' });
  }
}

async function checkBrand(tx: Executor, brandId: string | null | undefined, errors: FieldError[]) {
  if (!brandId) return;
  const [row] = await tx.select({ id: brands.id }).from(brands).where(eq(brands.id, brandId));
  if (!row) errors.push({ path: '/brandId', in: 'body', code: 'field.brand_not_found' });
}

async function checkWarehouses(
  tx: Executor,
  shopId: string,
  list: SkuInput[],
  errors: FieldError[],
  at: SkuPath = inSkuList,
): Promise<void> {
  const owned = await findShopWarehouses(
    tx,
    shopId,
    list.flatMap((s) => (s.stock ?? []).map((l) => l.warehouseId)),
  );
  list.forEach((sku, i) => {
    (sku.stock ?? []).forEach((line, j) => {
      if (!owned.has(line.warehouseId)) {
        errors.push({
          path: `${at(i)}/stock/${j}/warehouseId`,
          in: 'body',
          code: 'field.warehouse_not_found',
        });
      }
    });
  });
}

function checkTitle(title: string | undefined, errors: FieldError[]): void {
  if (title !== undefined && title.trim() === '') {
    errors.push({ path: '/title', in: 'body', code: 'field.minLength', params: { limit: 1 } });
  }
}

/**
 * What search indexes for a product: its title, brand names, category path names, SKU attribute
 * values, and as filter words its category path and lowest price.
 */
async function searchDocument(
  tx: Executor,
  p: {
    title: string;
    brandId: string | null;
    categoryId: string;
    minPrice: number | null;
  },
  attributes: Record<string, string>[],
): Promise<SearchDocument> {
  const [brand] = p.brandId ? await tx.select().from(brands).where(eq(brands.id, p.brandId)) : [];
  const lineage = await categoryLineage(tx, p.categoryId);
  return {
    title: p.title,
    brand: brand ? [brand.name, brand.nameEn ?? ''] : [],
    category: lineage.flatMap((c) => [c.nameZh, c.nameEn]),
    attributes: [...new Set(attributes.flatMap((a) => Object.values(a)))],
    categoryIds: lineage.map((c) => c.id),
    minPrice: p.minPrice,
  };
}

/** Rebuilds the search vector of these products (after a category rename or a price change, say). */
export async function reindexProducts(tx: Executor, productIds: string[]): Promise<void> {
  for (const id of productIds) {
    const [p] = await tx
      .select({
        title: products.title,
        brandId: products.brandId,
        categoryId: products.categoryId,
        minPrice: products.minPrice,
      })
      .from(products)
      .where(eq(products.id, id));
    if (!p) continue;
    const attrs = await tx.select({ attributes: skus.attributes }).from(skus).where(eq(skus.productId, id));
    const doc = await searchDocument(
      tx,
      p,
      attrs.map((a) => a.attributes),
    );
    await tx
      .update(products)
      .set({ searchVector: searchVectorSql(doc) })
      .where(eq(products.id, id));
  }
}

/**
 * Lists a new product as a draft with its SKUs and their opening stock, all in the caller's
 * transaction: a rejected SKU leaves no product, no SKU and no stock behind. Every problem found
 * before writing is reported together; a SKU code the shop already uses is found by the insert
 * itself (so two concurrent listings cannot both take it) and answers 409.
 */
export async function createProduct(
  tx: Executor,
  shopId: string,
  input: ProductInput,
  now: Date,
  opts: { actorId?: string | null } = {},
): Promise<{ id: string; skus: { id: string; code: string }[] }> {
  // A shop under a penalty may not list (422 naming the penalty and its end).
  await requireListingAllowed(tx, shopId, now);
  const errors: FieldError[] = [];
  checkTitle(input.title, errors);
  errors.push(
    ...checkImages(input.images),
    ...checkSkuCodes(input.skus),
    ...checkSkuAttributes(input.skus),
    ...checkStockLines(input.skus),
  );
  await checkCategory(tx, input.categoryId, errors);
  await checkBrand(tx, input.brandId, errors);
  await checkWarehouses(tx, shopId, input.skus, errors);
  if (errors.length) throw validationFailed(errors);

  const id = newId('prod');
  const title = input.title.trim();
  const brandId = input.brandId ?? null;
  const prices = priceRange(input.skus);
  const doc = await searchDocument(
    tx,
    { title, brandId, categoryId: input.categoryId, minPrice: prices.minPrice },
    input.skus.map((s) => s.attributes ?? {}),
  );
  await tx.insert(products).values({
    id,
    shopId,
    categoryId: input.categoryId,
    brandId,
    title,
    description: input.description ?? '',
    images: input.images ?? [],
    status: 'draft',
    shipWithinHours: input.shipWithinHours ?? null,
    ...prices,
    searchVector: searchVectorSql(doc),
    createdAt: now,
    updatedAt: now,
  });

  const rows = input.skus.map((s) => ({
    id: newId('sku'),
    productId: id,
    shopId,
    code: s.code,
    attributes: s.attributes ?? {},
    price: s.price,
    currency: CNY,
    status: 'active' as const,
    createdAt: now,
    updatedAt: now,
  }));
  const inserted = await tx
    .insert(skus)
    .values(rows)
    .onConflictDoNothing({ target: [skus.shopId, skus.code] })
    .returning({ id: skus.id, code: skus.code });
  if (inserted.length !== rows.length) {
    const taken = new Set(rows.map((r) => r.code));
    for (const r of inserted) taken.delete(r.code);
    throw new AppError(
      409,
      'sku_code_taken',
      {},
      input.skus.flatMap((s, i) =>
        taken.has(s.code)
          ? [{ path: `/skus/${i}/code`, in: 'body' as const, code: 'field.sku_code_taken' }]
          : [],
      ),
    );
  }

  for (const [i, s] of input.skus.entries()) {
    await setInitialStock(tx, shopId, rows[i]!.id, s.stock ?? [], now, {
      path: `/skus/${i}/stock`,
      actorId: opts.actorId,
    });
  }

  await emit(
    tx,
    'product.created',
    {
      productId: id,
      shopId,
      categoryId: input.categoryId,
      brandId,
      skuIds: rows.map((r) => r.id),
    },
    { key: id, at: now },
  );
  return { id, skus: rows.map((r) => ({ id: r.id, code: r.code })) };
}

/** The shop's product, locked for the rest of the transaction so SKU and status changes serialise. */
async function lockShopProduct(tx: Executor, shopId: string, productId: string): Promise<Product> {
  const [row] = await tx
    .select(productColumns)
    .from(products)
    .where(and(eq(products.id, productId), eq(products.shopId, shopId)))
    .for('update');
  if (!row) throw notFound('product_not_found');
  return row;
}

/** Sets the price range from the active SKUs and rebuilds the search vector (its price bucket and SKU words). */
async function refreshPriceRange(tx: Executor, productId: string, now: Date): Promise<void> {
  await tx
    .update(products)
    .set({
      minPrice: sql`(select min(${skus.price}) from ${skus} where ${skus.productId} = ${productId} and ${skus.status} = 'active')`,
      maxPrice: sql`(select max(${skus.price}) from ${skus} where ${skus.productId} = ${productId} and ${skus.status} = 'active')`,
      updatedAt: now,
    })
    .where(eq(products.id, productId));
  await reindexProducts(tx, [productId]);
}

async function activeSkuCount(tx: Executor, productId: string): Promise<number> {
  const [row] = await tx
    .select({ n: count() })
    .from(skus)
    .where(and(eq(skus.productId, productId), eq(skus.status, 'active')));
  return row?.n ?? 0;
}

export interface ProductPatch {
  title?: string;
  description?: string;
  images?: string[];
  shipWithinHours?: number | null;
  categoryId?: string;
  brandId?: string | null;
}

export async function updateProduct(
  tx: Executor,
  shopId: string,
  productId: string,
  patch: ProductPatch,
  now: Date,
): Promise<Product> {
  const current = await lockShopProduct(tx, shopId, productId);
  const errors: FieldError[] = [];
  checkTitle(patch.title, errors);
  if (patch.images) errors.push(...checkImages(patch.images));
  if (patch.categoryId !== undefined && patch.categoryId !== current.categoryId) {
    await checkCategory(tx, patch.categoryId, errors);
  }
  if (patch.brandId !== undefined) await checkBrand(tx, patch.brandId, errors);
  if (errors.length) throw validationFailed(errors);

  const changes = Object.keys(patch)
    .filter((k) => patch[k as keyof ProductPatch] !== undefined)
    .sort();
  if (changes.length === 0) return current;
  const next = {
    title: patch.title?.trim() ?? current.title,
    description: patch.description ?? current.description,
    images: patch.images ?? current.images,
    shipWithinHours: patch.shipWithinHours === undefined ? current.shipWithinHours : patch.shipWithinHours,
    categoryId: patch.categoryId ?? current.categoryId,
    brandId: patch.brandId === undefined ? current.brandId : patch.brandId,
  };
  const [row] = await tx
    .update(products)
    .set({ ...next, updatedAt: now })
    .where(eq(products.id, productId))
    .returning(productColumns);
  if (changes.some((k) => k === 'title' || k === 'categoryId' || k === 'brandId')) {
    await reindexProducts(tx, [productId]);
  }
  await emit(tx, 'product.updated', { productId, shopId, changes }, { key: productId, at: now });
  return row!;
}

/** Puts the product on sale. It needs an active SKU; publishing what is already on sale changes nothing. */
export async function publishProduct(
  tx: Executor,
  shopId: string,
  productId: string,
  now: Date,
): Promise<Product> {
  const current = await lockShopProduct(tx, shopId, productId);
  if (current.status === 'published') return current;
  await requireListingAllowed(tx, shopId, now);
  if ((await activeSkuCount(tx, productId)) === 0) throw ruleViolation('product_needs_active_sku');
  const [row] = await tx
    .update(products)
    .set({ status: 'published', publishedAt: now, updatedAt: now })
    .where(eq(products.id, productId))
    .returning(productColumns);
  await emit(
    tx,
    'product.published',
    { productId, shopId, categoryId: current.categoryId },
    { key: productId, at: now },
  );
  return row!;
}

/** Takes the product off sale (下架). A draft was never on sale: 409. */
export async function unpublishProduct(
  tx: Executor,
  shopId: string,
  productId: string,
  now: Date,
): Promise<Product> {
  const current = await lockShopProduct(tx, shopId, productId);
  if (current.status === 'draft') throw new AppError(409, 'product_not_published');
  if (current.status === 'delisted') return current;
  const [row] = await tx
    .update(products)
    .set({ status: 'delisted', updatedAt: now })
    .where(eq(products.id, productId))
    .returning(productColumns);
  await emit(tx, 'product.delisted', { productId, shopId }, { key: productId, at: now });
  return row!;
}

/** A new variant of an existing product, with its opening stock. */
export async function addSku(
  tx: Executor,
  shopId: string,
  productId: string,
  input: SkuInput,
  now: Date,
  opts: { actorId?: string | null } = {},
): Promise<Sku> {
  await lockShopProduct(tx, shopId, productId);
  const existing = await tx.select().from(skus).where(eq(skus.productId, productId));
  // The body is the SKU itself, so problems are reported at `/attributes`, `/stock/0/warehouseId`.
  const body: SkuPath = () => '';
  const errors: FieldError[] = [
    ...checkSkuAttributes([input], existing, body),
    ...checkStockLines([input], body),
  ];
  await checkWarehouses(tx, shopId, [input], errors, body);
  if (errors.length) throw validationFailed(errors);

  const [row] = await tx
    .insert(skus)
    .values({
      id: newId('sku'),
      productId,
      shopId,
      code: input.code,
      attributes: input.attributes ?? {},
      price: input.price,
      currency: CNY,
      status: 'active',
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing({ target: [skus.shopId, skus.code] })
    .returning();
  if (!row) {
    throw new AppError(409, 'sku_code_taken', {}, [
      { path: '/code', in: 'body', code: 'field.sku_code_taken' },
    ]);
  }
  await setInitialStock(tx, shopId, row.id, input.stock ?? [], now, {
    path: '/stock',
    actorId: opts.actorId,
  });
  await refreshPriceRange(tx, productId, now);
  await emit(
    tx,
    'product.updated',
    { productId, shopId, changes: ['skus'], skuId: row.id },
    { key: productId, at: now },
  );
  return row;
}

export interface SkuPatch {
  price?: number;
  attributes?: Record<string, string>;
  status?: SkuStatus;
}

/** Re-prices, renames or (de)activates a SKU. The last active SKU of a product on sale stays active. */
export async function updateSku(
  tx: Executor,
  shopId: string,
  productId: string,
  skuId: string,
  patch: SkuPatch,
  now: Date,
): Promise<Sku> {
  const product = await lockShopProduct(tx, shopId, productId);
  const siblings = await tx.select().from(skus).where(eq(skus.productId, productId));
  const current = siblings.find((s) => s.id === skuId);
  if (!current) throw notFound('sku_not_found');
  if (patch.attributes) {
    const others = siblings.filter((s) => s.id !== skuId);
    const errors = checkSkuAttributes([{ attributes: patch.attributes }], others, () => '');
    if (errors.length) throw validationFailed(errors);
  }
  if (
    patch.status === 'inactive' &&
    current.status === 'active' &&
    product.status === 'published' &&
    siblings.filter((s) => s.status === 'active').length === 1
  ) {
    throw ruleViolation('product_needs_active_sku');
  }
  const [row] = await tx
    .update(skus)
    .set({
      price: patch.price ?? current.price,
      attributes: patch.attributes ?? current.attributes,
      status: patch.status ?? current.status,
      updatedAt: now,
    })
    .where(eq(skus.id, skuId))
    .returning();
  await refreshPriceRange(tx, productId, now);
  const changes = Object.keys(patch)
    .filter((k) => patch[k as keyof SkuPatch] !== undefined)
    .sort();
  await emit(tx, 'product.updated', { productId, shopId, changes, skuId }, { key: productId, at: now });
  return row!;
}

/** What trade needs to sell one SKU: its price, its product's state and the return rules of its category. */
export interface SkuForSale {
  skuId: string;
  productId: string;
  shopId: string;
  code: string;
  title: string;
  image: string | null;
  attributes: Record<string, string>;
  price: number;
  currency: string;
  shipWithinHours: number | null;
  categoryId: string;
  noReasonReturn: boolean;
  special: boolean;
  status: SkuStatus;
  /**
   * The product's status as buyers see it: a published product of a shop that is not trading
   * (suspended or sealed by a penalty, or closed) reads `delisted`, so it cannot be bought.
   */
  productStatus: ProductStatus;
  /** Its shop as read to decide the above, so callers need not read it again. */
  shop: Shop | undefined;
}

export async function getSkuForSale(tx: Executor, skuId: string): Promise<SkuForSale | undefined> {
  const [row] = await skuForSale(tx, { skuId });
  if (!row) return undefined;
  const { images, ...rest } = row;
  const shop = await getShop(tx, row.shopId);
  const trading = !!shop && shopTrading(shop);
  return {
    ...rest,
    productStatus: trading ? rest.productStatus : 'delisted',
    image: images[0] ?? null,
    shop,
  };
}

// Every add-to-cart, cart view and checkout line reads it: its SQL is built once (see statement()).
const skuForSale = statement((db) =>
  db
    .select({
      skuId: skus.id,
      productId: products.id,
      shopId: skus.shopId,
      code: skus.code,
      title: products.title,
      images: products.images,
      attributes: skus.attributes,
      price: skus.price,
      currency: skus.currency,
      shipWithinHours: products.shipWithinHours,
      categoryId: products.categoryId,
      noReasonReturn: categories.noReasonReturn,
      special: categories.special,
      status: skus.status,
      productStatus: products.status,
    })
    .from(skus)
    .innerJoin(products, eq(products.id, skus.productId))
    .innerJoin(categories, eq(categories.id, products.categoryId))
    .where(eq(skus.id, p('skuId'))),
);

/**
 * Adds sold (or, negative, refunded) units to the product's sales count, which never drops below 0.
 * The search vector does not depend on sales (`filterTerms`): the sales bands' indexes follow the
 * count by themselves, so the vector is left as it is.
 */
export async function recordSales(tx: Executor, productId: string, quantity: number): Promise<void> {
  if (!Number.isSafeInteger(quantity)) throw new RangeError(`not a whole quantity: ${quantity}`);
  await tx
    .update(products)
    .set({ salesCount: sql`greatest(0, ${products.salesCount} + ${quantity})` })
    .where(eq(products.id, productId));
}

export async function getShopProduct(tx: Executor, shopId: string, productId: string) {
  const [row] = await tx
    .select(productColumns)
    .from(products)
    .where(and(eq(products.id, productId), eq(products.shopId, shopId)));
  return row;
}

export async function getProduct(tx: Executor, productId: string) {
  const [row] = await tx.select(productColumns).from(products).where(eq(products.id, productId));
  return row;
}

export async function productSkus(tx: Executor, productId: string, onlyActive: boolean): Promise<Sku[]> {
  return tx
    .select()
    .from(skus)
    .where(and(eq(skus.productId, productId), onlyActive ? eq(skus.status, 'active') : undefined))
    .orderBy(asc(skus.createdAt), asc(skus.id));
}

export async function productBrand(tx: Executor, brandId: string | null) {
  if (!brandId) return null;
  const [row] = await tx.select().from(brands).where(eq(brands.id, brandId));
  return row ?? null;
}
