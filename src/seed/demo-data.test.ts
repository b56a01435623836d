import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import * as demo from './demo-data';
import {
  buildDemoProducts,
  DEMO_IMAGE_HOST,
  DEMO_PASSWORD,
  demoBrands,
  demoBuyers,
  demoCategories,
  demoProducts,
  demoShops,
  flattenCategories,
  idNumberCheckDigit,
  isValidIdNumber,
  mulberry32,
} from './demo-data';

const snapshot = (m: typeof demo) =>
  JSON.stringify({
    password: m.DEMO_PASSWORD,
    categories: m.demoCategories,
    brands: m.demoBrands,
    shops: m.demoShops,
    products: m.demoProducts,
    buyers: m.demoBuyers,
  });
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

const categories = flattenCategories();
const categoryBySlug = new Map(categories.map((c) => [c.slug, c]));
const topOf = (slug: string): string => {
  let c = categoryBySlug.get(slug);
  while (c?.parentSlug) c = categoryBySlug.get(c.parentSlug);
  return c?.slug ?? '';
};
const shopByKey = new Map(demoShops.map((s) => [s.key, s]));
const allSkus = demoProducts.flatMap((p) => p.skus.map((s) => ({ ...s, product: p })));

describe('determinism', () => {
  it('produces the same data on every build and every import', async () => {
    expect(buildDemoProducts()).toEqual(demoProducts);
    expect(buildDemoProducts()).not.toBe(demoProducts);
    vi.resetModules();
    const again = (await import('./demo-data')) as typeof demo;
    expect(again.demoProducts).not.toBe(demoProducts);
    expect(snapshot(again)).toBe(snapshot(demo));
    // A different seed gives a different (still valid) assortment: the seed is really used.
    expect(buildDemoProducts(1)).not.toEqual(demoProducts);
  });

  it('has a stable fingerprint (update it only when the demo data is meant to change)', () => {
    expect(sha256(snapshot(demo))).toBe('6ec966242be61f134f60cff7ddd286c8879cfdd3ac3d2391ba942041e8e630b9');
  });

  it('uses no clock or unseeded randomness', () => {
    const source = readFileSync(new URL('./demo-data.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/Math\.random|Date\.now|performance\.now|crypto/);
    const a = mulberry32(42);
    const b = mulberry32(42);
    const seqA = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(seqA);
    expect(seqA.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(seqA).size).toBe(5);
  });
});

describe('identity numbers', () => {
  it('computes the ISO 7064 MOD 11-2 check character', () => {
    expect(idNumberCheckDigit('11010519491231002')).toBe('X');
    expect(idNumberCheckDigit('44052418800101001')).toBe('4');
    expect(idNumberCheckDigit('11010119900307447')).toBe('7');
    expect(() => idNumberCheckDigit('1101051949123100')).toThrow(RangeError);
    expect(() => idNumberCheckDigit('1101051949123100A')).toThrow(RangeError);
  });

  it('accepts known-valid numbers and refuses altered ones', () => {
    for (const valid of ['11010519491231002X', '110101199003074477']) {
      expect(isValidIdNumber(valid), valid).toBe(true);
    }
    // The standard's own example has the right check character but a birth year before 1900,
    // which the merchants module refuses too.
    expect(idNumberCheckDigit('44052418800101001')).toBe('4');
    expect(isValidIdNumber('440524188001010014')).toBe(false);
    for (const invalid of [
      '110105194912310021', // wrong check character
      '11010519491231002x', // lower-case X is not the stored form
      '11010519490231002X', // no 31 February (and a wrong check character)
      '01010519491231002X', // region cannot start with 0
      '1101051949123100X', // 17 characters
    ]) {
      expect(isValidIdNumber(invalid), invalid).toBe(false);
    }
    // A real date but an impossible one keeps failing even with a fitting check character.
    const feb30 = '11010519490230002';
    expect(isValidIdNumber(feb30 + idNumberCheckDigit(feb30))).toBe(false);
  });

  it('gives every shop owner a valid, distinct number', () => {
    for (const shop of demoShops) expect(isValidIdNumber(shop.idNumber), shop.key).toBe(true);
    expect(new Set(demoShops.map((s) => s.idNumber)).size).toBe(demoShops.length);
  });
});

describe('categories', () => {
  it('is a tree of about 8 top-level categories with 3 to 6 children each', () => {
    expect(demoCategories.length).toBeGreaterThanOrEqual(7);
    expect(demoCategories.length).toBeLessThanOrEqual(9);
    for (const top of demoCategories) {
      expect(top.children.length, top.slug).toBeGreaterThanOrEqual(3);
      expect(top.children.length, top.slug).toBeLessThanOrEqual(6);
      for (const child of top.children) expect(child.children, child.slug).toEqual([]);
    }
    expect(categoryBySlug.get('dresses')).toMatchObject({
      nameZh: '连衣裙',
      nameEn: 'Dresses',
      parentSlug: 'womens-clothing',
    });
    expect(categoryBySlug.get('headphones')).toMatchObject({ nameZh: '耳机', parentSlug: 'electronics' });
  });

  it('has unique slugs in the catalog pattern and both names', () => {
    expect(new Set(categories.map((c) => c.slug)).size).toBe(categories.length);
    for (const c of categories) {
      expect(c.slug).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
      expect(c.nameZh).toMatch(/\p{Script=Han}/u);
      expect(c.nameEn).toMatch(/^[A-Z][A-Za-z ,&'-]+$/);
    }
  });

  it('marks perishable and made-to-order goods: no no-reason return, special', () => {
    const flags = (slug: string) => {
      const c = categoryBySlug.get(slug)!;
      return { noReasonReturn: c.noReasonReturn, special: c.special };
    };
    expect(flags('fresh-fruit')).toEqual({ noReasonReturn: false, special: true });
    expect(flags('custom-furniture')).toEqual({ noReasonReturn: false, special: true });
    expect(flags('plants-flowers')).toEqual({ noReasonReturn: false, special: true });
    expect(flags('magazines')).toEqual({ noReasonReturn: false, special: false });
    expect(flags('dresses')).toEqual({ noReasonReturn: true, special: false });
    expect(flags('fiction')).toEqual({ noReasonReturn: true, special: false });
    const special = categories.filter((c) => c.special);
    expect(special.length).toBeGreaterThanOrEqual(2);
    expect(special.length).toBeLessThanOrEqual(5);
  });
});

describe('brands, shops and accounts', () => {
  it('has about 15 brands with unique Chinese and English names', () => {
    expect(demoBrands.length).toBeGreaterThanOrEqual(12);
    expect(demoBrands.length).toBeLessThanOrEqual(18);
    expect(new Set(demoBrands.map((b) => b.key)).size).toBe(demoBrands.length);
    expect(new Set(demoBrands.map((b) => b.name.toLowerCase())).size).toBe(demoBrands.length);
    expect(new Set(demoBrands.map((b) => b.nameEn.toLowerCase())).size).toBe(demoBrands.length);
    for (const b of demoBrands) expect(b.name).toMatch(/\p{Script=Han}/u);
  });

  it('has exactly 2 flagship mall shops and 3 market shops', () => {
    const mall = demoShops.filter((s) => s.kind === 'mall');
    const market = demoShops.filter((s) => s.kind === 'market');
    expect(mall).toHaveLength(2);
    expect(market).toHaveLength(3);
    for (const s of mall) {
      expect(s).toMatchObject({ mallType: 'flagship', trademarkStatus: 'R', depositPlan: 'deposit' });
      expect(demoBrands.find((b) => b.key === s.brandKey)?.name).toBe(s.brandName);
      expect(s.trademarkNo).toMatch(/^\d{7,10}$/);
    }
    for (const s of market) {
      expect(s.mallType).toBeUndefined();
      expect(s.brandName).toBeUndefined();
    }
    expect(market.map((s) => s.depositPlan).sort()).toEqual(['deposit', 'insurance', 'insurance']);
  });

  it('gives every shop a Chinese name, an owner, and two warehouses in named regions', () => {
    expect(new Set(demoShops.map((s) => s.key)).size).toBe(5);
    expect(new Set(demoShops.map((s) => s.name)).size).toBe(5);
    for (const s of demoShops) {
      expect(s.name).toMatch(/\p{Script=Han}/u);
      expect(s.name.length).toBeGreaterThanOrEqual(2);
      expect(s.name.length).toBeLessThanOrEqual(60);
      expect(s.realName).toMatch(/^\p{Script=Han}{2,4}$/u);
      expect(s.warehouses).toHaveLength(2);
      expect(new Set(s.warehouses.map((w) => w.key)).size).toBe(2);
      for (const w of s.warehouses) {
        expect(w.name.length).toBeLessThanOrEqual(60);
        expect(w.region).toMatch(/^\p{Script=Han}+(省|市)/u);
      }
      for (const top of s.categories) expect(categoryBySlug.get(top)?.depth, top).toBe(0);
      for (const staff of s.staff) expect(['warehouse', 'operations']).toContain(staff.role);
    }
    expect(demoShops.some((s) => s.staff.length > 0)).toBe(true);
  });

  it('has 12 buyers, one or two in English, and logins unique across every demo account', () => {
    expect(demoBuyers).toHaveLength(12);
    const en = demoBuyers.filter((b) => b.locale === 'en');
    expect(en.length).toBeGreaterThanOrEqual(1);
    expect(en.length).toBeLessThanOrEqual(2);
    for (const b of demoBuyers) expect(b.displayName).toMatch(/\p{Script=Han}/u);
    const accounts = [...demoBuyers, ...demoShops.flatMap((s) => [s.owner, ...s.staff])];
    const logins = accounts.map((a) => a.login);
    expect(new Set(logins).size).toBe(logins.length);
    for (const a of accounts) {
      // The identity module's rules: 3-64 letters, digits or _.@+-, lower case; display name 1-60.
      expect(a.login).toMatch(/^[\p{Ll}\p{N}_.@+-]{3,64}$/u);
      expect(a.displayName.length).toBeGreaterThanOrEqual(1);
      expect(a.displayName.length).toBeLessThanOrEqual(60);
    }
  });

  it('shares one password that the identity rules accept', () => {
    expect(DEMO_PASSWORD.length).toBeGreaterThanOrEqual(8);
    expect(DEMO_PASSWORD).toMatch(/\p{L}/u);
    expect(DEMO_PASSWORD).toMatch(/\p{N}/u);
  });
});

describe('products', () => {
  it('has at least 300 products spread over every shop', () => {
    expect(demoProducts.length).toBeGreaterThanOrEqual(300);
    for (const s of demoShops) {
      expect(demoProducts.filter((p) => p.shopKey === s.key).length, s.key).toBeGreaterThanOrEqual(40);
    }
    expect(demoProducts.every((p) => shopByKey.has(p.shopKey))).toBe(true);
  });

  it('puts every product in an existing leaf category its shop sells in', () => {
    for (const p of demoProducts) {
      const c = categoryBySlug.get(p.categorySlug);
      expect(c, p.title).toBeDefined();
      expect(c!.children, p.title).toEqual([]);
      expect(shopByKey.get(p.shopKey)!.categories, p.title).toContain(topOf(p.categorySlug));
    }
    // Both mall shops sell only their own brand; market shops never sell a mall brand.
    for (const p of demoProducts) {
      const shop = shopByKey.get(p.shopKey)!;
      if (shop.kind === 'mall') expect(p.brandKey, p.title).toBe(shop.brandKey);
      else expect(['shengyue', 'yunshang']).not.toContain(p.brandKey);
      if (p.brandKey) expect(demoBrands.some((b) => b.key === p.brandKey)).toBe(true);
    }
  });

  it('has realistic Chinese titles: 连衣裙 only for dresses, 蓝牙耳机 only for headphones', () => {
    const dressTitles = demoProducts.filter((p) => p.title.includes('连衣裙'));
    const earbudTitles = demoProducts.filter((p) => p.title.includes('蓝牙耳机'));
    expect(dressTitles.length).toBeGreaterThan(5);
    expect(earbudTitles.length).toBeGreaterThan(5);
    expect(new Set(dressTitles.map((p) => p.categorySlug))).toEqual(new Set(['dresses']));
    expect(new Set(earbudTitles.map((p) => p.categorySlug))).toEqual(new Set(['headphones']));
    // Most listings in those categories carry the word shoppers search for.
    const dresses = demoProducts.filter((p) => p.categorySlug === 'dresses');
    const headphones = demoProducts.filter((p) => p.categorySlug === 'headphones');
    expect(dressTitles.length / dresses.length).toBeGreaterThan(0.6);
    expect(earbudTitles.length / headphones.length).toBeGreaterThan(0.6);
    expect(new Set(earbudTitles.map((p) => p.shopKey)).size).toBe(2);
    for (const p of demoProducts) {
      expect(p.title.length, p.title).toBeGreaterThanOrEqual(4);
      expect(p.title.length, p.title).toBeLessThanOrEqual(100);
      expect(p.title).toMatch(/\p{Script=Han}/u);
      expect(p.title).toBe(p.title.trim());
      expect(p.description.startsWith(p.title)).toBe(true);
      if (p.brandKey) expect(p.title).toContain(demoBrands.find((b) => b.key === p.brandKey)!.name);
    }
    for (const s of demoShops) {
      const titles = demoProducts.filter((p) => p.shopKey === s.key).map((p) => p.title);
      expect(new Set(titles).size, s.key).toBe(titles.length);
    }
  });

  it('has https images on the example.com placeholder host and sensible shipping promises', () => {
    for (const p of demoProducts) {
      expect(p.images.length).toBeGreaterThanOrEqual(1);
      expect(p.images.length).toBeLessThanOrEqual(20);
      for (const url of p.images) {
        const u = new URL(url);
        expect(u.protocol).toBe('https:');
        expect(u.hostname.endsWith('example.com')).toBe(true);
        expect(url.startsWith(DEMO_IMAGE_HOST)).toBe(true);
      }
      expect([null, 24, 48]).toContain(p.shipWithinHours);
    }
    const promised = demoProducts.filter((p) => p.shipWithinHours !== null).length;
    expect(promised).toBeGreaterThan(0);
    expect(promised).toBeLessThan(demoProducts.length);
  });

  it('has 1 to 6 SKUs each, with attributes, codes unique per shop and whitespace-free', () => {
    for (const p of demoProducts) {
      expect(p.skus.length, p.title).toBeGreaterThanOrEqual(1);
      expect(p.skus.length, p.title).toBeLessThanOrEqual(6);
      const combos = p.skus.map((s) => JSON.stringify(s.attributes));
      expect(new Set(combos).size, p.title).toBe(combos.length);
      for (const s of p.skus) {
        expect(Object.keys(s.attributes).length).toBeGreaterThan(0);
        for (const [k, v] of Object.entries(s.attributes)) {
          expect(['颜色', '尺码', '规格']).toContain(k);
          expect(v.length).toBeGreaterThan(0);
          expect(v.length).toBeLessThanOrEqual(40);
        }
        expect(s.code).toMatch(/^\S{1,64}$/);
      }
    }
    for (const shop of demoShops) {
      const codes = allSkus.filter((s) => s.product.shopKey === shop.key).map((s) => s.code);
      expect(new Set(codes).size, shop.key).toBe(codes.length);
    }
    expect(demoProducts.some((p) => p.skus.length === 1)).toBe(true);
    expect(demoProducts.some((p) => p.skus.length >= 4)).toBe(true);
  });

  it('prices every SKU in positive integer fen, in a realistic range for its category', () => {
    const ranges: Record<string, [number, number]> = {
      dresses: [9900, 59900],
      headphones: [4900, 199900],
      phones: [99900, 899900],
      'phone-cases': [990, 9900],
      'fresh-fruit': [1990, 19900],
      fiction: [1990, 12900],
    };
    for (const s of allSkus) {
      expect(Number.isSafeInteger(s.price), s.code).toBe(true);
      expect(s.price, s.code).toBeGreaterThan(0);
      expect(s.price % 10, s.code).toBe(0);
      const range = ranges[s.product.categorySlug];
      if (range) {
        expect(s.price, s.code).toBeGreaterThanOrEqual(range[0]);
        expect(s.price, s.code).toBeLessThanOrEqual(range[1]);
      }
    }
    // Within a product, a SKU of the same spec costs the same whatever its colour or size.
    for (const p of demoProducts) {
      const bySpec = new Map<string, Set<number>>();
      for (const s of p.skus) {
        const spec = s.attributes.规格 ?? '';
        bySpec.set(spec, (bySpec.get(spec) ?? new Set()).add(s.price));
      }
      for (const prices of bySpec.values()) expect(prices.size, p.title).toBe(1);
    }
  });

  it('stocks every SKU in each of its shop warehouses with on-hand quantities', () => {
    for (const s of allSkus) {
      const shop = shopByKey.get(s.product.shopKey)!;
      expect(s.stock.map((l) => l.warehouseKey).sort()).toEqual(shop.warehouses.map((w) => w.key).sort());
      for (const line of s.stock) {
        expect(Number.isInteger(line.quantity)).toBe(true);
        expect(line.quantity).toBeGreaterThanOrEqual(0);
        expect(line.quantity).toBeLessThanOrEqual(10_000_000);
      }
    }
    const total = allSkus.reduce((a, s) => a + s.stock.reduce((b, l) => b + l.quantity, 0), 0);
    expect(total).toBeGreaterThan(allSkus.length * 100);
    // Some lines are out of stock in one warehouse (realistic), most are not.
    const lines = allSkus.flatMap((s) => s.stock);
    const empty = lines.filter((l) => l.quantity === 0).length;
    expect(empty).toBeGreaterThan(0);
    expect(empty / lines.length).toBeLessThan(0.3);
  });
});
