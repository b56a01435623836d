import { describe, expect, it } from 'vitest';
import { DEFAULT_CRITERIA, evaluateCriteria, nextMonthlyReview, type ShopInputs } from './criteria';

/** A shop that meets every default criterion with a little room. */
const good: ShopInputs = {
  rating: 4.8,
  categoryGmv: 80_000,
  totalGmv: 100_000,
  shipping: { due: 100, onTime: 99 },
  returnRate: 0.02,
  categoryAverageReturnRate: 0.05,
  qualityChecks: { total: 2, failed: 0 },
};

const result = (inputs: ShopInputs, criterion: string) =>
  evaluateCriteria(inputs, DEFAULT_CRITERIA).results.find((r) => r.criterion === criterion)!;

describe('quality programme criteria', () => {
  it('qualifies a shop meeting every criterion, answering each value and threshold', () => {
    const v = evaluateCriteria(good, DEFAULT_CRITERIA);
    expect(v.qualified).toBe(true);
    expect(v.results.map((r) => [r.criterion, r.value, r.threshold, r.passed])).toEqual([
      ['rating', 4.8, 3, true],
      ['category_share', 80, 50, true],
      ['on_time_shipping', 99, 98, true],
      ['return_rate', 2, 5, true],
      ['quality_checks', 100, 100, true],
    ]);
  });

  it('rating: 3 stars exactly passes, below fails, none fails with "no rating yet"', () => {
    expect(result({ ...good, rating: 3 }, 'rating').passed).toBe(true);
    const low = result({ ...good, rating: 2.99 }, 'rating');
    expect(low).toMatchObject({ passed: false, value: 2.99, reason: 'programme.rating_low' });
    const none = result({ ...good, rating: null }, 'rating');
    expect(none).toMatchObject({ passed: false, value: null, reason: 'programme.rating_none' });
    expect(evaluateCriteria({ ...good, rating: null }, DEFAULT_CRITERIA).qualified).toBe(false);
  });

  it('category share: exactly 50% passes, a fen less fails, no sales fails', () => {
    expect(result({ ...good, categoryGmv: 50_000 }, 'category_share').passed).toBe(true);
    expect(result({ ...good, categoryGmv: 49_999 }, 'category_share')).toMatchObject({
      passed: false,
      value: 50,
      reason: 'programme.category_share_low',
    });
    expect(result({ ...good, categoryGmv: 0, totalGmv: 0 }, 'category_share')).toMatchObject({
      passed: false,
      value: null,
      reason: 'programme.no_sales',
    });
  });

  it('on-time shipping: 98 of 100 passes, 97 of 100 fails naming the late orders, none due fails', () => {
    expect(result({ ...good, shipping: { due: 100, onTime: 98 } }, 'on_time_shipping').passed).toBe(true);
    expect(result({ ...good, shipping: { due: 100, onTime: 97 } }, 'on_time_shipping')).toMatchObject({
      passed: false,
      value: 97,
      threshold: 98,
      reason: 'programme.on_time_low',
      params: { late: 3, due: 100 },
    });
    // 49 of 50 is 98%: passes; 48 of 49 is 97.96%: fails (no rounding in the comparison).
    expect(result({ ...good, shipping: { due: 50, onTime: 49 } }, 'on_time_shipping').passed).toBe(true);
    expect(result({ ...good, shipping: { due: 49, onTime: 48 } }, 'on_time_shipping').passed).toBe(false);
    expect(result({ ...good, shipping: { due: 0, onTime: 0 } }, 'on_time_shipping')).toMatchObject({
      passed: false,
      reason: 'programme.no_shipments_due',
    });
  });

  it('return rate: below the average passes, equal or above fails, none at all passes', () => {
    expect(result({ ...good, returnRate: 0.05 }, 'return_rate')).toMatchObject({
      passed: false,
      reason: 'programme.return_rate_high',
    });
    expect(result({ ...good, returnRate: 0.08 }, 'return_rate').passed).toBe(false);
    expect(result({ ...good, returnRate: 0, categoryAverageReturnRate: 0 }, 'return_rate')).toMatchObject({
      passed: true,
      reason: 'programme.return_rate_none',
    });
    expect(result({ ...good, returnRate: null }, 'return_rate')).toMatchObject({
      passed: false,
      reason: 'programme.return_rate_unknown',
    });
    expect(result({ ...good, returnRate: 0.01, categoryAverageReturnRate: null }, 'return_rate').passed).toBe(
      false,
    );
  });

  it('quality checks: every one must pass, and there must be one', () => {
    expect(result({ ...good, qualityChecks: { total: 3, failed: 1 } }, 'quality_checks')).toMatchObject({
      passed: false,
      value: 66.67,
      reason: 'programme.quality_check_failed',
      params: { failed: 1, total: 3, days: 90 },
    });
    expect(result({ ...good, qualityChecks: { total: 0, failed: 0 } }, 'quality_checks')).toMatchObject({
      passed: false,
      value: null,
      reason: 'programme.no_quality_check',
    });
  });

  it('one failing criterion disqualifies; an operator’s thresholds replace the defaults', () => {
    const late = { ...good, shipping: { due: 10, onTime: 9 } };
    const v = evaluateCriteria(late, DEFAULT_CRITERIA);
    expect(v.qualified).toBe(false);
    expect(v.results.filter((r) => !r.passed).map((r) => r.criterion)).toEqual(['on_time_shipping']);
    expect(evaluateCriteria(late, { ...DEFAULT_CRITERIA, minOnTimePercent: 90 }).qualified).toBe(true);
    expect(evaluateCriteria(good, { ...DEFAULT_CRITERIA, minRating: 4.9 }).qualified).toBe(false);
  });
});

describe('the monthly review moment', () => {
  it('is 00:00 China time on the 1st of the next month, strictly after now', () => {
    // 2026-11-01 10:00 in Shanghai -> 2026-12-01 00:00 in Shanghai (16:00 UTC the day before).
    expect(nextMonthlyReview(new Date('2026-11-01T02:00:00Z')).toISOString()).toBe(
      '2026-11-30T16:00:00.000Z',
    );
    // At the review moment itself, the next one is a month later.
    expect(nextMonthlyReview(new Date('2026-11-30T16:00:00Z')).toISOString()).toBe(
      '2026-12-31T16:00:00.000Z',
    );
    // 23:59 on 30 Nov in Shanghai is still November.
    expect(nextMonthlyReview(new Date('2026-11-30T15:59:59Z')).toISOString()).toBe(
      '2026-11-30T16:00:00.000Z',
    );
    // Over the year end.
    expect(nextMonthlyReview(new Date('2026-12-31T16:00:00Z')).toISOString()).toBe(
      '2027-01-31T16:00:00.000Z',
    );
  });
});
