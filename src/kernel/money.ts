import { Type } from 'typebox';

/** Amounts are integer minor units (fen for CNY). Never floats. */
export interface Money {
  amount: number;
  currency: string;
}

export const CNY = 'CNY';

export const Amount = Type.Integer({
  minimum: 0,
  maximum: Number.MAX_SAFE_INTEGER,
  description: 'minor units (fen)',
});

export function yuan(whole: number): number {
  if (!Number.isSafeInteger(whole)) throw new RangeError('yuan() takes whole yuan');
  return whole * 100;
}

export function assertAmount(amount: number): void {
  if (!Number.isSafeInteger(amount)) throw new RangeError(`not an integer amount: ${amount}`);
}

/** Exact decimal text from minor units, without passing through floating point. */
export function toDecimalString(amount: number, digits = 2): string {
  assertAmount(amount);
  const negative = amount < 0;
  const s = String(Math.abs(amount)).padStart(digits + 1, '0');
  const int = s.slice(0, s.length - digits);
  const frac = s.slice(s.length - digits);
  return `${negative ? '-' : ''}${int}${digits ? `.${frac}` : ''}`;
}

/** "¥1,234.50" in either language; Intl formats the decimal string exactly. */
export function formatMoney(money: Money, locale: 'zh-CN' | 'en'): string {
  const fmt = new Intl.NumberFormat(locale === 'en' ? 'en-US' : 'zh-CN', {
    style: 'currency',
    currency: money.currency,
    // en-US would write CNY as "CN¥"; the platform's own currency is plain "¥" in both languages.
    // Other currencies keep their full symbol (JPY stays "JP¥" in Chinese, so it never reads as CNY).
    currencyDisplay: money.currency === CNY ? 'narrowSymbol' : 'symbol',
  });
  const digits = fmt.resolvedOptions().maximumFractionDigits ?? 2;
  // Intl accepts a decimal string and formats it without rounding through a double.
  return fmt.format(toDecimalString(money.amount, digits) as unknown as number);
}

/**
 * Splits `total` across `weights` in proportion, to the unit, largest remainder first (ties to the
 * earlier line), so the parts always add up to the total exactly. Weights are non-negative safe
 * integers (e.g. line amounts); when they are all zero the total is split evenly. A negative total
 * (a reversal) is split as the mirror image of the positive one.
 */
export function allocate(total: number, weights: number[]): number[] {
  assertAmount(total);
  for (const w of weights) {
    if (!Number.isSafeInteger(w) || w < 0) throw new RangeError(`not a non-negative integer weight: ${w}`);
  }
  if (weights.length === 0) {
    if (total !== 0) throw new RangeError(`cannot allocate ${total} over no lines`);
    return [];
  }
  if (total < 0) return allocate(-total, weights).map((p) => (p === 0 ? 0 : -p));
  const big = BigInt(total);
  const bigSum = weights.reduce((a, w) => a + BigInt(w), 0n);
  if (bigSum === 0n) {
    const base = Math.floor(total / weights.length);
    const extra = total - base * weights.length;
    return weights.map((_, i) => base + (i < extra ? 1 : 0));
  }
  const parts = weights.map((w) => (big * BigInt(w)) / bigSum);
  const rema = weights.map((w, i) => ({ i, r: (big * BigInt(w)) % bigSum }));
  let left = total - parts.reduce((a, b) => a + Number(b), 0);
  rema.sort((a, b) => (b.r > a.r ? 1 : b.r < a.r ? -1 : a.i - b.i));
  const out = parts.map(Number);
  for (const { i } of rema) {
    if (left <= 0) break;
    out[i] = (out[i] ?? 0) + 1;
    left--;
  }
  return out;
}
