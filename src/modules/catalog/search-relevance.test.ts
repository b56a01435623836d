import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { type SearchFilters, searchProducts } from './listing';
import { recordSales } from './products';
import { estimatedMatches, queryTerms, salesFloorFor, searchStatistics } from './search';
import { setSearchAdjustment } from './search-adjustments';
import { listProduct, makeCategories, makeShop, makeWarehouse } from './testing';

// Relevance ranks only the best-selling matches by their words (a bounded candidate set, so a
// common word in a big catalogue costs no more than a rare one); the other matches follow by sales.
describe('relevance over a bounded candidate set', () => {
  let ctx: TestContext;
  const P: Record<string, string> = {};
  const prices: Record<string, number> = {};
  let shop2: string;

  beforeAll(async () => {
    ctx = await makeTestApp();
    const cats = await makeCategories(ctx);
    const o1 = await signUp(ctx);
    const o2 = await signUp(ctx);
    const shop1 = await makeShop(ctx, o1, 'market');
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
      prices[key] = price;
      await recordSales(ctx.db, p.id, sales);
      await ctx.advance({ minutes: 1 });
    }
  });
  afterAll(async () => ctx.close());

  const name = (id: string) => Object.entries(P).find(([, v]) => v === id)?.[0] ?? id;
  /** Every page of the search, followed by cursor, as listing keys. */
  async function all(candidates: number, limit: number, salesFloors?: number[]): Promise<string[]> {
    const out: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const f: SearchFilters = { q: '连衣裙', limit, cursor };
      const r = await searchProducts(ctx.db, f, ctx.clock.now(), { candidates, salesFloors });
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
    // Titles and the category's name hold 连衣裙.
    expect(stats.wordShare.get('连衣裙')).toBeGreaterThan(0);
    expect(estimatedMatches(stats, queryTerms('连衣裙'))).toBeLessThanOrEqual(stats.rows);
    // A floor that a sixth of the products reach is one of their sales counts, at most the best.
    const floor = salesFloorFor(stats, 1 / 6);
    expect(floor).toBeGreaterThan(0);
    expect(floor).toBeLessThanOrEqual(100);
    expect(salesFloorFor(stats, 1)).toBeLessThanOrEqual(floor);
  });
});
