import { describe, expect, it } from 'vitest';
import { intBetween, mulberry32 } from '../../test/fixtures/prng';
import { Amount, allocate, assertAmount, CNY, formatMoney, toDecimalString, yuan } from './money';

const MAX = Number.MAX_SAFE_INTEGER;

describe('toDecimalString', () => {
  it('writes fen as exact yuan with two decimals', () => {
    expect(toDecimalString(0)).toBe('0.00');
    expect(toDecimalString(1)).toBe('0.01');
    expect(toDecimalString(10)).toBe('0.10');
    expect(toDecimalString(99)).toBe('0.99');
    expect(toDecimalString(100)).toBe('1.00');
    expect(toDecimalString(123456)).toBe('1234.56');
    expect(toDecimalString(-1)).toBe('-0.01');
    expect(toDecimalString(-123450)).toBe('-1234.50');
    // Beyond 2^53 / 100 a double cannot hold the fen digit; the string path keeps it.
    expect(toDecimalString(MAX)).toBe('90071992547409.91');
    expect(toDecimalString(-MAX)).toBe('-90071992547409.91');
  });

  it('honours other numbers of digits', () => {
    expect(toDecimalString(1234, 0)).toBe('1234');
    expect(toDecimalString(-7, 0)).toBe('-7');
    expect(toDecimalString(5, 3)).toBe('0.005');
    expect(toDecimalString(12345, 3)).toBe('12.345');
  });

  it('refuses anything that is not a safe integer', () => {
    for (const bad of [0.5, -1.25, Number.NaN, Number.POSITIVE_INFINITY, MAX + 1, -(MAX + 1)]) {
      expect(() => toDecimalString(bad), String(bad)).toThrow(RangeError);
      expect(() => assertAmount(bad), String(bad)).toThrow(RangeError);
    }
  });

  it('round-trips every safe integer it is given (seeded random sample)', () => {
    const rand = mulberry32(20261101);
    for (let i = 0; i < 3000; i++) {
      const magnitude = 10 ** intBetween(rand, 0, 15);
      const amount = Math.min(MAX, Math.floor(rand() * magnitude)) * (rand() < 0.3 ? -1 : 1);
      const s = toDecimalString(amount);
      expect(s).toMatch(/^-?\d+\.\d{2}$/);
      expect(BigInt(s.replace('.', ''))).toBe(BigInt(amount));
    }
  });
});

describe('formatMoney', () => {
  it('shows CNY as ¥ with two decimals and grouping in Chinese', () => {
    const zh = (amount: number) => formatMoney({ amount, currency: CNY }, 'zh-CN');
    expect(zh(123450)).toBe('¥1,234.50');
    expect(zh(0)).toBe('¥0.00');
    expect(zh(5)).toBe('¥0.05');
    expect(zh(-123450)).toBe('-¥1,234.50');
    expect(zh(-1)).toBe('-¥0.01');
    expect(zh(MAX)).toBe('¥90,071,992,547,409.91');
  });

  it('shows CNY as ¥ (not CN¥) in English too', () => {
    const en = (amount: number) => formatMoney({ amount, currency: CNY }, 'en');
    expect(en(123450)).toBe('¥1,234.50');
    expect(en(99)).toBe('¥0.99');
    expect(en(-123450)).toBe('-¥1,234.50');
    expect(en(100_000_000_00)).toBe('¥100,000,000.00');
    expect(en(MAX)).toBe('¥90,071,992,547,409.91');
  });

  it("keeps other currencies distinguishable and uses each currency's own digits", () => {
    expect(formatMoney({ amount: 1234, currency: 'USD' }, 'en')).toBe('$12.34');
    // Yen have no minor unit: the amount is whole yen, and it must not read as CNY in Chinese.
    expect(formatMoney({ amount: 1234, currency: 'JPY' }, 'en')).toBe('¥1,234');
    expect(formatMoney({ amount: 1234, currency: 'JPY' }, 'zh-CN')).toBe('JP¥1,234');
  });

  it('agrees with toDecimalString for every amount (seeded random sample)', () => {
    const rand = mulberry32(7);
    for (let i = 0; i < 1000; i++) {
      const amount = Math.floor(rand() * 10 ** intBetween(rand, 1, 15)) * (rand() < 0.2 ? -1 : 1);
      for (const locale of ['zh-CN', 'en'] as const) {
        const text = formatMoney({ amount, currency: CNY }, locale);
        expect(text.replace('¥', '').replaceAll(',', '')).toBe(toDecimalString(amount));
      }
    }
  });
});

describe('yuan and Amount', () => {
  it('converts whole yuan to fen and refuses fractions', () => {
    expect(yuan(1000)).toBe(100_000);
    expect(() => yuan(1.5)).toThrow(RangeError);
  });

  it('describes a non-negative safe integer', () => {
    expect(Amount).toMatchObject({ type: 'integer', minimum: 0, maximum: MAX });
  });
});

/** |part - total * w / sum| < 1, checked exactly with bigint. */
function withinOneUnit(total: number, weights: number[], parts: number[]): boolean {
  const sum = weights.reduce((a, w) => a + BigInt(w), 0n);
  if (sum === 0n) return true;
  return parts.every((p, i) => {
    const diff = BigInt(p) * sum - BigInt(total) * BigInt(weights[i] ?? 0);
    return (diff < 0n ? -diff : diff) < sum;
  });
}

describe('allocate', () => {
  it('splits in proportion and gives the leftover fen to the largest remainders', () => {
    expect(allocate(10000, [3000, 7000])).toEqual([3000, 7000]);
    expect(allocate(100, [1, 2])).toEqual([33, 67]);
    expect(allocate(1000, [1, 1, 1, 1, 1, 1, 1])).toEqual([143, 143, 143, 143, 143, 143, 142]);
    expect(allocate(500, [19900, 100, 4900])).toEqual([400, 2, 98]);
  });

  it('breaks ties towards the earlier line, the same way every time', () => {
    expect(allocate(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(allocate(1, [5, 5])).toEqual([1, 0]);
    expect(allocate(2, [1, 1, 1, 1])).toEqual([1, 1, 0, 0]);
    expect(allocate(10, Array(12).fill(7))).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
  });

  it('gives nothing to zero weights and splits evenly when all weights are zero', () => {
    expect(allocate(100, [0, 1, 0])).toEqual([0, 100, 0]);
    expect(allocate(101, [0, 1, 1])).toEqual([0, 51, 50]);
    expect(allocate(100, [0, 0, 0])).toEqual([34, 33, 33]);
    expect(allocate(0, [0, 0])).toEqual([0, 0]);
    expect(allocate(0, [3, 4])).toEqual([0, 0]);
  });

  it('splits negative totals (reversals) as the mirror image of positive ones', () => {
    expect(allocate(-100, [1, 1, 1])).toEqual([-34, -33, -33]);
    expect(allocate(-100, [1, 2])).toEqual([-33, -67]);
    expect(allocate(-5, [0, 0])).toEqual([-3, -2]);
    expect(allocate(-3, [1, 0])).toEqual([-3, 0]);
    expect(Object.is(allocate(-3, [1, 0])[1], 0)).toBe(true);
  });

  it('is exact for totals and weights near the safe-integer limit', () => {
    const parts = allocate(MAX, [MAX, MAX, 1]);
    expect(parts.reduce((a, b) => a + b, 0)).toBe(MAX);
    expect(withinOneUnit(MAX, [MAX, MAX, 1], parts)).toBe(true);
    const small = allocate(7, [MAX, MAX]);
    expect(small).toEqual([4, 3]);
  });

  it('refuses what it cannot split: fractional amounts or weights, negative weights, no lines', () => {
    expect(() => allocate(10.5, [1])).toThrow(RangeError);
    expect(() => allocate(10, [1.5, 1])).toThrow(RangeError);
    expect(() => allocate(10, [-1, 2])).toThrow(RangeError);
    expect(() => allocate(10, [Number.NaN])).toThrow(RangeError);
    expect(() => allocate(10, [])).toThrow(RangeError);
    expect(allocate(0, [])).toEqual([]);
  });

  it('holds its properties over random inputs (fixed seed)', () => {
    const rand = mulberry32(0x5eed);
    for (let c = 0; c < 3000; c++) {
      const n = intBetween(rand, 1, 12);
      const scale = [10, 1000, 1_000_000, 1e12][intBetween(rand, 0, 3)] ?? 10;
      const weights = Array.from({ length: n }, () => (rand() < 0.15 ? 0 : intBetween(rand, 0, scale)));
      const total = intBetween(rand, 0, [100, 100_000, 1e10, 1e15][intBetween(rand, 0, 3)] ?? 100);
      const parts = allocate(total, weights);
      const label = JSON.stringify({ total, weights, parts });
      expect(parts, label).toHaveLength(n);
      expect(parts.every(Number.isSafeInteger), label).toBe(true);
      expect(
        parts.reduce((a, b) => a + b, 0),
        label,
      ).toBe(total);
      expect(withinOneUnit(total, weights, parts), label).toBe(true);
      // Deterministic, and a larger weight never gets less than a smaller one.
      expect(allocate(total, [...weights]), label).toEqual(parts);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          if ((weights[i] ?? 0) > (weights[j] ?? 0)) expect(parts[i]! >= parts[j]!, label).toBe(true);
        }
      }
      if (weights.some((w) => w > 0)) {
        weights.forEach((w, i) => {
          if (w === 0) expect(parts[i], label).toBe(0);
        });
      }
      // Negative totals mirror positive ones.
      expect(
        allocate(-total, weights).map((p) => -p || 0),
        label,
      ).toEqual(parts);
    }
  });
});
