import { pipeline } from 'node:stream/promises';
import { eq, inArray, sql } from 'drizzle-orm';
import pLimit from 'p-limit';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Database, Executor } from '../../db';
import { settleAll } from '../../kernel/settle';
import { applyFacts, recomputeFacts } from './aipl';
import type { EventKind } from './aipl-rules';
import { applyRelations } from './crm';
import { dayLabel, dayOf, dayStart } from './days';
import { databankDevices, databankItems, databankSettings } from './schema';

/** One behaviour, as stored. `consumerId` is a buyer's account id or `d:<device id>` before login. */
export interface BehaviourEvent {
  id: string;
  kind: EventKind;
  occurredAt: Date;
  consumerId: string;
  deviceId: string | null;
  shopId: string | null;
  productId: string | null;
  skuId: string | null;
  brandId: string | null;
  categoryId: string | null;
  channel: string;
  region: string | null;
  quantity: number | null;
  /** Fen paid (purchases). */
  amount: number | null;
  /** 1 / 0 / -1 (reviews). */
  rating: number | null;
  source: string;
}

export const DEFAULT_RETENTION_DAYS = 1095;
const STORE_LOCK = 7_405_400;

const rowsOf = <T>(r: unknown): T[] => (r as { rows: T[] }).rows;

/**
 * Creates the day-partitioned event table if it is not there yet. It is made here rather than by a
 * migration because Drizzle cannot declare partitioning; the advisory lock keeps two processes from
 * racing on the DDL.
 */
export async function ensureEventStore(tx: Executor): Promise<void> {
  const [found] = rowsOf<{ ok: boolean }>(
    await tx.execute(sql`select to_regclass('databank_events') is not null as ok`),
  );
  if (found?.ok) return;
  await tx.execute(sql`select pg_advisory_xact_lock(${STORE_LOCK})`);
  // The indexed ids compare as bytes (COLLATE "C"): they are ids, never sorted for people, and every
  // stored event descends three btrees, where comparing under the database's collation was about a
  // tenth of a bulk load's server time. Equality, all the event store is queried by, is the same.
  await tx.execute(sql`
    create table if not exists databank_events (
      id text collate "C" not null,
      occurred_at timestamptz not null,
      day integer not null,
      kind text not null,
      consumer_id text collate "C" not null,
      device_id text,
      shop_id text collate "C",
      product_id text,
      sku_id text,
      brand_id text,
      category_id text,
      channel text not null,
      region text,
      quantity integer,
      amount bigint,
      rating integer,
      source text not null,
      received_at timestamptz not null,
      primary key (id, occurred_at)
    ) partition by range (occurred_at)`);
  await tx.execute(sql`create index if not exists databank_events_consumer on databank_events (consumer_id)`);
  // By shop alone: every partition holds one day, so a day column after the shop would index
  // nothing more, and sorting ties on it made the index a third dearer to build for each day loaded.
  // Stores made before keep their (shop_id, day) index; bulk loads build whatever the store has.
  await tx.execute(sql`create index if not exists databank_events_shop on databank_events (shop_id)`);
}

export const partitionName = (day: number) => `databank_events_${dayLabel(day).replaceAll('-', '')}`;

/** The day a partition's name (partitionName) holds, or null for another table's name. */
export function dayOfPartition(name: string): number | null {
  const m = /^databank_events_(\d{4})(\d{2})(\d{2})$/.exec(name);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / 86_400_000 : null;
}

/** The day partitions that exist, as day numbers. */
export async function eventPartitions(tx: Executor): Promise<number[]> {
  await ensureEventStore(tx);
  const rows = rowsOf<{ name: string }>(
    await tx.execute(sql`
      select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'databank_events'::regclass`),
  );
  return rows
    .map((r) => dayOfPartition(r.name))
    .filter((d) => d !== null)
    .sort((a, b) => a - b);
}

/** Makes sure a partition exists for each of these China-time days. */
export async function ensurePartitions(tx: Executor, days: Iterable<number>): Promise<void> {
  await ensureEventStore(tx);
  const wanted = [...new Set(days)];
  if (wanted.length === 0) return;
  const names = wanted.map(partitionName);
  const existing = new Set(
    rowsOf<{ name: string }>(
      await tx.execute(
        sql`select relname as name from pg_class where relname in (${sql.join(
          names.map((n) => sql`${n}`),
          sql`, `,
        )})`,
      ),
    ).map((r) => r.name),
  );
  const missing = wanted.filter((d) => !existing.has(partitionName(d)));
  if (missing.length === 0) return;
  await tx.execute(sql`select pg_advisory_xact_lock(${STORE_LOCK})`);
  for (const day of missing) {
    const from = dayStart(day).toISOString();
    const to = dayStart(day + 1).toISOString();
    await tx.execute(
      sql.raw(
        `create table if not exists ${partitionName(day)} partition of databank_events for values from ('${from}') to ('${to}')`,
      ),
    );
  }
}

export async function retentionDays(tx: Executor): Promise<number> {
  const [row] = await tx.select().from(databankSettings).where(eq(databankSettings.id, 1));
  return row?.retentionDays ?? DEFAULT_RETENTION_DAYS;
}

export async function setRetentionDays(tx: Executor, days: number, now: Date): Promise<number> {
  await tx
    .insert(databankSettings)
    .values({ id: 1, retentionDays: days, updatedAt: now })
    .onConflictDoUpdate({ target: databankSettings.id, set: { retentionDays: days, updatedAt: now } });
  return days;
}

/**
 * Drops whole day partitions older than the retention; answers the days dropped. The AIPL facts of
 * the consumers in them are rebuilt from what remains, so facts never know more than the raw events
 * (and a recompute always gives the same rows).
 */
export async function dropExpiredPartitions(tx: Executor, now: Date): Promise<number[]> {
  const keep = await retentionDays(tx);
  const oldest = dayOf(now) - keep;
  const expired = (await eventPartitions(tx)).filter((d) => d < oldest);
  const consumers = new Set<string>();
  for (const day of expired) {
    const rows = rowsOf<{ c: string }>(
      await tx.execute(
        sql.raw(`select distinct consumer_id as c from ${partitionName(day)} where shop_id is not null`),
      ),
    );
    for (const r of rows) consumers.add(r.c);
    await tx.execute(sql.raw(`drop table if exists ${partitionName(day)}`));
  }
  if (consumers.size > 0) await recomputeFacts(tx, { consumerIds: [...consumers] });
  return expired;
}

export interface ItemInfo {
  productId: string;
  shopId: string;
  brandId: string | null;
  categoryId: string;
}

export async function itemsById(tx: Executor, productIds: string[]): Promise<Map<string, ItemInfo>> {
  const ids = [...new Set(productIds)];
  if (ids.length === 0) return new Map();
  const rows = await tx.select().from(databankItems).where(inArray(databankItems.productId, ids));
  return new Map(rows.map((r) => [r.productId, r]));
}

export async function recordItem(tx: Executor, item: ItemInfo, now: Date): Promise<void> {
  await tx
    .insert(databankItems)
    .values({ ...item, createdAt: now })
    .onConflictDoUpdate({
      target: databankItems.productId,
      set: { shopId: item.shopId, brandId: item.brandId, categoryId: item.categoryId },
    });
}

/** Buyers of the devices that have logged in, so their later events go to the buyer directly. */
export async function buyersOfDevices(tx: Executor, deviceIds: string[]): Promise<Map<string, string>> {
  const ids = [...new Set(deviceIds)];
  if (ids.length === 0) return new Map();
  const rows = await tx.select().from(databankDevices).where(inArray(databankDevices.deviceId, ids));
  return new Map(rows.map((r) => [r.deviceId, r.buyerId]));
}

export const deviceConsumer = (deviceId: string) => `d:${deviceId}`;

/**
 * Stores events (skipping ids already stored) and brings AIPL facts and CRM relations up to date
 * with the ones that were new, in the caller's transaction. Answers how many were new.
 */
export async function storeEvents(tx: Executor, events: BehaviourEvent[], now: Date): Promise<number> {
  const fresh = await insertEvents(tx, events, now);
  await applyFacts(tx, fresh);
  await applyRelations(tx, fresh);
  return fresh.length;
}

/**
 * Only the raw insert (partitions made as needed, ids already stored skipped); answers the events
 * that were new. Bulk loads use it and then rebuild the facts with recomputeFacts.
 */
export async function insertEvents(
  tx: Executor,
  events: BehaviourEvent[],
  now: Date,
): Promise<BehaviourEvent[]> {
  if (events.length === 0) return [];
  await ensurePartitions(
    tx,
    events.map((e) => dayOf(e.occurredAt)),
  );
  const inserted = new Set<string>();
  // Multi-row inserts in slices keep each statement a reasonable size.
  for (let i = 0; i < events.length; i += 5000) {
    const slice = events.slice(i, i + 5000);
    const col = <T>(f: (e: BehaviourEvent) => T) => slice.map(f);
    const rows = rowsOf<{ id: string; occurred_at: string | Date }>(
      await tx.execute(sql`
        insert into databank_events (id, occurred_at, day, kind, consumer_id, device_id, shop_id, product_id,
          sku_id, brand_id, category_id, channel, region, quantity, amount, rating, source, received_at)
        select * , ${now.toISOString()}::timestamptz from unnest(
          ${pgArray(col((e) => e.id))}::text[],
          ${pgArray(col((e) => e.occurredAt.toISOString()))}::timestamptz[],
          ${pgArray(col((e) => String(dayOf(e.occurredAt))))}::integer[],
          ${pgArray(col((e) => e.kind))}::text[],
          ${pgArray(col((e) => e.consumerId))}::text[],
          ${pgArray(col((e) => e.deviceId))}::text[],
          ${pgArray(col((e) => e.shopId))}::text[],
          ${pgArray(col((e) => e.productId))}::text[],
          ${pgArray(col((e) => e.skuId))}::text[],
          ${pgArray(col((e) => e.brandId))}::text[],
          ${pgArray(col((e) => e.categoryId))}::text[],
          ${pgArray(col((e) => e.channel))}::text[],
          ${pgArray(col((e) => e.region))}::text[],
          ${pgArray(col((e) => (e.quantity === null ? null : String(e.quantity))))}::integer[],
          ${pgArray(col((e) => (e.amount === null ? null : String(e.amount))))}::bigint[],
          ${pgArray(col((e) => (e.rating === null ? null : String(e.rating))))}::integer[],
          ${pgArray(col((e) => e.source))}::text[])
        on conflict do nothing
        returning id, occurred_at`),
    );
    for (const r of rows) inserted.add(`${r.id}|${new Date(r.occurred_at).getTime()}`);
  }
  return events.filter((e) => inserted.has(`${e.id}|${e.occurredAt.getTime()}`));
}

const EVENT_COLUMNS =
  'id, occurred_at, day, kind, consumer_id, device_id, shop_id, product_id, sku_id, brand_id, category_id, channel, region, quantity, amount, rating, source, received_at';

/** PostgreSQL's epoch (2000-01-01) in Unix milliseconds: a binary timestamp counts microseconds from it. */
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const TWO_32 = 4_294_967_296;

const INT4_MIN = -(2 ** 31);
const INT4_MAX = 2 ** 31 - 1;

/**
 * The advisory lock class (two-integer form) of bulk loads: a load that stages days holds
 * (LOAD_LOCK, its id) at session level for as long as its staging tables exist.
 */
const LOAD_LOCK = 7_405_401;
/** A staging table: `databank_load_<load id in base 36>_<yyyymmdd>`. */
const LOAD_TABLE = /^databank_load_([0-9a-z]{1,6})_(\d{8})$/;
/** A staged day's rows are sent once this many bytes are encoded (about 15,000 events). */
const STAGE_CHUNK = 2 * 1024 * 1024;
/** COPY statements of a load that may wait for a connection, beyond those running. */
const QUEUED_COPIES = 16;

export function putInt32(b: Buffer, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = v >>> 16;
  b[at + 2] = v >>> 8;
  b[at + 3] = v;
}

/** A text field (length word, UTF-8 bytes); answers where the next field starts. */
function putText(b: Buffer, at: number, v: string | null): number {
  if (v === null) {
    putInt32(b, at, -1);
    return at + 4;
  }
  const start = at + 4;
  let end = start;
  // Ids and codes are short and ASCII: copied byte by byte, which is cheaper than a call into
  // Buffer.write for each; anything else goes through the UTF-8 encoder.
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 0x80) {
      end = start + b.write(v, start, 'utf8');
      break;
    }
    b[end++] = c;
  }
  putInt32(b, at, end - start);
  return end;
}

/** An integer column: refused here if it is not one, as the text form would have been by the server. */
function putInt4(b: Buffer, at: number, v: number | null): number {
  if (v === null) {
    putInt32(b, at, -1);
    return at + 4;
  }
  if (!Number.isInteger(v) || v < INT4_MIN || v > INT4_MAX) throw new RangeError(`not an integer: ${v}`);
  putInt32(b, at, 4);
  putInt32(b, at + 4, v);
  return at + 8;
}

export function putInt8(b: Buffer, at: number, v: number | null): number {
  if (v === null) {
    putInt32(b, at, -1);
    return at + 4;
  }
  if (!Number.isSafeInteger(v)) throw new RangeError(`not an integer: ${v}`);
  const high = Math.floor(v / TWO_32);
  putInt32(b, at, 8);
  putInt32(b, at + 4, high);
  putInt32(b, at + 8, v - high * TWO_32);
  return at + 12;
}

/** Microseconds since PostgreSQL's epoch: a binary timestamptz. */
function pgMicros(at: Date): number {
  const us = (at.getTime() - PG_EPOCH_MS) * 1000;
  if (!Number.isSafeInteger(us)) throw new RangeError('invalid date');
  return us;
}

/**
 * The buffers of one load, used again once their COPY has ended: allocating a megabyte outside the
 * JavaScript heap for every 7,000 events or so made V8 collect garbage for "external memory pressure",
 * full collections included.
 */
class SpareBuffers {
  private static readonly SIZE = 1024 * 1024;
  /** More than the load has in flight: each staged day's rows not yet sent, and `connections` COPY statements. */
  private static readonly KEEP = 128;
  private readonly free: Buffer[] = [];

  take(bytes: number): Buffer {
    if (bytes <= SpareBuffers.SIZE) {
      const spare = this.free.pop();
      if (spare) return spare;
    }
    return Buffer.allocUnsafe(Math.max(SpareBuffers.SIZE, bytes));
  }

  give(buffers: Buffer[]): void {
    for (const b of buffers) {
      if (b.length === SpareBuffers.SIZE && this.free.length < SpareBuffers.KEEP) this.free.push(b);
    }
  }
}

/**
 * Events as rows of binary COPY, in buffers of about a megabyte. Binary rather than text: nothing is
 * formatted here and parsed again by the server. Each row is written with plain byte stores into a
 * buffer checked for room once per row (a call per field into Buffer's writers was most of the cost
 * of encoding an event). Values are checked as the text form would have been: an integer out of its
 * column's range or an invalid date throws, and nothing of it is sent.
 */
class CopyRows {
  /** Length words of 18 fields, the row's field count, and the fixed-size values (two timestamps, day, quantity, amount, rating). */
  private static readonly FIXED = 2 + 18 * 4 + 8 + 4 + 4 + 8 + 4 + 8;
  private readonly done: Buffer[] = [];
  /** The buffers written, whole, to be used again. */
  private readonly owned: Buffer[] = [];
  private doneBytes = 0;
  private buf: Buffer;
  private at: number;
  rows = 0;

  constructor(
    /** The same for every row, as pgMicros. */
    private readonly receivedAt: number,
    private readonly spares: SpareBuffers,
  ) {
    this.buf = spares.take(0);
    this.owned.push(this.buf);
    // Signature, flags, header extension length.
    this.at = this.buf.write('PGCOPY\n\xff\r\n\0', 0, 'latin1');
    this.buf.fill(0, this.at, this.at + 8);
    this.at += 8;
  }

  /** Bytes encoded so far. */
  get size(): number {
    return this.doneBytes + this.at;
  }

  private next(bytes: number): void {
    this.done.push(this.buf.subarray(0, this.at));
    this.doneBytes += this.at;
    this.buf = this.spares.take(bytes);
    this.owned.push(this.buf);
    this.at = 0;
  }

  /** Once the server has read every row (the COPY ended without error), the buffers are free again. */
  recycle(): void {
    this.spares.give(this.owned);
  }

  /** One event, in the order of EVENT_COLUMNS; `day` is dayOf(e.occurredAt). */
  add(e: BehaviourEvent, day: number): void {
    const occurred = pgMicros(e.occurredAt);
    // UTF-8 takes at most three bytes per UTF-16 unit.
    const most =
      CopyRows.FIXED +
      3 *
        (e.id.length +
          e.kind.length +
          e.consumerId.length +
          (e.deviceId?.length ?? 0) +
          (e.shopId?.length ?? 0) +
          (e.productId?.length ?? 0) +
          (e.skuId?.length ?? 0) +
          (e.brandId?.length ?? 0) +
          (e.categoryId?.length ?? 0) +
          e.channel.length +
          (e.region?.length ?? 0) +
          e.source.length);
    if (this.at + most > this.buf.length) this.next(most);
    const b = this.buf;
    let at = this.at;
    b[at] = 0;
    b[at + 1] = 18;
    at = putText(b, at + 2, e.id);
    at = putInt8(b, at, occurred);
    at = putInt4(b, at, day);
    at = putText(b, at, e.kind);
    at = putText(b, at, e.consumerId);
    at = putText(b, at, e.deviceId);
    at = putText(b, at, e.shopId);
    at = putText(b, at, e.productId);
    at = putText(b, at, e.skuId);
    at = putText(b, at, e.brandId);
    at = putText(b, at, e.categoryId);
    at = putText(b, at, e.channel);
    at = putText(b, at, e.region);
    at = putInt4(b, at, e.quantity);
    at = putInt8(b, at, e.amount);
    at = putInt4(b, at, e.rating);
    at = putText(b, at, e.source);
    this.at = putInt8(b, at, this.receivedAt);
    this.rows++;
  }

  /** The trailer; answers every buffer, to be sent in order. */
  end(): Buffer[] {
    if (this.at + 2 > this.buf.length) this.next(2);
    this.buf[this.at++] = 0xff;
    this.buf[this.at++] = 0xff;
    this.done.push(this.buf.subarray(0, this.at));
    return this.done;
  }
}

async function copyBuffers(client: PoolClient, table: string, buffers: Buffer[]): Promise<void> {
  await pipeline(
    buffers,
    client.query(copyFrom(`copy ${table} (${EVENT_COLUMNS}) from stdin (format binary)`)),
  );
}

/**
 * Drops the staging tables of bulk loads that are no longer running (killed with their process, or
 * cut off from the database): a live load holds its lock on a connection of its own, and the server
 * releases it when that connection ends. A transaction-level try of the same lock succeeds only when
 * no session holds it, and keeps a new load from taking that id until the tables are gone. Answers
 * the tables dropped. copyEvents calls it at the start of each bulk load.
 */
export async function dropAbandonedLoads(tx: Executor): Promise<string[]> {
  const names = rowsOf<{ name: string }>(
    await tx.execute(sql`
      select relname as name from pg_class
      where relname ~ '^databank_load_[0-9a-z]+_[0-9]{8}$' and relkind = 'r' and pg_table_is_visible(oid)`),
  ).map((r) => r.name);
  const loads = new Map<number, string[]>();
  for (const name of names) {
    const m = LOAD_TABLE.exec(name);
    const id = m ? Number.parseInt(m[1]!, 36) : 0;
    if (id < 1 || id > INT4_MAX) continue;
    loads.set(id, [...(loads.get(id) ?? []), name]);
  }
  const dropped: string[] = [];
  for (const [id, tables] of loads) {
    const [free] = rowsOf<{ ok: boolean }>(
      await tx.execute(sql`select pg_try_advisory_xact_lock(${LOAD_LOCK}::int, ${id}::int) as ok`),
    );
    if (!free?.ok) continue;
    for (const table of tables) await tx.execute(sql.raw(`drop table if exists ${table}`));
    dropped.push(...tables);
  }
  return dropped;
}

/**
 * The days of a bulk load that had no partition when the load first met them. Their events are
 * loaded into tables of their own without any index, and each day's indexes are then built in one
 * sorted pass and the table attached as the day's partition: storing an event into the three
 * btrees of a partition one at a time was about 70 % of a COPY backend's time. Until it is attached
 * a staged day is not visible to readers (a bulk load is followed by a rebuild of the facts anyway).
 * The load picks each event's table itself (no partition routing in the server). While it has
 * staging tables, the load holds the session-level advisory lock (LOAD_LOCK, id) on a connection
 * kept for it, id being in the tables' names; a load that fails drops its own tables, and those of a
 * load killed with its process are dropped by the next one (dropAbandonedLoads).
 */
class StagedDays {
  private holder: PoolClient | undefined;
  private id = 0;
  /** Staged days and the events sent to each. */
  readonly days = new Map<number, number>();
  private storeIndexes: Promise<{ using: string; columns: string }[]> | undefined;

  constructor(
    private readonly pool: NonNullable<Database['pool']>,
    /** Makes the partitions of these days (ensurePartitions in a transaction of its own). */
    private readonly ensure: (days: number[]) => Promise<void>,
  ) {}

  table(day: number): string {
    return `databank_load_${this.id.toString(36)}_${dayLabel(day).replaceAll('-', '')}`;
  }

  /**
   * Stages these days. Each table carries its day's bounds as a CHECK, so that attaching it needs no
   * scan to prove them.
   */
  async add(days: number[]): Promise<void> {
    if (!this.holder) {
      const holder = await this.pool.connect();
      try {
        // A random id whose lock is free: no live load has it, and dropAbandonedLoads has dropped the
        // tables of any dead one that had it.
        for (;;) {
          const id = 1 + Math.floor(Math.random() * INT4_MAX);
          const r = await holder.query('select pg_try_advisory_lock($1::int, $2::int) as ok', [
            LOAD_LOCK,
            id,
          ]);
          if ((r.rows[0] as { ok: boolean }).ok) {
            this.id = id;
            break;
          }
        }
      } catch (err) {
        holder.release(err as Error);
        throw err;
      }
      this.holder = holder;
    }
    const client = await this.pool.connect();
    try {
      for (const day of days) {
        const from = dayStart(day).toISOString();
        const to = dayStart(day + 1).toISOString();
        await client.query(
          `create table ${this.table(day)} (like databank_events,
             constraint ${this.table(day)}_bounds check (occurred_at >= '${from}' and occurred_at < '${to}'))`,
        );
        this.days.set(day, 0);
      }
    } finally {
      client.release();
    }
  }

  /**
   * The store's indexes besides its key, as a partition must have them to be attached: read from the
   * store rather than written here, since stores made by earlier versions index other columns.
   */
  private async indexes(client: PoolClient): Promise<{ using: string; columns: string }[]> {
    this.storeIndexes ??= client
      .query(
        `select pg_get_indexdef(i.indexrelid) as def,
           (select string_agg(a.attname, '_' order by k.n) from unnest(i.indkey::int2[]) with ordinality k(attnum, n)
             join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum) as columns
         from pg_index i where i.indrelid = 'databank_events'::regclass and not i.indisprimary
         order by i.indexrelid`,
      )
      .then((r) =>
        (r.rows as { def: string; columns: string }[]).map((row) => {
          const using = / USING (.+)$/.exec(row.def)?.[1];
          if (!using) throw new Error(`unexpected index on the event store: ${row.def}`);
          return { using, columns: row.columns };
        }),
      );
    return this.storeIndexes;
  }

  /** Sends rows of a staged day (each COPY commits by itself: the table is the load's own). */
  async send(day: number, rows: CopyRows): Promise<void> {
    this.days.set(day, (this.days.get(day) ?? 0) + rows.rows);
    const client = await this.pool.connect();
    try {
      await copyBuffers(client, this.table(day), rows.end());
      rows.recycle();
    } finally {
      client.release();
    }
  }

  /**
   * Indexes a staged day and attaches it as the day's partition. A day whose partition appeared
   * meanwhile (another writer), or whose own events repeat an id, is instead inserted into the store
   * skipping the ids already there. Answers the events stored.
   */
  async attach(day: number): Promise<number> {
    const staged = this.table(day);
    const target = partitionName(day);
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      try {
        // Each build sorts in memory, on this connection alone (the other days use the cores).
        await client.query(`set local maintenance_work_mem = '256MB'`);
        await client.query('set local max_parallel_maintenance_workers = 0');
        await client.query(
          `alter table ${staged} add constraint ${staged}_pkey primary key (id, occurred_at)`,
        );
        const indexes = await this.indexes(client);
        for (const [k, index] of indexes.entries()) {
          await client.query(`create index ${staged}_i${k} on ${staged} using ${index.using}`);
        }
        await client.query('select pg_advisory_xact_lock($1)', [STORE_LOCK]);
        const taken = await client.query('select to_regclass($1) is not null as taken', [target]);
        if (!(taken.rows[0] as { taken: boolean }).taken) {
          await client.query(`alter table ${staged} rename to ${target}`);
          // The names PostgreSQL gives the indexes of a partition it creates itself.
          await client.query(`alter index ${staged}_pkey rename to ${target}_pkey`);
          for (const [k, index] of indexes.entries()) {
            await client.query(`alter index ${staged}_i${k} rename to ${target}_${index.columns}_idx`);
          }
          await client.query(
            `alter table databank_events attach partition ${target} for values from ('${dayStart(day).toISOString()}') to ('${dayStart(day + 1).toISOString()}')`,
          );
          await client.query(`alter table ${target} drop constraint ${staged}_bounds`);
          await client.query('commit');
          return this.days.get(day) ?? 0;
        }
        await client.query('rollback');
      } catch (err) {
        await client.query('rollback').catch(() => {});
        if ((err as { code?: string }).code !== '23505') throw err;
      }
      // The partition exists now, or the load repeated an id: store what is new, as insertEvents does.
      await this.ensure([day]);
      await client.query('begin');
      try {
        const r = await client.query(
          `insert into databank_events (${EVENT_COLUMNS}) select ${EVENT_COLUMNS} from ${staged} on conflict do nothing`,
        );
        await client.query(`drop table ${staged}`);
        await client.query('commit');
        return r.rowCount ?? 0;
      } catch (err) {
        await client.query('rollback').catch(() => {});
        throw err;
      }
    } finally {
      client.release();
    }
  }

  /** Drops what a failed load staged. */
  async discard(): Promise<void> {
    if (this.days.size === 0) return;
    const client = await this.pool.connect();
    try {
      for (const day of this.days.keys()) await client.query(`drop table if exists ${this.table(day)}`);
    } finally {
      client.release();
    }
  }

  /** Gives up the load's lock and its connection: after every staged table is attached or dropped. */
  async release(): Promise<void> {
    const holder = this.holder;
    if (!holder) return;
    this.holder = undefined;
    try {
      await holder.query('select pg_advisory_unlock($1::int, $2::int)', [LOAD_LOCK, this.id]);
      holder.release();
    } catch (err) {
      // A connection that failed is closed rather than pooled: its lock ends with it.
      holder.release(err as Error);
    }
  }
}

/**
 * The bulk path for large loads (file imports, backfills), several COPY statements at once over
 * the pool's connections. Events of days that already have a partition go by one binary COPY per
 * batch into the partitioned table, in the batch's own transaction; COPY cannot skip rows already
 * stored, so a batch that meets an id already there is rolled back and stored again through
 * insertEvents, which skips them: a re-run of the same load stores nothing twice. Events of days new
 * to the store are staged and attached at the end (StagedDays), so they become visible when the load
 * finishes. Only the raw events; rebuild the facts afterwards (rebuildAllFacts). On the embedded
 * database (no COPY stream, one connection) it is insertEvents batch after batch. Answers how many
 * events were new.
 */
export async function copyEvents(
  database: Database,
  batches: AsyncIterable<BehaviourEvent[]> | Iterable<BehaviourEvent[]>,
  now: Date,
  connections = 4,
): Promise<number> {
  const pool = database.pool;
  let stored = 0;
  if (!pool) {
    for await (const batch of batches) {
      stored += (await database.db.transaction((tx) => insertEvents(tx, batch, now))).length;
    }
    return stored;
  }
  await database.db.transaction(async (tx) => {
    await ensureEventStore(tx);
    await dropAbandonedLoads(tx);
  });
  const staging = new StagedDays(pool, (days) => database.db.transaction((tx) => ensurePartitions(tx, days)));
  const receivedAt = pgMicros(now);
  const spares = new SpareBuffers();
  /** Each staged day's rows not sent yet. */
  const pending = new Map<number, CopyRows>();
  /** Days that have a partition. */
  const known = new Set<number>();
  const running = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    const q: Promise<void> = p.finally(() => running.delete(q));
    // Observed by Promise.race or allSettled below; this keeps a failure before then from counting as unhandled.
    q.catch(() => {});
    running.add(q);
  };
  // At most `connections` COPY statements run at once; more wait their turn, so that encoding the
  // next batches goes on while the server loads (waiting for a free connection before encoding more
  // left the cores idle in turn). The queue is bounded so that memory stays bounded.
  const limited = pLimit(connections);
  const slot = async () => {
    while (running.size >= connections + QUEUED_COPIES) await Promise.race(running);
  };
  const copyDirect = async (rows: CopyRows, events: BehaviourEvent[]) => {
    const client = await pool.connect();
    try {
      await client.query('begin');
      try {
        await copyBuffers(client, 'databank_events', rows.end());
        rows.recycle();
        await client.query('commit');
        stored += rows.rows;
        return;
      } catch (err) {
        await client.query('rollback');
        if ((err as { code?: string }).code !== '23505') throw err;
      }
    } finally {
      client.release();
    }
    // Read after the wait (not `stored += await …`), or batches falling back at once lose counts.
    const fresh = await database.db.transaction((tx) => insertEvents(tx, events, now));
    stored += fresh.length;
  };
  try {
    for await (const batch of batches) {
      if (batch.length === 0) continue;
      const days = new Int32Array(batch.length);
      let fresh: Set<number> | undefined;
      let last = Number.NaN;
      for (let i = 0; i < batch.length; i++) {
        const day = dayOf(batch[i]!.occurredAt);
        if (!Number.isFinite(day)) throw new RangeError('invalid date');
        days[i] = day;
        if (day !== last) {
          last = day;
          if (!pending.has(day) && !known.has(day)) {
            fresh ??= new Set();
            fresh.add(day);
          }
        }
      }
      if (fresh) {
        const found = await pool.query('select relname from pg_class where relname = any($1::text[])', [
          [...fresh].map(partitionName),
        ]);
        const existing = new Set((found.rows as { relname: string }[]).map((r) => r.relname));
        const stage = [...fresh].filter((d) => !existing.has(partitionName(d)));
        for (const d of fresh) if (existing.has(partitionName(d))) known.add(d);
        if (stage.length > 0) {
          await staging.add(stage);
          for (const d of stage) pending.set(d, new CopyRows(receivedAt, spares));
        }
      }
      let direct: CopyRows | undefined;
      const directEvents: BehaviourEvent[] = [];
      const full: [number, CopyRows][] = [];
      for (let i = 0; i < batch.length; i++) {
        const e = batch[i]!;
        const day = days[i]!;
        const rows = pending.get(day);
        if (rows === undefined) {
          direct ??= new CopyRows(receivedAt, spares);
          direct.add(e, day);
          directEvents.push(e);
        } else {
          rows.add(e, day);
          if (rows.size >= STAGE_CHUNK) {
            full.push([day, rows]);
            pending.set(day, new CopyRows(receivedAt, spares));
          }
        }
      }
      for (const [day, rows] of full) {
        await slot();
        track(limited(() => staging.send(day, rows)));
      }
      if (direct) {
        await slot();
        track(limited(() => copyDirect(direct, directEvents)));
      }
    }
    await settleAll(running);
    // Each staged day's last rows, then its indexes and attach, `connections` days at a time.
    const queue = [...pending];
    const finish = async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        try {
          const [day, rows] = next;
          if (rows.rows > 0) await staging.send(day, rows);
          // Not `stored += await …`: that reads `stored` before the wait, losing the other days' counts.
          const n = await staging.attach(day);
          stored += n;
        } catch (err) {
          queue.length = 0;
          throw err;
        }
      }
    };
    // Every day ends (attached, inserted or rolled back) before a failure is answered, so discard()
    // never races an attach.
    await settleAll(Array.from({ length: Math.max(1, Math.min(connections, queue.length)) }, finish));
  } catch (err) {
    // Let the COPY statements still in flight end before dropping their tables.
    await Promise.allSettled(running);
    await staging.discard().catch(() => {});
    throw err;
  } finally {
    await staging.release();
  }
  return stored;
}

/** A PostgreSQL array literal of text values (null stays NULL), passed as one parameter. */
export function pgArray(values: (string | null)[]): string {
  return `{${values
    .map((v) => (v === null ? 'NULL' : `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`))
    .join(',')}}`;
}
