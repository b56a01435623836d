import { type TSchema, Type } from 'typebox';
import { command } from '../../kernel/command';
import type { App } from '../../kernel/context';
import { notFound } from '../../kernel/errors';
import { Amount } from '../../kernel/money';
import { PageQuery, pageSchema } from '../../kernel/pagination';
import { requireOperator } from '../identity';
import { requireShopRole } from '../merchants';
import { createBrand, listBrands } from './brands';
import {
  type Category,
  categoryTree,
  createCategory,
  MAX_CATEGORY_DEPTH,
  updateCategory,
} from './categories';
import {
  getPublishedProductView,
  getShopProductView,
  listShopProducts,
  SEARCH_SORTS,
  searchProducts,
} from './listing';
import {
  addSku,
  createProduct,
  publishProduct,
  type Sku,
  unpublishProduct,
  updateProduct,
  updateSku,
} from './products';
import { MAX_SKUS } from './rules';
import { PRODUCT_STATUSES, SKU_STATUSES } from './schema';

const Id = Type.String({ minLength: 1, maxLength: 64 });
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const DateTime = Type.String({ format: 'date-time' });
const Price = Type.Integer({ minimum: 1, maximum: 10_000_000_000, description: 'fen' });
const Attributes = Type.Record(Type.String(), Type.String({ maxLength: 40 }), {
  description: 'sale attributes, e.g. {"颜色":"黑色","尺码":"M"}',
});
const StockLines = Type.Array(
  Type.Object({ warehouseId: Id, quantity: Type.Integer({ minimum: 0, maximum: 10_000_000 }) }),
  { maxItems: 50, description: 'opening stock per warehouse of the shop' },
);
const SkuBody = Type.Object({
  code: Type.String({
    minLength: 1,
    maxLength: 64,
    pattern: '^\\S+$',
    description: "the merchant's own code",
  }),
  attributes: Type.Optional(Attributes),
  price: Price,
  stock: Type.Optional(StockLines),
});
const Images = Type.Array(Type.String({ minLength: 1, maxLength: 1000 }), { maxItems: 20 });
const Title = Type.String({ minLength: 1, maxLength: 100 });
const ShipWithin = Type.Integer({ minimum: 1, maximum: 720, description: 'hours after payment' });

const CategoryFields = {
  id: Type.String(),
  parentId: Nullable(Type.String()),
  nameZh: Type.String(),
  nameEn: Type.String(),
  slug: Type.String(),
  sort: Type.Integer(),
  noReasonReturn: Type.Boolean(),
  special: Type.Boolean(),
};
const CategoryView = Type.Object(CategoryFields);
/** The tree is at most MAX_CATEGORY_DEPTH deep, so its schema is spelled out level by level. */
function categoryNode(levels: number): TSchema {
  return Type.Object({
    ...CategoryFields,
    children:
      levels > 1 ? Type.Array(categoryNode(levels - 1)) : Type.Array(Type.Object({}), { maxItems: 0 }),
  });
}
const categoryView = (c: Category) => ({
  id: c.id,
  parentId: c.parentId,
  nameZh: c.nameZh,
  nameEn: c.nameEn,
  slug: c.slug,
  sort: c.sort,
  noReasonReturn: c.noReasonReturn,
  special: c.special,
});

const BrandView = Type.Object({ id: Type.String(), name: Type.String(), nameEn: Nullable(Type.String()) });

const ListItemFields = {
  id: Type.String(),
  shopId: Type.String(),
  title: Type.String(),
  image: Nullable(Type.String()),
  minPrice: Nullable(Type.Integer()),
  maxPrice: Nullable(Type.Integer()),
  salesCount: Type.Integer(),
  categoryId: Type.String(),
};
const SkuView = Type.Object({
  id: Type.String(),
  code: Type.String(),
  attributes: Attributes,
  price: Type.Integer(),
  currency: Type.String(),
  status: Type.Enum(SKU_STATUSES),
});
const ProductView = Type.Object({
  id: Type.String(),
  shopId: Type.String(),
  title: Type.String(),
  description: Type.String(),
  images: Type.Array(Type.String()),
  status: Type.Enum(PRODUCT_STATUSES),
  categoryId: Type.String(),
  category: Nullable(
    Type.Object({
      id: Type.String(),
      nameZh: Type.String(),
      nameEn: Type.String(),
      noReasonReturn: Type.Boolean(),
      special: Type.Boolean(),
    }),
  ),
  brandId: Nullable(Type.String()),
  brand: Nullable(BrandView),
  shipWithinHours: Nullable(Type.Integer()),
  minPrice: Nullable(Type.Integer()),
  maxPrice: Nullable(Type.Integer()),
  salesCount: Type.Integer(),
  publishedAt: Nullable(DateTime),
  createdAt: DateTime,
  updatedAt: DateTime,
  skus: Type.Array(
    Type.Object({
      ...SkuView.properties,
      available: Type.Integer({ description: 'units that can be sold now, over all warehouses' }),
    }),
  ),
});
const skuView = (s: Sku) => ({
  id: s.id,
  code: s.code,
  attributes: s.attributes,
  price: s.price,
  currency: s.currency,
  status: s.status,
});

const ShopParams = Type.Object({ shopId: Id });
const ShopProductParams = Type.Object({ shopId: Id, id: Id });

export async function catalogRoutes(app: App): Promise<void> {
  const { clock, database } = app.jishi;
  const db = database.db;
  const tags = ['catalog'];
  const sellerTags = ['catalog', 'seller'];
  const adminTags = ['catalog', 'admin'];

  // ---- storefront -------------------------------------------------------------------------------

  app.get(
    '/categories',
    {
      schema: {
        tags,
        summary: 'The category tree, names in Chinese and English',
        response: { 200: Type.Object({ items: Type.Array(categoryNode(MAX_CATEGORY_DEPTH)) }) },
      },
    },
    async () => ({ items: await categoryTree(db) }),
  );

  app.get(
    '/brands',
    {
      schema: {
        tags,
        summary: 'Brands by name',
        querystring: Type.Object({ q: Type.Optional(Type.String({ maxLength: 60 })), ...PageQuery }),
        response: { 200: pageSchema(BrandView) },
      },
    },
    async (req) => listBrands(db, { ...req.query, limit: req.query.limit ?? 20 }),
  );

  app.get(
    '/products',
    {
      schema: {
        tags,
        summary: 'Search products on sale (Chinese word segmentation; every word must match)',
        querystring: Type.Object({
          q: Type.Optional(Type.String({ maxLength: 100 })),
          categoryId: Type.Optional(Id),
          shopId: Type.Optional(Id),
          brandId: Type.Optional(Id),
          minPrice: Type.Optional(Amount),
          maxPrice: Type.Optional(Amount),
          sort: Type.Optional(
            Type.Enum(SEARCH_SORTS, {
              description:
                'relevance (default with q), sales, price_asc, price_desc, newest (default without q)',
            }),
          ),
          ...PageQuery,
        }),
        response: { 200: pageSchema(Type.Object(ListItemFields)) },
      },
    },
    async (req) => searchProducts(db, { ...req.query, limit: req.query.limit ?? 20 }, clock.now()),
  );

  app.get(
    '/products/:id',
    {
      schema: {
        tags,
        summary: 'A product on sale, with its SKUs, prices and available stock',
        params: Type.Object({ id: Id }),
        response: { 200: ProductView },
      },
    },
    async (req) => {
      const view = await getPublishedProductView(db, req.params.id);
      if (!view) throw notFound('product_not_found');
      return view;
    },
  );

  // ---- operator -------------------------------------------------------------------------------

  const CategoryBody = {
    nameZh: Type.String({ minLength: 1, maxLength: 40 }),
    nameEn: Type.String({ minLength: 1, maxLength: 80 }),
    slug: Type.String({ minLength: 1, maxLength: 64 }),
    sort: Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 }),
    noReasonReturn: Type.Boolean({ description: 'seven-day no-reason returns; defaults to the parent' }),
    special: Type.Boolean({ description: 'special category rules; defaults to the parent' }),
  };

  app.post(
    '/admin/categories',
    {
      schema: {
        tags: adminTags,
        summary: 'Add a category',
        body: Type.Object({
          parentId: Type.Optional(Nullable(Id)),
          nameZh: CategoryBody.nameZh,
          nameEn: CategoryBody.nameEn,
          slug: CategoryBody.slug,
          sort: Type.Optional(CategoryBody.sort),
          noReasonReturn: Type.Optional(CategoryBody.noReasonReturn),
          special: Type.Optional(CategoryBody.special),
        }),
        response: { 201: CategoryView },
      },
    },
    (req, reply) =>
      command(req, reply, async (tx) => {
        requireOperator(req);
        const category = await createCategory(tx, req.body, clock.now());
        return { status: 201, body: categoryView(category) };
      }),
  );

  app.patch(
    '/admin/categories/:id',
    {
      schema: {
        tags: adminTags,
        summary: 'Rename, re-flag or move a category',
        params: Type.Object({ id: Id }),
        body: Type.Partial(
          Type.Object({
            parentId: Nullable(Id),
            ...CategoryBody,
          }),
        ),
        response: { 200: CategoryView },
      },
    },
    (req, reply) =>
      command(req, reply, async (tx) => {
        requireOperator(req);
        const category = await updateCategory(tx, req.params.id, req.body, clock.now());
        return { status: 200, body: categoryView(category) };
      }),
  );

  app.post(
    '/admin/brands',
    {
      schema: {
        tags: adminTags,
        summary: 'Add a brand',
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 60 }),
          nameEn: Type.Optional(Type.String({ maxLength: 60 })),
        }),
        response: { 201: BrandView },
      },
    },
    (req, reply) =>
      command(req, reply, async (tx) => {
        requireOperator(req);
        const brand = await createBrand(tx, req.body, clock.now());
        return { status: 201, body: { id: brand.id, name: brand.name, nameEn: brand.nameEn } };
      }),
  );

  // ---- merchant console -----------------------------------------------------------------------
  // Listing and editing products is the operations role's job (owners may do everything); every
  // member of the shop's staff may read the listings.

  app.post(
    '/seller/shops/:shopId/products',
    {
      schema: {
        tags: sellerTags,
        summary: 'List a new product (draft) with its SKUs and opening stock',
        params: ShopParams,
        body: Type.Object({
          title: Title,
          categoryId: Type.String({ minLength: 1, maxLength: 64, description: 'a leaf category' }),
          brandId: Type.Optional(Nullable(Id)),
          description: Type.Optional(Type.String({ maxLength: 20_000 })),
          images: Type.Optional(Images),
          shipWithinHours: Type.Optional(Nullable(ShipWithin)),
          skus: Type.Array(SkuBody, { minItems: 1, maxItems: MAX_SKUS }),
        }),
        response: {
          201: Type.Object({
            id: Type.String(),
            skus: Type.Array(Type.Object({ id: Type.String(), code: Type.String() })),
          }),
        },
      },
    },
    async (req, reply) => {
      // Checked before the transaction opens: the gate reads on its own connection.
      const { shopId, auth } = await requireShopRole(req, req.params.shopId, ['operations']);
      return command(req, reply, async (tx) => {
        const created = await createProduct(tx, shopId, req.body, clock.now(), { actorId: auth.accountId });
        return { status: 201, body: created };
      });
    },
  );

  app.get(
    '/seller/shops/:shopId/products',
    {
      schema: {
        tags: sellerTags,
        summary: "The shop's products in every status, newest first",
        params: ShopParams,
        querystring: Type.Object({
          status: Type.Optional(Type.Enum(PRODUCT_STATUSES)),
          q: Type.Optional(Type.String({ maxLength: 100 })),
          ...PageQuery,
        }),
        response: {
          200: pageSchema(
            Type.Object({
              ...ListItemFields,
              status: Type.String(),
              publishedAt: Nullable(DateTime),
              createdAt: DateTime,
              updatedAt: DateTime,
            }),
          ),
        },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId);
      return listShopProducts(db, shopId, { ...req.query, limit: req.query.limit ?? 20 });
    },
  );

  app.get(
    '/seller/shops/:shopId/products/:id',
    {
      schema: {
        tags: sellerTags,
        summary: 'One of the shop’s products, in any status, with every SKU',
        params: ShopProductParams,
        response: { 200: ProductView },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId);
      const view = await getShopProductView(db, shopId, req.params.id);
      if (!view) throw notFound('product_not_found');
      return view;
    },
  );

  app.patch(
    '/seller/shops/:shopId/products/:id',
    {
      schema: {
        tags: sellerTags,
        summary: 'Edit a product (search is re-indexed)',
        params: ShopProductParams,
        body: Type.Object({
          title: Type.Optional(Title),
          description: Type.Optional(Type.String({ maxLength: 20_000 })),
          images: Type.Optional(Images),
          shipWithinHours: Type.Optional(Nullable(ShipWithin)),
          categoryId: Type.Optional(Id),
          brandId: Type.Optional(Nullable(Id)),
        }),
        response: { 200: ProductView },
      },
    },
    async (req, reply) => {
      // Checked before the transaction opens: the gate reads on its own connection.
      const { shopId } = await requireShopRole(req, req.params.shopId, ['operations']);
      return command(req, reply, async (tx) => {
        await updateProduct(tx, shopId, req.params.id, req.body, clock.now());
        return { status: 200, body: await getShopProductView(tx, shopId, req.params.id) };
      });
    },
  );

  app.post(
    '/seller/shops/:shopId/products/:id/publish',
    {
      schema: {
        tags: sellerTags,
        summary: 'Put the product on sale (needs an active SKU)',
        params: ShopProductParams,
        response: { 200: ProductView },
      },
    },
    async (req, reply) => {
      // Checked before the transaction opens: the gate reads on its own connection.
      const { shopId } = await requireShopRole(req, req.params.shopId, ['operations']);
      return command(req, reply, async (tx) => {
        await publishProduct(tx, shopId, req.params.id, clock.now());
        return { status: 200, body: await getShopProductView(tx, shopId, req.params.id) };
      });
    },
  );

  app.post(
    '/seller/shops/:shopId/products/:id/unpublish',
    {
      schema: {
        tags: sellerTags,
        summary: 'Take the product off sale',
        params: ShopProductParams,
        response: { 200: ProductView },
      },
    },
    async (req, reply) => {
      // Checked before the transaction opens: the gate reads on its own connection.
      const { shopId } = await requireShopRole(req, req.params.shopId, ['operations']);
      return command(req, reply, async (tx) => {
        await unpublishProduct(tx, shopId, req.params.id, clock.now());
        return { status: 200, body: await getShopProductView(tx, shopId, req.params.id) };
      });
    },
  );

  app.post(
    '/seller/shops/:shopId/products/:id/skus',
    {
      schema: {
        tags: sellerTags,
        summary: 'Add a SKU to a product, with its opening stock',
        params: ShopProductParams,
        body: SkuBody,
        response: { 201: SkuView },
      },
    },
    async (req, reply) => {
      // Checked before the transaction opens: the gate reads on its own connection.
      const { shopId, auth } = await requireShopRole(req, req.params.shopId, ['operations']);
      return command(req, reply, async (tx) => {
        const sku = await addSku(tx, shopId, req.params.id, req.body, clock.now(), {
          actorId: auth.accountId,
        });
        return { status: 201, body: skuView(sku) };
      });
    },
  );

  app.patch(
    '/seller/shops/:shopId/products/:id/skus/:skuId',
    {
      schema: {
        tags: sellerTags,
        summary: 'Re-price, rename or (de)activate a SKU',
        params: Type.Object({ shopId: Id, id: Id, skuId: Id }),
        body: Type.Object({
          price: Type.Optional(Price),
          attributes: Type.Optional(Attributes),
          status: Type.Optional(Type.Enum(SKU_STATUSES)),
        }),
        response: { 200: SkuView },
      },
    },
    async (req, reply) => {
      // Checked before the transaction opens: the gate reads on its own connection.
      const { shopId } = await requireShopRole(req, req.params.shopId, ['operations']);
      return command(req, reply, async (tx) => {
        const sku = await updateSku(tx, shopId, req.params.id, req.params.skuId, req.body, clock.now());
        return { status: 200, body: skuView(sku) };
      });
    },
  );
}
