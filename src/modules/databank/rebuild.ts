import { Readable } from 'node:stream';
import { PURCHASE_DAYS_KEPT } from './aipl-rules';
import { putInt8, putInt32 } from './events';

// The full rebuild's fold: every event of a share of the consumers, read as a binary COPY, folded
// into its facts rows here, then written back as a binary COPY in key order. The same facts as
// factsOfEventsSql in aipl.ts (the tests hold the two together), for a fraction of the server's
// work: in SQL, grouping 10M events by two sets of text keys with twelve filtered aggregates took
// about 28 s of CPU and the rows' arrays 12 s more; here the ids become numbers once, as they are
// read, and each event updates one record of eight integers.

/** The effect codes the rebuild's COPY query answers (EVENT_EFFECT in aipl.ts). */
const PASSIVE = 1;
const VIEW = 2;
const ACTIVE = 3;
const PURCHASE = 4;
const PRAISE = 5;
/** A search: active contact with a brand, passive with a category. */
const SEARCH = 6;

/** A missing day: below every real one, so that max() passes over it as greatest() does a null. */
const NONE = -2147483648;

/** Ids interned by their UTF-8 bytes, without making a string of each field read. */
class Ids {
  private slots = new Int32Array(1024);
  private hashes = new Int32Array(256);
  /** Where each id's bytes start in the arena; the next id's start is where they end. */
  private starts = new Int32Array(257);
  private arena = Buffer.allocUnsafe(4096);
  private used = 0;
  size = 0;
  /** The id answered last. */
  private last = -1;

  /** The id's number, from its bytes b[start, end). */
  of(b: Buffer, start: number, end: number): number {
    // A consumer's events mostly come one after another (nine in ten, in the benchmark's events).
    if (this.last >= 0 && this.same(this.last, b, start, end)) return this.last;
    let h = 0x811c9dc5 | 0;
    for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
    const mask = this.slots.length - 1;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const found = this.slots[s]! - 1;
      if (found < 0) {
        this.last = this.add(b, start, end, h, s);
        return this.last;
      }
      if (this.hashes[found] === h && this.same(found, b, start, end)) {
        this.last = found;
        return found;
      }
    }
  }

  bytes(id: number): Buffer {
    return this.arena.subarray(this.starts[id], this.starts[id + 1]);
  }

  private same(id: number, b: Buffer, start: number, end: number): boolean {
    const at = this.starts[id]!;
    if (this.starts[id + 1]! - at !== end - start) return false;
    for (let i = start; i < end; i++) if (this.arena[at + i - start] !== b[i]) return false;
    return true;
  }

  private add(b: Buffer, start: number, end: number, h: number, slot: number): number {
    const id = this.size++;
    if (id === this.hashes.length) this.hashes = grown(this.hashes);
    if (id + 1 === this.starts.length) this.starts = grown(this.starts);
    const length = end - start;
    if (this.used + length > this.arena.length) {
      const arena = Buffer.allocUnsafe(Math.max(2 * this.arena.length, this.used + length));
      this.arena.copy(arena, 0, 0, this.used);
      this.arena = arena;
    }
    b.copy(this.arena, this.used, start, end);
    this.hashes[id] = h;
    this.used += length;
    this.starts[id + 1] = this.used;
    this.slots[slot] = id + 1;
    if (2 * this.size > this.slots.length) {
      // Rehashed at half full, from the stored hashes.
      const slots = new Int32Array(2 * this.slots.length);
      const mask = slots.length - 1;
      for (let k = 0; k < this.size; k++) {
        let s = this.hashes[k]! & mask;
        while (slots[s] !== 0) s = (s + 1) & mask;
        slots[s] = k + 1;
      }
      this.slots = slots;
    }
    return id;
  }

  /** The ids' bytes laid out again in rank order, to be written by rank. */
  inRankOrder(rank: Int32Array): IdTexts {
    const byRank = new Int32Array(this.size);
    for (let id = 0; id < this.size; id++) byRank[rank[id]!] = id;
    const arena = Buffer.allocUnsafe(Math.max(1, this.used));
    const starts = new Int32Array(this.size + 1);
    let at = 0;
    for (let r = 0; r < this.size; r++) {
      const id = byRank[r]!;
      starts[r] = at;
      at += this.arena.copy(arena, at, this.starts[id], this.starts[id + 1]);
    }
    starts[this.size] = at;
    return new IdTexts(arena, starts);
  }

  /** Each id's rank in byte order (COLLATE "C", the order of the facts' key). */
  ranks(): Int32Array {
    const order = Array.from({ length: this.size }, (_, i) => i).sort((a, b) =>
      Buffer.compare(this.bytes(a), this.bytes(b)),
    );
    const rank = new Int32Array(this.size);
    order.forEach((id, r) => {
      rank[id] = r;
    });
    return rank;
  }
}

/** Ids' bytes one after another, by number. */
class IdTexts {
  constructor(
    private readonly arena: Buffer,
    private readonly starts: Int32Array,
  ) {}

  length(id: number): number {
    return this.starts[id + 1]! - this.starts[id]!;
  }

  /** Writes the id as a text field (length word, bytes); answers where the next field starts. */
  put(b: Buffer, at: number, id: number): number {
    const start = this.starts[id]!;
    const length = this.starts[id + 1]! - start;
    putInt32(b, at, length);
    const arena = this.arena;
    // Ids are short: a loop is cheaper than a call into Buffer.copy.
    for (let i = 0; i < length; i++) b[at + 4 + i] = arena[start + i]!;
    return at + 4 + length;
  }
}

/** The array twice as long, with its contents. */
function grown<T extends Int32Array<ArrayBuffer> | Float64Array<ArrayBuffer>>(a: T): T {
  const b = new (a.constructor as new (length: number) => T)(2 * a.length);
  b.set(a);
  return b;
}

/**
 * A facts record: eight integers side by side, so that folding an event in touches one cache line.
 * Fields:
 */
const SCOPE = 0; // the scope's number + 1; 0 is an empty slot of a bucket's table
const CONSUMER = 1;
const EXPOSURE = 2;
const VIEW1 = 3; // the newest view day
const VIEW2 = 4; // the second newest distinct view day
const ACTIVE_DAY = 5;
const PRAISE_DAY = 6;
const BUYS = 7; // the consumer's purchase record in this scope + 1, or 0
const STRIDE = 8;

/**
 * Events are first sorted into buckets by consumer, then each bucket is folded with a hash table of
 * its own: a few MB that stay in the cache, where one table for every row (512 MB at 9M rows)
 * missed the cache on almost every event.
 */
const BUCKETS = 512;
/** Runs of consecutive scopes the folded records are scattered into before each run is sorted. */
const RUNS = 256;
/** A bucketed event: consumer, brand scope + 1, category scope + 1, day * 8 + effect, amount. */
const EVENT_STRIDE = 5;

/** Binary COPY: signature, flags and header extension length; the trailer. */
const COPY_HEADER = Buffer.from('PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0', 'latin1');
const INT4_OID = 23;
/** Fields of a facts row, in FACTS_COLUMNS' order (aipl.ts). */
const FACTS_FIELDS = 14;

/**
 * The facts of a share's events. `read` takes in a binary COPY of
 * (shop_id, brand_id, category_id, consumer_id, day, effect smallint, amount bigint), several at
 * once if need be (one thread, so no locking); `rows` then folds them and answers the facts rows as
 * binary COPY streams of FACTS_COLUMNS, in key order.
 */
export class FactsFold {
  private readonly shops = new Ids();
  private readonly brands = new Ids();
  private readonly categories = new Ids();
  private readonly consumers = new Ids();
  /** Open addressing over (shop, value): the scope's number + 1, 0 for an empty slot. */
  private scopeSlots = new Int32Array(1024);
  private scopeShop = new Int32Array(256);
  private scopeValue = new Int32Array(256); // brand or category number * 2 + kind
  private scopes = 0;
  private readonly buckets: Int32Array<ArrayBuffer>[];
  private readonly bucketSize = new Int32Array(BUCKETS);
  private amounts = new Float64Array(1024);
  private purchases = 0;
  /** The folded records, STRIDE integers each. */
  private facts = new Int32Array(0);
  size = 0;
  /** Purchase records: spend, and a list of distinct days (head + 1 into dayOf / nextOf). */
  private spend = new Float64Array(1024);
  private daysHead = new Int32Array(1024);
  private buys = 0;
  private dayOf = new Int32Array(4096);
  private nextOf = new Int32Array(4096);
  private days = 0;
  events = 0;

  /** `expected`: about how many events. */
  constructor(expected: number) {
    const each = Math.max(64, Math.ceil((1.1 * expected) / BUCKETS));
    this.buckets = Array.from({ length: BUCKETS }, () => new Int32Array(each * EVENT_STRIDE));
  }

  /** Takes in one binary COPY stream of events. */
  async read(stream: AsyncIterable<Buffer>): Promise<void> {
    let carry: Buffer | null = null;
    let header = true;
    let ended = false;
    for await (const chunk of stream) {
      const b: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
      let at = 0;
      if (header) {
        if (b.length < COPY_HEADER.length) {
          carry = b;
          continue;
        }
        if (b.compare(COPY_HEADER, 0, 11, 0, 11) !== 0) throw new Error('not a binary COPY');
        at = 19 + b.readInt32BE(15);
        header = false;
      }
      at = this.parse(b, at);
      if (at < 0) {
        ended = true;
        at = -at;
      }
      carry = at < b.length ? b.subarray(at) : null;
    }
    if (!ended || carry) throw new Error('the events COPY ended early');
  }

  /** Takes in the whole rows of b from `at`; answers where the rest starts (negated at the trailer). */
  private parse(b: Buffer, at: number): number {
    const end = b.length;
    for (;;) {
      if (at + 2 > end) return at;
      const fields = (b[at]! << 8) | b[at + 1]!;
      if (fields === 0xffff) return -(at + 2);
      if (fields !== 7) throw new Error(`an events row of ${fields} fields`);
      // The seven fields' starts and lengths, before anything is taken: a row cut by the chunk's
      // end is read again whole with the next chunk.
      let p = at + 2;
      let ok = true;
      for (let f = 0; f < 7; f++) {
        if (p + 4 > end) {
          ok = false;
          break;
        }
        const length = b.readInt32BE(p);
        START[f] = p + 4;
        LENGTH[f] = length;
        p += 4 + (length > 0 ? length : 0);
        if (p > end) {
          ok = false;
          break;
        }
      }
      if (!ok) return at;
      at = p;
      const shop = this.shops.of(b, START[0]!, START[0]! + LENGTH[0]!);
      const brand =
        LENGTH[1]! >= 0 ? this.scope(shop, 2 * this.brands.of(b, START[1]!, START[1]! + LENGTH[1]!)) + 1 : 0;
      const category =
        LENGTH[2]! >= 0
          ? this.scope(shop, 2 * this.categories.of(b, START[2]!, START[2]! + LENGTH[2]!) + 1) + 1
          : 0;
      const consumer = this.consumers.of(b, START[3]!, START[3]! + LENGTH[3]!);
      const day = b.readInt32BE(START[4]!);
      const effect = b.readInt16BE(START[5]!);
      let amount = -1;
      if (effect === PURCHASE && LENGTH[6] === 8) {
        amount = this.purchases++;
        if (amount === this.amounts.length) this.amounts = grown(this.amounts);
        this.amounts[amount] = b.readInt32BE(START[6]!) * 4294967296 + b.readUInt32BE(START[6]! + 4);
      }
      this.events++;
      // Ids are numbered as first seen, so the low bits spread consumers evenly over the buckets.
      const k = consumer & (BUCKETS - 1);
      let bucket = this.buckets[k]!;
      const e = this.bucketSize[k]! * EVENT_STRIDE;
      if (e + EVENT_STRIDE > bucket.length) {
        bucket = grown(bucket);
        this.buckets[k] = bucket;
      }
      bucket[e] = consumer;
      bucket[e + 1] = brand;
      bucket[e + 2] = category;
      bucket[e + 3] = day * 8 + effect;
      bucket[e + 4] = amount;
      this.bucketSize[k]!++;
    }
  }

  /** The number of the scope of `value` (brand or category number * 2 + kind) in `shop`. */
  private scope(shop: number, value: number): number {
    const mask = this.scopeSlots.length - 1;
    for (let s = pairHash(shop, value) & mask; ; s = (s + 1) & mask) {
      const found = this.scopeSlots[s]! - 1;
      if (found < 0) break;
      if (this.scopeShop[found] === shop && this.scopeValue[found] === value) return found;
    }
    const id = this.scopes++;
    if (id === this.scopeShop.length) {
      this.scopeShop = grown(this.scopeShop);
      this.scopeValue = grown(this.scopeValue);
    }
    this.scopeShop[id] = shop;
    this.scopeValue[id] = value;
    if (2 * this.scopes > this.scopeSlots.length) {
      // Rehashed at half full.
      this.scopeSlots = new Int32Array(2 * this.scopeSlots.length);
      for (let k = 0; k < this.scopes; k++) this.place(k);
    } else this.place(id);
    return id;
  }

  private place(id: number): void {
    const slots = this.scopeSlots;
    const mask = slots.length - 1;
    let s = pairHash(this.scopeShop[id]!, this.scopeValue[id]!) & mask;
    while (slots[s] !== 0) s = (s + 1) & mask;
    slots[s] = id + 1;
  }

  /** Folds every bucket's events into records, appended to `facts`. */
  private foldAll(): void {
    let most = 0;
    for (let k = 0; k < BUCKETS; k++) most = Math.max(most, this.bucketSize[k]!);
    // Each event makes at most two records; a bucket's table is at most two thirds full.
    let slots = 1024;
    while (slots < 3 * most) slots *= 2;
    const table = new Int32Array(slots * STRIDE);
    let facts = new Int32Array(Math.max(1024, this.events) * STRIDE);
    let n = 0;
    for (let k = 0; k < BUCKETS; k++) {
      const events = this.buckets[k]!;
      const count = this.bucketSize[k]!;
      // Sized to this bucket: small tables stay in the cache.
      let size = 1024;
      while (size < 3 * count) size *= 2;
      const mask = size - 1;
      table.fill(0, 0, size * STRIDE);
      for (let e = 0; e < count * EVENT_STRIDE; e += EVENT_STRIDE) {
        const consumer = events[e]!;
        const dayEffect = events[e + 3]!;
        const day = dayEffect >> 3;
        const effect = dayEffect & 7;
        const brand = events[e + 1]!;
        const amount = events[e + 4]!;
        if (brand > 0)
          this.fold(table, mask, brand, consumer, effect === SEARCH ? ACTIVE : effect, day, amount);
        const category = events[e + 2]!;
        if (category > 0)
          this.fold(table, mask, category, consumer, effect === SEARCH ? PASSIVE : effect, day, amount);
      }
      for (let r = 0; r < size * STRIDE; r += STRIDE) {
        if (table[r + SCOPE] === 0) continue;
        if ((n + 1) * STRIDE > facts.length) facts = grown(facts);
        for (let f = 0; f < STRIDE; f++) facts[n * STRIDE + f] = table[r + f]!;
        n++;
      }
      // The bucket's events are no longer needed.
      this.buckets[k] = new Int32Array(0);
    }
    this.facts = facts;
    this.size = n;
  }

  /** mergeFacts(record, factsOfEvent(effect, day, amount)), in place; scope is its number + 1. */
  private fold(
    t: Int32Array,
    mask: number,
    scope: number,
    consumer: number,
    effect: number,
    day: number,
    amount: number,
  ) {
    const h = pairHash(scope, consumer);
    let r = ((h ^ (h >>> 15)) & mask) * STRIDE;
    for (;;) {
      const found = t[r + SCOPE]!;
      if (found === 0) {
        t[r + SCOPE] = scope;
        t[r + CONSUMER] = consumer;
        t[r + EXPOSURE] = NONE;
        t[r + VIEW1] = NONE;
        t[r + VIEW2] = NONE;
        t[r + ACTIVE_DAY] = NONE;
        t[r + PRAISE_DAY] = NONE;
        t[r + BUYS] = 0;
        break;
      }
      if (found === scope && t[r + CONSUMER] === consumer) break;
      r = (r + STRIDE) & (mask * STRIDE + STRIDE - 1);
    }
    switch (effect) {
      case PASSIVE:
        if (day > t[r + EXPOSURE]!) t[r + EXPOSURE] = day;
        return;
      case VIEW: {
        const v1 = t[r + VIEW1]!;
        if (day > v1) {
          t[r + VIEW2] = v1;
          t[r + VIEW1] = day;
        } else if (day < v1 && day > t[r + VIEW2]!) t[r + VIEW2] = day;
        return;
      }
      case ACTIVE:
        if (day > t[r + ACTIVE_DAY]!) t[r + ACTIVE_DAY] = day;
        return;
      case PRAISE:
        if (day > t[r + PRAISE_DAY]!) t[r + PRAISE_DAY] = day;
        return;
      case PURCHASE: {
        let buy = t[r + BUYS]! - 1;
        if (buy < 0) {
          buy = this.buys++;
          if (buy === this.spend.length) {
            this.spend = grown(this.spend);
            this.daysHead = grown(this.daysHead);
          }
          this.spend[buy] = 0;
          this.daysHead[buy] = 0;
          t[r + BUYS] = buy + 1;
        }
        if (amount >= 0) this.spend[buy]! += this.amounts[amount]!;
        for (let d = this.daysHead[buy]! - 1; d >= 0; d = this.nextOf[d]! - 1)
          if (this.dayOf[d] === day) return;
        const d = this.days++;
        if (d === this.dayOf.length) {
          this.dayOf = grown(this.dayOf);
          this.nextOf = grown(this.nextOf);
        }
        this.dayOf[d] = day;
        this.nextOf[d] = this.daysHead[buy]!;
        this.daysHead[buy] = d + 1;
        return;
      }
      // Any other code (a kind the rules do not know) adds nothing, but the row exists, as in SQL.
    }
  }

  /**
   * The records put in runs of consecutive scopes in key order ((shop_id, scope, consumer_id)
   * compared as bytes), each record's scope and consumer replaced by their ranks in that order.
   * A scatter into a few hundred runs streams its writes; each run is then sorted on its own, in
   * the cache, as it is written (sortRun). Sorting all 9M records at once read them at random.
   * The runs are grouped into parts of whole shops (see rows).
   */
  private partition(
    scopeBytes: Buffer[],
    split: number | Buffer[],
  ): { runs: Int32Array; parts: number[]; bounds: Buffer[]; prefixes: Buffer[]; consumers: IdTexts } {
    const shopRank = this.shops.ranks();
    const scopeOrder = Array.from({ length: this.scopes }, (_, i) => i).sort(
      (a, b) =>
        shopRank[this.scopeShop[a]!]! - shopRank[this.scopeShop[b]!]! ||
        Buffer.compare(scopeBytes[a]!, scopeBytes[b]!),
    );
    const scopeRank = new Int32Array(this.scopes);
    scopeOrder.forEach((s, k) => {
      scopeRank[s] = k;
    });
    const consumerRank = this.consumers.ranks();
    const t = this.facts;
    const n = this.size;
    const rowsOfRank = new Int32Array(this.scopes);
    for (let i = 0; i < n; i++) rowsOfRank[scopeRank[t[i * STRIDE + SCOPE]! - 1]!]!++;
    const shopOfRank = (rank: number) => this.shops.bytes(this.scopeShop[scopeOrder[rank]!]!);
    // The first scope rank of each part after the first: where a shop starts, either at the
    // bounds given or where about n / split rows lie before it.
    const cuts: number[] = [];
    const bounds: Buffer[] = [];
    if (typeof split === 'number') {
      for (let rank = 1, before = rowsOfRank[0] ?? 0; rank < this.scopes; before += rowsOfRank[rank++]!) {
        if (cuts.length === split - 1) break;
        if (before < ((cuts.length + 1) * n) / split) continue;
        if (this.scopeShop[scopeOrder[rank]!] === this.scopeShop[scopeOrder[rank - 1]!]) continue;
        cuts.push(rank);
        bounds.push(shopOfRank(rank));
      }
    } else {
      bounds.push(...split);
      for (const bound of split) {
        let rank = cuts.at(-1) ?? 0;
        while (rank < this.scopes && Buffer.compare(shopOfRank(rank), bound) < 0) rank++;
        cuts.push(rank);
      }
    }
    // Runs of about n / RUNS rows, never across a cut.
    const runOfRank = new Int32Array(this.scopes);
    const parts = [0];
    let runs = 0;
    for (let rank = 0, inRun = 0, cut = 0; rank < this.scopes; rank++) {
      const atCut = cut < cuts.length && cuts[cut] === rank;
      if (rank > 0 && (atCut || inRun >= n / RUNS)) {
        runs++;
        inRun = 0;
      }
      while (cut < cuts.length && cuts[cut] === rank) {
        parts.push(runs);
        cut++;
      }
      runOfRank[rank] = runs;
      inRun += rowsOfRank[rank]!;
    }
    runs++;
    // Parts whose cut lies past the last scope (bounds given that no shop reaches) are empty.
    while (parts.length < cuts.length + 1) parts.push(runs);
    parts.push(runs);
    const starts = new Int32Array(runs + 1);
    for (let rank = 0; rank < this.scopes; rank++) starts[runOfRank[rank]! + 1]! += rowsOfRank[rank]!;
    for (let k = 1; k <= runs; k++) starts[k]! += starts[k - 1]!;
    const next = starts.slice(0, runs);
    const out = new Int32Array(n * STRIDE);
    for (let r = 0; r < n * STRIDE; r += STRIDE) {
      const rank = scopeRank[t[r + SCOPE]! - 1]!;
      const o = next[runOfRank[rank]!]!++ * STRIDE;
      for (let f = 0; f < STRIDE; f++) out[o + f] = t[r + f]!;
      out[o + SCOPE] = rank;
      out[o + CONSUMER] = consumerRank[t[r + CONSUMER]!]!;
    }
    this.facts = out;
    // Each scope's row prefix, by rank: its shop and scope fields, length words included.
    const prefixes = scopeOrder.map((s) => {
      const shop = this.shops.bytes(this.scopeShop[s]!);
      const text = scopeBytes[s]!;
      const b = Buffer.allocUnsafe(2 + 8 + shop.length + text.length);
      b.writeInt16BE(FACTS_FIELDS, 0);
      b.writeInt32BE(shop.length, 2);
      shop.copy(b, 6);
      b.writeInt32BE(text.length, 6 + shop.length);
      text.copy(b, 10 + shop.length);
      return b;
    });
    return {
      runs: starts,
      parts,
      bounds: bounds.map((b) => Buffer.from(b)),
      prefixes,
      consumers: this.consumers.inRankOrder(consumerRank),
    };
  }

  /** Sorts the records [from, to) of one run by scope rank, then consumer rank. */
  private sortRun(from: number, to: number): void {
    const m = to - from;
    if (m < 2) return;
    const t = this.facts;
    let low = Number.MAX_SAFE_INTEGER;
    let high = 0;
    for (let i = from; i < to; i++) {
      const rank = t[i * STRIDE + SCOPE]!;
      if (rank < low) low = rank;
      if (rank > high) high = rank;
    }
    const scopeKey = new Int32Array(m);
    const consumerKey = new Int32Array(m);
    for (let i = 0; i < m; i++) {
      scopeKey[i] = t[(from + i) * STRIDE + SCOPE]! - low;
      consumerKey[i] = t[(from + i) * STRIDE + CONSUMER]!;
    }
    const order = countingSort(
      scopeKey,
      high - low + 1,
      countingSort(consumerKey, this.consumers.size, null),
    );
    const sorted = new Int32Array(m * STRIDE);
    for (let i = 0; i < m; i++) {
      const r = (from + order[i]!) * STRIDE;
      for (let f = 0; f < STRIDE; f++) sorted[i * STRIDE + f] = t[r + f]!;
    }
    t.set(sorted, from * STRIDE);
  }

  private scopeTexts(): Buffer[] {
    const brand = Buffer.from('brand:');
    const category = Buffer.from('category:');
    return Array.from({ length: this.scopes }, (_, s) => {
      const value = this.scopeValue[s]!;
      return value % 2 === 0
        ? Buffer.concat([brand, this.brands.bytes(value >> 1)])
        : Buffer.concat([category, this.categories.bytes(value >> 1)]);
    });
  }

  /**
   * The facts rows in key order as binary COPY streams of FACTS_COLUMNS, one per range of shops:
   * `split` ranges of about as many rows (the shops that start each range after the first are
   * answered as `bounds`), or the ranges that start at the shops given. Each range's rows are
   * written in key order, so that its key is built from presorted rows.
   */
  rows(split: number | Buffer[]): { streams: Readable[]; bounds: Buffer[] } {
    this.foldAll();
    const { runs, parts, bounds, prefixes, consumers } = this.partition(this.scopeTexts(), split);
    const streams = parts
      .slice(0, -1)
      .map((first, k) =>
        Readable.from(this.encode(runs.subarray(first, parts[k + 1]! + 1), prefixes, consumers)),
      );
    return { streams, bounds };
  }

  /** The rows of consecutive runs (their bounds), sorted one run at a time as they are written. */
  private *encode(runs: Int32Array, prefixes: Buffer[], consumers: IdTexts): Generator<Buffer> {
    const CHUNK = 1 << 20;
    let b = Buffer.allocUnsafe(CHUNK);
    let at = COPY_HEADER.copy(b, 0);
    for (let k = 0; k + 1 < runs.length; k++) {
      const to = runs[k + 1]!;
      this.sortRun(runs[k]!, to);
      for (let i = runs[k]!; i < to; ) {
        // A plain loop fills the chunk (the generator only hands chunks on): V8 optimises it better.
        const next = this.fill(b, at, i, to, prefixes, consumers);
        if (next.rows < to) {
          // The chunk is full (or too small for even one row).
          yield b.subarray(0, next.at);
          b = Buffer.allocUnsafe(next.rows === i && next.at === 0 ? 2 * b.length : CHUNK);
          at = 0;
          i = next.rows;
          continue;
        }
        i = next.rows;
        at = next.at;
      }
    }
    if (at + 2 > b.length) {
      yield b.subarray(0, at);
      b = Buffer.allocUnsafe(2);
      at = 0;
    }
    b[at++] = 0xff;
    b[at++] = 0xff;
    yield b.subarray(0, at);
  }

  /** Encodes rows i..to-1 into b from `at` while they fit; answers the next row and position. */
  private fill(b: Buffer, at: number, i: number, to: number, prefixes: Buffer[], consumers: IdTexts) {
    const t = this.facts;
    const purchases = PURCHASES;
    const end = b.length;
    for (; i < to; i++) {
      const r = i * STRIDE;
      const prefix = prefixes[t[r + SCOPE]!]!;
      const consumer = t[r + CONSUMER]!;
      purchases.length = 0;
      let spend = 0;
      const buy = t[r + BUYS]! - 1;
      if (buy >= 0) {
        spend = this.spend[buy]!;
        for (let d = this.daysHead[buy]! - 1; d >= 0; d = this.nextOf[d]! - 1) purchases.push(this.dayOf[d]!);
        if (purchases.length > 1) {
          purchases.sort((x, y) => y - x);
          const floor = purchases[0]! - PURCHASE_DAYS_KEPT;
          while (purchases[purchases.length - 1]! < floor) purchases.pop();
        }
      }
      // At most: the prefix, the consumer, 12 fields of at most 8 bytes and the two arrays.
      const most =
        prefix.length + 4 + consumers.length(consumer) + 12 * 8 + 2 * 24 + 8 * (2 + purchases.length);
      if (at + most > end) break;
      const exposure = t[r + EXPOSURE]!;
      const v1 = t[r + VIEW1]!;
      const v2 = t[r + VIEW2]!;
      const active = t[r + ACTIVE_DAY]!;
      const praise = t[r + PRAISE_DAY]!;
      const p1 = purchases.length > 0 ? purchases[0]! : NONE;
      const p2 = purchases.length > 1 ? purchases[1]! : NONE;
      // Short: a loop is cheaper than a call into Buffer.copy.
      for (let j = 0; j < prefix.length; j++) b[at + j] = prefix[j]!;
      at += prefix.length;
      at = consumers.put(b, at, consumer);
      at = putDay(b, at, exposure);
      at = putViews(b, at, v1, v2);
      at = putDay(b, at, active);
      at = putDays(b, at, purchases);
      at = putDay(b, at, praise);
      at = putInt8(b, at, spend);
      // The deciding days, as decidingDays in aipl.ts defines them.
      at = putDay(b, at, Math.max(exposure, v1, active, p1, praise));
      at = putDay(b, at, Math.max(exposure, v1));
      at = putDay(b, at, Math.max(active, v2));
      at = putDay(b, at, p1);
      at = putDay(b, at, Math.max(praise, p2));
    }
    return { rows: i, at };
  }
}

/** A hash of two numbers, for open addressing. */
const pairHash = (a: number, b: number) => Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b);

const START = new Int32Array(7);
const PURCHASES: number[] = [];
const LENGTH = new Int32Array(7);

/** The positions 0..key.length-1 (or `items`, such positions) stably ordered by key (0 <= key < range). */
function countingSort(key: Int32Array, range: number, items: Int32Array | null): Int32Array {
  const n = key.length;
  const starts = new Int32Array(range + 1);
  for (let i = 0; i < n; i++) starts[key[i]! + 1]!++;
  for (let k = 1; k <= range; k++) starts[k]! += starts[k - 1]!;
  const out = new Int32Array(n);
  if (items === null) for (let i = 0; i < n; i++) out[starts[key[i]!]!++] = i;
  else
    for (let i = 0; i < n; i++) {
      const item = items[i]!;
      out[starts[key[item]!]!++] = item;
    }
  return out;
}

function putDay(b: Buffer, at: number, day: number): number {
  if (day === NONE) {
    putInt32(b, at, -1);
    return at + 4;
  }
  putInt32(b, at, 4);
  putInt32(b, at + 4, day);
  return at + 8;
}

/** view_days: the newest view day and the second newest, either missing. */
function putViews(b: Buffer, at: number, v1: number, v2: number): number {
  VIEWS[0] = v1;
  VIEWS[1] = v2;
  return putDays(b, at, VIEWS, v1 === NONE ? 0 : v2 === NONE ? 1 : 2);
}
const VIEWS = new Int32Array(2);

/** An integer[] field: dimensions, no nulls, element type, then each element with its length. */
function putDays(b: Buffer, at: number, days: ArrayLike<number>, n = days.length): number {
  if (n === 0) {
    putInt32(b, at, 12);
    putInt32(b, at + 4, 0);
    putInt32(b, at + 8, 0);
    putInt32(b, at + 12, INT4_OID);
    return at + 16;
  }
  putInt32(b, at, 20 + 8 * n);
  putInt32(b, at + 4, 1);
  putInt32(b, at + 8, 0);
  putInt32(b, at + 12, INT4_OID);
  putInt32(b, at + 16, n);
  putInt32(b, at + 20, 1);
  at += 24;
  for (let i = 0; i < n; i++) {
    putInt32(b, at, 4);
    putInt32(b, at + 4, days[i]!);
    at += 8;
  }
  return at;
}
