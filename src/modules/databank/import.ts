import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { asc } from 'drizzle-orm';
import type { Db, Executor } from '../../db';
import type { EventKind } from './aipl-rules';
import { dayOf } from './days';
import { type BehaviourEvent, type ItemInfo, retentionDays, storeEvents } from './events';
import { databankItems } from './schema';

/** Taobao UserBehavior behaviour types and what they are here. */
export const TAOBAO_KINDS: Record<string, EventKind> = {
  pv: 'view',
  fav: 'favourite',
  cart: 'cart',
  buy: 'purchase',
};

/** FNV-1a, 32 bits: a stable hash so the same item always lands on the same catalogue entry. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Maps the file's items to catalogue products: an item id that is a known product is that product;
 * any other goes to the product at hash(item id) mod n of the products in id order, so the same
 * file over the same catalogue always maps the same way.
 */
export class ItemMapper {
  private readonly byId: Map<string, ItemInfo>;
  constructor(private readonly items: ItemInfo[]) {
    this.byId = new Map(items.map((i) => [i.productId, i]));
  }
  static async load(tx: Executor): Promise<ItemMapper> {
    return new ItemMapper(await tx.select().from(databankItems).orderBy(asc(databankItems.productId)));
  }
  get size(): number {
    return this.items.length;
  }
  map(itemId: string): ItemInfo | undefined {
    return this.byId.get(itemId) ?? this.items[fnv1a(itemId) % this.items.length];
  }
}

export interface ImportSummary {
  rows: number;
  stored: number;
  duplicates: number;
  /** Lines that are not `user,item,category,behaviour,timestamp` with a known behaviour. */
  malformed: number;
  /** Older than the retention, or in the future. */
  outOfRange: number;
  byKind: Record<string, number>;
  consumers: number;
  products: number;
  firstAt: string | null;
  lastAt: string | null;
  seconds: number;
}

export interface ImportOptions {
  now: Date;
  /** Moves every timestamp by this many days (replaying an old extract as recent history). */
  shiftDays?: number;
  batchSize?: number;
  /** Called after each batch with bytes of the file read so far and its size. */
  onProgress?: (done: number, total: number, summary: ImportSummary) => void;
  /** The price each imported purchase is worth, in fen (the extract has none). */
  unitPrice?: (item: ItemInfo) => number;
}

/** Parses one line; undefined when it is not a valid row. */
export function parseUserBehaviorLine(
  line: string,
): { user: string; item: string; category: string; kind: EventKind; at: Date; raw: string } | undefined {
  const parts = line.trim().split(',');
  if (parts.length !== 5) return undefined;
  const [user, item, category, behaviour, ts] = parts as [string, string, string, string, string];
  const kind = TAOBAO_KINDS[behaviour];
  if (!kind || !/^\d+$/.test(user) || !/^\d+$/.test(item) || !/^-?\d+$/.test(ts)) return undefined;
  return { user, item, category, kind, at: new Date(Number(ts) * 1000), raw: line.trim() };
}

/**
 * Loads a Taobao UserBehavior CSV (plain or .gz) as behaviour events, a batch per transaction.
 * Event ids come from the row's content (and its repeat count within the file), so loading the
 * same file again stores nothing twice.
 */
export async function importUserBehavior(db: Db, file: string, opts: ImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  const total = (await stat(file)).size;
  let read = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      read += chunk.length;
      done(null, chunk);
    },
  });
  const mapper = await ItemMapper.load(db);
  const keep = await retentionDays(db);
  // The file is opened only now: readline emits lines as soon as data flows, and lines emitted
  // before the loop below starts iterating would be lost.
  let input: NodeJS.ReadableStream = createReadStream(file).pipe(counter);
  if (file.endsWith('.gz')) input = input.pipe(createGunzip());
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  const oldest = dayOf(opts.now) - keep;
  const shiftMs = (opts.shiftDays ?? 0) * 86_400_000;
  const batchSize = opts.batchSize ?? 5000;
  const summary: ImportSummary = {
    rows: 0,
    stored: 0,
    duplicates: 0,
    malformed: 0,
    outOfRange: 0,
    byKind: {},
    consumers: 0,
    products: 0,
    firstAt: null,
    lastAt: null,
    seconds: 0,
  };
  const consumers = new Set<string>();
  const products = new Set<string>();
  const repeats = new Map<string, number>();
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  let batch: BehaviourEvent[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const events = batch;
    batch = [];
    const stored = await db.transaction((tx) => storeEvents(tx, events, opts.now));
    summary.stored += stored;
    summary.duplicates += events.length - stored;
    opts.onProgress?.(read, total, summary);
  };
  for await (const line of lines) {
    if (line.trim() === '') continue;
    summary.rows++;
    const row = parseUserBehaviorLine(line);
    if (!row) {
      summary.malformed++;
      continue;
    }
    const at = new Date(row.at.getTime() + shiftMs);
    if (dayOf(at) < oldest || at > opts.now) {
      summary.outOfRange++;
      continue;
    }
    const n = (repeats.get(row.raw) ?? 0) + 1;
    repeats.set(row.raw, n);
    const item = mapper.map(row.item);
    const id = `tb-${createHash('sha1').update(row.raw).digest('hex').slice(0, 20)}-${n}`;
    const consumerId = `tb:${row.user}`;
    consumers.add(consumerId);
    if (item) products.add(item.productId);
    summary.byKind[row.kind] = (summary.byKind[row.kind] ?? 0) + 1;
    first = Math.min(first, at.getTime());
    last = Math.max(last, at.getTime());
    batch.push({
      id,
      kind: row.kind,
      occurredAt: at,
      consumerId,
      deviceId: null,
      shopId: item?.shopId ?? null,
      productId: item?.productId ?? null,
      skuId: null,
      brandId: item?.brandId ?? null,
      categoryId: item?.categoryId ?? null,
      channel: 'import',
      region: null,
      quantity: row.kind === 'purchase' ? 1 : null,
      amount: row.kind === 'purchase' && item ? (opts.unitPrice?.(item) ?? 0) : null,
      rating: null,
      source: 'taobao-userbehavior',
    });
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  summary.consumers = consumers.size;
  summary.products = products.size;
  summary.firstAt = Number.isFinite(first) ? new Date(first).toISOString() : null;
  summary.lastAt = Number.isFinite(last) ? new Date(last).toISOString() : null;
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}
