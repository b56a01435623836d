import { pipeline } from 'node:stream/promises';
import { eq, inArray, sql } from 'drizzle-orm';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Database, Executor } from '../../db';
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
  await tx.execute(sql`create index if not exists databank_events_shop on databank_events (shop_id, day)`);
}

export const partitionName = (day: number) => `databank_events_${dayLabel(day).replaceAll('-', '')}`;

/** The day partitions that exist, as day numbers. */
export async function eventPartitions(tx: Executor): Promise<number[]> {
  await ensureEventStore(tx);
  const rows = rowsOf<{ name: string }>(
    await tx.execute(sql`
      select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'databank_events'::regclass`),
  );
  return rows
    .map((r) => /^databank_events_(\d{4})(\d{2})(\d{2})$/.exec(r.name))
    .filter((m) => m !== null)
    .map((m) => Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / 86_400_000)
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

/**
 * Rows in COPY's binary format, in buffers of about CHUNK bytes. The bulk path sends binary rather
 * than text: no timestamp or number is formatted here and parsed again by the server (formatting
 * each event's timestamp was a quarter of the text encoding's time, and parsing the text a seventh
 * of the server's). Each value is checked as the text form would have been: an integer out of its
 * column's range or an invalid date is refused here, not stored wrong.
 */
class BinaryRows {
  private static readonly CHUNK = 256 * 1024;
  private buf = Buffer.allocUnsafe(BinaryRows.CHUNK);
  private at = 0;
  private full: Buffer[] = [];

  constructor() {
    // Signature, flags, header extension length.
    this.at = this.buf.write('PGCOPY\n\xff\r\n\0', 0, 'latin1');
    this.at = this.buf.writeInt32BE(0, this.at);
    this.at = this.buf.writeInt32BE(0, this.at);
  }

  private room(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    this.full.push(this.buf.subarray(0, this.at));
    this.buf = Buffer.allocUnsafe(Math.max(BinaryRows.CHUNK, bytes));
    this.at = 0;
  }

  /** The buffers filled since the last call. */
  take(): Buffer[] {
    const out = this.full;
    this.full = [];
    return out;
  }

  row(fields: number): void {
    this.room(2);
    this.at = this.buf.writeInt16BE(fields, this.at);
  }

  private nul(): void {
    this.room(4);
    this.at = this.buf.writeInt32BE(-1, this.at);
  }

  text(v: string | null): void {
    if (v === null) {
      this.nul();
      return;
    }
    // UTF-8 takes at most three bytes per UTF-16 unit.
    this.room(4 + v.length * 3);
    const buf = this.buf;
    const start = this.at + 4;
    // Ids and codes are short and ASCII: copied here byte by byte, which is cheaper than a call
    // into Buffer.write for each (that call was the largest part of encoding an event).
    let at = start;
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c >= 0x80) {
        at = start + buf.write(v, start, 'utf8');
        break;
      }
      buf[at++] = c;
    }
    buf.writeInt32BE(at - start, this.at);
    this.at = at;
  }

  int4(v: number | null): void {
    if (v === null) {
      this.nul();
      return;
    }
    if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw new RangeError(`not an integer: ${v}`);
    this.room(8);
    this.at = this.buf.writeInt32BE(4, this.at);
    this.at = this.buf.writeInt32BE(v, this.at);
  }

  int8(v: number | null): void {
    if (v === null) {
      this.nul();
      return;
    }
    if (!Number.isSafeInteger(v)) throw new RangeError(`not an integer: ${v}`);
    const high = Math.floor(v / TWO_32);
    this.room(12);
    this.at = this.buf.writeInt32BE(8, this.at);
    this.at = this.buf.writeInt32BE(high, this.at);
    this.at = this.buf.writeUInt32BE(v - high * TWO_32, this.at);
  }

  timestamptz(at: Date): void {
    const ms = at.getTime();
    if (Number.isNaN(ms)) throw new RangeError('invalid date');
    this.int8((ms - PG_EPOCH_MS) * 1000);
  }

  /** The trailer and every buffer not yet taken. */
  end(): Buffer[] {
    this.room(2);
    this.at = this.buf.writeInt16BE(-1, this.at);
    this.full.push(this.buf.subarray(0, this.at));
    return this.take();
  }
}

/** One event as a row of binary COPY, in the order of EVENT_COLUMNS. */
function copyRow(out: BinaryRows, e: BehaviourEvent, receivedAt: Date): void {
  out.row(18);
  out.text(e.id);
  out.timestamptz(e.occurredAt);
  out.int4(dayOf(e.occurredAt));
  out.text(e.kind);
  out.text(e.consumerId);
  out.text(e.deviceId);
  out.text(e.shopId);
  out.text(e.productId);
  out.text(e.skuId);
  out.text(e.brandId);
  out.text(e.categoryId);
  out.text(e.channel);
  out.text(e.region);
  out.int4(e.quantity);
  out.int8(e.amount);
  out.int4(e.rating);
  out.text(e.source);
  out.timestamptz(receivedAt);
}

/** Rows of binary COPY for these events, as the buffers to send. */
function* copyRows(events: BehaviourEvent[], receivedAt: Date): Generator<Buffer> {
  const out = new BinaryRows();
  for (const e of events) {
    copyRow(out, e, receivedAt);
    yield* out.take();
  }
  yield* out.end();
}

async function copyInto(client: PoolClient, table: string, events: BehaviourEvent[], now: Date) {
  await pipeline(
    copyRows(events, now),
    client.query(copyFrom(`copy ${table} (${EVENT_COLUMNS}) from stdin (format binary)`)),
  );
}

/**
 * The days of a bulk load that had no partition when the load first met them. Their events are
 * loaded into tables of their own without any index, and each day's indexes are then built in one
 * sorted pass and the table attached as the day's partition: storing an event into the three
 * btrees of a partition one at a time was about 70 % of a COPY backend's time. Until it is attached
 * a staged day is not visible to readers (a bulk load is followed by a rebuild of the facts anyway).
 * Staging tables are named databank_load_*; a load that fails drops its own.
 */
class StagedDays {
  private readonly tag =
    `databank_load_${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
  private parentMade = false;
  /** Staged days and the events sent to each. */
  readonly days = new Map<number, number>();

  constructor(
    private readonly pool: NonNullable<Database['pool']>,
    /** Makes the partitions of these days (ensurePartitions in a transaction of its own). */
    private readonly ensure: (days: number[]) => Promise<void>,
  ) {}

  get parent(): string {
    return this.tag;
  }

  table(day: number): string {
    return `${this.tag}_${dayLabel(day).replaceAll('-', '')}`;
  }

  /**
   * Stages these days. COPY into the staging parent routes each event to its day's table. Each
   * table carries its day's bounds as a CHECK, so that attaching it needs no scan to prove them.
   */
  async add(days: number[]): Promise<void> {
    const client = await this.pool.connect();
    try {
      if (!this.parentMade) {
        await client.query(
          `create table ${this.tag} (like databank_events) partition by range (occurred_at)`,
        );
        this.parentMade = true;
      }
      for (const day of days) {
        const from = dayStart(day).toISOString();
        const to = dayStart(day + 1).toISOString();
        await client.query(
          `create table ${this.table(day)} partition of ${this.tag} (
             constraint ${this.table(day)}_bounds check (occurred_at >= '${from}' and occurred_at < '${to}'))
           for values from ('${from}') to ('${to}')`,
        );
        this.days.set(day, 0);
      }
    } finally {
      client.release();
    }
  }

  /**
   * Indexes each staged day and attaches it as the day's partition, `connections` days at a time.
   * A day whose partition appeared meanwhile (another writer), or whose own events repeat an id, is
   * instead inserted into the store skipping the ids already there. Answers the events stored.
   */
  async finish(connections: number): Promise<number> {
    if (!this.parentMade) return 0;
    const client = await this.pool.connect();
    try {
      for (const day of this.days.keys()) {
        await client.query(`alter table ${this.tag} detach partition ${this.table(day)}`);
      }
      await client.query(`drop table ${this.tag}`);
      this.parentMade = false;
    } finally {
      client.release();
    }
    const queue = [...this.days.keys()];
    let stored = 0;
    const worker = async () => {
      for (let day = queue.shift(); day !== undefined; day = queue.shift()) {
        try {
          // Not `stored += await …`: that reads `stored` before the wait, losing the other workers' days.
          const n = await this.attach(day);
          stored += n;
        } catch (err) {
          queue.length = 0;
          throw err;
        }
      }
    };
    // Every worker ends (its day attached, inserted or rolled back) before a failure is answered, so
    // discard() never races an attach.
    const settled = await Promise.allSettled(
      Array.from({ length: Math.max(1, Math.min(connections, queue.length)) }, worker),
    );
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return stored;
  }

  private async attach(day: number): Promise<number> {
    const staged = this.table(day);
    const target = partitionName(day);
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      try {
        // Each build sorts in memory, on this connection alone (the loads of other days use the cores).
        await client.query(`set local maintenance_work_mem = '256MB'`);
        await client.query('set local max_parallel_maintenance_workers = 0');
        await client.query(
          `alter table ${staged} add constraint ${staged}_pkey primary key (id, occurred_at)`,
        );
        await client.query(`create index ${staged}_consumer on ${staged} (consumer_id)`);
        await client.query(`create index ${staged}_shop on ${staged} (shop_id, day)`);
        await client.query('select pg_advisory_xact_lock($1)', [STORE_LOCK]);
        const taken = await client.query('select to_regclass($1) is not null as taken', [target]);
        if (!(taken.rows[0] as { taken: boolean }).taken) {
          await client.query(`alter table ${staged} rename to ${target}`);
          // The names PostgreSQL gives the indexes of a partition it creates itself.
          await client.query(`alter index ${staged}_pkey rename to ${target}_pkey`);
          await client.query(`alter index ${staged}_consumer rename to ${target}_consumer_id_idx`);
          await client.query(`alter index ${staged}_shop rename to ${target}_shop_id_day_idx`);
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
    const client = await this.pool.connect();
    try {
      if (this.parentMade) await client.query(`drop table if exists ${this.tag}`);
      for (const day of this.days.keys()) await client.query(`drop table if exists ${this.table(day)}`);
    } finally {
      client.release();
    }
  }
}

/**
 * The bulk path for large loads (file imports, backfills), several batches at once over the pool's
 * connections. Events of days that already have a partition go by one binary COPY per batch into
 * the partitioned table, in the batch's own transaction; COPY cannot skip rows already stored, so a
 * batch that meets an id already there is rolled back and stored again through insertEvents, which
 * skips them: a re-run of the same load stores nothing twice. Events of days new to the store are
 * staged and attached at the end (StagedDays), so they become visible when the load finishes. Only
 * the raw events; rebuild the facts afterwards (rebuildAllFacts). On the embedded database (no COPY
 * stream, one connection) it is insertEvents batch after batch. Answers how many events were new.
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
  await database.db.transaction((tx) => ensureEventStore(tx));
  const staging = new StagedDays(pool, (days) => database.db.transaction((tx) => ensurePartitions(tx, days)));
  const known = new Set<number>();
  // One batch at a time sorts its new days into known and staged, so no day is staged twice.
  let sorting: Promise<void> = Promise.resolve();
  const sortDays = (days: number[]) => {
    const next = sorting.then(async () => {
      const fresh = days.filter((d) => !known.has(d) && !staging.days.has(d));
      if (fresh.length === 0) return;
      if (!staging) {
        await database.db.transaction((tx) => ensurePartitions(tx, fresh));
        for (const d of fresh) known.add(d);
        return;
      }
      const found = await pool.query('select relname from pg_class where relname = any($1::text[])', [
        fresh.map(partitionName),
      ]);
      const existing = new Set((found.rows as { relname: string }[]).map((r) => r.relname));
      for (const d of fresh) if (existing.has(partitionName(d))) known.add(d);
      await staging.add(fresh.filter((d) => !existing.has(partitionName(d))));
    });
    sorting = next.catch(() => {});
    return next;
  };
  const copyBatch = async (batch: BehaviourEvent[]) => {
    await sortDays([...new Set(batch.map((e) => dayOf(e.occurredAt)))]);
    let direct = batch;
    if (staging) {
      const staged: BehaviourEvent[] = [];
      direct = [];
      for (const e of batch) {
        const d = dayOf(e.occurredAt);
        const n = staging.days.get(d);
        if (n === undefined) direct.push(e);
        else {
          staged.push(e);
          staging.days.set(d, n + 1);
        }
      }
      if (staged.length > 0) {
        const client = await pool.connect();
        try {
          await copyInto(client, staging.parent, staged, now);
        } finally {
          client.release();
        }
      }
    }
    if (direct.length === 0) return;
    const client = await pool.connect();
    try {
      await client.query('begin');
      try {
        await copyInto(client, 'databank_events', direct, now);
        await client.query('commit');
        stored += direct.length;
        return;
      } catch (err) {
        await client.query('rollback');
        if ((err as { code?: string }).code !== '23505') throw err;
      }
    } finally {
      client.release();
    }
    // Read after the wait (not `stored += await …`), or batches falling back at once lose counts.
    const fresh = await database.db.transaction((tx) => insertEvents(tx, direct, now));
    stored += fresh.length;
  };
  // A bounded number of batches in flight, in the order they come.
  const running = new Set<Promise<void>>();
  try {
    for await (const batch of batches) {
      if (batch.length === 0) continue;
      const p: Promise<void> = copyBatch(batch).finally(() => running.delete(p));
      running.add(p);
      if (running.size >= connections) await Promise.race(running);
    }
    await Promise.all(running);
    if (staging) {
      const n = await staging.finish(connections);
      stored += n;
    }
  } catch (err) {
    // Let the batches still in flight finish (each commits or rolls back whole) before answering.
    await Promise.allSettled(running);
    await staging.discard().catch(() => {});
    throw err;
  }
  return stored;
}

/** A PostgreSQL array literal of text values (null stays NULL), passed as one parameter. */
export function pgArray(values: (string | null)[]): string {
  return `{${values
    .map((v) => (v === null ? 'NULL' : `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`))
    .join(',')}}`;
}
