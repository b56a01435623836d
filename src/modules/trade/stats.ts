import { and, eq, gte, inArray, lt, ne, sql } from 'drizzle-orm';
import type { Executor } from '../../db';
import { orderLines, orders } from './schema';

// Sales figures other modules judge shops by (quality programmes, rankings). A sale counts when its
// order was paid in [since, until) and has not closed (closed after payment means refunded in full
// or never shipped); the amount is the sum of its lines' totals.

const soldIn = (since: Date, until: Date) =>
  and(
    gte(orders.paidAt, since),
    lt(orders.paidAt, until),
    ne(orders.status, 'closed'),
    ne(orders.status, 'awaiting_payment'),
  );

/** A shop's gross merchandise value (fen) per category of the lines sold in the window. */
export async function shopGmvByCategory(
  tx: Executor,
  shopId: string,
  since: Date,
  until: Date,
): Promise<Map<string, number>> {
  const rows = await tx
    .select({
      categoryId: orderLines.categoryId,
      gmv: sql<string>`sum(${orderLines.lineTotal})`,
    })
    .from(orderLines)
    .innerJoin(orders, eq(orders.id, orderLines.orderId))
    .where(and(eq(orders.shopId, shopId), soldIn(since, until)))
    .groupBy(orderLines.categoryId);
  return new Map(rows.map((r) => [r.categoryId, Number(r.gmv)]));
}

/** The shops that sold something in any of these categories in the window, by id. */
export async function shopsWithSales(
  tx: Executor,
  input: { categoryIds: string[]; since: Date; until: Date },
): Promise<string[]> {
  if (input.categoryIds.length === 0) return [];
  const rows = await tx
    .selectDistinct({ shopId: orders.shopId })
    .from(orders)
    .innerJoin(orderLines, eq(orderLines.orderId, orders.id))
    .where(and(inArray(orderLines.categoryId, input.categoryIds), soldIn(input.since, input.until)))
    .orderBy(orders.shopId);
  return rows.map((r) => r.shopId);
}
