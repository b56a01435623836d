// What other modules may call. Trade sells through getSkuForSale and counts sales with recordSales;
// the seed loader builds the demo catalogue with createCategory, createBrand, createProduct and
// publishProduct.
export { type Brand, createBrand, getBrand, listBrands } from './brands';
export {
  type Category,
  type CategoryInput,
  type CategoryNode,
  categoryLineage,
  categorySubtreeIds,
  categoryTree,
  createCategory,
  getCategory,
  MAX_CATEGORY_DEPTH,
  updateCategory,
} from './categories';
export { getPublishedProductView, type ProductView, type SearchFilters, searchProducts } from './listing';
export {
  addSku,
  createProduct,
  getSkuForSale,
  type Product,
  type ProductInput,
  publishProduct,
  recordSales,
  type Sku,
  type SkuForSale,
  type SkuInput,
  unpublishProduct,
  updateProduct,
  updateSku,
} from './products';
export { catalogRoutes } from './routes';
export { SEARCH_EFFECTS, type SearchEffect } from './schema';
export {
  clearSearchAdjustment,
  type SearchAdjustmentKey,
  setSearchAdjustment,
} from './search-adjustments';
