import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import type { Executor } from '../../db';
import { type SearchFilters, type SearchSort, searchProducts, type TierWalkOptions } from './listing';
import { recordSales, reindexProducts, updateSku } from './products';
import { SALES_BANDS } from './schema';
import {
  estimatedMatches,
  priceBucket,
  priceBucketSql,
  queryTerms,
  salesFloorFor,
  salesTier,
  searchStatistics,
} from './search';
import { setSearchAdjustment } from './search-adjustments';
import { listProduct, makeCategories, makeShop, makeWarehouse } from './testing';

// Relevance ranks only the best-selling matches by their words (a bounded candidate set, so a
// common word in a big catalogue costs no more than a rare one); the other matches follow by sales.
describe('relevance over a bounded candidate set', () => {
  let ctx: TestContext;
  const P: Record<string, string> = {};
  const prices: Record<string, number> = {};
  let shop1: string;
  let shop2: string;
  let cats: Awaited<ReturnType<typeof makeCategories>>;
  const skuOf: Record<string, string> = {};

  beforeAll(async () => {
    ctx = await makeTestApp();
    cats = await makeCategories(ctx);
    const o1 = await signUp(ctx);
    const o2 = await signUp(ctx);
    shop1 = await makeShop(ctx, o1, 'market');
    shop2 = await makeShop(ctx, o2, 'market');
    const w1 = await makeWarehouse(o1, shop1);
    const w2 = await makeWarehouse(o2, shop2);
    // key: title, shop, sales. "long" and "velvet" are in the 连衣裙 category without the word in
    // their titles: they match on the category name only and rank below every title match.
    // key: title, shop, sales, price.
    const listings: [string, string, 1 | 2, number, number][] = [
      ['floral', '碎花连衣裙', 1, 50, 19900],
      ['long', '法式长裙', 1, 100, 9900],
      ['strap', '吊带连衣裙', 1, 10, 9900],
      ['knit', '针织连衣裙', 1, 5, 5900],
      ['tea', '茶歇连衣裙', 2, 1, 29900],
      ['velvet', '丝绒长裙', 2, 0, 5900],
    ];
    for (const [key, title, shop, sales, price] of listings) {
      const p = await listProduct(shop === 1 ? o1 : o2, shop === 1 ? shop1 : shop2, {
        title,
        categoryId: cats.dresses.id,
        warehouseId: shop === 1 ? w1 : w2,
        price,
      });
      P[key] = p.id;
      skuOf[key] = p.skus[0]?.id as string;
      prices[key] = price;
      await recordSales(ctx.db, p.id, sales);
      await ctx.advance({ minutes: 1 });
    }
  });
  afterAll(async () => ctx.close());

  const name = (id: string) => Object.entries(P).find(([, v]) => v === id)?.[0] ?? id;
  /** Every page of the search, followed by cursor, as listing keys. */
  async function all(
    candidates: number,
    limit: number,
    salesFloors?: number[],
    tierWalk?: TierWalkOptions,
    extra: Partial<SearchFilters> = {},
  ): Promise<string[]> {
    const out: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const f: SearchFilters = { q: '连衣裙', ...extra, limit, cursor };
      const r = await searchProducts(ctx.db, f, ctx.clock.now(), { candidates, salesFloors, tierWalk });
      out.push(...r.items.map((i) => name(i.id)));
      if (!r.nextCursor) return out;
      cursor = r.nextCursor;
    }
    throw new Error('more than 20 pages');
  }

  it('ranks every match by its words while the matches fit in the candidate set', async () => {
    const ranked = await all(500, 100);
    expect(ranked).toHaveLength(6);
    // Title matches first, the category-only matches last, the better seller first among those.
    expect(ranked.slice(4)).toEqual(['long', 'velvet']);
    expect(ranked.slice(0, 4).sort()).toEqual(['floral', 'knit', 'strap', 'tea']);
  });

  it('ranks the best sellers by their words and lists the other matches after them by sales', async () => {
    // The 3 best sellers are long (100), floral (50), strap (10): ranked, long last of them.
    const bounded = await all(3, 100);
    expect(bounded.slice(3)).toEqual(['knit', 'tea', 'velvet']);
    expect(bounded[2]).toBe('long');
    expect(bounded.slice(0, 2).sort()).toEqual(['floral', 'strap']);
    // The same list page by page, each product exactly once, whether a page ends inside the ranked
    // stretch, at its edge or after it.
    for (const limit of [1, 2, 3, 4]) expect(await all(3, limit), `limit ${limit}`).toEqual(bounded);
    expect(await all(6, 1)).toEqual(await all(500, 100));
  });

  it('finds the same candidates above a sales floor, or below it when too few sell that much', async () => {
    // The 3 best sellers sell 100, 50 and 10: a floor of 10 or less holds them all; above it, too
    // few, and the search goes on below the floor. Either way the list is the one without floors.
    const bounded = await all(3, 100);
    for (const floors of [[0], [10], [11], [50, 5], [1000, 100, 10]]) {
      for (const limit of [1, 2, 3, 100]) {
        expect(await all(3, limit, floors), `floors ${floors} limit ${limit}`).toEqual(bounded);
      }
    }
  });

  /**
   * Tier walks: every tier alone; the tiers above 6 together, 6 to 3 alone, the rest in one step;
   * 31 to 6 together, 5 alone, the rest; 31 to 1 together, then 0; 31 alone, then the rest; and
   * steps of several tiers: 31 to 5, 4 to 3, the rest; 31 to 2, the rest; every tier in one step;
   * 31 to 6, 5 to 1, then 0; the rest alone (every match).
   */
  const WALKS: TierWalkOptions[] = [
    { stepEnds: [...Array(32).keys()].reverse() },
    { stepEnds: [7, 6, 5, 4, 3] },
    { stepEnds: [6, 5] },
    { stepEnds: [1, 0] },
    { stepEnds: [31] },
    { stepEnds: [5, 3] },
    { stepEnds: [2] },
    { stepEnds: [0] },
    { stepEnds: [6, 1] },
    { stepEnds: [] },
    // The sales bands (`SALES_BANDS`), as the storefront walks them: here every match is below them.
    { stepEnds: SALES_BANDS.map(salesTier) },
  ];

  it('finds the same candidates tier by tier, whatever steps the walk takes', async () => {
    // Sales 100, 50, 10, 5, 1 and 0 are tiers 6, 5, 3, 2, 1 and 0 (floor(log2(sales + 1))).
    expect([100, 50, 10, 5, 1, 0].map(salesTier)).toEqual([6, 5, 3, 2, 1, 0]);
    for (const candidates of [1, 3, 6, 500]) {
      const planned = await all(candidates, 100, []);
      for (const walk of WALKS) {
        for (const limit of [1, 2, 3, 100]) {
          const at = `candidates ${candidates} walk ${JSON.stringify(walk)} limit ${limit}`;
          expect(await all(candidates, limit, undefined, walk), at).toEqual(planned);
        }
      }
    }
    // Within the category (its filter word is looked up with the tiers), and under a price cap
    // that leaves some of each step's matches out.
    for (const extra of [
      { categoryId: cats.womens.id },
      { maxPrice: 9900 },
      { categoryId: cats.digital.id },
    ]) {
      const planned = await all(3, 100, [], undefined, extra);
      for (const walk of WALKS) {
        for (const limit of [1, 2, 100]) {
          const at = `${JSON.stringify(extra)} walk ${JSON.stringify(walk)} limit ${limit}`;
          expect(await all(3, limit, undefined, walk, extra), at).toEqual(planned);
        }
      }
    }
    // Under ¥99 the 3 best sellers are long, strap and knit: ranked, long (category only) last.
    const capped = await all(3, 100, [], undefined, { maxPrice: 9900 });
    expect([capped.slice(0, 2).sort(), capped.slice(2)]).toEqual([
      ['knit', 'strap'],
      ['long', 'velvet'],
    ]);
  });

  it('finds a product in its new sales tier when its sales cross a power of two, its vector untouched', async () => {
    const row = async (id: string) =>
      (
        (await ctx.db.execute(
          sql`select search_vector::text as v, sales_count as sales from products where id = ${id}`,
        )) as unknown as { rows: { v: string; sales: number }[] }
      ).rows[0];
    const strap = await row(P.strap as string);
    const floral = await row(P.floral as string);
    expect(strap?.v).not.toContain("'s:");
    // Strap (10) sells 50 more: 60, tier 5, now the second best seller. In one transaction, as trade
    // records a sale: only the count moves, and the vector is still the one a full rebuild makes.
    await ctx.db.transaction((tx) => recordSales(tx, P.strap as string, 50));
    try {
      expect(await row(P.strap as string)).toEqual({ v: strap?.v, sales: 60 });
      await reindexProducts(ctx.db, [P.strap as string]);
      expect((await row(P.strap as string))?.v).toBe(strap?.v);
      // The 3 best sellers are long (100), strap (60), floral (50): ranked, long (a category-only
      // match) last of them; then knit, tea, velvet by sales. The walk finds strap in its new tier.
      const planned = await all(3, 100, []);
      expect(planned.slice(3)).toEqual(['knit', 'tea', 'velvet']);
      expect(planned[2]).toBe('long');
      expect(planned.slice(0, 2).sort()).toEqual(['floral', 'strap']);
      for (const walk of WALKS) {
        for (const limit of [1, 2, 3, 100]) {
          expect(await all(3, limit, undefined, walk), `${JSON.stringify(walk)} limit ${limit}`).toEqual(
            planned,
          );
        }
      }
      // Floral drops from 50 to 0 (refunds of 80; the count stops at 0): tier 0, out of the
      // candidates, and after velvet (also 0, listed later). Knit (5) is a candidate now.
      await recordSales(ctx.db, P.floral as string, -80);
      expect(await row(P.floral as string)).toEqual({ v: floral?.v, sales: 0 });
      const after = await all(3, 100, []);
      expect(after[2]).toBe('long');
      expect(after.slice(0, 2).sort()).toEqual(['knit', 'strap']);
      expect(after.slice(3)).toEqual(['tea', 'velvet', 'floral']);
      for (const walk of WALKS) expect(await all(3, 2, undefined, walk), JSON.stringify(walk)).toEqual(after);
    } finally {
      await recordSales(ctx.db, P.strap as string, -50);
      await recordSales(ctx.db, P.floral as string, 50);
    }
    expect(await row(P.strap as string)).toEqual(strap);
    expect(await row(P.floral as string)).toEqual(floral);
  });

  it('sorts words by price, page by page, whether the head of the price order holds the page or not', async () => {
    const byPrice = (sort: 'price_asc' | 'price_desc') => {
      const keys = Object.keys(P).sort((a, b) => {
        const d =
          (prices[a] as number) - (prices[b] as number) || ((P[a] as string) < (P[b] as string) ? -1 : 1);
        return sort === 'price_asc' ? d : -d;
      });
      return keys;
    };
    for (const sort of ['price_asc', 'price_desc'] as const) {
      for (const limit of [1, 2, 3, 4, 100]) {
        const out: string[] = [];
        let cursor: string | undefined;
        for (let pages = 0; pages < 10; pages++) {
          const r = await searchProducts(ctx.db, { q: '连衣裙', sort, limit, cursor }, ctx.clock.now());
          out.push(...r.items.map((i) => name(i.id)));
          if (!r.nextCursor) break;
          cursor = r.nextCursor;
        }
        expect(out, `${sort} limit ${limit}`).toEqual(byPrice(sort));
      }
      // The words still decide what matches: 碎花 finds the floral dress alone.
      const one = await searchProducts(ctx.db, { q: '碎花', sort, limit: 5 }, ctx.clock.now());
      expect(one.items.map((i) => name(i.id))).toEqual(['floral']);
    }
  });

  /** Every page of a price-sorted search, followed by cursor, as listing keys. */
  async function byPricePages(
    f: Omit<SearchFilters, 'limit' | 'cursor'>,
    limit: number,
    stepProducts?: number,
  ) {
    const out: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const r = await searchProducts(
        ctx.db,
        { ...f, limit, cursor },
        ctx.clock.now(),
        stepProducts === undefined ? {} : { priceWalk: { stepProducts } },
      );
      out.push(...r.items.map((i) => name(i.id)));
      if (!r.nextCursor) return out;
      cursor = r.nextCursor;
    }
    throw new Error('more than 10 pages');
  }

  it('walks the price buckets in order, a bucket or all of them a step, in the category or not', async () => {
    const expected = (sort: SearchSort, keep: (k: string) => boolean) => {
      const keys = Object.keys(P)
        .filter(keep)
        .sort((a, b) => {
          const d =
            (prices[a] as number) - (prices[b] as number) || ((P[a] as string) < (P[b] as string) ? -1 : 1);
          return sort === 'price_asc' ? d : -d;
        });
      return keys;
    };
    // 5900, 9900, 19900 and 29900 fen fall in four buckets.
    expect(new Set(Object.values(prices).map(priceBucket)).size).toBe(4);
    for (const sort of ['price_asc', 'price_desc'] as const) {
      for (const stepProducts of [1, 3, 1_000_000]) {
        for (const limit of [1, 2, 3, 100]) {
          const at = `${sort} step ${stepProducts} limit ${limit}`;
          expect(await byPricePages({ q: '连衣裙', sort }, limit, stepProducts), at).toEqual(
            expected(sort, () => true),
          );
          // Within the category (its filter words), and within a price cap.
          expect(
            await byPricePages({ q: '连衣裙', sort, categoryId: cats.womens.id }, limit, stepProducts),
            at,
          ).toEqual(expected(sort, () => true));
          expect(
            await byPricePages({ q: '连衣裙', sort, categoryId: cats.digital.id }, limit, stepProducts),
            at,
          ).toEqual([]);
          expect(await byPricePages({ q: '连衣裙', sort, maxPrice: 9900 }, limit, stepProducts), at).toEqual(
            expected(sort, (k) => (prices[k] as number) <= 9900),
          );
          expect(await byPricePages({ q: '长裙', sort, minPrice: 9000 }, limit, stepProducts), at).toEqual([
            'long',
          ]);
        }
      }
    }
  });

  it('moves a product to its new price bucket when its price changes', async () => {
    // Knit (5900) becomes the dearest: the walk finds it in its new bucket, not the old one.
    await updateSku(ctx.db, shop1, P.knit as string, skuOf.knit as string, { price: 99900 }, ctx.clock.now());
    prices.knit = 99900;
    try {
      for (const stepProducts of [1, 1_000_000]) {
        const asc = await byPricePages({ q: '连衣裙', sort: 'price_asc' }, 2, stepProducts);
        expect(asc.at(-1)).toBe('knit');
        expect(asc).toHaveLength(6);
        expect((await byPricePages({ q: '连衣裙', sort: 'price_desc' }, 2, stepProducts))[0]).toBe('knit');
        expect(
          await byPricePages({ q: '连衣裙', sort: 'price_asc', maxPrice: 6000 }, 2, stepProducts),
        ).toEqual(['velvet']);
      }
    } finally {
      await updateSku(
        ctx.db,
        shop1,
        P.knit as string,
        skuOf.knit as string,
        { price: 5900 },
        ctx.clock.now(),
      );
      prices.knit = 5900;
    }
  });

  it('builds the filter words in the migration as a product write does', async () => {
    // The price bucket in SQL is the one in JavaScript, on either database.
    const fens = [
      0,
      1,
      2,
      3,
      4,
      5,
      7,
      8,
      9,
      990,
      4096,
      4990,
      5119,
      5120,
      19900,
      2 ** 40 + 12345,
      2 ** 53 - 1,
    ];
    const r = await ctx.db.execute(
      sql`select ${priceBucketSql(sql`f`)} as b from unnest(${sql.param(fens)}::bigint[]) with ordinality as u(f, n) order by n`,
    );
    expect((r as unknown as { rows: { b: number }[] }).rows.map((x) => Number(x.b))).toEqual(
      fens.map(priceBucket),
    );
    // Strip the filter words from the vectors, run the migration's statement: the same vectors.
    const vectors = async (db: Executor = ctx.db) =>
      (
        (await db.execute(
          sql`select id, search_vector::text as v from products where id in (${sql.join(
            Object.values(P).map((id) => sql`${id}`),
            sql`, `,
          )}) order by id`,
        )) as unknown as { rows: { id: string; v: string }[] }
      ).rows;
    const written = await vectors();
    expect(written[0]?.v).toContain(`'c:${cats.womens.id}'`);
    const strip = (tx: Executor, pattern: string) =>
      tx.execute(sql`update products set search_vector = ts_delete(search_vector,
        array(select u.lexeme from unnest(search_vector) u where u.lexeme similar to ${pattern}))`);
    const migration = (file: string) =>
      sql.raw(readFileSync(new URL(`../../../drizzle/${file}`, import.meta.url), 'utf8'));
    await ctx.db.transaction(async (tx) => {
      await strip(tx, '(c|p):%');
      expect((await vectors(tx))[0]?.v).not.toContain("'c:");
      await tx.execute(migration('0006_search_filter_terms.sql'));
    });
    expect(await vectors()).toEqual(written);
    // No sales tier word (`s:<tier>`) is written. Migration 0008 added one to every vector, 0011
    // takes them out again: the vectors are the ones written.
    expect(written.map((w) => w.v).join(' ')).not.toContain("'s:");
    await ctx.db.transaction(async (tx) => {
      await tx.execute(migration('0008_search_sales_tiers.sql'));
      expect((await vectors(tx)).map((w) => w.v).join(' ')).toContain(`'s:${salesTier(100)}'`);
      await tx.execute(migration('0011_search_drop_tier_words.sql'));
    });
    expect(await vectors()).toEqual(written);
    // 0011 rewrites only the rows holding a tier word: the others keep their row version (xmin).
    const versions = async () =>
      (
        (await ctx.db.execute(
          sql`select id, xmin::text as x from products where id in (${sql.join(
            Object.values(P).map((id) => sql`${id}`),
            sql`, `,
          )}) order by id`,
        )) as unknown as { rows: { id: string; x: string }[] }
      ).rows;
    await ctx.db.execute(
      sql`update products set search_vector = search_vector || array_to_tsvector(array['s:5']) where id = ${P.strap}`,
    );
    const before = await versions();
    await ctx.db.execute(migration('0011_search_drop_tier_words.sql'));
    expect(await vectors()).toEqual(written);
    const rewritten = (await versions()).filter((r, i) => r.x !== before[i]?.x).map((r) => r.id);
    expect(rewritten).toEqual([P.strap]);
  });

  it('takes boosted products into the candidate set first', async () => {
    await setSearchAdjustment(
      ctx.db,
      { shopId: shop2, source: 'quality_programme', effect: 'boosted' },
      ctx.clock.now(),
    );
    // Boosted tea and velvet, then the best seller long: ranked; the rest by sales.
    const bounded = await all(3, 100);
    expect(bounded).toEqual(['tea', 'velvet', 'long', 'floral', 'strap', 'knit']);
    for (const limit of [1, 2, 4]) expect(await all(3, limit), `limit ${limit}`).toEqual(bounded);
    // A sales floor would leave out the boosted products that sell little: it is not used.
    expect(await all(3, 100, [50])).toEqual(bounded);
    const ranked = await all(500, 100);
    expect(ranked.slice(0, 2)).toEqual(['tea', 'velvet']);
    expect(ranked.slice(5)).toEqual(['long']);
  });

  it('reads word shares and the spread of sales from the database statistics', async () => {
    await ctx.db.execute(sql`analyze products`);
    // A time past the cache's life, so the statistics are read again after the analyze.
    const stats = await searchStatistics(ctx.db, Date.now() + 3_600_000);
    expect(stats?.rows).toBeGreaterThanOrEqual(6);
    if (!stats) return;
    // Titles and the category's name hold 连衣裙; no sales tier word is left for them to count.
    expect(stats.wordShare.get('连衣裙')).toBeGreaterThan(0);
    expect([...stats.wordShare.keys()].filter((w) => w.startsWith('s:'))).toEqual([]);
    expect(estimatedMatches(stats, queryTerms('连衣裙'))).toBeLessThanOrEqual(stats.rows);
    // A floor that a sixth of the products reach is one of their sales counts, at most the best.
    const floor = salesFloorFor(stats, 1 / 6);
    expect(floor).toBeGreaterThan(0);
    expect(floor).toBeLessThanOrEqual(100);
    expect(salesFloorFor(stats, 1)).toBeLessThanOrEqual(floor);
  });
});

// The best sellers are looked up band by band, each band in a word index of its own that holds only
// its products (migration 0010): a product whose sales cross a band's edge moves to the next band's
// index with the update that records them, so the walk finds it there.
describe('the walk of the sales bands', () => {
  let ctx: TestContext;
  const P: Record<string, string> = {};

  beforeAll(async () => {
    ctx = await makeTestApp();
    const cats = await makeCategories(ctx);
    const owner = await signUp(ctx);
    const shop = await makeShop(ctx, owner, 'market');
    const warehouseId = await makeWarehouse(owner, shop);
    // key: title, sales: one in each band, one on each side of the lowest band's edge, and none.
    const listings: [string, string, number][] = [
      ['top', '碎花连衣裙', 70_000],
      ['second', '吊带连衣裙', 40_000],
      ['third', '针织连衣裙', 9_000],
      ['fourth', '茶歇连衣裙', 2_047],
      ['under', '法式长裙', 2_046],
      ['none', '丝绒长裙', 0],
    ];
    for (const [key, title, sales] of listings) {
      const p = await listProduct(owner, shop, {
        title,
        categoryId: cats.dresses.id,
        warehouseId,
        price: 9900,
      });
      P[key] = p.id;
      await recordSales(ctx.db, p.id, sales);
      await ctx.advance({ minutes: 1 });
    }
  });
  afterAll(async () => ctx.close());

  const name = (id: string) => Object.entries(P).find(([, v]) => v === id)?.[0] ?? id;
  async function all(candidates: number, limit: number, tierWalk?: TierWalkOptions): Promise<string[]> {
    const out: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const f: SearchFilters = { q: '连衣裙', limit, cursor };
      const r = await searchProducts(ctx.db, f, ctx.clock.now(), { candidates, salesFloors: [], tierWalk });
      out.push(...r.items.map((i) => name(i.id)));
      if (!r.nextCursor) return out;
      cursor = r.nextCursor;
    }
    throw new Error('more than 20 pages');
  }

  it('finds the same candidates band by band as among every match', async () => {
    // Each band starts at the lowest sales of a tier, so a band is whole tiers.
    for (const floor of SALES_BANDS) expect(salesTier(floor - 1)).toBe(salesTier(floor) - 1);
    const bands = { stepEnds: SALES_BANDS.map(salesTier) };
    for (const candidates of [1, 2, 3, 4, 5, 6, 500]) {
      const planned = await all(candidates, 100);
      for (const limit of [1, 2, 100]) {
        expect(await all(candidates, limit, bands), `candidates ${candidates} limit ${limit}`).toEqual(
          planned,
        );
      }
    }
    // The 2 best sellers, top and second, ranked by their words (title matches alike): by sales.
    expect((await all(2, 100, bands)).slice(0, 2)).toEqual(['top', 'second']);
  });

  it('moves a product between the bands as its sales cross their edges', async () => {
    const bands = { stepEnds: SALES_BANDS.map(salesTier) };
    // under (2,046) moves into the lowest band, then above every other: the best seller.
    await recordSales(ctx.db, P.under as string, 1);
    await recordSales(ctx.db, P.under as string, 100_000);
    expect((await all(1, 100, bands))[0]).toBe('under');
    expect(await all(3, 100, bands)).toEqual(await all(3, 100));
    // Back to 2,046, just below every band (returns): the walk's last step finds it. It and none
    // match on the category alone and rank last, the better seller first.
    await recordSales(ctx.db, P.under as string, -100_001);
    expect(await all(3, 100, bands)).toEqual(await all(3, 100));
    expect((await all(6, 100, bands)).slice(-2)).toEqual(['under', 'none']);
  });
});
