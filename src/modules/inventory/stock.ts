import { and, asc, desc, eq, gt, lt, or, sql } from 'drizzle-orm';
import type { Executor } from '../../db';
import { p, statement } from '../../db/statements';
import { AppError, type FieldError, invalidField } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { emit } from '../../kernel/outbox';
import { page } from '../../kernel/pagination';
import { getSkuForSale } from '../catalog';
import { type AdjustmentReason, type MovementReason, stock, stockMovements, warehouses } from './schema';
import { findShopWarehouses, getWarehouse } from './warehouses';
import './messages';

export type StockLevel = typeof stock.$inferSelect;
export type StockMovement = typeof stockMovements.$inferSelect;

export async function recordMovement(
  tx: Executor,
  m: {
    shopId: string;
    skuId: string;
    warehouseId: string;
    deltaOnHand: number;
    deltaReserved: number;
    reason: MovementReason;
    ref?: string | null;
    note?: string | null;
    actorId?: string | null;
  },
  now: Date,
): Promise<string> {
  const id = newId('mv');
  await tx.insert(stockMovements).values({
    id,
    shopId: m.shopId,
    skuId: m.skuId,
    warehouseId: m.warehouseId,
    deltaOnHand: m.deltaOnHand,
    deltaReserved: m.deltaReserved,
    reason: m.reason,
    ref: m.ref ?? null,
    note: m.note ?? null,
    actorId: m.actorId ?? null,
    createdAt: now,
  });
  return id;
}

/**
 * Opening stock of a new SKU, in the caller's transaction (the product and its SKUs are created in
 * the same one). Every warehouse must be the shop's own; `path` is where the lines sit in the
 * caller's request, so a foreign warehouse is reported at e.g. `/skus/2/stock/0/warehouseId`.
 */
export async function setInitialStock(
  tx: Executor,
  shopId: string,
  skuId: string,
  lines: { warehouseId: string; quantity: number }[],
  now: Date,
  opts: { path?: string; actorId?: string | null } = {},
): Promise<void> {
  if (lines.length === 0) return;
  const path = opts.path ?? '/stock';
  const owned = await findShopWarehouses(
    tx,
    shopId,
    lines.map((l) => l.warehouseId),
  );
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  lines.forEach((line, i) => {
    if (!owned.has(line.warehouseId)) {
      errors.push({ path: `${path}/${i}/warehouseId`, in: 'body', code: 'field.warehouse_not_found' });
    } else if (seen.has(line.warehouseId)) {
      errors.push({ path: `${path}/${i}/warehouseId`, in: 'body', code: 'field.uniqueItems' });
    }
    if (!Number.isSafeInteger(line.quantity) || line.quantity < 0) {
      errors.push({ path: `${path}/${i}/quantity`, in: 'body', code: 'field.minimum', params: { limit: 0 } });
    }
    seen.add(line.warehouseId);
  });
  if (errors.length) throw new AppError(400, 'validation_failed', {}, errors, 'validation_failed_detail');

  await tx
    .insert(stock)
    .values(
      lines.map((l) => ({
        skuId,
        warehouseId: l.warehouseId,
        shopId,
        onHand: l.quantity,
        reserved: 0,
        updatedAt: now,
      })),
    )
    .onConflictDoUpdate({
      target: [stock.skuId, stock.warehouseId],
      set: { onHand: sql`${stock.onHand} + excluded.on_hand`, updatedAt: now },
    });
  for (const l of lines) {
    if (l.quantity === 0) continue;
    await recordMovement(
      tx,
      {
        shopId,
        skuId,
        warehouseId: l.warehouseId,
        deltaOnHand: l.quantity,
        deltaReserved: 0,
        reason: 'initial',
        actorId: opts.actorId,
      },
      now,
    );
  }
}

/** Which way each reason may move stock: goods received or returned come in, damaged goods go out. */
export function checkAdjustment(delta: number, reason: AdjustmentReason): void {
  if (delta === 0) throw invalidField('/delta', 'field.delta_zero');
  if ((reason === 'receipt' || reason === 'return') && delta < 0) {
    throw invalidField('/delta', 'field.delta_positive', { reason });
  }
  if (reason === 'damage' && delta > 0) throw invalidField('/delta', 'field.delta_negative', { reason });
}

export interface AdjustmentInput {
  skuId: string;
  warehouseId: string;
  delta: number;
  reason: AdjustmentReason;
  note?: string | null;
  actorId?: string | null;
}

/**
 * A manual change of the goods on hand (a delivery received, a stock count, breakage). On-hand stock
 * may never fall below what orders have reserved: that is one conditional UPDATE, so a reservation
 * landing at the same moment cannot slip underneath it.
 */
export async function adjustStock(
  tx: Executor,
  shopId: string,
  input: AdjustmentInput,
  now: Date,
): Promise<{ movementId: string; level: StockLevel }> {
  checkAdjustment(input.delta, input.reason);
  if (!(await getWarehouse(tx, shopId, input.warehouseId))) {
    throw new AppError(404, 'warehouse_not_found', {}, [
      { path: '/warehouseId', in: 'body', code: 'field.warehouse_not_found' },
    ]);
  }
  const sku = await getSkuForSale(tx, input.skuId);
  if (!sku || sku.shopId !== shopId) {
    throw new AppError(404, 'sku_not_found', {}, [
      { path: '/skuId', in: 'body', code: 'field.sku_not_found' },
    ]);
  }

  let level: StockLevel | undefined;
  if (input.delta > 0) {
    [level] = await tx
      .insert(stock)
      .values({
        skuId: input.skuId,
        warehouseId: input.warehouseId,
        shopId,
        onHand: input.delta,
        reserved: 0,
        updatedAt: now,
      })
      .onConflictDoUpdate({
        target: [stock.skuId, stock.warehouseId],
        set: { onHand: sql`${stock.onHand} + ${input.delta}`, updatedAt: now },
      })
      .returning();
  } else {
    [level] = await tx
      .update(stock)
      .set({ onHand: sql`${stock.onHand} + ${input.delta}`, updatedAt: now })
      .where(
        and(
          eq(stock.skuId, input.skuId),
          eq(stock.warehouseId, input.warehouseId),
          eq(stock.shopId, shopId),
          sql`${stock.onHand} + ${input.delta} >= ${stock.reserved}`,
        ),
      )
      .returning();
    if (!level) {
      const [current] = await tx
        .select()
        .from(stock)
        .where(and(eq(stock.skuId, input.skuId), eq(stock.warehouseId, input.warehouseId)));
      throw new AppError(409, 'stock_below_reserved', {
        onHand: (current?.onHand ?? 0) + input.delta,
        reserved: current?.reserved ?? 0,
      });
    }
  }
  const movementId = await recordMovement(
    tx,
    {
      shopId,
      skuId: input.skuId,
      warehouseId: input.warehouseId,
      deltaOnHand: input.delta,
      deltaReserved: 0,
      reason: input.reason,
      note: input.note?.trim() || null,
      actorId: input.actorId,
    },
    now,
  );
  await emit(
    tx,
    'stock.adjusted',
    {
      shopId,
      skuId: input.skuId,
      warehouseId: input.warehouseId,
      delta: input.delta,
      reason: input.reason,
      onHand: level!.onHand,
      reserved: level!.reserved,
      movementId,
    },
    { key: input.skuId, at: now },
  );
  return { movementId, level: level! };
}

/** Sellable units per SKU, summed over every warehouse; SKUs without stock rows answer 0. */
// Every cart view runs this: built once (see statement()).
const availableOf = statement((db) =>
  db
    .select({
      skuId: stock.skuId,
      available: sql<number>`sum(${stock.onHand} - ${stock.reserved})::int`,
    })
    .from(stock)
    .where(sql`${stock.skuId} = any(${p('skuIds')}::text[])`)
    .groupBy(stock.skuId),
);

export async function availableBySku(tx: Executor, skuIds: string[]): Promise<Map<string, number>> {
  const result = new Map<string, number>(skuIds.map((id) => [id, 0]));
  if (skuIds.length === 0) return result;
  const rows = await availableOf(tx, { skuIds: [...new Set(skuIds)] });
  for (const r of rows) result.set(r.skuId, Number(r.available));
  return result;
}

export async function listStock(
  tx: Executor,
  shopId: string,
  opts: {
    skuId?: string;
    warehouseId?: string;
    after?: { skuId: string; warehouseId: string };
    limit: number;
  },
) {
  const rows = await tx
    .select({
      skuId: stock.skuId,
      warehouseId: stock.warehouseId,
      warehouseName: warehouses.name,
      onHand: stock.onHand,
      reserved: stock.reserved,
      updatedAt: stock.updatedAt,
    })
    .from(stock)
    .innerJoin(warehouses, eq(warehouses.id, stock.warehouseId))
    .where(
      and(
        eq(stock.shopId, shopId),
        opts.skuId ? eq(stock.skuId, opts.skuId) : undefined,
        opts.warehouseId ? eq(stock.warehouseId, opts.warehouseId) : undefined,
        opts.after
          ? or(
              gt(stock.skuId, opts.after.skuId),
              and(eq(stock.skuId, opts.after.skuId), gt(stock.warehouseId, opts.after.warehouseId)),
            )
          : undefined,
      ),
    )
    .orderBy(asc(stock.skuId), asc(stock.warehouseId))
    .limit(opts.limit + 1);
  return page(rows, opts.limit, (r) => ({ skuId: r.skuId, warehouseId: r.warehouseId }));
}

/** The shop's stock movements, newest first. */
export async function listMovements(
  tx: Executor,
  shopId: string,
  opts: { skuId?: string; warehouseId?: string; before?: string; limit: number },
) {
  const rows = await tx
    .select()
    .from(stockMovements)
    .where(
      and(
        eq(stockMovements.shopId, shopId),
        opts.skuId ? eq(stockMovements.skuId, opts.skuId) : undefined,
        opts.warehouseId ? eq(stockMovements.warehouseId, opts.warehouseId) : undefined,
        opts.before ? lt(stockMovements.id, opts.before) : undefined,
      ),
    )
    .orderBy(desc(stockMovements.id))
    .limit(opts.limit + 1);
  return page(rows, opts.limit, (r) => ({ id: r.id }));
}
