import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { AppError, toProblem } from '../../kernel/errors';
import { makeCategories, makeShop, makeWarehouse } from '../catalog/testing';
import { commitReservation, releaseReservation, reserveStock } from './reservations';
import { reservations, stock, stockMovements } from './schema';
import { adjustStock, availableBySku } from './stock';

let ctx: TestContext;
let owner: Client & { accountId: string };
let shopId: string;
let categoryId: string;
let hangzhou: string;
let guangzhou: string;

beforeAll(async () => {
  // 200 transactions at once: give PostgreSQL a pool wide enough that they really overlap.
  ctx = await makeTestApp({}, { poolSize: 40 });
  categoryId = (await makeCategories(ctx)).headphones.id;
  owner = await signUp(ctx);
  shopId = await makeShop(ctx, owner);
  hangzhou = await makeWarehouse(owner, shopId, '杭州仓', '浙江省杭州市');
  guangzhou = await makeWarehouse(owner, shopId, '广州仓', '广东省广州市');
});
afterAll(async () => ctx.close());

let n = 0;
let lastProductId = '';
/** A published SKU with this opening stock per warehouse; answers its id. */
async function skuWith(lines: { warehouseId: string; quantity: number }[]): Promise<string> {
  const r = await owner.post(`/seller/shops/${shopId}/products`, {
    title: `无线蓝牙耳机 ${++n}`,
    categoryId,
    skus: [{ code: `BT-${n}-${Date.now()}`, attributes: {}, price: 19900, stock: lines }],
  });
  expect(r.status).toBe(201);
  expect((await owner.post(`/seller/shops/${shopId}/products/${r.body.id}/publish`)).status).toBe(200);
  lastProductId = r.body.id;
  return r.body.skus[0].id;
}

async function levels(skuId: string) {
  const rows = await ctx.db.select().from(stock).where(eq(stock.skuId, skuId));
  return Object.fromEntries(rows.map((r) => [r.warehouseId, { onHand: r.onHand, reserved: r.reserved }]));
}

const now = () => ctx.clock.now();

describe('reserveStock', () => {
  it('holds units in the warehouse with the most available, recording the reservation and the movement', async () => {
    const skuId = await skuWith([
      { warehouseId: hangzhou, quantity: 3 },
      { warehouseId: guangzhou, quantity: 8 },
    ]);
    const r = await ctx.db.transaction((tx) =>
      reserveStock(tx, { shopId, skuId, quantity: 5, ref: 'order_1', now: now() }),
    );
    expect(r).toMatchObject({
      shopId,
      skuId,
      warehouseId: guangzhou,
      quantity: 5,
      ref: 'order_1',
      status: 'held',
    });
    expect(await levels(skuId)).toEqual({
      [hangzhou]: { onHand: 3, reserved: 0 },
      [guangzhou]: { onHand: 8, reserved: 5 },
    });
    expect((await availableBySku(ctx.db, [skuId, 'sku_unknown'])).get(skuId)).toBe(6);
    expect((await availableBySku(ctx.db, ['sku_unknown'])).get('sku_unknown')).toBe(0);
    const moves = await ctx.db
      .select()
      .from(stockMovements)
      .where(and(eq(stockMovements.skuId, skuId), eq(stockMovements.reason, 'reserve')));
    expect(moves).toEqual([
      expect.objectContaining({ warehouseId: guangzhou, deltaOnHand: 0, deltaReserved: 5, ref: r.id }),
    ]);
    // The storefront shows what is left to sell.
    const page = await client(ctx.app).get(`/products/${lastProductId}`);
    expect(page.body.skus[0]).toMatchObject({ id: skuId, available: 6 });
  });

  it('refuses with 409 insufficient_stock naming the SKU in both languages, and holds nothing', async () => {
    const skuId = await skuWith([
      { warehouseId: hangzhou, quantity: 3 },
      { warehouseId: guangzhou, quantity: 4 },
    ]);
    // 7 units in total, but an order line ships from one warehouse.
    const error = await ctx.db
      .transaction((tx) => reserveStock(tx, { shopId, skuId, quantity: 5, ref: 'order_2', now: now() }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ status: 409, code: 'insufficient_stock' });
    const zh = toProblem(error as AppError, 'zh-CN');
    const en = toProblem(error as AppError, 'en');
    expect(zh.title).toBe(`SKU ${skuId} 库存不足：需要 5 件，单个仓库最多可售 4 件`);
    expect(en.title).toBe(
      `Not enough stock for SKU ${skuId}: 5 wanted, at most 4 available in one warehouse`,
    );
    expect(await levels(skuId)).toEqual({
      [hangzhou]: { onHand: 3, reserved: 0 },
      [guangzhou]: { onHand: 4, reserved: 0 },
    });
    // Another shop's id finds nothing to reserve.
    const foreign = await reserveStock(ctx.db, {
      shopId: 'shop_other',
      skuId,
      quantity: 1,
      ref: 'x',
      now: now(),
    }).catch((e: AppError) => e);
    expect(foreign).toMatchObject({ status: 409, code: 'insufficient_stock' });
    const zero = await reserveStock(ctx.db, { shopId, skuId, quantity: 0, ref: 'x', now: now() }).catch(
      (e: AppError) => e,
    );
    expect(zero).toMatchObject({ status: 400 });
  });

  it('releases and commits exactly once each, refusing to do one after the other', async () => {
    const skuId = await skuWith([{ warehouseId: hangzhou, quantity: 10 }]);
    const a = await reserveStock(ctx.db, { shopId, skuId, quantity: 4, ref: 'order_a', now: now() });
    const b = await reserveStock(ctx.db, { shopId, skuId, quantity: 3, ref: 'order_b', now: now() });
    expect(await levels(skuId)).toEqual({ [hangzhou]: { onHand: 10, reserved: 7 } });

    const released = await ctx.db.transaction((tx) => releaseReservation(tx, a.id, now()));
    expect(released.status).toBe('released');
    const again = await releaseReservation(ctx.db, a.id, now());
    expect(again.status).toBe('released');
    expect(await levels(skuId)).toEqual({ [hangzhou]: { onHand: 10, reserved: 3 } });
    await expect(commitReservation(ctx.db, a.id, now())).rejects.toMatchObject({
      status: 409,
      code: 'reservation_already_released',
    });

    const committed = await commitReservation(ctx.db, b.id, now());
    expect(committed.status).toBe('committed');
    expect((await commitReservation(ctx.db, b.id, now())).status).toBe('committed');
    expect(await levels(skuId)).toEqual({ [hangzhou]: { onHand: 7, reserved: 0 } });
    await expect(releaseReservation(ctx.db, b.id, now())).rejects.toMatchObject({
      status: 409,
      code: 'reservation_already_committed',
    });
    await expect(releaseReservation(ctx.db, 'rsv_missing', now())).rejects.toMatchObject({ status: 404 });

    const moves = await ctx.db
      .select({
        reason: stockMovements.reason,
        dOn: stockMovements.deltaOnHand,
        dRes: stockMovements.deltaReserved,
      })
      .from(stockMovements)
      .where(eq(stockMovements.skuId, skuId))
      .orderBy(stockMovements.id);
    expect(moves).toEqual([
      { reason: 'initial', dOn: 10, dRes: 0 },
      { reason: 'reserve', dOn: 0, dRes: 4 },
      { reason: 'reserve', dOn: 0, dRes: 3 },
      { reason: 'release', dOn: 0, dRes: -4 },
      { reason: 'shipment', dOn: -3, dRes: -3 },
    ]);

    // Concurrent releases of one reservation give the units back once.
    const c = await reserveStock(ctx.db, { shopId, skuId, quantity: 2, ref: 'order_c', now: now() });
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => ctx.db.transaction((tx) => releaseReservation(tx, c.id, now()))),
    );
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(await levels(skuId)).toEqual({ [hangzhou]: { onHand: 7, reserved: 0 } });
  });
});

describe('under load', () => {
  it('200 concurrent buyers reserve exactly the 50 units spread over two warehouses', async () => {
    const skuId = await skuWith([
      { warehouseId: hangzhou, quantity: 30 },
      { warehouseId: guangzhou, quantity: 20 },
    ]);
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        ctx.db.transaction((tx) =>
          reserveStock(tx, { shopId, skuId, quantity: 1, ref: `order_${i}`, now: now() }),
        ),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(50);
    // Every loser was told there is no stock, not a database error.
    expect(lost.every((r) => r.reason instanceof AppError && r.reason.code === 'insufficient_stock')).toBe(
      true,
    );

    const held = await ctx.db.select().from(reservations).where(eq(reservations.skuId, skuId));
    expect(held.reduce((sum, r) => sum + r.quantity, 0)).toBe(50);
    expect(await levels(skuId)).toEqual({
      [hangzhou]: { onHand: 30, reserved: 30 },
      [guangzhou]: { onHand: 20, reserved: 20 },
    });
    expect((await availableBySku(ctx.db, [skuId])).get(skuId)).toBe(0);
    expect(new Set(held.map((r) => r.ref)).size).toBe(50);
  });

  it('never oversells mixed quantities, nor lets stock counts undercut reservations', async () => {
    const skuId = await skuWith([
      { warehouseId: hangzhou, quantity: 40 },
      { warehouseId: guangzhou, quantity: 25 },
    ]);
    const reserves = Array.from({ length: 150 }, (_, i) =>
      ctx.db.transaction((tx) =>
        reserveStock(tx, { shopId, skuId, quantity: (i % 3) + 1, ref: `mixed_${i}`, now: now() }),
      ),
    );
    // Breakage found during the rush: each write-off may only take units no order holds.
    const damages = Array.from({ length: 20 }, () =>
      ctx.db.transaction((tx) =>
        adjustStock(tx, shopId, { skuId, warehouseId: hangzhou, delta: -2, reason: 'damage' }, now()),
      ),
    );
    const results = await Promise.allSettled([...reserves, ...damages]);
    for (const r of results) {
      if (r.status === 'rejected') {
        expect(r.reason).toBeInstanceOf(AppError);
        expect(['insufficient_stock', 'stock_below_reserved']).toContain((r.reason as AppError).code);
      }
    }
    const reserved = results
      .slice(0, reserves.length)
      .flatMap((r) => (r.status === 'fulfilled' ? [(r.value as { quantity: number }).quantity] : []))
      .reduce((a, b) => a + b, 0);
    const damaged = results.slice(reserves.length).filter((r) => r.status === 'fulfilled').length * 2;
    const after = await levels(skuId);
    const wh = [after[hangzhou]!, after[guangzhou]!];
    expect(wh.every((l) => l.reserved >= 0 && l.reserved <= l.onHand)).toBe(true);
    expect(wh[0]!.reserved + wh[1]!.reserved).toBe(reserved);
    expect(wh[0]!.onHand + wh[1]!.onHand).toBe(65 - damaged);
    expect(reserved + damaged).toBeLessThanOrEqual(65);
    expect(reserved).toBeGreaterThan(0);
  });
});
