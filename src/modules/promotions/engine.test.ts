import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Coupon,
  type EngineInput,
  type EngineLine,
  type FullReduction,
  nextTier,
  priceCart,
  reductionFor,
} from './engine';

const line = (
  key: string,
  shopId: string,
  unitPrice: number,
  quantity = 1,
  categoryId = 'cat_a',
): EngineLine => ({
  key,
  shopId,
  skuId: key,
  categoryId,
  quantity,
  unitPrice,
});
const base = (lines: EngineLine[], over: Partial<EngineInput> = {}): EngineInput => ({
  lines,
  flash: new Map(),
  timed: new Map(),
  subsidies: new Map(),
  reductions: [],
  coupons: [],
  points: { requested: 0, available: 0, fenPerPoint: 1, maxOrderShareBp: 5000 },
  exclusions: [
    ['flash_sale', 'shop_coupon'],
    ['flash_sale', 'platform_coupon'],
    ['subsidy', 'cross_shop_reduction'],
  ],
  ...over,
});
const reduction = (over: Partial<FullReduction>): FullReduction => ({
  id: 'fr_1',
  shopId: 'shop_a',
  mode: 'tiered',
  tiers: [],
  cap: 0,
  funder: 'merchant',
  platformShareBp: 0,
  shopIds: [],
  ...over,
});
const coupon = (over: Partial<Coupon>): Coupon => ({
  id: 'cpn_1',
  templateId: 'ct_1',
  shopId: 'shop_a',
  kind: 'amount',
  amount: 1_000,
  percentOffBp: 0,
  cap: 0,
  threshold: 0,
  funder: 'merchant',
  platformShareBp: 0,
  categoryIds: [],
  ...over,
});

describe('full reduction', () => {
  it('tiered: the best tier reached; every: per full threshold, capped', () => {
    const tiered = {
      mode: 'tiered' as const,
      tiers: [
        { threshold: 20_000, off: 2_000 },
        { threshold: 40_000, off: 5_000 },
      ],
      cap: 0,
    };
    expect([19_999, 20_000, 39_999, 40_000, 90_000].map((b) => reductionFor(tiered, b))).toEqual([
      0, 2_000, 2_000, 5_000, 5_000,
    ]);
    const every = { mode: 'every' as const, tiers: [{ threshold: 30_000, off: 5_000 }], cap: 0 };
    expect([29_999, 30_000, 59_999, 60_000, 95_000].map((b) => reductionFor(every, b))).toEqual([
      0, 5_000, 5_000, 10_000, 15_000,
    ]);
    expect(reductionFor({ ...every, cap: 12_000 }, 95_000)).toBe(12_000);
    expect(nextTier(every, 27_650)).toEqual({ threshold: 30_000, missing: 2_350 });
  });

  it('the threshold is at the fen: 299.99 does not reach 300.00', () => {
    const r = reduction({ mode: 'every', tiers: [{ threshold: 30_000, off: 5_000 }] });
    const below = priceCart(base([line('a', 'shop_a', 29_999)], { reductions: [r] }));
    expect(below.total).toBe(29_999);
    const at = priceCart(base([line('a', 'shop_a', 30_000)], { reductions: [r] }));
    expect(at.total).toBe(25_000);
  });
});

describe('stacking order and allocation', () => {
  it('flash -> timed -> shop reduction + coupon -> cross-shop + platform coupon -> points, allocated to the fen', () => {
    const lines = [
      line('a', 'shop_a', 10_000, 2),
      line('b', 'shop_a', 3_333, 3),
      line('c', 'shop_b', 25_000),
      line('d', 'shop_b', 999),
    ];
    const result = priceCart(
      base(lines, {
        flash: new Map([['c', { campaignId: 'fs_1', unitPrice: 19_900 }]]),
        timed: new Map([['d', { id: 'td_1', skuId: 'd', unitPrice: 899 }]]),
        reductions: [
          reduction({ id: 'fr_a', shopId: 'shop_a', tiers: [{ threshold: 20_000, off: 2_000 }] }),
          reduction({
            id: 'fr_x',
            shopId: null,
            mode: 'every',
            tiers: [{ threshold: 30_000, off: 5_000 }],
            funder: 'shared',
            platformShareBp: 5000,
          }),
        ],
        coupons: [
          coupon({ id: 'cpn_shop', shopId: 'shop_a', amount: 1_500, threshold: 20_000 }),
          coupon({
            id: 'cpn_plat',
            shopId: null,
            kind: 'percent',
            percentOffBp: 1000,
            cap: 2_000,
            funder: 'platform',
          }),
        ],
        points: { requested: 100_000, available: 1_234, fenPerPoint: 1, maxOrderShareBp: 5000 },
      }),
    );
    const byKey = new Map(result.lines.map((l) => [l.key, l]));
    // Item level: c at the flash price, d at the timed price.
    expect(byKey.get('c')!.discounts[0]).toMatchObject({
      kind: 'flash_sale',
      amount: 5_100,
      merchantFunded: 5_100,
    });
    expect(byKey.get('d')!.discounts[0]).toMatchObject({ kind: 'timed_discount', amount: 100 });
    // Shop A: 29,999 after item level reaches the 200 tier (20.00 off) and the coupon's threshold (15.00 off).
    const shopA = ['a', 'b'].map((k) => byKey.get(k)!);
    const sumOf = (kind: string, ls = result.lines) =>
      ls.reduce(
        (s, l) => s + l.discounts.filter((d) => d.kind === kind).reduce((x, d) => x + d.amount, 0),
        0,
      );
    expect(sumOf('shop_reduction', shopA)).toBe(2_000);
    expect(sumOf('shop_coupon', shopA)).toBe(1_500);
    // Cross-shop: every 300 off 50 over 29,999 + 19,900 + 899 = 50,798 -> one step: 50.00, half platform-funded.
    expect(sumOf('cross_shop_reduction')).toBe(5_000);
    const cross = result.lines.flatMap((l) => l.discounts.filter((d) => d.kind === 'cross_shop_reduction'));
    expect(cross.reduce((s, d) => s + d.platformFunded, 0)).toBeGreaterThanOrEqual(2_496);
    // Platform coupon: 10% capped at 20.00, never on the flash-sale line.
    expect(sumOf('platform_coupon')).toBe(2_000);
    expect(byKey.get('c')!.discounts.some((d) => d.kind === 'platform_coupon')).toBe(false);
    // Points: the buyer has 1,234.
    expect(result.pointsUsed).toBe(1_234);
    expect(result.lines.reduce((s, l) => s + l.pointsAmount, 0)).toBe(1_234);
    // Every line: list = discounts + paid; the paid amounts add up to the total.
    for (const l of result.lines) {
      expect(l.discounts.reduce((s, d) => s + d.amount, 0) + l.paid).toBe(l.listTotal);
    }
    expect(result.lines.reduce((s, l) => s + l.paid, 0)).toBe(result.total);
    expect(result.total).toBe(result.listTotal - 5_100 - 100 - 2_000 - 1_500 - 5_000 - 2_000);
  });

  it('explains a coupon that does not apply: spend 23.50 more', () => {
    const r = priceCart(base([line('a', 'shop_a', 27_650)], { coupons: [coupon({ threshold: 30_000 })] }));
    expect(r.coupons).toEqual([
      { couponId: 'cpn_1', applied: false, reason: 'below_threshold', missing: 2_350 },
    ]);
    expect(r.total).toBe(27_650);
  });

  it('one coupon per shop and one platform coupon; a subsidy stops at its budget', () => {
    const r = priceCart(
      base([line('a', 'shop_a', 10_000, 3)], {
        coupons: [
          coupon({ id: 'c1' }),
          coupon({ id: 'c2' }),
          coupon({ id: 'p1', shopId: null }),
          coupon({ id: 'p2', shopId: null }),
        ],
        subsidies: new Map([['a', { id: 'sub_1', skuId: 'a', perUnit: 1_000, budgetLeft: 2_500 }]]),
      }),
    );
    expect(r.coupons.map((c) => [c.couponId, c.applied, c.reason ?? null])).toEqual([
      ['c1', true, null],
      ['c2', false, 'one_per_shop'],
      ['p1', true, null],
      ['p2', false, 'one_platform_coupon'],
    ]);
    expect(r.subsidySpent.get('sub_1')).toBe(2_500);
  });

  it('points are capped at the rules share of the order', () => {
    const r = priceCart(
      base([line('a', 'shop_a', 10_000)], {
        points: { requested: 9_000, available: 9_000, fenPerPoint: 1, maxOrderShareBp: 5000 },
      }),
    );
    expect(r.pointsUsed).toBe(5_000);
    expect(r.total).toBe(10_000);
    expect(r.lines[0]!.pointsAmount).toBe(5_000);
  });
});

describe('property: random carts and promotions', () => {
  const arbLine = fc.record({
    shop: fc.constantFrom('shop_a', 'shop_b', 'shop_c'),
    price: fc.integer({ min: 1, max: 500_000 }),
    quantity: fc.integer({ min: 1, max: 20 }),
    category: fc.constantFrom('cat_a', 'cat_b'),
  });
  it('paid amounts are never negative, lines sum to the total, discounts never exceed the list price', () => {
    fc.assert(
      fc.property(
        fc.array(arbLine, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.boolean(),
        (raw, threshold, off, pct, points, flash) => {
          const lines = raw.map((l, i) => line(`l${i}`, l.shop, l.price, l.quantity, l.category));
          const input = base(lines, {
            flash: flash
              ? new Map([
                  ['l0', { campaignId: 'fs', unitPrice: Math.max(1, Math.floor(lines[0]!.unitPrice / 2)) }],
                ])
              : new Map(),
            reductions: [
              reduction({ id: 'fr_a', shopId: 'shop_a', mode: 'every', tiers: [{ threshold, off }] }),
              reduction({
                id: 'fr_x',
                shopId: null,
                tiers: [{ threshold, off: off * 2 }],
                funder: 'shared',
                platformShareBp: 3000,
              }),
            ],
            coupons: [
              coupon({ id: 'c_a', amount: off, threshold }),
              coupon({ id: 'c_p', shopId: null, kind: 'percent', percentOffBp: pct, cap: off }),
            ],
            points: { requested: points, available: points, fenPerPoint: 1, maxOrderShareBp: 5000 },
          });
          const r = priceCart(input);
          expect(r.lines.reduce((s, l) => s + l.paid, 0)).toBe(r.total);
          for (const l of r.lines) {
            expect(l.paid).toBeGreaterThanOrEqual(0);
            expect(l.pointsAmount).toBeLessThanOrEqual(l.paid);
            const disc = l.discounts.reduce((s, d) => s + d.amount, 0);
            expect(disc + l.paid).toBe(l.listTotal);
            for (const d of l.discounts) expect(d.merchantFunded + d.platformFunded).toBe(d.amount);
          }
          // Deterministic: the same input prices the same way.
          expect(priceCart(input)).toEqual(r);
        },
      ),
      { numRuns: 300, seed: 20261122 },
    );
  });
});

describe('campaign prices and member prices', () => {
  it('a group-buy or presale price is the item price: no timed discount on top, a shop reduction still counts it', () => {
    for (const kind of ['group_buy', 'presale'] as const) {
      const r = priceCart(
        base([line('a', 'shop_a', 10_000, 2)], {
          flash: new Map([['a', { campaignId: 'cmp_1', unitPrice: 6_000, kind }]]),
          timed: new Map([['a', { id: 'tdc_1', skuId: 'a', unitPrice: 5_000 }]]),
          reductions: [reduction({ tiers: [{ threshold: 12_000, off: 1_000 }] })],
        }),
      );
      expect(r.lines[0]!.discounts.map((d) => [d.kind, d.amount])).toEqual([
        [kind, 8_000],
        ['shop_reduction', 1_000],
      ]);
      expect(r.lines[0]!.paid).toBe(11_000);
    }
  });

  it('a member-only timed price is recorded as member_price, merchant-funded, and obeys exclusions', () => {
    const input = base([line('a', 'shop_a', 10_000)], {
      timed: new Map([['a', { id: 'tdc_m', skuId: 'a', unitPrice: 8_800, memberOnly: true }]]),
      coupons: [coupon({ amount: 500 })],
    });
    const r = priceCart(input);
    expect(r.lines[0]!.discounts).toEqual([
      { kind: 'member_price', promotionId: 'tdc_m', amount: 1_200, merchantFunded: 1_200, platformFunded: 0 },
      { kind: 'shop_coupon', promotionId: 'cpn_1', amount: 500, merchantFunded: 500, platformFunded: 0 },
    ]);
    const excluded = priceCart({ ...input, exclusions: [['member_price', 'shop_coupon']] });
    expect(excluded.lines[0]!.discounts.map((d) => d.kind)).toEqual(['member_price']);
  });
});
