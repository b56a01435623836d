import { Type } from 'typebox';
import { command } from '../../kernel/command';
import type { App } from '../../kernel/context';
import { AppError } from '../../kernel/errors';
import { decodeCursor, PageQuery, pageSchema } from '../../kernel/pagination';
import { requireShopRole } from '../merchants';
import { ADJUSTMENT_REASONS, MOVEMENT_REASONS } from './schema';
import { adjustStock, listMovements, listStock } from './stock';
import { createWarehouse, listWarehouses, type Warehouse } from './warehouses';

/** Stock is the warehouse staff's job, and operations plans it; owners may do everything. */
const STOCK_ROLES = ['warehouse', 'operations'] as const;

const Id = Type.String({ minLength: 1, maxLength: 64 });
const DateTime = Type.String({ format: 'date-time' });
const ShopParams = Type.Object({ shopId: Id });

const WarehouseView = Type.Object({
  id: Type.String(),
  shopId: Type.String(),
  name: Type.String(),
  region: Type.String(),
  createdAt: DateTime,
});
const warehouseView = (w: Warehouse) => ({
  id: w.id,
  shopId: w.shopId,
  name: w.name,
  region: w.region,
  createdAt: w.createdAt.toISOString(),
});

const LevelView = Type.Object({
  skuId: Type.String(),
  warehouseId: Type.String(),
  onHand: Type.Integer(),
  reserved: Type.Integer({ description: 'held for orders not yet shipped' }),
  available: Type.Integer({ description: 'onHand - reserved' }),
  updatedAt: DateTime,
});

const badCursor = () =>
  new AppError(400, 'bad_cursor', {}, [{ path: '/cursor', in: 'query', code: 'field.invalid' }]);
/** A cursor whose fields are all strings, as every cursor of this module is. */
function stringCursor<K extends string>(raw: string | undefined, keys: K[]): Record<K, string> | undefined {
  const c = decodeCursor<Record<string, unknown>>(raw);
  if (!c) return undefined;
  if (!keys.every((k) => typeof c[k] === 'string')) throw badCursor();
  return c as Record<K, string>;
}

export async function inventoryRoutes(app: App): Promise<void> {
  const { clock, database } = app.jishi;
  const db = database.db;
  const tags = ['inventory', 'seller'];

  app.post(
    '/seller/shops/:shopId/warehouses',
    {
      schema: {
        tags,
        summary: 'Add a warehouse the shop ships from',
        params: ShopParams,
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 60 }),
          region: Type.String({ minLength: 1, maxLength: 60, description: 'e.g. 浙江省杭州市' }),
        }),
        response: { 201: WarehouseView },
      },
    },
    async (req, reply) => {
      // Checked before the transaction opens: the gate reads on its own connection.
      const { shopId } = await requireShopRole(req, req.params.shopId, STOCK_ROLES);
      return command(req, reply, async (tx) => {
        const warehouse = await createWarehouse(tx, shopId, req.body, clock.now());
        return { status: 201, body: warehouseView(warehouse) };
      });
    },
  );

  app.get(
    '/seller/shops/:shopId/warehouses',
    {
      schema: {
        tags,
        summary: "The shop's warehouses",
        params: ShopParams,
        querystring: Type.Object({ ...PageQuery }),
        response: { 200: pageSchema(WarehouseView) },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, STOCK_ROLES);
      const after = stringCursor(req.query.cursor, ['id']);
      const result = await listWarehouses(db, shopId, { after: after?.id, limit: req.query.limit ?? 20 });
      return { items: result.items.map(warehouseView), nextCursor: result.nextCursor };
    },
  );

  app.post(
    '/seller/shops/:shopId/stock/adjustments',
    {
      schema: {
        tags,
        summary: 'Change the goods on hand (receipt, count correction, damage, return)',
        params: ShopParams,
        body: Type.Object({
          skuId: Id,
          warehouseId: Id,
          delta: Type.Integer({ minimum: -1_000_000, maximum: 1_000_000, description: 'units, not 0' }),
          reason: Type.Enum(ADJUSTMENT_REASONS),
          note: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: {
          201: Type.Object({ movementId: Type.String(), level: LevelView }),
        },
      },
    },
    async (req, reply) => {
      // Checked before the transaction opens: the gate reads on its own connection.
      const { shopId, auth } = await requireShopRole(req, req.params.shopId, STOCK_ROLES);
      return command(req, reply, async (tx) => {
        const { movementId, level } = await adjustStock(
          tx,
          shopId,
          { ...req.body, actorId: auth.accountId },
          clock.now(),
        );
        return {
          status: 201,
          body: {
            movementId,
            level: {
              skuId: level.skuId,
              warehouseId: level.warehouseId,
              onHand: level.onHand,
              reserved: level.reserved,
              available: level.onHand - level.reserved,
              updatedAt: level.updatedAt.toISOString(),
            },
          },
        };
      });
    },
  );

  app.get(
    '/seller/shops/:shopId/stock',
    {
      schema: {
        tags,
        summary: 'Stock levels per SKU and warehouse',
        params: ShopParams,
        querystring: Type.Object({ skuId: Type.Optional(Id), warehouseId: Type.Optional(Id), ...PageQuery }),
        response: {
          200: pageSchema(Type.Object({ ...LevelView.properties, warehouseName: Type.String() })),
        },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, STOCK_ROLES);
      const after = stringCursor(req.query.cursor, ['skuId', 'warehouseId']);
      const result = await listStock(db, shopId, {
        skuId: req.query.skuId,
        warehouseId: req.query.warehouseId,
        after,
        limit: req.query.limit ?? 20,
      });
      return {
        items: result.items.map((r) => ({
          ...r,
          available: r.onHand - r.reserved,
          updatedAt: r.updatedAt.toISOString(),
        })),
        nextCursor: result.nextCursor,
      };
    },
  );

  app.get(
    '/seller/shops/:shopId/stock/movements',
    {
      schema: {
        tags,
        summary: 'Every change to stock, newest first',
        params: ShopParams,
        querystring: Type.Object({ skuId: Type.Optional(Id), warehouseId: Type.Optional(Id), ...PageQuery }),
        response: {
          200: pageSchema(
            Type.Object({
              id: Type.String(),
              skuId: Type.String(),
              warehouseId: Type.String(),
              deltaOnHand: Type.Integer(),
              deltaReserved: Type.Integer(),
              reason: Type.Enum(MOVEMENT_REASONS),
              ref: Type.Union([Type.String(), Type.Null()]),
              note: Type.Union([Type.String(), Type.Null()]),
              actorId: Type.Union([Type.String(), Type.Null()]),
              createdAt: DateTime,
            }),
          ),
        },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, STOCK_ROLES);
      const after = stringCursor(req.query.cursor, ['id']);
      const result = await listMovements(db, shopId, {
        skuId: req.query.skuId,
        warehouseId: req.query.warehouseId,
        before: after?.id,
        limit: req.query.limit ?? 20,
      });
      return {
        items: result.items.map((m) => ({ ...m, createdAt: m.createdAt.toISOString() })),
        nextCursor: result.nextCursor,
      };
    },
  );
}
