import { and, eq, isNull, or, type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../../db';
import { invalidField } from '../../kernel/errors';
import { categories, products, SEARCH_EFFECTS, type SearchEffect, searchAdjustments } from './schema';

export interface SearchAdjustmentKey {
  shopId: string;
  /** Who set it (`penalty`, `quality_programme`...): each source keeps its own row. */
  source: string;
  /** Only this category and the ones beneath it; null or absent: every category. */
  categoryId?: string | null;
}

function keyWhere(input: SearchAdjustmentKey): SQL | undefined {
  return and(
    eq(searchAdjustments.shopId, input.shopId),
    eq(searchAdjustments.source, input.source),
    input.categoryId
      ? eq(searchAdjustments.categoryId, input.categoryId)
      : isNull(searchAdjustments.categoryId),
  );
}

/**
 * Hides, demotes or boosts a shop's products in search until `until` (null: until cleared). Sets or
 * replaces the row of this (shop, source, category).
 */
export async function setSearchAdjustment(
  tx: Executor,
  input: {
    shopId: string;
    source: string;
    categoryId?: string | null;
    effect: 'hidden' | 'demoted' | 'boosted';
    until?: Date | null;
  },
  now: Date,
): Promise<void> {
  if (!SEARCH_EFFECTS.includes(input.effect)) {
    throw invalidField('/effect', 'field.enum', { allowed: SEARCH_EFFECTS.join(', ') });
  }
  await tx
    .insert(searchAdjustments)
    .values({
      shopId: input.shopId,
      source: input.source,
      categoryId: input.categoryId ?? null,
      effect: input.effect,
      until: input.until ?? null,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoUpdate({
      target: [searchAdjustments.shopId, searchAdjustments.source, searchAdjustments.categoryId],
      set: { effect: input.effect, until: input.until ?? null, updatedAt: now },
    });
}

export async function clearSearchAdjustment(
  tx: Executor,
  input: { shopId: string; source: string; categoryId?: string | null },
  _now: Date,
): Promise<void> {
  await tx.delete(searchAdjustments).where(keyWhere(input));
}

const live = (now: Date) => or(isNull(searchAdjustments.until), sql`${searchAdjustments.until} > ${now}`);

/** The effects that have any row in force now: search skips the per-product checks of the others. */
export async function effectsInForce(tx: Executor, now: Date): Promise<Set<SearchEffect>> {
  const rows = await tx
    .selectDistinct({ effect: searchAdjustments.effect })
    .from(searchAdjustments)
    .where(live(now));
  return new Set(rows.map((r) => r.effect));
}

/** The adjustment row `a` covers the product row: same shop, in force, and its category (or all). */
const covers = (now: Date) => sql`a.shop_id = ${products.shopId}
  and (a.until is null or a.until > ${now})
  and (a.category_id is null or a.category_id = ${products.categoryId} or exists (
    select 1 from ${categories} c
    where c.id = ${products.categoryId} and position('/' || a.category_id || '/' in c.path) > 0))`;

/** True when no hiding adjustment covers the product. */
export function notHiddenSql(now: Date): SQL {
  return sql`not exists (select 1 from ${searchAdjustments} a where a.effect = 'hidden' and ${covers(now)})`;
}

/**
 * The product's place in search before any other order: 1 boosted, 0 neither, -1 demoted (a demotion
 * outweighs a boost).
 */
export function searchPrioritySql(now: Date): SQL<number> {
  return sql<number>`coalesce((select min(case a.effect when 'demoted' then -1 when 'boosted' then 1 end)
    from ${searchAdjustments} a where a.effect <> 'hidden' and ${covers(now)}), 0)`;
}
