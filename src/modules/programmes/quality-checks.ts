import { and, eq, gt, inArray, lte, sql } from 'drizzle-orm';
import type { Executor } from '../../db';
import { invalidField } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { getCategory, getPublishedProductView } from '../catalog';
import { getShop } from '../merchants';
import { qualityChecks } from './schema';
import './messages';

export type QualityCheck = typeof qualityChecks.$inferSelect;

/** An operator's record of a quality inspection of a shop's goods in a category (optionally one product). */
export async function recordQualityCheck(
  tx: Executor,
  input: {
    shopId: string;
    categoryId: string;
    productId?: string | null;
    passed: boolean;
    note?: string | null;
    inspectedAt?: Date;
    recordedBy: string;
  },
  now: Date,
): Promise<QualityCheck> {
  const inspectedAt = input.inspectedAt ?? now;
  if (inspectedAt > now) throw invalidField('/inspectedAt', 'field.not_in_future');
  if (!(await getShop(tx, input.shopId))) throw invalidField('/shopId', 'field.shop_not_found');
  if (!(await getCategory(tx, input.categoryId))) {
    throw invalidField('/categoryId', 'field.category_not_found');
  }
  if (input.productId) {
    const product = await getPublishedProductView(tx, input.productId);
    if (!product || product.shopId !== input.shopId) {
      throw invalidField('/productId', 'field.product_not_in_shop');
    }
  }
  const [row] = await tx
    .insert(qualityChecks)
    .values({
      id: newId('qc'),
      shopId: input.shopId,
      categoryId: input.categoryId,
      productId: input.productId ?? null,
      passed: input.passed,
      note: input.note ?? null,
      inspectedAt,
      recordedBy: input.recordedBy,
      createdAt: now,
    })
    .returning();
  return row!;
}

/** Inspections of a shop in these categories in (since, until]: how many, how many failed. */
export async function qualityCheckTally(
  tx: Executor,
  input: { shopId: string; categoryIds: string[]; since: Date; until: Date },
): Promise<{ total: number; failed: number }> {
  if (input.categoryIds.length === 0) return { total: 0, failed: 0 };
  const [row] = await tx
    .select({
      total: sql<number>`count(*)::int`,
      failed: sql<number>`count(*) filter (where not ${qualityChecks.passed})::int`,
    })
    .from(qualityChecks)
    .where(
      and(
        eq(qualityChecks.shopId, input.shopId),
        inArray(qualityChecks.categoryId, input.categoryIds),
        gt(qualityChecks.inspectedAt, input.since),
        lte(qualityChecks.inspectedAt, input.until),
      ),
    );
  return { total: Number(row?.total ?? 0), failed: Number(row?.failed ?? 0) };
}
