import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db';
import { shippedUnitsByShop } from '../trade';
import { refundLines, refunds } from './schema';

/**
 * Return rates in a category over [since, until): units returned and refunded (return-and-refund
 * requests refunded in the window) over units shipped in the window, per shop, and the category's
 * average over every shop that shipped in it. A shop that shipped nothing there has no rate.
 */
export async function returnRates(
  tx: Executor,
  input: { categoryId: string; since: Date; until: Date },
): Promise<{ byShop: Map<string, number>; categoryAverage: number | null }> {
  const shipped = await shippedUnitsByShop(tx, input);
  const rows = await tx
    .select({ shopId: refunds.shopId, units: sql<number>`sum(${refundLines.quantity})::int` })
    .from(refundLines)
    .innerJoin(refunds, eq(refunds.id, refundLines.refundId))
    .where(
      and(
        eq(refundLines.categoryId, input.categoryId),
        eq(refunds.kind, 'return_refund'),
        eq(refunds.status, 'refunded'),
        sql`${refunds.refundedAt} >= ${input.since.toISOString()}::timestamptz`,
        sql`${refunds.refundedAt} < ${input.until.toISOString()}::timestamptz`,
      ),
    )
    .groupBy(refunds.shopId);
  const returned = new Map(rows.map((r) => [r.shopId, Number(r.units)]));
  const byShop = new Map<string, number>();
  let allShipped = 0;
  let allReturned = 0;
  for (const [shopId, units] of shipped) {
    if (units <= 0) continue;
    const back = Math.min(returned.get(shopId) ?? 0, units);
    byShop.set(shopId, back / units);
    allShipped += units;
    allReturned += back;
  }
  return { byShop, categoryAverage: allShipped === 0 ? null : allReturned / allShipped };
}
