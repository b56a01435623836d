// The rebuild's fold must make of a binary COPY of events what the pure rules (factsOfEvent,
// mergeFacts) make of the same events, however the stream is cut into chunks and however many
// streams the rows are written back as; and write the rows in the key's byte order.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EVENT_KINDS,
  type EventKind,
  effectOf,
  type Facts,
  factsOfEvent,
  mergeFacts,
  NO_FACTS,
} from './aipl-rules';
import { FactsFold } from './rebuild';

interface Ev {
  shop: string;
  brand: string | null;
  category: string | null;
  consumer: string;
  day: number;
  kind: EventKind;
  rating: number | null;
  amount: number | null;
}

/** The effect codes of EVENT_EFFECT in aipl.ts. */
function code(kind: EventKind, rating: number | null): number {
  switch (kind) {
    case 'exposure':
      return 1;
    case 'view':
      return 2;
    case 'purchase':
      return 4;
    case 'share':
      return 5;
    case 'search':
      return 6;
    case 'review':
      return rating === 1 ? 5 : 3;
    default:
      return 3;
  }
}

/** A binary COPY of (shop_id, brand_id, category_id, consumer_id, day, effect, amount). */
function eventsCopy(events: Ev[]): Buffer {
  const parts: Buffer[] = [Buffer.from('PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0', 'latin1')];
  const text = (v: string | null) => {
    if (v === null) return int32(-1);
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([int32(b.length), b]);
  };
  for (const e of events) {
    const amount = Buffer.alloc(12);
    if (e.amount === null) amount.writeInt32BE(-1);
    else {
      amount.writeInt32BE(8);
      amount.writeBigInt64BE(BigInt(e.amount), 4);
    }
    const day = Buffer.alloc(8);
    day.writeInt32BE(4);
    day.writeInt32BE(e.day, 4);
    const effect = Buffer.alloc(6);
    effect.writeInt32BE(2);
    effect.writeInt16BE(code(e.kind, e.rating), 4);
    parts.push(
      Buffer.from([0, 7]),
      text(e.shop),
      text(e.brand),
      text(e.category),
      text(e.consumer),
      day,
      effect,
      e.amount === null ? int32(-1) : amount,
    );
  }
  parts.push(Buffer.from([0xff, 0xff]));
  return Buffer.concat(parts);
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

interface Row {
  shopId: string;
  scope: string;
  consumerId: string;
  facts: Facts;
  decidingDays: (number | null)[];
}

/** The rows of a binary COPY of the facts' fourteen columns. */
function factsOfCopy(b: Buffer): Row[] {
  expect(b.subarray(0, 11).toString('latin1')).toBe('PGCOPY\n\xff\r\n\0');
  let at = 19;
  const rows: Row[] = [];
  const field = () => {
    const n = b.readInt32BE(at);
    at += 4;
    if (n < 0) return null;
    const v = b.subarray(at, at + n);
    at += n;
    return v;
  };
  const text = () => field()!.toString('utf8');
  const int = () => field()?.readInt32BE(0) ?? null;
  const ints = () => {
    const v = field()!;
    const dims = v.readInt32BE(0);
    expect(v.readInt32BE(8)).toBe(23);
    if (dims === 0) return [];
    const n = v.readInt32BE(12);
    return Array.from({ length: n }, (_, i) => v.readInt32BE(24 + 8 * i));
  };
  for (;;) {
    const fields = b.readInt16BE(at);
    at += 2;
    if (fields === -1) break;
    expect(fields).toBe(14);
    const shopId = text();
    const scope = text();
    const consumerId = text();
    const exposureDay = int();
    const viewDays = ints();
    const activeDay = int();
    const purchaseDays = ints();
    const praiseDay = int();
    const spend = Number(field()!.readBigInt64BE(0));
    const decidingDays = [int(), int(), int(), int(), int()];
    rows.push({
      shopId,
      scope,
      consumerId,
      facts: { exposureDay, viewDays, activeDay, purchaseDays, praiseDay, spend },
      decidingDays,
    });
  }
  expect(at).toBe(b.length);
  return rows;
}

const greatest = (...xs: (number | null | undefined)[]) => {
  const known = xs.filter((x): x is number => x !== null && x !== undefined);
  return known.length === 0 ? null : Math.max(...known);
};

/** What the rules make of the events, in key order (bytes of shop, scope, consumer). */
function expected(events: Ev[]): Row[] {
  const byKey = new Map<string, Row>();
  for (const e of events) {
    const scopes: [string, 'brand' | 'category'][] = [];
    if (e.brand !== null) scopes.push([`brand:${e.brand}`, 'brand']);
    if (e.category !== null) scopes.push([`category:${e.category}`, 'category']);
    for (const [scope, kind] of scopes) {
      const key = JSON.stringify([e.shop, scope, e.consumer]);
      const add = factsOfEvent(effectOf(e.kind, kind, e.rating), e.day, e.amount);
      const prior = byKey.get(key)?.facts ?? NO_FACTS;
      byKey.set(key, {
        shopId: e.shop,
        scope,
        consumerId: e.consumer,
        facts: mergeFacts(prior, add),
        decidingDays: [],
      });
    }
  }
  const rows = [...byKey.values()];
  for (const r of rows) {
    const f = r.facts;
    r.decidingDays = [
      greatest(f.exposureDay, f.viewDays[0], f.activeDay, f.purchaseDays[0], f.praiseDay),
      greatest(f.exposureDay, f.viewDays[0]),
      greatest(f.activeDay, f.viewDays[1]),
      f.purchaseDays[0] ?? null,
      greatest(f.praiseDay, f.purchaseDays[1]),
    ];
  }
  const bytes = (r: Row) => [r.shopId, r.scope, r.consumerId].map((s) => Buffer.from(s, 'utf8'));
  return rows.sort((a, b) => {
    const [x, y] = [bytes(a), bytes(b)];
    return Buffer.compare(x[0]!, y[0]!) || Buffer.compare(x[1]!, y[1]!) || Buffer.compare(x[2]!, y[2]!);
  });
}

async function* chunked(b: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (let i = 0; at < b.length; i++) {
    const n = sizes.length > 0 ? sizes[i % sizes.length]! : b.length;
    yield b.subarray(at, at + n);
    at += n;
  }
}

/** The fold's rows, one list per stream (range of shops), and the ranges' first shops. */
async function fold(
  streams: Buffer[][],
  split: number | string[],
): Promise<{ parts: Row[][]; bounds: string[] }> {
  const f = new FactsFold(16);
  await Promise.all(
    streams.map((chunks) =>
      f.read(
        (async function* () {
          yield* chunks;
        })(),
      ),
    ),
  );
  const out = f.rows(typeof split === 'number' ? split : split.map((b) => Buffer.from(b, 'utf8')));
  const parts: Row[][] = [];
  for (const stream of out.streams) {
    const pieces: Buffer[] = [];
    for await (const piece of stream) pieces.push(piece as Buffer);
    parts.push(factsOfCopy(Buffer.concat(pieces)));
  }
  return { parts, bounds: out.bounds.map((b) => b.toString('utf8')) };
}

const bytesOf = (s: string) => Buffer.from(s, 'utf8');

const event: fc.Arbitrary<Ev> = fc.record({
  shop: fc.constantFrom('s1', 's10', '店铺'),
  brand: fc.option(fc.constantFrom('b1', 'b10', '品牌'), { nil: null }),
  category: fc.option(fc.constantFrom('c1', 'c', 'c-手机'), { nil: null }),
  consumer: fc.constantFrom('u1', 'u10', 'U', 'u-é'),
  // Often the same day (repeats must not count twice), and days far apart: purchase days older
  // than PURCHASE_DAYS_KEPT before the newest are dropped.
  day: fc.oneof(
    fc.integer({ min: 20_000, max: 20_003 }),
    fc.integer({ min: 20_000, max: 20_060 }),
    fc.integer({ min: 15_000, max: 20_060 }),
  ),
  kind: fc.constantFrom(...EVENT_KINDS),
  rating: fc.option(fc.constantFrom(-1, 0, 1), { nil: null }),
  amount: fc.option(fc.integer({ min: 0, max: 2 ** 40 }), { nil: null }),
});

describe('the rebuild fold', () => {
  it('makes what mergeFacts makes of the events, in key order, in ranges of whole shops, however the streams are cut', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(event, { minLength: 20, maxLength: 400, size: 'max' }),
        fc.array(fc.integer({ min: 1, max: 97 }), { maxLength: 5 }),
        fc.integer({ min: 1, max: 3 }),
        fc.oneof(
          fc.integer({ min: 1, max: 3 }),
          // Ranges that start at given shops, some before or after every shop, some empty.
          fc
            .uniqueArray(fc.constantFrom('', 's1', 's10', 's2', '店', '店铺', 'z'), { maxLength: 3 })
            .map((bs) => bs.sort((x, y) => Buffer.compare(bytesOf(x), bytesOf(y)))),
        ),
        async (raw, sizes, readers, split) => {
          const events = raw.map((e) => ({
            ...e,
            amount: e.kind === 'purchase' ? e.amount : null,
            rating: e.kind === 'review' ? e.rating : null,
          }));
          // The events dealt over `readers` streams, each cut into chunks of the given sizes.
          const streams: Buffer[][] = [];
          for (let k = 0; k < readers; k++) {
            const mine = events.filter((_, i) => i % readers === k);
            const chunks: Buffer[] = [];
            for await (const c of chunked(eventsCopy(mine), sizes)) chunks.push(c);
            streams.push(chunks);
          }
          const { parts, bounds } = await fold(streams, split);
          expect(parts.flat()).toEqual(expected(events));
          if (typeof split === 'number') expect(parts.length).toBeLessThanOrEqual(split);
          else expect(bounds).toEqual(split);
          expect(parts).toHaveLength(bounds.length + 1);
          // Each stream holds the shops of its range, whole.
          parts.forEach((rows, k) => {
            for (const r of rows) {
              if (k > 0)
                expect(Buffer.compare(bytesOf(r.shopId), bytesOf(bounds[k - 1]!))).toBeGreaterThanOrEqual(0);
              if (k < bounds.length)
                expect(Buffer.compare(bytesOf(r.shopId), bytesOf(bounds[k]!))).toBeLessThan(0);
            }
          });
        },
      ),
      { numRuns: 150, seed: 24 },
    );
  });

  it('refuses a stream that ends before its trailer', async () => {
    const whole = eventsCopy([
      {
        shop: 's',
        brand: 'b',
        category: null,
        consumer: 'u',
        day: 1,
        kind: 'view',
        rating: null,
        amount: null,
      },
    ]);
    await expect(fold([[whole.subarray(0, whole.length - 2)]], 1)).rejects.toThrow(/ended early/);
    await expect(fold([[whole.subarray(0, whole.length - 5)]], 1)).rejects.toThrow(/ended early/);
    expect((await fold([[whole]], 2)).parts.flat()).toHaveLength(1);
  });
});
