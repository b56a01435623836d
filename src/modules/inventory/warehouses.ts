import { and, asc, eq, gt, inArray } from 'drizzle-orm';
import type { Executor } from '../../db';
import { AppError, type FieldError } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { page } from '../../kernel/pagination';
import { warehouses } from './schema';
import './messages';

export type Warehouse = typeof warehouses.$inferSelect;

export async function createWarehouse(
  tx: Executor,
  shopId: string,
  input: { name: string; region: string },
  now: Date,
): Promise<Warehouse> {
  const errors: FieldError[] = (['name', 'region'] as const)
    .filter((f) => input[f].trim() === '')
    .map((f) => ({ path: `/${f}`, in: 'body', code: 'field.minLength', params: { limit: 1 } }));
  if (errors.length) throw new AppError(400, 'validation_failed', {}, errors, 'validation_failed_detail');
  const [row] = await tx
    .insert(warehouses)
    .values({
      id: newId('wh'),
      shopId,
      name: input.name.trim(),
      region: input.region.trim(),
      createdAt: now,
    })
    .returning();
  return row!;
}

export async function getWarehouse(
  tx: Executor,
  shopId: string,
  warehouseId: string,
): Promise<Warehouse | undefined> {
  const [row] = await tx
    .select()
    .from(warehouses)
    .where(and(eq(warehouses.id, warehouseId), eq(warehouses.shopId, shopId)));
  return row;
}

/** Which of these ids are warehouses of this shop (another shop's id is simply absent). */
export async function findShopWarehouses(
  tx: Executor,
  shopId: string,
  warehouseIds: string[],
): Promise<Set<string>> {
  if (warehouseIds.length === 0) return new Set();
  const rows = await tx
    .select({ id: warehouses.id })
    .from(warehouses)
    .where(and(eq(warehouses.shopId, shopId), inArray(warehouses.id, [...new Set(warehouseIds)])));
  return new Set(rows.map((r) => r.id));
}

export async function listWarehouses(tx: Executor, shopId: string, opts: { after?: string; limit: number }) {
  const rows = await tx
    .select()
    .from(warehouses)
    .where(and(eq(warehouses.shopId, shopId), opts.after ? gt(warehouses.id, opts.after) : undefined))
    .orderBy(asc(warehouses.id))
    .limit(opts.limit + 1);
  return page(rows, opts.limit, (w) => ({ id: w.id }));
}
