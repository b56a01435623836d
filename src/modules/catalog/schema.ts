import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  unique,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { tstz } from '../../kernel/schema';

/** Full-text vector; written only through SQL (see search.ts), never read back into JavaScript. */
const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/**
 * The category tree. `path` lists the ids from the root down to this category (`/cat_a/cat_b/`), so
 * "this category and everything under it" is a prefix match and the tree is read in one query.
 */
export const categories = pgTable(
  'categories',
  {
    id: text('id').primaryKey(),
    parentId: text('parent_id').references((): AnyPgColumn => categories.id),
    nameZh: text('name_zh').notNull(),
    nameEn: text('name_en').notNull(),
    slug: text('slug').notNull(),
    path: text('path').notNull(),
    sort: integer('sort').notNull().default(0),
    /** Goods in this category qualify for seven-day no-reason returns (aftersales reads it per order line). */
    noReasonReturn: boolean('no_reason_return').notNull().default(true),
    /** Special categories (e.g. fresh food, custom-made) get their own compensation floors and return rules. */
    special: boolean('special').notNull().default(false),
    createdAt: tstz('created_at').notNull(),
    updatedAt: tstz('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('categories_slug').on(t.slug),
    index('categories_parent').on(t.parentId),
    index('categories_path').on(t.path.op('text_pattern_ops')),
  ],
);

export const brands = pgTable(
  'brands',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    nameEn: text('name_en'),
    createdAt: tstz('created_at').notNull(),
  },
  (t) => [uniqueIndex('brands_name').on(sql`lower(${t.name})`)],
);

export const PRODUCT_STATUSES = ['draft', 'published', 'delisted'] as const;
export type ProductStatus = (typeof PRODUCT_STATUSES)[number];

/**
 * The sales bands of the search index: the published products selling at least each of these and
 * less than the one before (the lowest sales of tiers 16, 15, 13 and 11, `salesTier`), best first.
 * Each band has a word index of its own (`products_search_band_<floor>`), a fifth of the whole
 * index at most: the best sellers among a query's matches are looked up band by band from the top
 * (`tierWalkSql` in listing.ts), and a lookup there decodes only the band's share of each word's
 * entries, where the whole index decodes every product holding the word (纯棉 in 女装: 1 to 2 ms
 * against 10 to 20 on 1M products).
 */
export const SALES_BANDS = [65_535, 32_767, 8_191, 2_047] as const;

const bandIndexes = (t: { searchVector: AnyPgColumn; salesCount: AnyPgColumn }) =>
  SALES_BANDS.map((floor, i) => {
    const below = i === 0 ? sql`` : sql` and ${t.salesCount} < ${sql.raw(String(SALES_BANDS[i - 1]))}`;
    return index(`products_search_band_${floor}`)
      .using('gin', t.searchVector)
      .where(sql`status = 'published' and ${t.salesCount} >= ${sql.raw(String(floor))}${below}`);
  });

export const products = pgTable(
  'products',
  {
    id: text('id').primaryKey(),
    shopId: text('shop_id').notNull(),
    categoryId: text('category_id')
      .notNull()
      .references(() => categories.id),
    brandId: text('brand_id').references(() => brands.id),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
    images: jsonb('images').$type<string[]>().notNull().default([]),
    status: text('status', { enum: PRODUCT_STATUSES }).notNull().default('draft'),
    /** The listing's own shipping promise; the shop kind's default (48 h mall, 72 h market) applies when null. */
    shipWithinHours: integer('ship_within_hours'),
    /** Lowest and highest price of the active SKUs, in fen; null while none is active. */
    minPrice: bigint('min_price', { mode: 'number' }),
    maxPrice: bigint('max_price', { mode: 'number' }),
    salesCount: integer('sales_count').notNull().default(0),
    searchVector: tsvector('search_vector').notNull(),
    /** When it last went on sale: the "newest" order of the storefront. */
    publishedAt: tstz('published_at'),
    createdAt: tstz('created_at').notNull(),
    updatedAt: tstz('updated_at').notNull(),
  },
  (t) => [
    index('products_shop').on(t.shopId, t.status, t.id),
    index('products_category').on(t.categoryId, t.status),
    index('products_search').using('gin', t.searchVector),
    index('products_sales').on(t.salesCount.desc(), t.id.desc()).where(sql`status = 'published'`),
    index('products_price').on(t.minPrice, t.id).where(sql`status = 'published'`),
    index('products_newest').on(t.publishedAt.desc(), t.id.desc()).where(sql`status = 'published'`),
    ...bandIndexes(t),
  ],
);

export const SKU_STATUSES = ['active', 'inactive'] as const;
export type SkuStatus = (typeof SKU_STATUSES)[number];

/** One sellable variant of a product (a colour and size, say). Codes are the merchant's own, unique per shop. */
export const skus = pgTable(
  'skus',
  {
    id: text('id').primaryKey(),
    productId: text('product_id')
      .notNull()
      .references(() => products.id),
    shopId: text('shop_id').notNull(),
    code: text('code').notNull(),
    attributes: jsonb('attributes').$type<Record<string, string>>().notNull().default({}),
    price: bigint('price', { mode: 'number' }).notNull(),
    currency: text('currency').notNull().default('CNY'),
    status: text('status', { enum: SKU_STATUSES }).notNull().default('active'),
    createdAt: tstz('created_at').notNull(),
    updatedAt: tstz('updated_at').notNull(),
  },
  (t) => [uniqueIndex('skus_shop_code').on(t.shopId, t.code), index('skus_product').on(t.productId)],
);

export const SEARCH_EFFECTS = ['hidden', 'demoted', 'boosted'] as const;
export type SearchEffect = (typeof SEARCH_EFFECTS)[number];

/**
 * What other parts of the platform do to a shop's place in search: a penalty hides it, a programme
 * boosts it in a category. One row per (shop, source, category); a null category means every
 * category. A row whose `until` has passed has no effect. The table stays small (only shops with
 * an adjustment), so search checks it per product through the shop index.
 */
export const searchAdjustments = pgTable(
  'search_adjustments',
  {
    shopId: text('shop_id').notNull(),
    source: text('source').notNull(),
    categoryId: text('category_id'),
    effect: text('effect', { enum: SEARCH_EFFECTS }).notNull(),
    until: tstz('until'),
    createdAt: tstz('created_at').notNull(),
    updatedAt: tstz('updated_at').notNull(),
  },
  (t) => [
    unique('search_adjustments_key').on(t.shopId, t.source, t.categoryId).nullsNotDistinct(),
    index('search_adjustments_effect').on(t.effect, t.until),
  ],
);
