import { type Static, Type } from 'typebox';
import { Amount } from '../../kernel/money';

/**
 * The platform rules document: every number the other modules apply (deadlines, compensation,
 * deposits, tiers, commission) comes from one of these, versioned per shop kind, never from a
 * constant in code. The sources and the conflicts behind each default are in
 * docs rules-reference.md (§16 lists the surface).
 */

export const SHOP_KINDS = ['mall', 'market'] as const;
export type ShopKind = (typeof SHOP_KINDS)[number];
export const ShopKindSchema = Type.Enum([...SHOP_KINDS], {
  description: 'mall (Tmall-like) or market (Taobao-like)',
});

export const MALL_TYPES = ['flagship', 'specialty', 'franchise'] as const;
export type MallType = (typeof MALL_TYPES)[number];
/** Trademark registered (R, ®) or only applied for (TM). */
export const TRADEMARK_STATUSES = ['R', 'TM'] as const;
export type TrademarkStatus = (typeof TRADEMARK_STATUSES)[number];

/** The discounts of the price engine, in stacking order (promotions/engine.ts). */
export const DISCOUNT_KINDS = [
  'flash_sale',
  'group_buy',
  'presale',
  'timed_discount',
  'member_price',
  'subsidy',
  'shop_reduction',
  'shop_coupon',
  'cross_shop_reduction',
  'platform_coupon',
  'points',
] as const;
export type DiscountKindName = (typeof DISCOUNT_KINDS)[number];

const strict = { additionalProperties: false } as const;
const count = (max: number, description?: string) => Type.Integer({ minimum: 0, maximum: max, description });
const positive = (max: number, description?: string) =>
  Type.Integer({ minimum: 1, maximum: max, description });
/** Basis points: 500 = 5%. */
const basisPoints = (description?: string) =>
  Type.Integer({ minimum: 0, maximum: 10_000, description: description ?? 'basis points (500 = 5%)' });
const fen = (description: string) => Type.Integer({ ...Amount, description });

const ByTrademark = Type.Object(
  { R: fen('registered trademark (R)'), TM: fen('trademark applied for (TM)') },
  strict,
);

const SeriousNode = Type.Object(
  {
    points: positive(1000),
    action: Type.Enum(['restrict', 'close_shop', 'seal_account']),
    days: Type.Optional(positive(3650, 'how long the penalty lasts; absent for a permanent one')),
  },
  strict,
);

const ShopTier = Type.Object(
  {
    code: Type.String({ pattern: '^[a-z][a-z0-9_]{1,31}$' }),
    monthlyFee: fen('charged per billing period'),
  },
  strict,
);

export const RulesSchema = Type.Object(
  {
    shipping: Type.Object(
      { deadlineHours: positive(24 * 60, 'hours from payment to the carrier pick-up scan') },
      strict,
    ),
    order: Type.Object(
      {
        unpaidCloseMinutes: Type.Object(
          {
            normal: positive(60 * 24 * 30),
            flash: positive(60 * 24 * 30),
            presaleDeposit: positive(60 * 24 * 30),
          },
          strict,
        ),
        autoConfirmDays: Type.Object(
          {
            express: positive(365),
            surfaceMail: positive(365),
            virtual: positive(365),
            autoShip: positive(365),
            overseas: positive(365),
          },
          { ...strict, description: 'days after shipment until receipt is confirmed for the buyer' },
        ),
        buyerExtend: Type.Object(
          {
            times: count(10),
            days: positive(60),
            whenRemainingDaysAtMost: positive(60, 'the buyer may extend only this close to the deadline'),
          },
          strict,
        ),
        sellerExtendDays: Type.Optional(
          Type.Array(positive(60), {
            minItems: 1,
            maxItems: 10,
            uniqueItems: true,
            description: 'the extensions of the receipt time a seller may grant, in days',
          }),
        ),
      },
      strict,
    ),
    refund: Type.Object(
      {
        sellerRespondHours: Type.Object(
          { unshipped: positive(24 * 60), shipped: positive(24 * 60), virtual: positive(24 * 60) },
          { ...strict, description: 'the seller must answer within this, or the refund is approved' },
        ),
        buyerAfterRefusalDays: positive(60),
        buyerReturnShipDays: positive(60),
        sellerConfirmReturnDays: Type.Object(
          { express: positive(365), surfaceMail: positive(365) },
          { ...strict, description: 'after the return is shipped; silence refunds the buyer' },
        ),
      },
      strict,
    ),
    afterSales: Type.Object(
      {
        windowDays: Type.Object(
          { standard: positive(3650), sanbao: positive(3650), counterfeit: positive(3650) },
          strict,
        ),
        noReasonReturnHours: positive(24 * 60, 'counted from 00:00 the day after sign-off'),
      },
      strict,
    ),
    complaint: Type.Object({ windowDays: positive(365) }, strict),
    promotions: Type.Optional(
      Type.Object(
        {
          exclusions: Type.Array(Type.Array(Type.Enum([...DISCOUNT_KINDS]), { minItems: 2, maxItems: 2 }), {
            maxItems: 50,
            description: 'pairs of discounts that never apply to the same order line',
          }),
        },
        { ...strict, description: 'how promotions stack; absent in rule sets older than them' },
      ),
    ),
    returnInsurance: Type.Optional(
      Type.Object(
        {
          premium: fen('per order, bought by the buyer at checkout or given by the shop'),
          maxPayout: fen("at most this much of the buyer's return postage is paid back"),
        },
        { ...strict, description: 'return-shipping insurance (运费险); absent in rule sets older than it' },
      ),
    ),
    lateShipment: Type.Object(
      {
        compensation: Type.Object(
          {
            rateBp: basisPoints('share of the amount paid, shipping excluded'),
            minAmount: fen('at least this much'),
            maxAmount: fen('at most this much'),
            specialCategoryMinAmount: fen('the minimum for special categories'),
            payout: Type.Enum(['cash', 'points'], {
              description: 'cash to the buyer (market) or platform points (mall)',
            }),
          },
          strict,
        ),
        penaltyPointsIfNotVoluntary: count(48),
      },
      strict,
    ),
    penalty: Type.Object(
      {
        general: Type.Object(
          {
            pointsPerNode: positive(1000, 'each multiple of this restricts the shop'),
            restrictionDays: positive(365),
          },
          strict,
        ),
        serious: Type.Array(SeriousNode, { minItems: 1, maxItems: 20 }),
        annualReset: Type.Object(
          {
            seriousClearBelow: positive(1000, 'serious points below this are cleared at year end'),
            counterfeitClearBelow: positive(1000),
            counterfeitCarryOver: count(1000, 'counterfeit points carried into the next year'),
          },
          { ...strict, description: 'general points are always cleared on Dec 31' },
        ),
        fakeTrade: Type.Object(
          {
            orderThreshold: positive(100_000, 'fake orders at or above this count as a large case'),
            firstOffences: Type.Object({ below: count(1000), atOrAbove: count(1000) }, strict),
            thirdOffence: Type.Object({ below: count(1000), atOrAbove: count(1000) }, strict),
            laterOffences: count(1000),
            lateDetected: count(1000, 'brushing found months later'),
          },
          strict,
        ),
      },
      strict,
    ),
    points: Type.Object(
      {
        fenPerPoint: positive(100),
        earnedAt: Type.Enum(['trade_success']),
        expiry: Type.Enum(['end_of_next_year']),
        maxOrderShareBp: basisPoints('at most this share of an order may be paid with points'),
        earnRateBp: Type.Optional(
          basisPoints(
            'points earned at trade success, as a share of the money paid (100 = 1 point per yuan)',
          ),
        ),
      },
      strict,
    ),
    review: Type.Object(
      {
        windowDays: positive(365),
        editDays: positive(365),
        appendDays: positive(3650),
        monthlyPairCap: positive(100),
        minScoringOrderAmount: Type.Optional(
          fen('orders of less than this earn no rating points (Taobao: orders of 1 yuan or less)'),
        ),
        dsrWindowMonths: positive(60),
        dsrPairMonthlyCap: positive(100),
      },
      strict,
    ),
    aipl: Type.Object(
      {
        awarenessDays: positive(3650),
        interestDays: positive(3650),
        purchaseDays: positive(3650),
        loyaltyDays: positive(3650),
        loyaltyMinPurchaseDays: positive(365),
      },
      strict,
    ),
    groupBuy: Type.Object({ windowHours: positive(24 * 30) }, strict),
    deposit: Type.Object(
      {
        releaseCoolingDays: count(365, 'after closure, before a frozen deposit is paid back'),
        consumerProtection: Type.Optional(
          Type.Object(
            {
              amount: fen('the frozen consumer-protection deposit'),
              insurance: Type.Object(
                { fee: fen('charged per term, not refundable'), termMonths: positive(60) },
                strict,
              ),
            },
            { ...strict, description: 'market shops' },
          ),
        ),
        byShopType: Type.Optional(
          Type.Object(
            { flagship: ByTrademark, specialty: ByTrademark, franchise: ByTrademark },
            { ...strict, description: 'mall shops: by shop type and trademark status' },
          ),
        ),
      },
      strict,
    ),
    shopTiers: Type.Optional(
      Type.Object(
        {
          defaultTier: Type.String({ pattern: '^[a-z][a-z0-9_]{1,31}$' }),
          billingDays: positive(366),
          tiers: Type.Array(ShopTier, { minItems: 1, maxItems: 20 }),
        },
        { ...strict, description: 'market shops: template and tool levels' },
      ),
    ),
    commission: Type.Object(
      {
        defaultRateBp: basisPoints(),
        categoryRatesBp: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }), basisPoints(), {
          additionalProperties: false,
          description: 'per-category overrides, keyed by category id',
        }),
      },
      strict,
    ),
  },
  strict,
);

export type Rules = Static<typeof RulesSchema>;

const yuan = (n: number) => n * 100;

/**
 * Flash-sale prices take no coupons (the open-source malls and Tmall agree), and an official
 * subsidy does not stack with the cross-shop reduction on the same item (Tmall 2024).
 */
const PROMOTION_DEFAULTS: { exclusions: [DiscountKindName, DiscountKindName][] } = {
  exclusions: [
    ['flash_sale', 'shop_coupon'],
    ['flash_sale', 'platform_coupon'],
    ['subsidy', 'cross_shop_reduction'],
  ],
};

export function promotionRules(rules: Rules): { exclusions: [DiscountKindName, DiscountKindName][] } {
  return (rules.promotions as typeof PROMOTION_DEFAULTS | undefined) ?? PROMOTION_DEFAULTS;
}

/** What rule sets published before return-shipping insurance existed are read with. */
const RETURN_INSURANCE_DEFAULTS = { premium: 150, maxPayout: yuan(25) };

export function returnInsuranceRules(rules: Rules): { premium: number; maxPayout: number } {
  return rules.returnInsurance ?? RETURN_INSURANCE_DEFAULTS;
}

/** What both kinds share; the seed values of the product description where it gives them. */
const common = {
  order: {
    unpaidCloseMinutes: { normal: 1440, flash: 30, presaleDeposit: 30 },
    autoConfirmDays: { express: 10, surfaceMail: 30, virtual: 3, autoShip: 1, overseas: 20 },
    buyerExtend: { times: 1, days: 3, whenRemainingDaysAtMost: 3 },
    sellerExtendDays: [3, 5, 7, 10],
  },
  refund: {
    sellerRespondHours: { unshipped: 48, shipped: 120, virtual: 72 },
    buyerAfterRefusalDays: 7,
    buyerReturnShipDays: 7,
    sellerConfirmReturnDays: { express: 10, surfaceMail: 30 },
  },
  afterSales: { windowDays: { standard: 15, sanbao: 90, counterfeit: 90 }, noReasonReturnHours: 168 },
  complaint: { windowDays: 15 },
  penalty: {
    general: { pointsPerNode: 12, restrictionDays: 7 },
    serious: [
      { points: 12, action: 'restrict', days: 7 },
      { points: 24, action: 'restrict', days: 14 },
      { points: 36, action: 'close_shop', days: 21 },
      { points: 48, action: 'seal_account' },
    ],
    annualReset: { seriousClearBelow: 48, counterfeitClearBelow: 24, counterfeitCarryOver: 24 },
    fakeTrade: {
      orderThreshold: 96,
      firstOffences: { below: 0, atOrAbove: 12 },
      thirdOffence: { below: 12, atOrAbove: 48 },
      laterOffences: 48,
      lateDetected: 24,
    },
  },
  points: { fenPerPoint: 1, earnedAt: 'trade_success', expiry: 'end_of_next_year', maxOrderShareBp: 5000 },
  review: {
    windowDays: 15,
    editDays: 30,
    appendDays: 180,
    monthlyPairCap: 6,
    minScoringOrderAmount: 101,
    dsrWindowMonths: 6,
    dsrPairMonthlyCap: 3,
  },
  aipl: {
    awarenessDays: 15,
    interestDays: 15,
    purchaseDays: 910,
    loyaltyDays: 365,
    loyaltyMinPurchaseDays: 2,
  },
  groupBuy: { windowHours: 24 },
  returnInsurance: RETURN_INSURANCE_DEFAULTS,
  promotions: PROMOTION_DEFAULTS,
} satisfies Partial<Rules>;

const compensation = (payout: 'cash' | 'points') => ({
  compensation: {
    rateBp: 500,
    minAmount: yuan(5),
    maxAmount: yuan(30),
    specialCategoryMinAmount: yuan(1),
    payout,
  },
  penaltyPointsIfNotVoluntary: 3,
});

/** Version 1 of each kind's rules, installed by ensureDefaultRuleSets. */
export const DEFAULT_RULES: Record<ShopKind, Rules> = {
  mall: {
    ...common,
    // Tmall points: one point per yuan paid, earned when the trade succeeds.
    points: { ...common.points, earnRateBp: 100 },
    shipping: { deadlineHours: 48 },
    lateShipment: compensation('points'),
    deposit: {
      releaseCoolingDays: 30,
      byShopType: {
        flagship: { R: yuan(50_000), TM: yuan(100_000) },
        specialty: { R: yuan(50_000), TM: yuan(100_000) },
        franchise: { R: yuan(100_000), TM: yuan(150_000) },
      },
    },
    commission: { defaultRateBp: 500, categoryRatesBp: {} },
  },
  market: {
    ...common,
    shipping: { deadlineHours: 72 },
    lateShipment: compensation('cash'),
    deposit: {
      releaseCoolingDays: 30,
      consumerProtection: { amount: yuan(1000), insurance: { fee: yuan(30), termMonths: 12 } },
    },
    shopTiers: {
      defaultTier: 'free',
      billingDays: 30,
      tiers: [
        { code: 'free', monthlyFee: 0 },
        { code: 'basic', monthlyFee: yuan(30) },
        { code: 'advanced', monthlyFee: yuan(60) },
        { code: 'premium', monthlyFee: yuan(120) },
      ],
    },
    // Market shops pay no commission on sales.
    commission: { defaultRateBp: 0, categoryRatesBp: {} },
  },
};

export interface RuleProblem {
  /** JSON pointer inside the rules document. */
  path: string;
  code: string;
  params?: Record<string, unknown>;
}

/**
 * What the schema cannot say: which sections each kind needs, and values that must agree with each
 * other. An empty list means the document can be published for that kind.
 */
export function ruleProblems(kind: ShopKind, rules: Rules): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const requireSection = (present: boolean, path: string) => {
    if (!present) problems.push({ path, code: 'field.required_for_kind', params: { kind } });
  };
  const forbidSection = (present: boolean, path: string) => {
    if (present) problems.push({ path, code: 'field.not_for_kind', params: { kind } });
  };
  if (kind === 'market') {
    requireSection(!!rules.deposit.consumerProtection, '/deposit/consumerProtection');
    requireSection(!!rules.shopTiers, '/shopTiers');
    forbidSection(!!rules.deposit.byShopType, '/deposit/byShopType');
  } else {
    requireSection(!!rules.deposit.byShopType, '/deposit/byShopType');
    forbidSection(!!rules.deposit.consumerProtection, '/deposit/consumerProtection');
    forbidSection(!!rules.shopTiers, '/shopTiers');
  }
  if (rules.shopTiers) {
    const codes = rules.shopTiers.tiers.map((t) => t.code);
    if (new Set(codes).size !== codes.length) {
      problems.push({ path: '/shopTiers/tiers', code: 'field.uniqueItems' });
    }
    const fallback = rules.shopTiers.tiers.find((t) => t.code === rules.shopTiers?.defaultTier);
    // Shops fall back to the default tier when a paid period runs out, so it must cost nothing.
    if (fallback?.monthlyFee !== 0) {
      problems.push({ path: '/shopTiers/defaultTier', code: 'field.default_tier_free' });
    }
  }
  const comp = rules.lateShipment.compensation;
  if (comp.minAmount > comp.maxAmount) {
    problems.push({
      path: '/lateShipment/compensation/minAmount',
      code: 'field.maximum',
      params: { limit: comp.maxAmount },
    });
  }
  if (comp.specialCategoryMinAmount > comp.minAmount) {
    problems.push({
      path: '/lateShipment/compensation/specialCategoryMinAmount',
      code: 'field.maximum',
      params: { limit: comp.minAmount },
    });
  }
  const nodes = rules.penalty.serious.map((n) => n.points);
  if (nodes.some((p, i) => i > 0 && p <= (nodes[i - 1] ?? 0))) {
    problems.push({ path: '/penalty/serious', code: 'field.ascending_points' });
  }
  rules.penalty.serious.forEach((n, i) => {
    if (n.action !== 'seal_account' && n.days === undefined) {
      problems.push({ path: `/penalty/serious/${i}/days`, code: 'field.required' });
    }
  });
  return problems;
}

/** The deposit a shop must freeze under these rules; undefined when its kind has no such plan. */
export function depositAmount(
  rules: Rules,
  shop: { kind: ShopKind; mallType?: MallType | null; trademarkStatus?: TrademarkStatus | null },
): number | undefined {
  if (shop.kind === 'market') return rules.deposit.consumerProtection?.amount;
  if (!shop.mallType || !shop.trademarkStatus) return undefined;
  return rules.deposit.byShopType?.[shop.mallType][shop.trademarkStatus];
}

/** The commission rate for a sale in this category, in basis points. */
export function commissionRateBp(rules: Rules, categoryId: string | undefined): number {
  const override = categoryId === undefined ? undefined : rules.commission.categoryRatesBp[categoryId];
  return override ?? rules.commission.defaultRateBp;
}

/** The seller's receipt extensions of a rule set, with the defaults for sets older than the field. */
export function sellerExtendDays(rules: Rules): number[] {
  return rules.order.sellerExtendDays ?? [3, 5, 7, 10];
}
