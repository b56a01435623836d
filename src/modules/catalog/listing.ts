import { type AnyColumn, and, asc, desc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../../db';
import { AppError } from '../../kernel/errors';
import { decodeCursor, page } from '../../kernel/pagination';
import { availableBySku } from '../inventory';
import { getShop, shopTrading } from '../merchants';
import { getCategory } from './categories';
import { getProduct, getShopProduct, type Product, productBrand, productSkus } from './products';
import { categories, type ProductStatus, products, SALES_BANDS } from './schema';
import {
  bucketTerm,
  categoryTerm,
  estimatedMatches,
  filterQuerySql,
  filterQueryText,
  priceBucket,
  queryTerms,
  type SearchStatistics,
  salesFloorFor,
  salesTier,
  searchQuerySql,
  searchStatistics,
  TOP_PRICE_BUCKET,
  TOP_SALES_TIER,
} from './search';
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

/**
 * The ids of this category and every category beneath it (none for an unknown id). Read first and
 * passed as constants, so the planner sees how many products they hold; behind a subquery it
 * guesses, and for a big branch picks reading every match over walking an order index.
 */
async function categoryTreeIds(tx: Executor, categoryId: string): Promise<string[]> {
  const rows = await tx
    .select({ id: categories.id })
    .from(categories)
    .where(
      sql`starts_with(${categories.path}, (select p.path from ${categories} p where p.id = ${categoryId}))`,
    );
  return rows.map((r) => r.id);
}

/**
 * How many matches relevance ranks by their words: the best sellers among them. Ranking every match
 * reads and scores every matching row, which for a common word in a big catalogue is hundreds of
 * thousands of rows; the best sellers of a common word are found by walking the sales index until
 * this many match (a rare word's few matches are read whole), so common words no longer cost more.
 */
export const RELEVANCE_CANDIDATES = 200;

/**
 * The storefront search: published products only, every word of `q` must match (title, brand,
 * category or SKU attributes). Relevance ranks title words above brand, category and attribute
 * words, then the better seller first, among the RELEVANCE_CANDIDATES best-selling matches; the
 * other matches follow, best sellers first. Without words, relevance means best sellers first.
 * Keyset-paged, so a page boundary never repeats or skips a product while the catalogue stands still.
 * Search adjustments in force at `now` apply before any order: hidden shops' products are left
 * out (a penalty, a suspended shop), boosted ones come first and demoted ones last, whatever the sort.
 * `opts.candidates` overrides RELEVANCE_CANDIDATES (tests use a few), `opts.salesFloors` the sales
 * floors tried before the whole set (see `salesFloors`), `opts.tierWalk` forces the walk of the
 * sales tiers (see `tierWalkSql`).
 */
export function searchProducts(tx: Executor, f: SearchFilters, now: Date, opts: SearchOptions = {}) {
  // One transaction, and one statement for its settings: a search is a handful of reads whose best
  // plans depend on their values (the words), so each is planned for its own values rather than
  // PostgreSQL's generic plan of a named statement; and none is worth compiling (JIT, 20 to 30 ms
  // here, which the planner chooses for the recursive walks it prices at ten rounds of default
  // estimates). Before, these were two more statements and a savepoint around each walk.
  return tx.transaction(async (t) => {
    await t.execute(
      sql`select set_config('plan_cache_mode', 'force_custom_plan', true), set_config('jit', 'off', true)`,
    );
    return searchIn(t, f, now, opts);
  });
}

export interface SearchOptions {
  candidates?: number;
  salesFloors?: number[];
  priceWalk?: PriceWalkOptions;
  tierWalk?: TierWalkOptions;
}

async function searchIn(tx: Executor, f: SearchFilters, now: Date, opts: SearchOptions) {
  const words = searchQuerySql(f.q);
  const asked: SearchSort = f.sort ?? (words ? 'relevance' : 'newest');
  // Without words there is nothing to be relevant to: the best sellers come first (综合排序).
  const sort: SearchSort = asked === 'relevance' && !words ? 'sales' : asked;
  const after = readCursor(f.cursor, sort);
  // Most of the time nothing is adjusted: then the checks are left out and the sort indexes serve.
  const effects = await effectsInForce(tx, now);
  const ranked = effects.has('boosted') || effects.has('demoted');
  const categoryIds = f.categoryId ? await categoryTreeIds(tx, f.categoryId) : undefined;
  if (categoryIds?.length === 0) return { items: [], nextCursor: null };
  // With words, the category is a filter word of every product beneath it (`filterTerms`): the word
  // index finds the words within the category at once, where a list of category ids made the
  // database read every match of the words from the table to check it.
  const inCategory = words !== undefined && f.categoryId !== undefined;
  const tsq =
    words && inCategory
      ? sql`(${words} && ${filterQuerySql([categoryTerm(f.categoryId as string)])})`
      : words;
  // Everything but the words: a walk of an order index checks these before the words.
  const filters = and(
    eq(products.status, 'published'),
    effects.has('hidden') ? notHiddenSql(now) : undefined,
    categoryIds && !inCategory ? inArray(products.categoryId, categoryIds) : undefined,
    f.shopId ? eq(products.shopId, f.shopId) : undefined,
    f.brandId ? eq(products.brandId, f.brandId) : undefined,
    f.minPrice !== undefined ? sql`${products.maxPrice} >= ${f.minPrice}` : undefined,
    f.maxPrice !== undefined ? sql`${products.minPrice} <= ${f.maxPrice}` : undefined,
  ) as SQL;
  const matching = tsq ? (and(filters, sql`${products.searchVector} @@ ${tsq}`) as SQL) : filters;
  const priority = ranked ? searchPrioritySql(now) : undefined;
  const candidates = opts.candidates ?? RELEVANCE_CANDIDATES;
  const terms = [...queryTerms(f.q ?? ''), ...(inCategory ? [categoryTerm(f.categoryId as string)] : [])];
  const rows =
    sort === 'relevance' && tsq && words
      ? await byRelevance(tx, {
          matching,
          tsq: words,
          priority,
          after,
          want: f.limit + 1,
          candidates,
          // The sales bands have word indexes of their own: without boosts or demotions (which put
          // products that sell less first), the best sellers among the matches are looked up band
          // by band.
          // A filter other than the category leaves each tier fewer matches than the statistics
          // tell, and the walk more steps: those are left to the planner, as the floors below are.
          tiers:
            ranked || (filteredBeyondCategory(f) && !opts.tierWalk)
              ? undefined
              : await tierWalk(tx, { filters, tsq, terms, candidates, walk: opts.tierWalk }),
          // A floor would leave out boosted products that sell less: with boosts or demotions in
          // force the candidates are looked for among every match. A filter other than the
          // category leaves fewer matches than the words' statistics tell, by a share they do not
          // know: a floor would often hold too few, and the walk of the sales index is then
          // cheaper. The category is a filter word, whose share the statistics know.
          floors: ranked
            ? []
            : (opts.salesFloors ??
              (filteredBeyondCategory(f) ? [] : await salesFloors(tx, terms, candidates))),
        })
      : await bySort(tx, {
          sort,
          filters,
          matching,
          tsq,
          priority,
          after,
          want: f.limit + 1,
          price: words && {
            words,
            categoryId: inCategory ? f.categoryId : undefined,
            terms,
            maxPrice: f.maxPrice,
            walk: opts.priceWalk,
          },
        });

  const result = page(rows, f.limit, (r): Record<string, unknown> => {
    const key: SearchCursor = { k: sort, id: r.id, b: r.priority };
    if (sort === 'relevance') Object.assign(key, { s: r.score, c: r.salesCount });
    if (sort === 'sales') key.c = r.salesCount;
    if (sort === 'price_asc' || sort === 'price_desc') key.p = r.minPrice ?? 0;
    if (sort === 'newest') key.t = r.publishedAt?.toISOString();
    return { ...key };
  });
  return { items: result.items.map(toListItem), nextCursor: result.nextCursor };
}

const filteredBeyondCategory = (f: SearchFilters) =>
  f.shopId !== undefined || f.brandId !== undefined || f.minPrice !== undefined || f.maxPrice !== undefined;

// The sales and newest indexes are built `desc nulls last` (drizzle's `.desc()`), and a plain
// `desc` means nulls first: the order must say so too, or the index cannot serve it and every
// matching row is read and sorted. The columns are never null on published products.
const descNullsLast = (column: AnyColumn) => sql`${column} desc nulls last`;

interface ListRow {
  id: string;
  shopId: string;
  title: string;
  images: string[];
  minPrice: number | null;
  maxPrice: number | null;
  salesCount: number;
  categoryId: string;
  publishedAt: Date | null;
  /** Relevance score; -1 past the ranked candidates. */
  score: number;
  priority: number;
}

/** `(priority, …keys) < (b, …values)`; without adjustments in force the priority is left out, so the sort index can seek. */
function keysetBefore(priority: SQL | undefined, b: number, keys: SQL[], values: SQL[]): SQL {
  return priority
    ? sql`(${sql.join([priority, ...keys], sql`, `)}) < (${sql.join([sql`${b}::integer`, ...values], sql`, `)})`
    : sql`(${sql.join(keys, sql`, `)}) < (${sql.join(values, sql`, `)})`;
}

async function bySort(
  tx: Executor,
  o: {
    sort: SearchSort;
    filters: SQL;
    matching: SQL;
    tsq?: SQL;
    priority?: SQL;
    after?: SearchCursor;
    want: number;
    /** For a price sort with words: see `byPriceBuckets`. */
    price?: PriceWalk;
  },
): Promise<ListRow[]> {
  const { after, priority } = o;
  const b = after?.b ?? 0;
  let keyset: SQL | undefined;
  let order: SQL[];
  switch (o.sort) {
    case 'price_asc':
      order = [asc(products.minPrice), asc(products.id)];
      // Ascending after the descending priority: compare the negated priority.
      if (after) {
        keyset = priority
          ? sql`(-${priority}, ${products.minPrice}, ${products.id}) > (${-b}::integer, ${after.p}::bigint, ${after.id})`
          : sql`(${products.minPrice}, ${products.id}) > (${after.p}::bigint, ${after.id})`;
      }
      break;
    case 'price_desc':
      order = [desc(products.minPrice), desc(products.id)];
      if (after) {
        keyset = keysetBefore(
          priority,
          b,
          [sql`${products.minPrice}`, sql`${products.id}`],
          [sql`${after.p}::bigint`, sql`${after.id}`],
        );
      }
      break;
    case 'newest':
      order = [descNullsLast(products.publishedAt), descNullsLast(products.id)];
      if (after) {
        keyset = keysetBefore(
          priority,
          b,
          [sql`${products.publishedAt}`, sql`${products.id}`],
          [sql`${after.t}::timestamptz`, sql`${after.id}`],
        );
      }
      break;
    default:
      // sales, and relevance without words
      order = [descNullsLast(products.salesCount), descNullsLast(products.id)];
      if (after) {
        keyset = keysetBefore(
          priority,
          b,
          [sql`${products.salesCount}`, sql`${products.id}`],
          [sql`${after.c}::integer`, sql`${after.id}`],
        );
      }
  }
  if (priority) order.unshift(sql`${priority} desc`);
  if (o.tsq && !priority && (o.sort === 'price_asc' || o.sort === 'price_desc')) {
    const ascending = o.sort === 'price_asc';
    const filters = and(o.filters, keyset) as SQL;
    // Without a category, the head of the price order is every kind of cheap goods: when it holds
    // the page (手机壳 under ¥20), walking it is cheapest. Within a category, the category's own
    // buckets are looked up directly.
    const page =
      (o.price?.categoryId
        ? undefined
        : await priceHead(tx, { ascending, filters, tsq: o.tsq, order, want: o.want })) ??
      (o.price &&
        (await byPriceBuckets(tx, { ascending, filters, order, want: o.want, after: after?.p, ...o.price })));
    return page ?? pageRows(tx, and(o.matching, keyset) as SQL, order, o.want, undefined);
  }
  return pageRows(tx, and(o.matching, keyset) as SQL, order, o.want, priority);
}

/** How the bucket walk of a price sort cuts the price order; tests set it to walk small catalogues. */
export interface PriceWalkOptions {
  /** About how many products of the catalogue a step of the walk covers (whole buckets, at least one). */
  stepProducts: number;
}

/** Below this many estimated matches, reading them all and sorting them is cheaper than a walk. */
const PRICE_WALK_FROM = 2_000;
/** A step covers buckets expected to hold about this many times the page's matches. */
const PRICE_STEP_PAGES = 4;
const PRICE_STEP_MAX = 50_000;

/**
 * Words sorted by price, through the price buckets (`filterTerms`): the buckets in price order are
 * cut into steps of about `stepProducts` products of the catalogue, sized from the statistics so a
 * step is expected to hold a few pages of matches, and one statement looks up the matches of each
 * step in turn with the word index (words, category and buckets in one lookup), stopping at the
 * first steps that hold the page. A bucket's products are all cheaper than the next bucket's, so
 * the page is the cheapest matches of those steps. Where the cheapest match lies behind many
 * cheaper products of other kinds (耳机 behind 86,000 phone cases and snacks), the steps before it
 * cost a lookup of the word index each and no table read, where a walk of the price index read
 * every one of those products. Undefined without statistics, or when few matches are expected:
 * then the planner's plan reads them all.
 */
interface PriceWalk {
  /** The buyer's words. */
  words: SQL;
  /** The category searched in, if any: the walk then looks up its own buckets (`bucketTerm`). */
  categoryId?: string;
  /** The words and the category's filter word, to estimate the matches from the statistics. */
  terms: string[];
  maxPrice?: number;
  walk?: PriceWalkOptions;
}

async function byPriceBuckets(
  tx: Executor,
  o: PriceWalk & { ascending: boolean; filters: SQL; order: SQL[]; want: number; after?: number },
): Promise<ListRow[] | undefined> {
  let stepProducts = o.walk?.stepProducts;
  const stats = stepProducts === undefined ? await searchStatistics(tx) : undefined;
  if (stepProducts === undefined) {
    if (!stats) return undefined;
    const matches = estimatedMatches(stats, o.terms);
    if (matches < PRICE_WALK_FROM) return undefined;
    // The walk covers the category's products (or all): a step expects a few pages of matches.
    const universe = o.categoryId ? shareOf(stats, categoryTerm(o.categoryId)) * stats.rows : stats.rows;
    stepProducts = Math.min(PRICE_STEP_MAX, (PRICE_STEP_PAGES * o.want * universe) / matches);
  }
  const steps = sql`${sql.param(priceSteps(o, stepProducts, stats))}::text[]`;
  const dir = o.ascending ? sql`asc` : sql`desc`;
  // Each step reads its matches whole (`offset 0` keeps the planner from walking the price index
  // instead), sorts them and keeps a page; the walk stops once the steps so far hold the page. The
  // search runs with JIT off (see searchProducts).
  const result = await tx.execute(sql`
    with recursive walk(step, found, ids) as (
      select 0, 0, array[]::text[]
      union all
      select w.step + 1, w.found + coalesce(cardinality(s.ids), 0), coalesce(s.ids, array[]::text[])
      from walk w
      cross join lateral (
        select array_agg(m.id order by m.min_price ${dir}, m.id ${dir}) as ids
        from (
          select a.id, a.min_price from (
            select ${products.id} as id, ${products.minPrice} as min_price from ${products}
            where ${o.filters}
              and ${products.searchVector} @@ (${o.words} && (${steps})[w.step + 1]::tsquery)
            offset 0
          ) a
          order by a.min_price ${dir}, a.id ${dir}
          limit ${o.want}
        ) m
      ) s
      where w.found < ${o.want} and w.step < cardinality(${steps})
    )
    select u.id from walk, unnest(walk.ids) with ordinality as u(id, n)
    order by walk.step, u.n
    limit ${o.want}`);
  const ids = (result as unknown as { rows: { id: string }[] }).rows.map((r) => r.id);
  if (ids.length === 0) return [];
  return pageRows(tx, inArray(products.id, ids), o.order, o.want, undefined);
}

/**
 * The steps of a bucket walk, in the sort's order, as tsquery texts (`'p:3' | 'p:4'`): from the
 * cursor's bucket (or the first) to the last the price filter allows. A product without a price
 * (`p:none`) sorts last going up and first going down, and only on a first page, as in the order.
 */
function priceSteps(
  o: { ascending: boolean; after?: number; maxPrice?: number; categoryId?: string },
  stepProducts: number,
  stats: SearchStatistics | undefined,
): string[] {
  const cap = o.maxPrice === undefined ? TOP_PRICE_BUCKET : priceBucket(o.maxPrice);
  const term = (b: number | null) => bucketTerm(b, o.categoryId);
  const unpriced = o.after === undefined && o.maxPrice === undefined;
  const buckets: string[] = [];
  if (o.ascending) {
    for (let b = o.after === undefined ? 0 : priceBucket(o.after); b <= cap; b++) buckets.push(term(b));
    if (unpriced) buckets.push(term(null));
  } else {
    if (unpriced) buckets.push(term(null));
    for (let b = Math.min(cap, o.after === undefined ? cap : priceBucket(o.after)); b >= 0; b--) {
      buckets.push(term(b));
    }
  }
  // A bucket not among the common words is mostly near empty (prices cluster at shelf prices):
  // counted at a tenth of the rarest share, so a run of them makes one step, not one each.
  const size = (t: string) => (stats ? (stats.wordShare.get(t) ?? stats.rareShare / 10) * stats.rows : 1);
  const steps: string[][] = [];
  let held = Number.POSITIVE_INFINITY;
  for (const t of buckets) {
    if (held >= stepProducts) {
      steps.push([]);
      held = 0;
    }
    steps.at(-1)?.push(t);
    held += size(t);
  }
  return steps.map((step) => filterQueryText([], step));
}

/** A word's share of products; one not among the common words holds at most the rarest share. */
const shareOf = (stats: SearchStatistics, term: string) => stats.wordShare.get(term) ?? stats.rareShare;

/** Products at the head of the price order looked at for the words before the planner's plan. */
const PRICE_WALK = 2_000;

/**
 * Words sorted by price, the head of the price order first. The planner walks the price index when
 * it expects the matches spread evenly over prices, or reads every match when it expects few; for
 * two words it underestimates how often they go together (手机 壳: 2,400 against 42,000) and reads
 * thousands of matches where the cheapest products hold the page. So a bounded stretch of the head
 * is walked, checked against the words outside the walk (so it stays a walk): when it holds the
 * page, that is the page (undefined otherwise). A word whose cheapest match lies far into the price
 * order (耳机 starts at ¥49.90, behind 86,000 cheaper products of 1M) is left to `byPriceBuckets`.
 */
async function priceHead(
  tx: Executor,
  o: { ascending: boolean; filters: SQL; tsq: SQL; order: SQL[]; want: number },
): Promise<ListRow[] | undefined> {
  const dir = o.ascending ? sql`asc` : sql`desc`;
  const walked = await tx.execute(sql`
    select w.id from (
      select ${products.id} as id, ${products.minPrice} as min_price, ${products.searchVector} as search_vector
      from ${products} where ${o.filters}
      order by ${sql.join(o.order, sql`, `)}
      limit ${PRICE_WALK}
    ) w
    where w.search_vector @@ ${o.tsq}
    order by w.min_price ${dir}, w.id ${dir}
    limit ${o.want}`);
  const ids = (walked as unknown as { rows: { id: string }[] }).rows.map((r) => r.id);
  return ids.length === o.want
    ? pageRows(tx, inArray(products.id, ids), o.order, o.want, undefined)
    : undefined;
}

/**
 * The page's rows in `order`: the ids are picked first, reading only the columns the filters and the
 * order need (an index holding them serves the walk without reading the table), then the page's
 * rows alone are read whole.
 */
async function pageRows(
  tx: Executor,
  where: SQL,
  order: SQL[],
  want: number,
  priority: SQL | undefined,
): Promise<ListRow[]> {
  const ids = tx
    .select({ id: products.id })
    .from(products)
    .where(where)
    .orderBy(...order)
    .limit(want);
  const rows = await tx
    .select({ ...listColumns, priority: priority ?? sql<number>`0` })
    .from(products)
    .where(inArray(products.id, ids))
    .orderBy(...order);
  return rows.map((r) => ({ ...r, score: 0, priority: Number(r.priority) }));
}

/**
 * What finding a query's best sellers costs, per item, as measured on 1M products: a table page read
 * at random about 3.5 µs, an entry of a bitmap from an index (word or sales) about 0.2 µs. Walking
 * the sales index passes candidates × products / matches products, a page each; reading every
 * match reads a page each; a floor costs a word bitmap of every match, a sales bitmap of twice
 * candidates × products / matches entries and a page per candidate. Hence: walk above about
 * √(12 · candidates · products) matches (49,000 at 200 of 1M), read every match below about
 * √(candidates · products / 7.5) (5,200), and use a floor between.
 */
const walkFrom = (candidates: number, rows: number) => Math.sqrt(12 * candidates * rows);
const readAllUnder = (candidates: number, rows: number) => Math.sqrt((candidates * rows) / 7.5);

/**
 * Sales floors above which the best-selling candidates are looked for first, in turn, before all
 * the matches; none when the statistics suggest no floor helps. A word with 5,000 to 50,000 matches of 1M is the
 * costly kind: a walk of the sales index passes too many products before it has the candidates, and
 * reading every match reads as many table pages. Among the products selling at least F, the
 * database intersects the word index with the sales index and reads only the matches above F; F is
 * chosen from the statistics so that about twice the candidates are expected there. The candidates
 * are the best sellers among all matches whenever the floor holds that many: every other match sells
 * less. When it holds fewer (the words go together less than estimated, or filters leave fewer),
 * the matches are fewer than thought and the whole set is looked at.
 */
async function salesFloors(tx: Executor, terms: string[], candidates: number): Promise<number[]> {
  const stats = await searchStatistics(tx);
  if (!stats) return [];
  const matches = estimatedMatches(stats, terms);
  if (matches < readAllUnder(candidates, stats.rows) || matches >= walkFrom(candidates, stats.rows)) {
    return [];
  }
  const floor = salesFloorFor(stats, Math.min(1, (2 * candidates) / matches));
  return floor > 0 ? [floor] : [];
}

/** Forces the steps of the walk of the sales tiers (`tierWalkSql`); tests set it to walk small catalogues. */
export interface TierWalkOptions {
  /**
   * The lowest tier of each step, highest first: the first step looks up every tier from the top
   * down to the first of these, the next one the tiers below that down to the second, and so on;
   * one last step reads every match below the last (none when it is 0).
   */
  stepEnds: number[];
}

/** The tier walk of a query: its filters, its words (with the category's) and its steps. */
interface TierSteps extends TierWalkOptions {
  filters: SQL;
  tsq: SQL;
}

/**
 * Below this many estimated matches, reading them all costs about what the walk does (measured on
 * 1M products: 1,222 to 1,378 estimated took 4 to 7 ms read whole, 10 to 23 ms walked; 2,300 to
 * 4,201 took 7 to 13 ms read whole, 7 to 11 walked). From `walkFrom` on, walking the sales index is
 * cheaper: a common word's top tier alone holds thousands of its matches (新款, 女装: 4 ms walking
 * the sales index, 17 to 22 walking the tiers; 黑色, 66,000 estimated: 8 against 11).
 */
const TIER_WALK_FROM = 2_000;

/** The steps of the walk by default: the sales bands, each a tier and the tiers above it up to the band before. */
const BAND_STEP_ENDS = SALES_BANDS.map(salesTier);

/**
 * Whether the best-selling candidates are looked up band by band (`tierWalkSql`): when the
 * statistics expect between TIER_WALK_FROM matches and the point where walking the sales index is
 * cheaper. Undefined without statistics: then the floors or the planner's plan find them.
 *
 * The steps are the sales bands (`SALES_BANDS`), from the top, each looked up in its own word
 * index: a band's lookup costs a fraction of a millisecond on 1M products, so a band that falls
 * short costs little, and every band is tried in turn where the tier steps before were chosen from
 * the statistics to save lookups of the whole index (2.8 ms and more each).
 */
async function tierWalk(
  tx: Executor,
  o: { filters: SQL; tsq: SQL; terms: string[]; candidates: number; walk?: TierWalkOptions },
): Promise<TierSteps | undefined> {
  if (o.walk) return { filters: o.filters, tsq: o.tsq, ...o.walk };
  const stats = await searchStatistics(tx);
  if (!stats) return undefined;
  const matches = estimatedMatches(stats, o.terms);
  if (matches < TIER_WALK_FROM || matches >= walkFrom(o.candidates, stats.rows)) return undefined;
  return { filters: o.filters, tsq: o.tsq, stepEnds: BAND_STEP_ENDS };
}

/** The lowest sales of a tier (`salesTier`): 2^tier - 1. */
const tierFloor = (tier: number) => 2 ** tier - 1;

/**
 * The sales of each step, from the top, as SQL conditions on the sales count (`sales_count >= 8191
 * and sales_count < 32767`): the tiers from the one below the step before down to the step's end.
 * They are constants of the statement, so the planner sees which band index (`SALES_BANDS`) holds
 * the step; a step that is not a band is looked up in the whole index.
 */
function tierStepRanges(stepEnds: number[]): SQL[] {
  const steps: SQL[] = [];
  let from = TOP_SALES_TIER;
  for (const end of stepEnds) {
    if (end <= from) {
      const atLeast =
        end > 0 ? sql` and ${products.salesCount} >= ${sql.raw(String(tierFloor(end)))}` : sql``;
      const below =
        from < TOP_SALES_TIER
          ? sql` and ${products.salesCount} < ${sql.raw(String(tierFloor(from + 1)))}`
          : sql``;
      steps.push(sql`${atLeast}${below}`);
    }
    // Ends out of order look up nothing twice: a step starts below every tier before it.
    from = Math.min(from, end - 1);
  }
  return steps;
}

/**
 * `walked`: the `candidates` best-selling matches, found tier by tier, with their sales and their
 * words' score. Each step looks up the matches of its tiers (a range of sales) with the word index
 * and keeps their `candidates` best sellers; the walk stops once the steps so far hold the
 * candidates, and one last step reads every match below the last step's tiers. Every product of a
 * tier sells more than every product of the tiers below, so those are the best sellers of all the
 * matches; when the steps together hold fewer, they are all the matches.
 *
 * Each step is a branch of its own with its sales as constants, so a step that is a sales band is
 * looked up in the band's word index (`SALES_BANDS`), which holds only the band's products: the
 * lookup decodes the band's share of the words' entries. In the whole index, with the sales tier
 * words vectors once held (`s:16 | s:15`) as a condition, it decoded every product of the words and
 * of the tiers (纯棉 in 女装 with tiers 16 to 14: 10 to 17 ms; in the bands 16 and 15: 0.2 and 0.3
 * ms); migration 0011 removed those words. The score is
 * computed in the step, from the row it has read: the candidates are not read again.
 */
function tierWalkSql(t: TierSteps, candidates: number, words: SQL): SQL {
  const steps = tierStepRanges(t.stepEnds);
  const lowest = Math.max(0, Math.min(...t.stepEnds, TOP_SALES_TIER + 1));
  const last = steps.length + (lowest > 0 ? 1 : 0);
  // Below the lowest tier (at least 2^lowest - 1 sales): the last step, the words alone.
  if (lowest > 0) steps.push(sql` and ${products.salesCount} < ${sql.raw(String(tierFloor(lowest)))}`);
  const columns = sql`${products.id} as id, ${products.salesCount} as sales_count, ${products.searchVector} as search_vector`;
  // `offset 0` keeps each step a lookup of a word index, not a walk of the sales index; each
  // branch runs only on its own step (a condition on the step alone is checked before the scan).
  const branches = steps.map(
    (sales, i) => sql`select ${columns} from ${products}
            where w.step = ${sql.raw(String(i))} and ${t.filters}
              and ${products.searchVector} @@ ${t.tsq}${sales}`,
  );
  return sql`walk(step, found, ids, sales, scores) as (
      select 0, 0, array[]::text[], array[]::integer[], array[]::integer[]
      union all
      select w.step + 1, w.found + coalesce(cardinality(s.ids), 0), coalesce(s.ids, array[]::text[]),
        coalesce(s.sales, array[]::integer[]), coalesce(s.scores, array[]::integer[])
      from walk w
      cross join lateral (
        select array_agg(m.id order by m.sales_count desc, m.id desc) as ids,
          array_agg(m.sales_count order by m.sales_count desc, m.id desc) as sales,
          array_agg((ts_rank(m.search_vector, ${words}) * 1000000)::integer order by m.sales_count desc, m.id desc) as scores
        from (
          select a.id, a.sales_count, a.search_vector from (
            ${sql.join(branches, sql`\n            union all\n            `)}
            offset 0
          ) a
          order by a.sales_count desc, a.id desc
          limit ${candidates}
        ) m
      ) s
      where w.found < ${candidates} and w.step < ${last}
    ),
    walked as (
      select u.id, u.sales_count, u.score from walk,
        unnest(walk.ids, walk.sales, walk.scores) with ordinality as u(id, sales_count, score, n)
      order by walk.step, u.n
      limit ${candidates}
    )`;
}

/**
 * Relevance in two stretches: first the `candidates` best-selling matches (by priority,
 * sales, id), ranked by their words' score; then every other match, best sellers first (score -1 in
 * the cursor). Each stretch is keyset-paged, so the whole list holds every match exactly once.
 */
interface RelevanceQuery {
  matching: SQL;
  tsq: SQL;
  priority?: SQL;
  after?: SearchCursor;
  want: number;
  candidates: number;
}

async function byRelevance(
  tx: Executor,
  o: RelevanceQuery & { floors: number[]; tiers?: TierSteps },
): Promise<ListRow[]> {
  const { after, priority } = o;
  const b = after?.b ?? 0;
  let rows: ListRow[] = [];
  // Where the second stretch starts: after the last candidate, or after the cursor once in it.
  let edge: { b: number; c: number; id: string } | undefined =
    after && (after.s ?? 0) < 0 ? { b, c: after.c ?? 0, id: after.id } : undefined;
  if (!edge && o.tiers) {
    ({ rows, edge } = await rankedStretch(tx, { ...o, tiers: o.tiers }));
  } else if (!edge) {
    for (const floor of [...o.floors, undefined]) {
      const ranked = await rankedStretch(tx, { ...o, floor });
      // Fewer candidates above a floor than asked for: the best sellers may sell less; go lower.
      if (floor !== undefined && !ranked.edge) continue;
      rows = ranked.rows;
      edge = ranked.edge;
      break;
    }
  }
  if (rows.length < o.want && edge) {
    const tail = await pageRows(
      tx,
      and(
        o.matching,
        keysetBefore(
          priority,
          edge.b,
          [sql`${products.salesCount}`, sql`${products.id}`],
          [sql`${edge.c}::integer`, sql`${edge.id}`],
        ),
      ) as SQL,
      [
        ...(priority ? [sql`${priority} desc`] : []),
        descNullsLast(products.salesCount),
        descNullsLast(products.id),
      ],
      o.want - rows.length,
      priority,
    );
    for (const r of tail) rows.push({ ...r, score: -1 });
  }
  return rows;
}

/**
 * The ranked stretch's rows after the cursor, and its edge (the last candidate) when there are
 * `candidates` of them. With a floor, only matches selling at least that many are candidates: the
 * edge is then absent when fewer than `candidates` do, and the rows are not the stretch's.
 */
async function rankedStretch(
  tx: Executor,
  o: RelevanceQuery & { floor?: number; tiers?: TierSteps },
): Promise<{ rows: ListRow[]; edge?: { b: number; c: number; id: string } }> {
  const { after, priority } = o;
  const b = after?.b ?? 0;
  const keyset = after
    ? sql`where ${keysetBefore(
        priority ? sql`r.priority` : undefined,
        b,
        [sql`r.score`, sql`r.sales_count`, sql`r.id`],
        [sql`${after.s}::integer`, sql`${after.c}::integer`, sql`${after.id}`],
      )}`
    : sql``;
  const floor = o.floor === undefined ? sql`` : sql`and ${products.salesCount} >= ${o.floor}`;
  // The candidates carry only what ranking needs (an index holding these columns can serve
  // them without reading the table); the full rows are read for the page alone.
  // The tier walk scores its candidates as it finds them (`tierWalkSql`).
  const cand = o.tiers
    ? sql`${tierWalkSql(o.tiers, o.candidates, o.tsq)},
    cand as materialized (
      select id, sales_count, score, 0 as priority from walked
    ),
    r as (select * from cand),`
    : sql`cand as materialized (
      select ${products.id} as id, ${products.salesCount} as sales_count,
        ${products.searchVector} as search_vector, ${priority ?? sql`0`} as priority
      from ${products}
      where ${o.matching} ${floor}
      order by ${priority ? sql`${priority} desc, ` : sql``}${descNullsLast(products.salesCount)}, ${descNullsLast(products.id)}
      limit ${o.candidates}
    ),
    r as (
      select id, sales_count, priority, (ts_rank(search_vector, ${o.tsq}) * 1000000)::integer as score
      from cand
    ),`;
  const statement = sql`
    with ${o.tiers ? sql`recursive ` : sql``}${cand}
    top as (
      select * from r ${keyset}
      order by priority desc, score desc, sales_count desc, id desc
      limit ${o.want}
    )
    select * from (
      select 'ranked' as stretch, p.id, p.shop_id, p.title, p.images, p.min_price, p.max_price,
        p.sales_count, p.category_id, p.published_at, top.score, top.priority
      from top join ${products} p on p.id = top.id
      union all
      (select 'edge', id, null, null, null, null, null, sales_count, null, null, 0, priority
       from cand where (select count(*) from cand) = ${o.candidates}
       order by priority, sales_count, id
       limit 1)
    ) u
    order by stretch = 'edge', priority desc, score desc, sales_count desc, id desc`;
  const result = await tx.execute(statement);
  const rows: ListRow[] = [];
  let edge: { b: number; c: number; id: string } | undefined;
  for (const r of (result as unknown as { rows: Record<string, unknown>[] }).rows) {
    const row = fromRaw(r);
    if (r.stretch === 'edge') edge = { b: row.priority, c: row.salesCount, id: row.id };
    else rows.push(row);
  }
  return { rows, edge };
}

/** A row of the raw relevance statement, typed as the query builder would have. */
function fromRaw(r: Record<string, unknown>): ListRow {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const images = typeof r.images === 'string' ? JSON.parse(r.images) : r.images;
  return {
    id: r.id as string,
    shopId: r.shop_id as string,
    title: r.title as string,
    images: (images ?? []) as string[],
    minPrice: num(r.min_price),
    maxPrice: num(r.max_price),
    salesCount: Number(r.sales_count),
    categoryId: r.category_id as string,
    publishedAt: r.published_at ? new Date(r.published_at as string) : null,
    score: Number(r.score),
    priority: Number(r.priority),
  };
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
