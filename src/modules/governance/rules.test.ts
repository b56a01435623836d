import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import {
  commissionRateBp,
  DEFAULT_RULES,
  depositAmount,
  type Rules,
  RulesSchema,
  ruleProblems,
} from './rules';

const clone = (r: Rules): Rules => structuredClone(r);

describe('rules document', () => {
  it('the built-in defaults match the schema and the rules for their kind', () => {
    for (const kind of ['mall', 'market'] as const) {
      expect([...Value.Errors(RulesSchema, DEFAULT_RULES[kind])]).toEqual([]);
      expect(ruleProblems(kind, DEFAULT_RULES[kind])).toEqual([]);
    }
  });

  it('carries the seed numbers', () => {
    const { mall, market } = DEFAULT_RULES;
    expect(mall.shipping.deadlineHours).toBe(48);
    expect(market.shipping.deadlineHours).toBe(72);
    expect(market.order.unpaidCloseMinutes).toEqual({ normal: 1440, flash: 30, presaleDeposit: 30 });
    expect(market.order.autoConfirmDays).toMatchObject({ express: 10, surfaceMail: 30, virtual: 3 });
    expect(market.order.buyerExtend).toEqual({ times: 1, days: 3, whenRemainingDaysAtMost: 3 });
    expect(market.complaint.windowDays).toBe(15);
    expect(market.lateShipment.compensation).toEqual({
      rateBp: 500,
      minAmount: 500,
      maxAmount: 3000,
      specialCategoryMinAmount: 100,
      payout: 'cash',
    });
    expect(mall.lateShipment.compensation.payout).toBe('points');
    expect(market.deposit.consumerProtection).toEqual({
      amount: 100_000,
      insurance: { fee: 3000, termMonths: 12 },
    });
    expect(market.deposit.releaseCoolingDays).toBe(30);
    expect(market.shopTiers?.tiers.map((t) => [t.code, t.monthlyFee])).toEqual([
      ['free', 0],
      ['basic', 3000],
      ['advanced', 6000],
      ['premium', 12000],
    ]);
    expect(market.shopTiers?.billingDays).toBe(30);
    expect(mall.commission.defaultRateBp).toBe(500);
    expect(market.commission.defaultRateBp).toBe(0);
    expect(market.aipl).toMatchObject({
      awarenessDays: 15,
      interestDays: 15,
      purchaseDays: 910,
      loyaltyDays: 365,
    });
  });

  it('prices a mall deposit by shop type and trademark status', () => {
    const mall = DEFAULT_RULES.mall;
    const amount = (mallType: 'flagship' | 'specialty' | 'franchise', trademarkStatus: 'R' | 'TM') =>
      depositAmount(mall, { kind: 'mall', mallType, trademarkStatus });
    expect(amount('flagship', 'R')).toBe(5_000_000);
    expect(amount('flagship', 'TM')).toBe(10_000_000);
    expect(amount('specialty', 'R')).toBe(5_000_000);
    expect(amount('specialty', 'TM')).toBe(10_000_000);
    expect(amount('franchise', 'R')).toBe(10_000_000);
    expect(amount('franchise', 'TM')).toBe(15_000_000);
    expect(depositAmount(mall, { kind: 'mall' })).toBeUndefined();
    expect(depositAmount(DEFAULT_RULES.market, { kind: 'market' })).toBe(100_000);
  });

  it('applies a category commission override, even a zero one', () => {
    const rules = clone(DEFAULT_RULES.mall);
    rules.commission.categoryRatesBp = { cat_books: 200, cat_free: 0 };
    expect(commissionRateBp(rules, 'cat_books')).toBe(200);
    expect(commissionRateBp(rules, 'cat_free')).toBe(0);
    expect(commissionRateBp(rules, 'cat_other')).toBe(500);
    expect(commissionRateBp(rules, undefined)).toBe(500);
  });

  it('requires each kind’s own sections and refuses the other kind’s', () => {
    expect(
      ruleProblems('mall', DEFAULT_RULES.market)
        .map((p) => p.path)
        .sort(),
    ).toEqual(['/deposit/byShopType', '/deposit/consumerProtection', '/shopTiers']);
    expect(
      ruleProblems('market', DEFAULT_RULES.mall)
        .map((p) => p.path)
        .sort(),
    ).toEqual(['/deposit/byShopType', '/deposit/consumerProtection', '/shopTiers']);
  });

  it('finds values that contradict each other', () => {
    const rules = clone(DEFAULT_RULES.market);
    rules.lateShipment.compensation.minAmount = 5000;
    rules.shopTiers!.defaultTier = 'basic';
    rules.shopTiers!.tiers.push({ code: 'basic', monthlyFee: 1 });
    rules.penalty.serious = [
      { points: 24, action: 'restrict', days: 7 },
      { points: 12, action: 'restrict' },
    ];
    const found = ruleProblems('market', rules).map((p) => `${p.path} ${p.code}`);
    expect(found.sort()).toEqual(
      [
        '/lateShipment/compensation/minAmount field.maximum',
        '/shopTiers/defaultTier field.default_tier_free',
        '/shopTiers/tiers field.uniqueItems',
        '/penalty/serious field.ascending_points',
        '/penalty/serious/1/days field.required',
      ].sort(),
    );
  });
});
