// The quality-programme verdict, as a pure function of what the other modules report about a shop.
// Every criterion answers its value, its threshold (in the same unit), pass or fail, and a reason
// (a message code with parameters) that the merchant reads in their own language.

export interface Criteria {
  /** Overall shop rating (DSR), stars out of 5; the shop needs at least this. */
  minRating: number;
  /** Share of the shop's GMV over the sales window that falls in the programme's category, percent. */
  minCategorySharePercent: number;
  /** Orders shipped by their deadline among those due over the sales window, percent. */
  minOnTimePercent: number;
  /** Days of sales, shipping and returns looked at. */
  salesWindowDays: number;
  /** Days of quality inspections looked at; every one must have passed. */
  qualityCheckDays: number;
}

export const DEFAULT_CRITERIA: Criteria = {
  minRating: 3,
  minCategorySharePercent: 50,
  minOnTimePercent: 98,
  salesWindowDays: 30,
  qualityCheckDays: 90,
};

export interface ShopInputs {
  /** Overall rating in stars, or null when the shop has none yet. */
  rating: number | null;
  /** Fen sold in the programme's category over the window, and in all categories. */
  categoryGmv: number;
  totalGmv: number;
  /** Orders whose ship-by fell in the window, and how many of those shipped in time. */
  shipping: { due: number; onTime: number };
  /** Returned units / sold units in the category over the window (0..1), or null when unknown. */
  returnRate: number | null;
  categoryAverageReturnRate: number | null;
  /** Quality inspections in the inspection window, in the category. */
  qualityChecks: { total: number; failed: number };
}

export const CRITERIA = [
  'rating',
  'category_share',
  'on_time_shipping',
  'return_rate',
  'quality_checks',
] as const;
export type CriterionName = (typeof CRITERIA)[number];

export interface CriterionResult {
  criterion: CriterionName;
  /** In the unit of the threshold (stars or percent); null when there was nothing to measure. */
  value: number | null;
  threshold: number | null;
  passed: boolean;
  /** Message code of the reason, and its parameters. */
  reason: string;
  params: Record<string, number | string>;
}

export interface Verdict {
  qualified: boolean;
  results: CriterionResult[];
}

/** Percent with two decimals, for showing; comparisons never use the rounded figure. */
const percent = (part: number, whole: number) => Math.round((part / whole) * 10_000) / 100;
const percentOf = (rate: number) => Math.round(rate * 10_000) / 100;

function rating(inputs: ShopInputs, c: Criteria): CriterionResult {
  const base = { criterion: 'rating' as const, threshold: c.minRating };
  if (inputs.rating === null) {
    return { ...base, value: null, passed: false, reason: 'programme.rating_none', params: {} };
  }
  const value = Math.round(inputs.rating * 100) / 100;
  const passed = inputs.rating >= c.minRating;
  return {
    ...base,
    value,
    passed,
    reason: passed ? 'programme.rating_ok' : 'programme.rating_low',
    params: { value, threshold: c.minRating },
  };
}

function categoryShare(inputs: ShopInputs, c: Criteria): CriterionResult {
  const base = { criterion: 'category_share' as const, threshold: c.minCategorySharePercent };
  const { categoryGmv, totalGmv } = inputs;
  if (totalGmv <= 0) {
    return {
      ...base,
      value: null,
      passed: false,
      reason: 'programme.no_sales',
      params: { days: c.salesWindowDays },
    };
  }
  const value = percent(categoryGmv, totalGmv);
  // Integers on both sides: fen times 100 stays exact.
  const passed = categoryGmv * 100 >= c.minCategorySharePercent * totalGmv;
  return {
    ...base,
    value,
    passed,
    reason: passed ? 'programme.category_share_ok' : 'programme.category_share_low',
    params: { value, threshold: c.minCategorySharePercent, days: c.salesWindowDays },
  };
}

function onTimeShipping(inputs: ShopInputs, c: Criteria): CriterionResult {
  const base = { criterion: 'on_time_shipping' as const, threshold: c.minOnTimePercent };
  const { due, onTime } = inputs.shipping;
  if (due <= 0) {
    // No order fell due: there is no record to judge, and a badge promises one.
    return {
      ...base,
      value: null,
      passed: false,
      reason: 'programme.no_shipments_due',
      params: { days: c.salesWindowDays },
    };
  }
  const value = percent(onTime, due);
  const passed = onTime * 100 >= c.minOnTimePercent * due;
  return {
    ...base,
    value,
    passed,
    reason: passed ? 'programme.on_time_ok' : 'programme.on_time_low',
    params: { value, threshold: c.minOnTimePercent, late: due - onTime, due, days: c.salesWindowDays },
  };
}

function returnRate(inputs: ShopInputs, c: Criteria): CriterionResult {
  const average = inputs.categoryAverageReturnRate;
  const base = { criterion: 'return_rate' as const, threshold: average === null ? null : percentOf(average) };
  const rate = inputs.returnRate;
  if (rate === null) {
    return {
      ...base,
      value: null,
      passed: false,
      reason: 'programme.return_rate_unknown',
      params: { days: c.salesWindowDays },
    };
  }
  const value = percentOf(rate);
  // A shop with no returns at all cannot do better, even where the whole category has none.
  if (rate === 0) {
    return { ...base, value, passed: true, reason: 'programme.return_rate_none', params: {} };
  }
  const passed = average !== null && rate < average;
  return {
    ...base,
    value,
    passed,
    reason: passed ? 'programme.return_rate_ok' : 'programme.return_rate_high',
    params: { value, threshold: base.threshold ?? 0, days: c.salesWindowDays },
  };
}

function qualityChecks(inputs: ShopInputs, c: Criteria): CriterionResult {
  const base = { criterion: 'quality_checks' as const, threshold: 100 };
  const { total, failed } = inputs.qualityChecks;
  if (total <= 0) {
    // "100% of inspections passed" means nothing without an inspection: at least one is required.
    return {
      ...base,
      value: null,
      passed: false,
      reason: 'programme.no_quality_check',
      params: { days: c.qualityCheckDays },
    };
  }
  const value = percent(total - failed, total);
  const passed = failed === 0;
  return {
    ...base,
    value,
    passed,
    reason: passed ? 'programme.quality_checks_ok' : 'programme.quality_check_failed',
    params: { failed, total, days: c.qualityCheckDays },
  };
}

/** Every criterion's result, in a fixed order; the shop qualifies when all pass. */
export function evaluateCriteria(inputs: ShopInputs, criteria: Criteria): Verdict {
  const results = [
    rating(inputs, criteria),
    categoryShare(inputs, criteria),
    onTimeShipping(inputs, criteria),
    returnRate(inputs, criteria),
    qualityChecks(inputs, criteria),
  ];
  return { qualified: results.every((r) => r.passed), results };
}

const SHANGHAI_OFFSET_MS = 8 * 3_600_000;

/**
 * The first moment of the next calendar month in China (00:00 Asia/Shanghai, which has no daylight
 * saving: always UTC+8) strictly after `now`.
 */
export function nextMonthlyReview(now: Date): Date {
  const local = new Date(now.getTime() + SHANGHAI_OFFSET_MS);
  const start = Date.UTC(local.getUTCFullYear(), local.getUTCMonth() + 1, 1);
  return new Date(start - SHANGHAI_OFFSET_MS);
}
