import type { FieldError } from '../../kernel/errors';

// Listing rules that need no database: checked before anything is written, all at once, so the
// merchant sees every problem of a 200-SKU listing in one answer.

export const MAX_SKUS = 200;
export const MAX_SKU_ATTRIBUTES = 10;
export const MAX_ATTRIBUTE_NAME = 20;
export const MAX_ATTRIBUTE_VALUE = 40;

const field = (path: string, code: string, params?: Record<string, unknown>): FieldError => ({
  path,
  in: 'body',
  code,
  params,
});

/** Product pictures are links to the merchant's image host: http(s) only, never data: or javascript:. */
export function checkImages(images: string[] | undefined, path = '/images'): FieldError[] {
  const errors: FieldError[] = [];
  (images ?? []).forEach((url, i) => {
    let ok = false;
    try {
      const parsed = new URL(url);
      ok = (parsed.protocol === 'https:' || parsed.protocol === 'http:') && parsed.hostname !== '';
    } catch {
      ok = false;
    }
    if (!ok) errors.push(field(`${path}/${i}`, 'field.image_url'));
  });
  return errors;
}

/** Where SKU `i` sits in the request: `/skus/i` in a product, the body itself when adding one SKU. */
export type SkuPath = (i: number) => string;
export const inSkuList: SkuPath = (i) => `/skus/${i}`;

/** Codes repeated within one request; the database catches codes already used by the shop. */
export function checkSkuCodes(skus: { code: string }[], at: SkuPath = inSkuList): FieldError[] {
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  skus.forEach((sku, i) => {
    if (seen.has(sku.code)) errors.push(field(`${at(i)}/code`, 'field.sku_code_duplicate'));
    seen.add(sku.code);
  });
  return errors;
}

/** A warehouse listed twice for one SKU would double its opening stock. */
export function checkStockLines(
  skus: { stock?: { warehouseId: string }[] }[],
  at: SkuPath = inSkuList,
): FieldError[] {
  const errors: FieldError[] = [];
  skus.forEach((sku, i) => {
    const seen = new Set<string>();
    (sku.stock ?? []).forEach((line, j) => {
      if (seen.has(line.warehouseId)) {
        errors.push(field(`${at(i)}/stock/${j}/warehouseId`, 'field.uniqueItems'));
      }
      seen.add(line.warehouseId);
    });
  });
  return errors;
}

const combination = (attributes: Record<string, string>) =>
  JSON.stringify(
    Object.keys(attributes)
      .sort()
      .map((k) => [k, attributes[k]]),
  );
const names = (attributes: Record<string, string>) => Object.keys(attributes).sort().join('/');

/**
 * Sale attributes (颜色, 尺码, ...) define the SKUs of one product: every SKU names the same
 * attributes, and no two SKUs have the same combination, or a buyer could not tell them apart.
 * `existing` are the product's SKUs already stored; `skus` the ones being written.
 */
export function checkSkuAttributes(
  skus: { attributes?: Record<string, string> }[],
  existing: { attributes: Record<string, string> }[] = [],
  skuAt: SkuPath = inSkuList,
): FieldError[] {
  const errors: FieldError[] = [];
  const reference = existing[0]?.attributes ?? skus[0]?.attributes ?? {};
  const combinations = new Set(existing.map((s) => combination(s.attributes)));
  skus.forEach((sku, i) => {
    const attributes = sku.attributes ?? {};
    const at = `${skuAt(i)}/attributes`;
    const entries = Object.entries(attributes);
    if (entries.length > MAX_SKU_ATTRIBUTES) {
      errors.push(field(at, 'field.sku_attributes_too_many', { limit: MAX_SKU_ATTRIBUTES }));
      return;
    }
    const badName = entries.find(([k]) => k.trim() === '' || k !== k.trim() || k.length > MAX_ATTRIBUTE_NAME);
    if (badName) {
      errors.push(field(at, 'field.sku_attribute_name', { limit: MAX_ATTRIBUTE_NAME }));
      return;
    }
    const badValue = entries.find(([, v]) => v.trim() === '' || v.length > MAX_ATTRIBUTE_VALUE);
    if (badValue) {
      errors.push(field(`${at}/${badValue[0]}`, 'field.sku_attribute_value', { limit: MAX_ATTRIBUTE_VALUE }));
      return;
    }
    if (names(attributes) !== names(reference)) {
      errors.push(field(at, 'field.sku_attributes_mismatch', { names: names(reference) || '-' }));
      return;
    }
    const key = combination(attributes);
    if (combinations.has(key)) errors.push(field(at, 'field.sku_attributes_duplicate'));
    combinations.add(key);
  });
  return errors;
}

/** Lowest and highest price among the SKUs on sale; null when none is. */
export function priceRange(skus: { price: number; status?: string }[]): {
  minPrice: number | null;
  maxPrice: number | null;
} {
  const prices = skus.filter((s) => (s.status ?? 'active') === 'active').map((s) => s.price);
  if (prices.length === 0) return { minPrice: null, maxPrice: null };
  return { minPrice: Math.min(...prices), maxPrice: Math.max(...prices) };
}
