// Every text key the pages use exists in both languages, and both have the same keys.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { en } from './locales/en';
import { zhCN } from './locales/zh-CN';

const src = fileURLToPath(new URL('.', import.meta.url));

function keys(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) =>
    typeof v === 'string' ? [`${prefix}${k}`] : keys(v as object, `${prefix}${k}.`),
  );
}

function has(dict: object, key: string): boolean {
  let node: unknown = dict;
  for (const part of key.split('.')) {
    if (typeof node !== 'object' || node === null || !(part in node)) return false;
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === 'string';
}

const sources = readdirSync(src, { recursive: true, encoding: 'utf8' })
  .filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.test.ts'))
  .map((f) => readFileSync(join(src, f), 'utf8'))
  .join('\n');

describe('web app texts', () => {
  it('has the same keys in Chinese and English', () => {
    expect(keys(en).sort()).toEqual(keys(zhCN).sort());
  });

  it('has every key the pages name, in both languages', () => {
    const used = [...sources.matchAll(/\bt\('([a-zA-Z0-9_.-]+)'/g)].map((m) => m[1] as string);
    expect(used.length).toBeGreaterThan(100);
    const missing = [...new Set(used)].filter((k) => !has(zhCN, k) || !has(en, k));
    expect(missing).toEqual([]);
  });

  it('names every status, reason and kind the API answers with', () => {
    const families: Record<string, string[]> = {
      status: [
        ...['awaiting_payment', 'paid', 'shipped', 'succeeded', 'closed'],
        ...['requested', 'refused', 'escalated', 'awaiting_return', 'return_shipped', 'refunded'],
        ...[
          'open',
          'upheld',
          'dismissed',
          'pending',
          'approved',
          'rejected',
          'draft',
          'published',
          'delisted',
        ],
      ],
      'refund.reasons': [
        ...['not_shipped_on_time', 'no_longer_needed', 'ordered_by_mistake', 'no_reason', 'not_received'],
        ...['quality_issue', 'not_as_described', 'damaged', 'wrong_item', 'missing_parts', 'other'],
      ],
      'complaint.reasons': [
        'late_shipment',
        'not_as_described',
        'refused_after_sales',
        'fake_shipment',
        'counterfeit',
        'other',
      ],
      'shop.kind': ['mall', 'market'],
      'seller.depositStatus': ['unpaid', 'frozen', 'insured', 'lapsed', 'releasing', 'released'],
    };
    const missing = Object.entries(families).flatMap(([family, values]) =>
      values.map((v) => `${family}.${v}`).filter((k) => !has(zhCN, k) || !has(en, k)),
    );
    expect(missing).toEqual([]);
  });
});
