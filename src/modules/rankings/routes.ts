import { Type } from 'typebox';
import type { App } from '../../kernel/context';
import { requireShopRole } from '../merchants';
import { ranking, shopStanding } from './rankings';

const Id = Type.String({ minLength: 1, maxLength: 64 });
const List = Type.Union([
  Type.Literal('sales_units_7d'),
  Type.Literal('sales_units_30d'),
  Type.Literal('sales_amount_7d'),
  Type.Literal('sales_amount_30d'),
  Type.Literal('positive_rate'),
  Type.Literal('repurchase_rate'),
  Type.Literal('combined'),
  Type.Literal('new_products'),
]);
const Entry = Type.Object({
  rank: Type.Integer(),
  productId: Type.String(),
  shopId: Type.String(),
  value: Type.Number({ description: 'what the list sorts by: units, fen, a rate, or the combined score' }),
  figures: Type.Object({
    units7d: Type.Integer(),
    units30d: Type.Integer(),
    amount7d: Type.Integer(),
    amount30d: Type.Integer(),
    refundedUnits30d: Type.Integer(),
    reviews: Type.Object({
      positive: Type.Integer(),
      total: Type.Integer(),
      rate: Type.Union([Type.Number(), Type.Null()]),
    }),
    repurchase: Type.Object({
      repeatBuyers: Type.Integer(),
      buyers: Type.Integer(),
      rate: Type.Union([Type.Number(), Type.Null()]),
    }),
    launchedAt: Type.Union([Type.String(), Type.Null()]),
    unitsInLaunchPeriod: Type.Union([Type.Integer(), Type.Null()]),
  }),
  badges: Type.Array(Type.String({ description: 'bestseller, survived, super_new' })),
  explanation: Type.String(),
});

export async function rankingsRoutes(app: App): Promise<void> {
  const { clock, database } = app.jishi;
  const db = database.db;
  const tags = ['rankings'];

  // Read-only by design: there is no route or field that places, pins or boosts a product.
  app.get(
    '/rankings',
    {
      schema: {
        tags,
        summary:
          'A category’s ranking list, from net sales, reviews and repurchases only (never paid placement)',
        querystring: Type.Object(
          {
            categoryId: Id,
            list: Type.Optional(List),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ categoryId: Type.String(), list: List, items: Type.Array(Entry) }) },
      },
    },
    async (req) => {
      const list = req.query.list ?? 'combined';
      const items = await ranking(db, req.query.categoryId, list, clock.now(), req.query.limit ?? 50);
      return { categoryId: req.query.categoryId, list, items };
    },
  );

  app.get(
    '/seller/shops/:shopId/rankings',
    {
      schema: {
        tags,
        summary: 'Where the shop’s products stand in each of a category’s lists',
        params: Type.Object({ shopId: Id }),
        querystring: Type.Object({ categoryId: Id }, { additionalProperties: false }),
        response: {
          200: Type.Object({ items: Type.Array(Type.Object({ list: List, entries: Type.Array(Entry) })) }),
        },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, ['operations']);
      return { items: await shopStanding(db, shopId, req.query.categoryId, clock.now()) };
    },
  );
}
