import { allocate } from '../../kernel/money';

/**
 * The price engine: a pure, deterministic function from a cart and the promotions that apply to it
 * to what every line costs, layer by layer, in the fixed stacking order
 *
 *   item price (flash sale) -> timed discount or platform subsidy -> shop full reduction and shop
 *   coupon -> cross-shop full reduction and platform coupon -> points
 *
 * Each discount is spread over the lines it covers in proportion to what they still cost, to the
 * fen, largest remainder first, so every line's paid amount is exact and partial refunds are exact.
 * Who funds each part (merchant or platform) is recorded per line.
 */

export type Funder = 'merchant' | 'platform' | 'shared';
export type DiscountKind =
  | 'flash_sale'
  | 'group_buy'
  | 'presale'
  | 'timed_discount'
  | 'member_price'
  | 'subsidy'
  | 'shop_reduction'
  | 'shop_coupon'
  | 'cross_shop_reduction'
  | 'platform_coupon'
  | 'points';

/** The layers in stacking order; a later layer's threshold sees the earlier layers' prices. */
export const LAYERS: DiscountKind[][] = [
  ['flash_sale', 'group_buy', 'presale'],
  ['timed_discount', 'member_price', 'subsidy'],
  ['shop_reduction', 'shop_coupon'],
  ['cross_shop_reduction', 'platform_coupon'],
  ['points'],
];

export interface EngineLine {
  key: string;
  shopId: string;
  skuId: string;
  categoryId: string;
  quantity: number;
  /** The list price per unit. */
  unitPrice: number;
}

/** An item-level price: a flash sale's, or a group buy's or presale's for the orders placed through it. */
export interface FlashPrice {
  campaignId: string;
  unitPrice: number;
  kind?: ItemPriceKind;
}
export type ItemPriceKind = 'flash_sale' | 'group_buy' | 'presale';
const ITEM_PRICE_KINDS: DiscountKind[] = ['flash_sale', 'group_buy', 'presale'];

export interface TimedDiscount {
  id: string;
  skuId: string;
  unitPrice: number;
  /** A member-only price (会员价): recorded as `member_price`. */
  memberOnly?: boolean;
}

export interface Subsidy {
  id: string;
  skuId: string;
  perUnit: number;
  /** Fen of the budget still unspent: the subsidy stops when it runs out. */
  budgetLeft: number;
}

export interface ReductionTier {
  threshold: number;
  off: number;
}

export interface FullReduction {
  id: string;
  /** A shop's own, or null for a cross-shop (platform) one. */
  shopId: string | null;
  /** `tiered`: the best tier reached; `every`: `off` for each full `threshold` ("every 300 off 50"). */
  mode: 'tiered' | 'every';
  tiers: ReductionTier[];
  /** Cap for `every` (0 = none). */
  cap: number;
  funder: Funder;
  /** For a shared one: the platform's part, in basis points. */
  platformShareBp: number;
  /** Cross-shop: only these shops take part (empty = every shop). */
  shopIds: string[];
}

export interface Coupon {
  id: string;
  templateId: string;
  /** A shop coupon or a platform coupon (null shop). */
  shopId: string | null;
  kind: 'amount' | 'percent';
  amount: number;
  percentOffBp: number;
  cap: number;
  threshold: number;
  funder: Funder;
  platformShareBp: number;
  /** Only these categories (empty = all). */
  categoryIds: string[];
}

export interface EngineInput {
  lines: EngineLine[];
  flash: Map<string, FlashPrice>;
  timed: Map<string, TimedDiscount>;
  subsidies: Map<string, Subsidy>;
  reductions: FullReduction[];
  coupons: Coupon[];
  points: { requested: number; available: number; fenPerPoint: number; maxOrderShareBp: number };
  /** Pairs of kinds that never apply to the same line (from the rule set). */
  exclusions: [DiscountKind, DiscountKind][];
}

export interface LineDiscount {
  kind: DiscountKind;
  promotionId: string;
  amount: number;
  merchantFunded: number;
  platformFunded: number;
}

export interface PricedLine {
  key: string;
  shopId: string;
  skuId: string;
  quantity: number;
  unitPrice: number;
  listTotal: number;
  discounts: LineDiscount[];
  /** What the buyer pays for the line, points included. */
  paid: number;
  /** The part of `paid` paid with points, in fen. */
  pointsAmount: number;
  platformFunded: number;
}

export interface CouponNote {
  couponId: string;
  applied: boolean;
  /** Why it does not apply: `below_threshold` with `missing` fen, `no_lines`, `excluded`, `exclusive`. */
  reason?: 'below_threshold' | 'no_lines' | 'excluded' | 'one_per_shop' | 'one_platform_coupon';
  missing?: number;
}

export interface PriceResult {
  lines: PricedLine[];
  total: number;
  listTotal: number;
  discountTotal: number;
  pointsUsed: number;
  coupons: CouponNote[];
  subsidySpent: Map<string, number>;
}

function split(amount: number, funder: Funder, platformShareBp: number) {
  const platform =
    funder === 'platform'
      ? amount
      : funder === 'merchant'
        ? 0
        : Math.floor((amount * platformShareBp) / 10_000);
  return { merchantFunded: amount - platform, platformFunded: platform };
}

/** The discount a full reduction gives on `base` fen. */
export function reductionFor(r: Pick<FullReduction, 'mode' | 'tiers' | 'cap'>, base: number): number {
  if (r.mode === 'every') {
    const tier = r.tiers[0];
    if (!tier || tier.threshold <= 0) return 0;
    const off = Math.floor(base / tier.threshold) * tier.off;
    return r.cap > 0 ? Math.min(off, r.cap) : off;
  }
  let best = 0;
  for (const t of r.tiers) if (base >= t.threshold && t.off > best) best = t.off;
  return best;
}

/** The next tier not yet reached and what is missing for it ("spend 23.50 more"). */
export function nextTier(r: Pick<FullReduction, 'mode' | 'tiers'>, base: number) {
  const sorted = [...r.tiers].sort((a, b) => a.threshold - b.threshold);
  if (r.mode === 'every') {
    const t = sorted[0];
    if (!t) return undefined;
    return {
      threshold: (Math.floor(base / t.threshold) + 1) * t.threshold,
      missing: t.threshold - (base % t.threshold),
    };
  }
  const t = sorted.find((x) => x.threshold > base);
  return t ? { threshold: t.threshold, missing: t.threshold - base } : undefined;
}

export function couponValue(c: Coupon, base: number): number {
  if (c.kind === 'amount') return Math.min(c.amount, base);
  const off = Math.floor((base * c.percentOffBp) / 10_000);
  return c.cap > 0 ? Math.min(off, c.cap) : off;
}

export function priceCart(input: EngineInput): PriceResult {
  const state = input.lines.map((l) => ({
    line: l,
    payable: l.unitPrice * l.quantity,
    discounts: [] as LineDiscount[],
    kinds: new Set<DiscountKind>(),
  }));
  const excluded = (kinds: Set<DiscountKind>, kind: DiscountKind) =>
    input.exclusions.some(([a, b]) => (a === kind && kinds.has(b)) || (b === kind && kinds.has(a)));

  /** Spreads `amount` over the given lines in proportion to what they still cost. */
  const apply = (
    targets: typeof state,
    amount: number,
    kind: DiscountKind,
    promotionId: string,
    funder: Funder,
    platformShareBp: number,
  ) => {
    const capped = Math.min(
      amount,
      targets.reduce((s, t) => s + t.payable, 0),
    );
    if (capped <= 0) return 0;
    const parts = allocate(
      capped,
      targets.map((t) => t.payable),
    );
    targets.forEach((t, i) => {
      const part = parts[i] ?? 0;
      if (part <= 0) return;
      t.payable -= part;
      t.discounts.push({ kind, promotionId, amount: part, ...split(part, funder, platformShareBp) });
      t.kinds.add(kind);
    });
    return capped;
  };

  // 1. Item price: a flash sale (or the group buy or presale the order is placed through) replaces
  // the list price for its units; the merchant funds the cut.
  for (const t of state) {
    const flash = input.flash.get(t.line.key);
    if (flash && flash.unitPrice < t.line.unitPrice) {
      apply(
        [t],
        (t.line.unitPrice - flash.unitPrice) * t.line.quantity,
        flash.kind ?? 'flash_sale',
        flash.campaignId,
        'merchant',
        0,
      );
    }
  }

  // 2. Timed discount or member-only price (merchant) or, failing those, a platform subsidy within
  // its budget.
  const subsidySpent = new Map<string, number>();
  for (const t of state) {
    if (ITEM_PRICE_KINDS.some((k) => t.kinds.has(k))) continue;
    const timed = input.timed.get(t.line.skuId);
    const timedKind = timed?.memberOnly ? 'member_price' : 'timed_discount';
    if (timed && timed.unitPrice < t.line.unitPrice && !excluded(t.kinds, timedKind)) {
      apply([t], (t.line.unitPrice - timed.unitPrice) * t.line.quantity, timedKind, timed.id, 'merchant', 0);
      continue;
    }
    const subsidy = input.subsidies.get(t.line.skuId);
    if (subsidy && !excluded(t.kinds, 'subsidy')) {
      const left = subsidy.budgetLeft - (subsidySpent.get(subsidy.id) ?? 0);
      const want = Math.min(subsidy.perUnit * t.line.quantity, left);
      const got = apply([t], want, 'subsidy', subsidy.id, 'platform', 0);
      if (got > 0) subsidySpent.set(subsidy.id, (subsidySpent.get(subsidy.id) ?? 0) + got);
    }
  }
  // Thresholds of full reductions and coupons count the amount after item-level discounts.
  const afterItem = new Map(state.map((t) => [t, t.payable]));
  const notes: CouponNote[] = [];

  // 3. Shop layer: each shop's best full reduction, then one shop coupon per shop.
  const shopIds = [...new Set(state.map((t) => t.line.shopId))].sort();
  for (const shopId of shopIds) {
    const lines = state.filter((t) => t.line.shopId === shopId && !excluded(t.kinds, 'shop_reduction'));
    const base = lines.reduce((s, t) => s + (afterItem.get(t) ?? 0), 0);
    let best: { r: FullReduction; off: number } | undefined;
    for (const r of input.reductions.filter((x) => x.shopId === shopId)) {
      const off = reductionFor(r, base);
      if (off > (best?.off ?? 0) || (off > 0 && off === best?.off && r.id < best.r.id)) best = { r, off };
    }
    if (best) apply(lines, best.off, 'shop_reduction', best.r.id, best.r.funder, best.r.platformShareBp);
  }
  const usedShops = new Set<string>();
  for (const c of input.coupons.filter((x) => x.shopId !== null).sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (usedShops.has(c.shopId!)) {
      notes.push({ couponId: c.id, applied: false, reason: 'one_per_shop' });
      continue;
    }
    const lines = state.filter(
      (t) =>
        t.line.shopId === c.shopId &&
        (c.categoryIds.length === 0 || c.categoryIds.includes(t.line.categoryId)) &&
        !excluded(t.kinds, 'shop_coupon'),
    );
    notes.push(applyCoupon(c, lines, 'shop_coupon'));
    if (notes[notes.length - 1]?.applied) usedShops.add(c.shopId!);
  }

  // 4. Cross-shop layer: the best cross-shop full reduction over the shops taking part, then one
  // platform coupon. A cross-shop reduction is split over shops by their lines' amounts.
  for (const r of [...input.reductions.filter((x) => x.shopId === null)]
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .slice(0, 1)) {
    const lines = state.filter(
      (t) =>
        (r.shopIds.length === 0 || r.shopIds.includes(t.line.shopId)) &&
        !excluded(t.kinds, 'cross_shop_reduction'),
    );
    const base = lines.reduce((s, t) => s + (afterItem.get(t) ?? 0), 0);
    apply(lines, reductionFor(r, base), 'cross_shop_reduction', r.id, r.funder, r.platformShareBp);
  }
  let platformCouponUsed = false;
  for (const c of input.coupons.filter((x) => x.shopId === null).sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (platformCouponUsed) {
      notes.push({ couponId: c.id, applied: false, reason: 'one_platform_coupon' });
      continue;
    }
    const lines = state.filter(
      (t) =>
        (c.categoryIds.length === 0 || c.categoryIds.includes(t.line.categoryId)) &&
        !excluded(t.kinds, 'platform_coupon'),
    );
    const note = applyCoupon(c, lines, 'platform_coupon');
    notes.push(note);
    platformCouponUsed = note.applied;
  }

  function applyCoupon(c: Coupon, lines: typeof state, kind: DiscountKind): CouponNote {
    if (lines.length === 0) return { couponId: c.id, applied: false, reason: 'no_lines' };
    const base = lines.reduce((s, t) => s + (afterItem.get(t) ?? 0), 0);
    if (base < c.threshold)
      return { couponId: c.id, applied: false, reason: 'below_threshold', missing: c.threshold - base };
    const value = couponValue(
      c,
      lines.reduce((s, t) => s + t.payable, 0),
    );
    if (value <= 0) return { couponId: c.id, applied: false, reason: 'no_lines' };
    apply(lines, value, kind, c.id, c.funder, c.platformShareBp);
    return { couponId: c.id, applied: true };
  }

  // 5. Points: at most the rules' share of what is left to pay, never more than the buyer has.
  const payable = state.reduce((s, t) => s + t.payable, 0);
  const { requested, available, fenPerPoint, maxOrderShareBp } = input.points;
  const maxFen = Math.floor((payable * maxOrderShareBp) / 10_000);
  const points = Math.max(0, Math.min(requested, available, Math.floor(maxFen / fenPerPoint)));
  const pointsFen = points * fenPerPoint;
  const pointsBefore = new Map(state.map((t) => [t, t.payable]));
  if (pointsFen > 0) apply(state, pointsFen, 'points', 'points', 'platform', 0);

  const lines = state.map((t) => {
    const listTotal = t.line.unitPrice * t.line.quantity;
    const pointsAmount = (pointsBefore.get(t) ?? 0) - t.payable;
    return {
      key: t.line.key,
      shopId: t.line.shopId,
      skuId: t.line.skuId,
      quantity: t.line.quantity,
      unitPrice: t.line.unitPrice,
      listTotal,
      discounts: t.discounts.filter((d) => d.kind !== 'points'),
      // Points are a way of paying, not a discount: the line's paid amount includes them.
      paid: t.payable + pointsAmount,
      pointsAmount,
      platformFunded: t.discounts
        .filter((d) => d.kind !== 'points')
        .reduce((s, d) => s + d.platformFunded, 0),
    };
  });
  const listTotal = lines.reduce((s, l) => s + l.listTotal, 0);
  const total = lines.reduce((s, l) => s + l.paid, 0);
  return {
    lines,
    total,
    listTotal,
    discountTotal: listTotal - total,
    pointsUsed: points,
    coupons: notes,
    subsidySpent,
  };
}
