import { pipeline } from 'node:stream/promises';
import { and, eq, type SQL, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { Database, Executor } from '../../db';
import { errorText, isSerializationConflict } from '../../kernel/errors';
import { settleAll } from '../../kernel/settle';
import {
  type AiplWindows,
  effectOf,
  type Facts,
  factsOfEvent,
  mergeFacts,
  PURCHASE_DAYS_KEPT,
  type ScopeKind,
  STAGES,
  STAGES_OR_NONE,
  type StageOrNone,
} from './aipl-rules';
import { dayOf, dayStart } from './days';
import type { BehaviourEvent } from './events';
import { dayOfPartition, ensureEventStore, pgArray } from './events';
import { FactsFold } from './rebuild';
import { aiplDaily, aiplFacts, aiplSnapshotDays, aiplSnapshotQueue, aiplStageChanges } from './schema';

const rowsOf = <T>(r: unknown): T[] => (r as { rows: T[] }).rows;

export const brandScope = (brandId: string) => `brand:${brandId}`;
export const categoryScope = (categoryId: string) => `category:${categoryId}`;

/**
 * "The latest stage at or before a day" folds into one plain max: max(day * 128 + the stage's first
 * letter), whose remainder names the stage. The five stages have distinct first letters, and
 * ascii() of the stored text is cheaper than a CASE over it on every change row.
 */
const STAGE_KEY = sql.raw('(day * 128 + ascii(stage))');
const STAGE_BY_LETTER = new Map<number, StageOrNone>(STAGES_OR_NONE.map((st) => [st.charCodeAt(0), st]));
const stageOfKey = (key: number | null): StageOrNone =>
  key === null ? 'none' : (STAGE_BY_LETTER.get(Number(key) % 128) ?? 'none');

/** The scopes an event speaks for: its brand and its category, within its shop. */
function scopesOf(e: BehaviourEvent): { scope: string; kind: ScopeKind }[] {
  const out: { scope: string; kind: ScopeKind }[] = [];
  if (e.brandId) out.push({ scope: brandScope(e.brandId), kind: 'brand' });
  if (e.categoryId) out.push({ scope: categoryScope(e.categoryId), kind: 'category' });
  return out;
}

/**
 * The incremental path: folds new events into the facts rows, one upsert for the batch. The merge in
 * SQL is the same join as mergeFacts, so the result does not depend on how events were batched.
 */
export async function applyFacts(tx: Executor, events: BehaviourEvent[]): Promise<void> {
  const byKey = new Map<string, { shopId: string; scope: string; consumerId: string; facts: Facts }>();
  for (const e of events) {
    if (!e.shopId) continue;
    const day = dayOf(e.occurredAt);
    for (const s of scopesOf(e)) {
      const key = `${e.shopId}\u0000${s.scope}\u0000${e.consumerId}`;
      const add = factsOfEvent(effectOf(e.kind, s.kind, e.rating), day, e.amount);
      const prior = byKey.get(key);
      byKey.set(key, {
        shopId: e.shopId,
        scope: s.scope,
        consumerId: e.consumerId,
        facts: prior ? mergeFacts(prior.facts, add) : add,
      });
    }
  }
  const rows = [...byKey.values()];
  for (let i = 0; i < rows.length; i += 2000) await upsertFacts(tx, rows.slice(i, i + 2000));
}

const num = (n: number | null) => (n === null ? null : String(n));
const intArray = (days: number[]) => `{${days.join(',')}}`;

/**
 * The five deciding days (see aiplFacts), in column order last_day, aware_day, interest_day,
 * purchase_day, loyal_day, from the named facts: the one definition every writer of new rows uses.
 * The newest and second newest view and purchase days are named apart from their arrays, so that a
 * writer that has them as plain values (the rebuild) does not read them back out of the arrays.
 */
function decidingDays(c: {
  exposure: string;
  view1: string;
  view2: string;
  active: string;
  purchase1: string;
  purchase2: string;
  praise: string;
}) {
  return sql.raw(
    `greatest(${c.exposure}, ${c.view1}, ${c.active}, ${c.purchase1}, ${c.praise}) as last_day, ` +
      `greatest(${c.exposure}, ${c.view1}) as aware_day, greatest(${c.active}, ${c.view2}) as interest_day, ` +
      `${c.purchase1} as purchase_day, greatest(${c.praise}, ${c.purchase2}) as loyal_day`,
  );
}

async function upsertFacts(
  tx: Executor,
  rows: { shopId: string; scope: string; consumerId: string; facts: Facts }[],
): Promise<void> {
  if (rows.length === 0) return;
  // The merged arrays, written once here and read by the deciding days below (an update's SET
  // cannot read the values it assigns).
  const views = sql`array(select distinct d from unnest(f.view_days || excluded.view_days) d order by d desc limit 2)`;
  const purchases = sql`array(
        select distinct d from unnest(f.purchase_days || excluded.purchase_days) d
        where d >= (select max(x) from unnest(f.purchase_days || excluded.purchase_days) x) - ${PURCHASE_DAYS_KEPT}
        order by d desc)`;
  // The deciding days are plain columns (the rebuild writes them itself, see aiplFacts), so every
  // writer fills them with the same expressions. last_day, aware_day and purchase_day are maxima
  // and merge as such; interest_day and loyal_day read the merged second view and purchase day.
  await tx.execute(sql`
    insert into aipl_facts as f (shop_id, scope, consumer_id, exposure_day, view_days, active_day, purchase_days, praise_day, spend,
      last_day, aware_day, interest_day, purchase_day, loyal_day)
    select s, sc, c, e, v, a, p, pr, sp, ${decidingDays({ exposure: 'e', view1: 'v[1]', view2: 'v[2]', active: 'a', purchase1: 'p[1]', purchase2: 'p[2]', praise: 'pr' })}
    from unnest(
      ${pgArray(rows.map((r) => r.shopId))}::text[],
      ${pgArray(rows.map((r) => r.scope))}::text[],
      ${pgArray(rows.map((r) => r.consumerId))}::text[],
      ${pgArray(rows.map((r) => num(r.facts.exposureDay)))}::integer[],
      ${pgArray(rows.map((r) => intArray(r.facts.viewDays)))}::text[],
      ${pgArray(rows.map((r) => num(r.facts.activeDay)))}::integer[],
      ${pgArray(rows.map((r) => intArray(r.facts.purchaseDays)))}::text[],
      ${pgArray(rows.map((r) => num(r.facts.praiseDay)))}::integer[],
      ${pgArray(rows.map((r) => String(r.facts.spend)))}::bigint[]
    ) as u(s, sc, c, e, vt, a, pt, pr, sp),
    lateral (select vt::integer[] as v, pt::integer[] as p) arrays
    on conflict (shop_id, scope, consumer_id) do update set
      exposure_day = greatest(f.exposure_day, excluded.exposure_day),
      view_days = ${views},
      active_day = greatest(f.active_day, excluded.active_day),
      purchase_days = ${purchases},
      praise_day = greatest(f.praise_day, excluded.praise_day),
      spend = f.spend + excluded.spend,
      last_day = greatest(f.last_day, excluded.last_day),
      aware_day = greatest(f.aware_day, excluded.aware_day),
      interest_day = greatest(f.active_day, excluded.active_day, (${views})[2]),
      purchase_day = greatest(f.purchase_day, excluded.purchase_day),
      loyal_day = greatest(f.praise_day, excluded.praise_day, (${purchases})[2])`);
}

/**
 * The facts rows of both scope kinds (brand and category) for the events that `where` keeps, as one
 * SELECT: what recomputeFacts and rebuildAllFacts insert, with the five deciding days (see aiplFacts)
 * computed here by the same expressions as their definitions. Each behaviour's effect is a small
 * code, so the aggregates' filters compare integers, not kind names. The codes say what effectOf
 * says: 1 passive, 2 view, 3 active, 4 purchase, 5 praise, and 6 a search (active for a brand,
 * passive for a category); 0 (no kind the rules know) adds nothing.
 *
 * Built for tens of millions of events: one scan, hashed into both kinds' groups at once (grouping
 * sets), with aggregates that need no order and keep a fixed-size state, so nothing is sorted per
 * event and the hash tables stay in memory. (With array_agg's states, PostgreSQL 15 spilled the
 * grouping of every share to disk in 9 batches, at any work_mem: 500 MB of temporary files a share.)
 * Views and purchase days each keep their newest and oldest day and a bitmap of the days modulo 64.
 * When those days span fewer than 64 days (all but long histories), the second view day is the
 * nearest set bit below the newest one, and the purchase days are the set bits. Longer spans read
 * the scope's views or purchases of that consumer again from the events (index on consumer): rare,
 * and exact.
 */
function factsOfEventsSql(where: SQL) {
  const kept = sql.raw(String(PURCHASE_DAYS_KEPT));
  // The group's own events of one kind: same shop and consumer, its brand or category.
  const own = (kind: string) =>
    sql.raw(`x.consumer_id = g.consumer_id and x.shop_id = g.shop_id and x.kind = '${kind}'
          and (case when g.by_brand then x.brand_id = g.brand_id else x.category_id = g.category_id end)`);
  return sql`
    select shop_id, scope, consumer_id, exposure_day,
      case when v1 is null then '{}'::integer[] when v2 is null then array[v1] else array[v1, v2] end as view_days,
      active_day, purchase_days, praise_day, spend,
      ${decidingDays({ exposure: 'exposure_day', view1: 'v1', view2: 'v2', active: 'active_day', purchase1: 'pmax', purchase2: 'purchase_days[2]', praise: 'praise_day' })}
    from (
    select shop_id, scope, consumer_id, exposure_day, v1,
      case when v1 is null or v1 = vmin then null
        when v1 - vmin < 64 then v1 - position(B'1' in substring(
          (vb::bit(64) << (63 - (v1 & 63))) | (vb::bit(64) >> (1 + (v1 & 63))) from 2))
        else (select max(x.day) from databank_events x where ${own('view')} and x.day < g.v1) end as v2,
      active_day, pmax,
      case when pmax is null then '{}'::integer[]
        when pmax - pmin < 64 then array(
          select pmax - k from generate_series(0, pmax - pmin) k where (pb >> ((pmax - k) & 63)) & 1 = 1 order by k)
        else array(select distinct x.day from databank_events x where ${own('purchase')} and x.day >= g.pmax - ${kept}
          order by x.day desc) end as purchase_days,
      praise_day, spend
    from (
      select e.shop_id, e.consumer_id, e.brand_id, e.category_id, grouping(e.category_id) = 1 as by_brand,
        case when grouping(e.category_id) = 1 then 'brand:' || e.brand_id else 'category:' || e.category_id end as scope,
        -- A search (6) is active contact with a brand, passive with a category.
        case when grouping(e.category_id) = 1 then max(e.day) filter (where e.effect = 1)
          else greatest(max(e.day) filter (where e.effect = 1), max(e.day) filter (where e.effect = 6)) end as exposure_day,
        case when grouping(e.category_id) = 1
          then greatest(max(e.day) filter (where e.effect = 3), max(e.day) filter (where e.effect = 6))
          else max(e.day) filter (where e.effect = 3) end as active_day,
        max(e.day) filter (where e.effect = 2) as v1,
        min(e.day) filter (where e.effect = 2) as vmin,
        bit_or(1::bigint << (e.day & 63)) filter (where e.effect = 2) as vb,
        max(e.day) filter (where e.effect = 4) as pmax,
        min(e.day) filter (where e.effect = 4) as pmin,
        bit_or(1::bigint << (e.day & 63)) filter (where e.effect = 4) as pb,
        max(e.day) filter (where e.effect = 5) as praise_day,
        coalesce(sum(e.amount) filter (where e.effect = 4), 0)::bigint as spend
      from (
        select e.shop_id, e.brand_id, e.category_id, e.consumer_id, e.day, e.amount,
          ${EVENT_EFFECT} as effect
        from databank_events e where ${where}) e
      group by grouping sets ((e.shop_id, e.brand_id, e.consumer_id), (e.shop_id, e.category_id, e.consumer_id))
      having (grouping(e.category_id) = 1 and e.brand_id is not null)
        or (grouping(e.brand_id) = 1 and e.category_id is not null)
    ) g
    -- A fence: pulled up, each row's purchase days would be built again for the loyalty day that reads them.
    offset 0) f`;
}

/** An event's effect as a small code (see factsOfEventsSql; the rebuild's fold reads the same codes). */
const EVENT_EFFECT =
  sql.raw(`(case e.kind when 'exposure' then 1 when 'view' then 2 when 'purchase' then 4 when 'share' then 5
            when 'search' then 6 when 'review' then (case when e.rating = 1 then 5 else 3 end)
            when 'click' then 3 when 'favourite' then 3 when 'cart' then 3 when 'follow' then 3 when 'join' then 3
            else 0 end)::smallint`);

const FACTS_COLUMN_LIST =
  'shop_id, scope, consumer_id, exposure_day, view_days, active_day, purchase_days, praise_day, spend, last_day, aware_day, interest_day, purchase_day, loyal_day';
const FACTS_COLUMNS = sql.raw(FACTS_COLUMN_LIST);

/**
 * The facts of every (shop, scope, consumer) rebuilt from the raw events, for one shop or some
 * consumers or all, in the caller's transaction.
 */
export async function recomputeFacts(
  tx: Executor,
  filter: { shopId?: string; consumerIds?: string[] } = {},
): Promise<number> {
  const where = [
    filter.shopId ? sql`e.shop_id = ${filter.shopId}` : sql`e.shop_id is not null`,
    filter.consumerIds ? sql`e.consumer_id = any(${pgArray(filter.consumerIds)}::text[])` : sql`true`,
  ];
  const factsWhere = [
    filter.shopId ? eq(aiplFacts.shopId, filter.shopId) : undefined,
    filter.consumerIds
      ? sql`${aiplFacts.consumerId} = any(${pgArray(filter.consumerIds)}::text[])`
      : undefined,
  ];
  await ensureEventStore(tx);
  await tx.delete(aiplFacts).where(and(...factsWhere));
  const rows = rowsOf<{ n: number }>(
    await tx.execute(sql`
    with ins as (
      insert into aipl_facts (${FACTS_COLUMNS})
      ${factsOfEventsSql(sql.join(where, sql` and `))}
      returning 1
    )
    select count(*)::int as n from ins`),
  );
  return rows[0]?.n ?? 0;
}

const REBUILD_LOCK = 7_405_401;
const dialect = new PgDialect();

/**
 * Every shop's facts rebuilt from the raw events, the way a platform rebuilds after a bulk load or a
 * rule fix. On PostgreSQL the events are read over `parts` connections (the cores) and folded in
 * this process (FactsFold), a share of the consumers at a time, and the rows written over as many
 * connections into a fresh table, which then replaces aipl_facts in one short swap. From the
 * start, incremental writers wait on aipl_facts (readers do not), so an event is either seen by the
 * rebuild or applied after the swap, never both or neither; a failed rebuild leaves aipl_facts as it
 * was. On the embedded database it is recomputeFacts in one transaction. Answers the rows written.
 */
export async function rebuildAllFacts(
  database: Database,
  parts = 2,
  /** Shares of the consumers; by default about one per EVENTS_PER_SHARE events. */
  shares?: number,
): Promise<number> {
  if (database.kind !== 'postgres' || !database.url) {
    return database.db.transaction((tx) => recomputeFacts(tx));
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await rebuildOnce(database, database.url, parts, shares);
    } catch (err) {
      if ((err as { code?: string }).code !== '55P03' || attempt >= 5) throw err;
    }
  }
}

async function rebuildOnce(
  database: Database,
  url: string,
  parts: number,
  shares: number | undefined,
): Promise<number> {
  await database.db.transaction((tx) => ensureEventStore(tx));
  // Connections of its own, not the pool's: writers waiting for the swap hold pool connections, and
  // the rebuild must never wait for one of them.
  const connect = async () => {
    const client = new pg.Client({ connectionString: url });
    // A lost connection fails the statement in flight; between statements it must not end the process.
    client.on('error', () => {});
    await client.connect();
    return client;
  };
  const lead = await connect();
  try {
    await lead.query('select pg_advisory_lock($1)', [REBUILD_LOCK]);
    await lead.query('drop table if exists aipl_facts_rebuild');
    // Partitioned by ranges of shops, one per writing connection (made once the first share is
    // folded, at shops that divide its rows evenly): each connection loads its range in key order
    // and then builds that range's key from presorted rows while the others still load theirs. One
    // table loaded over two connections at once interleaves their rows, and its key then took 12 s
    // to sort where two halves took 5.3 s each, side by side.
    await lead.query(
      'create table aipl_facts_rebuild (like aipl_facts including defaults) partition by range (shop_id)',
    );
    await lead.query('begin');
    try {
      await lead.query('lock table aipl_facts in share row exclusive mode');
      // The events in day ranges of about equal size, one per connection, each a condition on
      // occurred_at (so that a connection scans only its own day partitions). The first and last
      // ranges are open-ended: nothing stored outside the partitions listed can be missed.
      const days = (
        await lead.query(
          `select c.relname as name, greatest(c.reltuples, 0)::float8 as n from pg_inherits i
           join pg_class c on c.oid = i.inhrelid where i.inhparent = 'databank_events'::regclass order by 1`,
        )
      ).rows as { name: string; n: number }[];
      const events = days.reduce((a, d) => a + Number(d.n), 0);
      const ranges = dayRanges(days, parts);
      // Shares of the consumers, each folded in memory and written before the next is read.
      const count = shares ?? Math.max(1, Math.ceil(events / EVENTS_PER_SHARE));
      const readers = await Promise.all(
        ranges.map(async () => {
          const client = await connect();
          // A writer that made a day partition (which locks the event table) and then waits for
          // aipl_facts would wait for this read for ever, and the read for it: a bounded wait turns
          // that into a failed attempt, which rebuildAllFacts retries once the writer is done.
          await client.query(`set lock_timeout = '${REBUILD_LOCK_WAIT}'`);
          return client;
        }),
      );
      const select = dialect.sqlToQuery(
        sql`select e.shop_id, e.brand_id, e.category_id, e.consumer_id, e.day, ${EVENT_EFFECT}, e.amount
          from databank_events e where e.shop_id is not null`,
      ).sql;
      const writers = await Promise.all(Array.from({ length: parts }, () => connect()));
      let bounds: Buffer[] | null = null;
      let written = 0;
      try {
        for (let k = 0; k < count; k++) {
          const fold = new FactsFold(events / count);
          const share = count === 1 ? '' : ` and abs(hashtext(e.consumer_id)) % ${count} = ${k}`;
          await settleAll(
            readers.map((client, j) =>
              fold.read(
                client.query(copyTo(`copy (${select}${ranges[j]}${share}) to stdout (format binary)`)),
              ),
            ),
          );
          const out = fold.rows(bounds ?? parts);
          if (bounds === null) {
            bounds = out.bounds;
            const at = bounds.map((b) => lead.escapeLiteral(b.toString('utf8')));
            // On a connection of its own: the writers cannot see what the lead's transaction makes.
            for (let p = 0; p <= bounds.length; p++) {
              await writers[0]!.query(
                `create table aipl_facts_rebuild_p${p} partition of aipl_facts_rebuild
                 for values from (${p === 0 ? 'minvalue' : at[p - 1]}) to (${p === bounds.length ? 'maxvalue' : at[p]})`,
              );
            }
          }
          const last = k === count - 1;
          await settleAll(
            out.streams.map(async (rows, p) => {
              const writer = writers[p]!;
              await pipeline(
                rows,
                writer.query(
                  copyFrom(`copy aipl_facts_rebuild_p${p} (${FACTS_COLUMN_LIST}) from stdin (format binary)`),
                ),
              );
              if (!last) return;
              // The range's key as soon as its rows are in. In memory, not in 64 MB runs merged from
              // temporary files (4.5M rows need about 0.48 GB), and without parallel workers: the
              // other ranges are using the other cores.
              await writer.query(
                `set maintenance_work_mem = '${REBUILD_KEY_MEM}'; set max_parallel_maintenance_workers = 0`,
              );
              await writer.query(
                `alter table aipl_facts_rebuild_p${p} add constraint aipl_facts_rebuild_p${p}_pk primary key (shop_id, scope, consumer_id)`,
              );
            }),
          );
          written += fold.size;
        }
      } finally {
        await settleAll([...readers, ...writers].map((c) => c.end()));
      }
      // The whole table's key takes the ranges' keys as they are (nothing is built again).
      await lead.query(
        'alter table aipl_facts_rebuild add constraint aipl_facts_rebuild_pk primary key (shop_id, scope, consumer_id)',
      );
      // A new table has no statistics: without them the funnel's plan is a guess until autovacuum.
      await lead.query('analyze aipl_facts_rebuild');
      await lead.query('drop table aipl_facts');
      await lead.query('alter table aipl_facts_rebuild rename to aipl_facts');
      await lead.query('alter index aipl_facts_rebuild_pk rename to aipl_facts_shop_id_scope_consumer_id_pk');
      for (let p = 0; p <= (bounds?.length ?? 0); p++) {
        await lead.query(`alter table aipl_facts_rebuild_p${p} rename to aipl_facts_p${p}`);
        await lead.query(`alter index aipl_facts_rebuild_p${p}_pk rename to aipl_facts_p${p}_pk`);
      }
      await lead.query('commit');
      return written;
    } catch (err) {
      await lead.query('rollback').catch(() => {});
      await lead.query('drop table if exists aipl_facts_rebuild').catch(() => {});
      throw err;
    }
  } finally {
    await lead.end();
  }
}

const REBUILD_KEY_MEM = '1GB';
/**
 * Events per share. A share's fold peaks at about 100 bytes per event (the bucketed events, the
 * folded records and their sorted copy): 10M events took 1.04 GB of the process's memory. Each
 * further share reads all the events again, so shares are as large as memory comfortably allows.
 */
const EVENTS_PER_SHARE = 16_000_000;
const REBUILD_LOCK_WAIT = '5s';

/**
 * The day partitions (by name, which sorts by day) cut into at most `parts` runs of about equal
 * rows, each as a condition on occurred_at to append to a WHERE.
 */
function dayRanges(partitions: { name: string; n: number }[], parts: number): string[] {
  const days = partitions.flatMap((p) => {
    const day = dayOfPartition(p.name);
    return day === null ? [] : [{ day, n: Math.max(1, Number(p.n)) }];
  });
  const total = days.reduce((a, d) => a + d.n, 0);
  // The first day of each run after the first.
  const cuts: number[] = [];
  let seen = 0;
  for (const d of days) {
    if (cuts.length < parts - 1 && seen >= (total * (cuts.length + 1)) / parts) cuts.push(d.day);
    seen += d.n;
  }
  const at = (day: number) => `'${dayStart(day).toISOString()}'`;
  return Array.from({ length: cuts.length + 1 }, (_, k) =>
    [
      k > 0 ? ` and e.occurred_at >= ${at(cuts[k - 1]!)}` : '',
      k < cuts.length ? ` and e.occurred_at < ${at(cuts[k]!)}` : '',
    ].join(''),
  );
}

/**
 * The stage of a facts row on day `today`, in SQL: stageOf in aipl-rules.ts, for many rows at once.
 * On or after the row's last day (every query about today) the stage is arithmetic on the stored
 * deciding days (see aiplFacts). Only a look at a past day before some of the row's facts reads the
 * arrays: purchase days are kept newest first, so when none is after `today` the k-th newest day
 * answers "k purchase days within the window"; otherwise they are counted one by one.
 */
export function stageSql(today: number, w: AiplWindows, as: 'name' | 'rank' = 'name') {
  // `rank` answers 0 (none) to 4 (loyalty): grouping many rows by an integer is cheaper than by text.
  const out = (st: StageOrNone) => sql.raw(as === 'name' ? `'${st}'` : String(STAGES_OR_NONE.indexOf(st)));
  const k = w.loyaltyMinPurchaseDays;
  // Every fact is on or before today here, so "within" is only "not too old".
  const recent = (col: string, days: number) => sql`${today} - ${sql.raw(col)} <= ${days}`;
  const loyalRecent =
    k === 2
      ? recent('aipl_facts.loyal_day', w.loyaltyDays)
      : sql`(${recent('aipl_facts.praise_day', w.loyaltyDays)} or ${recent(`aipl_facts.purchase_days[${k}]`, w.loyaltyDays)})`;
  const settled = sql`case
    when ${loyalRecent} then ${out('loyalty')}
    when ${recent('aipl_facts.purchase_day', w.purchaseDays)} then ${out('purchase')}
    when ${recent('aipl_facts.interest_day', w.interestDays)} then ${out('interest')}
    when ${recent('aipl_facts.aware_day', w.awarenessDays)} then ${out('awareness')}
    else ${out('none')} end`;
  const within = (col: ReturnType<typeof sql.raw>, days: number) =>
    sql`(${col} <= ${today} and ${today} - ${col} <= ${days})`;
  const days = sql.raw('aipl_facts.purchase_days');
  const purchasedOn = (min: number, window: number) => sql`(case
      when cardinality(${days}) < ${min} then false
      when ${days}[1] <= ${today} then ${days}[${sql.raw(String(min))}] >= ${today - window}
      else (select count(*) from unnest(${days}) d where d <= ${today} and ${today} - d <= ${window}) >= ${min} end)`;
  const past = sql`case
    when ${purchasedOn(k, w.loyaltyDays)} or ${within(sql.raw('aipl_facts.praise_day'), w.loyaltyDays)} then ${out('loyalty')}
    when ${purchasedOn(1, w.purchaseDays)} then ${out('purchase')}
    when ${within(sql.raw('aipl_facts.active_day'), w.interestDays)} or ${within(sql.raw('aipl_facts.view_days[2]'), w.interestDays)} then ${out('interest')}
    when ${within(sql.raw('aipl_facts.exposure_day'), w.awarenessDays)} or ${within(sql.raw('aipl_facts.view_days[1]'), w.awarenessDays)} then ${out('awareness')}
    else ${out('none')} end`;
  return sql`case when aipl_facts.last_day <= ${today} then ${settled} else ${past} end`;
}

export type StageCounts = Record<(typeof STAGES)[number], number>;

/** How many consumers of the scope are in each stage on `today` (the funnel). */
export async function funnel(
  tx: Executor,
  shopId: string,
  scope: string,
  today: number,
  w: AiplWindows,
): Promise<StageCounts> {
  const rows = await tx
    .select({ rank: sql<number>`${stageSql(today, w, 'rank')}`, n: sql<number>`count(*)::int` })
    .from(aiplFacts)
    .where(and(eq(aiplFacts.shopId, shopId), eq(aiplFacts.scope, scope)))
    .groupBy(sql`1`);
  const counts: StageCounts = { awareness: 0, interest: 0, purchase: 0, loyalty: 0 };
  for (const r of rows) {
    const stage = STAGES_OR_NONE[Number(r.rank)];
    if (stage && stage !== 'none') counts[stage] = Number(r.n);
  }
  return counts;
}

/** Every facts row of a shop (or all), for comparisons and exports. */
export async function factsRows(tx: Executor, shopId?: string) {
  return tx
    .select()
    .from(aiplFacts)
    .where(shopId ? eq(aiplFacts.shopId, shopId) : undefined)
    .orderBy(aiplFacts.shopId, aiplFacts.scope, aiplFacts.consumerId);
}

export type WindowsOfShop = (shopId: string) => Promise<AiplWindows>;

/** Facts rows a part of a day's snapshot reads before it leaves the day's other shops to the next part. */
export const SNAPSHOT_ROWS_PER_PART = 200_000;

/**
 * Queues the daily snapshot of `day`: every shop with facts or stage changes (a shop whose consumers
 * all dropped out still needs their "lost" rows). Nothing is queued for a day already complete, and
 * queueing a day twice queues its shops once; a day without any shop is complete at once.
 * takeSnapshotPart takes the queued shops. Answers how many shops were queued.
 */
export async function queueSnapshot(tx: Executor, day: number, now: Date): Promise<number> {
  const [queued] = rowsOf<{ n: number; waiting: boolean }>(
    await tx.execute(sql`
    with recursive
    -- The distinct shops of each table, one key lookup per shop (a scan of 9M facts took 11 s).
    facts_shops as (
      (select shop_id from aipl_facts order by shop_id limit 1)
      union all
      select (select f.shop_id from aipl_facts f where f.shop_id > s.shop_id order by f.shop_id limit 1)
      from facts_shops s where s.shop_id is not null
    ), change_shops as (
      (select shop_id from aipl_stage_changes order by shop_id limit 1)
      union all
      select (select c.shop_id from aipl_stage_changes c where c.shop_id > s.shop_id order by c.shop_id limit 1)
      from change_shops s where s.shop_id is not null
    ), queued as (
      insert into ${aiplSnapshotQueue} (day, shop_id)
      select ${day}, shop_id from (
        select shop_id collate "C" as shop_id from facts_shops
        union select shop_id collate "C" from change_shops) s
      where shop_id is not null and not exists (select 1 from ${aiplSnapshotDays} where day = ${day})
      on conflict do nothing returning 1)
    select (select count(*) from queued)::int as n,
      exists (select 1 from ${aiplSnapshotQueue} where day = ${day}) as waiting`),
  );
  const n = queued?.n ?? 0;
  if (n === 0 && !queued?.waiting)
    await tx.insert(aiplSnapshotDays).values({ day, takenAt: now }).onConflictDoNothing();
  return n;
}

/** Parts of the snapshot take turns (see takeSnapshotPart). */
const SNAPSHOT_LOCK = 7_405_402;

export interface SnapshotPart {
  /** The earliest day this part took a shop of (null: no shop was ready). */
  day: number | null;
  scopes: number;
  changes: number;
  /** Whether shops are ready to be taken now (for this day or a later one). */
  more: boolean;
  /** When the earliest shop held back by a failure may be tried again, if one is. */
  retryAt: Date | null;
}

/** Backoff after a shop's failed snapshot: 2, 4, 8 ... seconds, at most an hour. */
const snapshotRetryMs = (attempts: number) => Math.min(2 ** attempts * 1000, 3_600_000);

/**
 * One part of the queued snapshots, in the caller's transaction: queued shops one by one, earliest
 * day first, until `rowBudget` facts rows have been read. For each shop, each scope's stage counts on
 * the day, and a stage-change row for every consumer whose stage differs from their last recorded
 * one; the shop leaves the queue with them. A shop's days go in order, so its changes are always
 * measured against its day before; a day is marked complete with its last shop. A shop whose
 * snapshot fails (in a savepoint of its own) stays queued with the error and a time to retry, and
 * its later days wait for it, while every other shop goes on: one bad shop does not stop the
 * market's snapshots. Taking a shop's day twice changes nothing.
 */
export async function takeSnapshotPart(
  tx: Executor,
  windowsOf: WindowsOfShop,
  now: Date,
  rowBudget = SNAPSHOT_ROWS_PER_PART,
): Promise<SnapshotPart> {
  // One part at a time: two at once would each see the other's shops still queued, and neither
  // would mark the day complete.
  await tx.execute(sql`select pg_advisory_xact_lock(${SNAPSHOT_LOCK})`);
  let firstDay: number | null = null;
  let rows = 0;
  let scopes = 0;
  let changes = 0;
  const days = new Set<number>();
  // A shop's day is ready when no earlier day of the shop is queued and no failure holds it back.
  const ready = sql`
    from ${aiplSnapshotQueue} q
    where (q.retry_at is null or q.retry_at <= ${now})
      and not exists (select 1 from ${aiplSnapshotQueue} p where p.shop_id = q.shop_id and p.day < q.day)`;
  while (rows < rowBudget) {
    const [next] = rowsOf<{ day: number; shop_id: string; attempts: number }>(
      await tx.execute(sql`select q.day, q.shop_id, q.attempts ${ready} order by q.day, q.shop_id limit 1`),
    );
    if (!next) break;
    const { day, shop_id: shopId } = next;
    firstDay ??= day;
    try {
      // Taken off the queue in the savepoint that writes its rows.
      const took = await tx.transaction(async (sp) => {
        await sp
          .delete(aiplSnapshotQueue)
          .where(and(eq(aiplSnapshotQueue.day, day), eq(aiplSnapshotQueue.shopId, shopId)));
        return snapshotShop(sp, shopId, day, await windowsOf(shopId));
      });
      rows += took.rows;
      scopes += took.scopes;
      changes += took.changes;
      days.add(day);
    } catch (err) {
      // A deadlock says nothing about the shop: the whole part is tried again.
      if (isSerializationConflict(err)) throw err;
      await tx
        .update(aiplSnapshotQueue)
        .set({
          attempts: next.attempts + 1,
          lastError: errorText(err),
          retryAt: new Date(now.getTime() + snapshotRetryMs(next.attempts + 1)),
        })
        .where(and(eq(aiplSnapshotQueue.day, day), eq(aiplSnapshotQueue.shopId, shopId)));
    }
  }
  // A day is complete once none of its shops is left queued.
  for (const day of days) {
    const [left] = rowsOf<{ queued: boolean }>(
      await tx.execute(sql`select exists (select 1 from ${aiplSnapshotQueue} where day = ${day}) as queued`),
    );
    if (!left?.queued) await tx.insert(aiplSnapshotDays).values({ day, takenAt: now }).onConflictDoNothing();
  }
  const [left] = rowsOf<{ ready: boolean; retry_at: Date | string | null }>(
    await tx.execute(sql`
    select exists (select 1 ${ready}) as ready,
      (select min(retry_at) from ${aiplSnapshotQueue} where retry_at > ${now}) as retry_at`),
  );
  return {
    day: firstDay,
    scopes,
    changes,
    more: Boolean(left?.ready),
    retryAt: left?.retry_at ? new Date(left.retry_at) : null,
  };
}

/**
 * The whole snapshot of `day` in the caller's transaction: queued, and every part taken. Scheduled
 * work goes through the daily run instead, a part per transaction.
 */
export async function takeSnapshot(
  tx: Executor,
  day: number,
  windowsOf: WindowsOfShop,
  now: Date,
): Promise<{ scopes: number; changes: number }> {
  await queueSnapshot(tx, day, now);
  let scopes = 0;
  let changes = 0;
  for (;;) {
    const part = await takeSnapshotPart(tx, windowsOf, now, Number.POSITIVE_INFINITY);
    // A shop that failed stays queued for the scheduled parts to retry.
    scopes += part.scopes;
    changes += part.changes;
    if (!part.more) return { scopes, changes };
  }
}

/** One shop's part of a day's snapshot (see takeSnapshotPart); answers the facts rows it read. */
async function snapshotShop(
  tx: Executor,
  shopId: string,
  day: number,
  w: AiplWindows,
): Promise<{ rows: number; scopes: number; changes: number }> {
  const [counted] = rowsOf<{ rows: number; scopes: number; changes: number }>(
    await tx.execute(sql`
    with cur as materialized (
      select scope, consumer_id, ${stageSql(day, w)} as st from aipl_facts where shop_id = ${shopId}
    ), daily as (
      insert into aipl_daily (shop_id, scope, day, awareness, interest, purchase, loyalty)
      select ${shopId}, scope, ${day},
        count(*) filter (where st = 'awareness'), count(*) filter (where st = 'interest'),
        count(*) filter (where st = 'purchase'), count(*) filter (where st = 'loyalty')
      from cur group by scope
      on conflict do nothing returning 1
    ), prev as (
      select scope, consumer_id,
        (case chr((max(${STAGE_KEY}) % 128)::int)
          ${sql.raw([...STAGE_BY_LETTER].map(([code, st]) => `when '${String.fromCharCode(code)}' then '${st}'`).join(' '))} end) as stage
      from aipl_stage_changes where shop_id = ${shopId} and day < ${day}
      group by scope, consumer_id
    ), diff as (
      select coalesce(cur.scope, prev.scope) as scope, coalesce(cur.consumer_id, prev.consumer_id) as consumer_id,
        coalesce(cur.st, 'none') as st, coalesce(prev.stage, 'none') as from_st
      from cur full join prev on prev.scope = cur.scope and prev.consumer_id = cur.consumer_id
      where coalesce(cur.st, 'none') is distinct from coalesce(prev.stage, 'none')
    ), ins as (
      insert into aipl_stage_changes (shop_id, scope, consumer_id, day, stage, from_stage)
      select ${shopId}, scope, consumer_id, ${day}, st, from_st from diff
      on conflict do nothing returning 1
    )
    select (select count(*) from cur)::int as rows, (select count(*) from daily)::int as scopes,
      (select count(*) from ins)::int as changes`),
  );
  return { rows: counted?.rows ?? 0, scopes: counted?.scopes ?? 0, changes: counted?.changes ?? 0 };
}

/** Stage counts per snapshot day in [from, to]: the assets over time. */
export async function assetHistory(tx: Executor, shopId: string, scope: string, from: number, to: number) {
  return tx
    .select()
    .from(aiplDaily)
    .where(
      and(
        eq(aiplDaily.shopId, shopId),
        eq(aiplDaily.scope, scope),
        sql`${aiplDaily.day} between ${from} and ${to}`,
      ),
    )
    .orderBy(aiplDaily.day);
}

export async function snapshotTaken(tx: Executor, day: number): Promise<boolean> {
  const [row] = await tx.select().from(aiplSnapshotDays).where(eq(aiplSnapshotDays.day, day));
  return row !== undefined;
}

export interface Flow {
  from: StageOrNone;
  to: StageOrNone;
  consumers: number;
}

const byStages = (x: Flow, y: Flow) => x.from.localeCompare(y.from) || x.to.localeCompare(y.to);

/**
 * How consumers moved between the stages they had on two snapshot days. `none` on the left is new,
 * on the right lost. Restricting to an audience (a campaign's consumers) is optional.
 *
 * Only the change rows between the two days are read: a consumer's first change after `fromDay`
 * names the stage they left, the last one up to `toDay` the stage they reached. Everyone else kept
 * their stage, so they are the day's stage counts (aipl_daily, written by the same snapshot as the
 * change rows) less those who left each stage. The cost follows the changes in the period, not
 * the scope's consumers or its history.
 */
export async function flows(
  tx: Executor,
  shopId: string,
  scope: string,
  fromDay: number,
  toDay: number,
  audience?: string[],
): Promise<Flow[]> {
  // An audience needs each member's stage, which the day's counts do not have.
  if (audience || toDay < fromDay) return flowsByConsumer(tx, shopId, scope, fromDay, toDay, audience);
  const range = sql`shop_id = ${shopId} and scope = ${scope} and day > ${fromDay} and day <= ${toDay}`;
  // One statement, so the snapshot days, the changes and the counts are read as of one moment. With
  // at most one snapshot day in the period each consumer has at most one change in it, and the
  // changes are counted without grouping by consumer; the other branch is then not run at all.
  const rows = rowsOf<{ part: 'moved' | 'day'; a: number; b: number; n: number }>(
    await tx.execute(sql`
    with days as materialized (
      select (select max(day) from ${aiplSnapshotDays} where day <= ${fromDay}) as base,
        (select count(*) from ${aiplSnapshotDays} where day > ${fromDay} and day <= ${toDay}) as between)
    select 'moved' as part, ascii(from_stage) as a, ascii(stage) as b, count(*)::int as n
    from aipl_stage_changes where ${range} and (select between from days) <= 1
    group by 2, 3
    union all
    select 'moved', a, b, count(*)::int from (
      select min(${sql.raw('day * 128 + ascii(from_stage)')}) % 128 as a, max(${STAGE_KEY}) % 128 as b
      from aipl_stage_changes where ${range} and (select between from days) > 1
      group by consumer_id) x
    group by 2, 3
    union all
    select 'day', ascii(s.stage), 0, s.n
    from aipl_daily d cross join lateral (values
      ('awareness', d.awareness), ('interest', d.interest), ('purchase', d.purchase), ('loyalty', d.loyalty)) s(stage, n)
    where d.shop_id = ${shopId} and d.scope = ${scope} and d.day = (select base from days)`),
  );
  const pairs = new Map<string, Flow>();
  const add = (from: StageOrNone, to: StageOrNone, n: number) => {
    if (n === 0 || (from === 'none' && to === 'none')) return;
    const key = `${from}>${to}`;
    const f = pairs.get(key) ?? { from, to, consumers: 0 };
    f.consumers += n;
    pairs.set(key, f);
  };
  const before: StageCounts = { awareness: 0, interest: 0, purchase: 0, loyalty: 0 };
  const left: StageCounts = { ...before };
  for (const r of rows) {
    const from = stageOfKey(r.a);
    if (from === 'none') {
      if (r.part === 'moved') add(from, stageOfKey(r.b), Number(r.n));
    } else if (r.part === 'day') {
      before[from] = Number(r.n);
    } else {
      add(from, stageOfKey(r.b), Number(r.n));
      left[from] += Number(r.n);
    }
  }
  for (const st of STAGES) {
    const stayed = before[st] - left[st];
    // Counts that do not add up (snapshots taken out of day order) are answered consumer by consumer.
    if (stayed < 0) return flowsByConsumer(tx, shopId, scope, fromDay, toDay);
    add(st, st, stayed);
  }
  return [...pairs.values()].sort(byStages);
}

/** Flows from each consumer's change rows up to `toDay` (with an audience: its members only). */
export async function flowsByConsumer(
  tx: Executor,
  shopId: string,
  scope: string,
  fromDay: number,
  toDay: number,
  audience?: string[],
): Promise<Flow[]> {
  const only = audience ? sql`and consumer_id = any(${pgArray(audience)}::text[])` : sql``;
  // One walk of the scope's change rows: the latest row at or before a day is the greatest
  // day*128+stage, a plain max, so no per-consumer sort and no join.
  const none = 'n'.charCodeAt(0);
  const rows = rowsOf<{ a: number | null; b: number | null; n: number }>(
    await tx.execute(sql`
    select a, b, count(*)::int as n from (
      select max(${STAGE_KEY}) filter (where day <= ${fromDay}) % 128 as a, max(${STAGE_KEY}) % 128 as b
      from aipl_stage_changes
      where shop_id = ${shopId} and scope = ${scope} and day <= ${toDay} ${only}
      group by consumer_id) x
    where coalesce(a, ${none}) <> ${none} or coalesce(b, ${none}) <> ${none}
    group by 1, 2`),
  );
  return rows
    .map((r) => ({ from: stageOfKey(r.a), to: stageOfKey(r.b), consumers: Number(r.n) }))
    .sort(byStages);
}

/** Stage counts on a snapshot day from the change rows (what the flow's sides add up to). */
export async function stageCountsOn(
  tx: Executor,
  shopId: string,
  scope: string,
  day: number,
  audience?: string[],
): Promise<StageCounts> {
  const only = audience ? sql`and consumer_id = any(${pgArray(audience)}::text[])` : sql``;
  const rows = rowsOf<{ code: number; n: number }>(
    await tx.execute(sql`
    select code, count(*)::int as n from (
      select max(${STAGE_KEY}) % 128 as code from aipl_stage_changes
      where shop_id = ${shopId} and scope = ${scope} and day <= ${day} ${only}
      group by consumer_id) x
    group by code`),
  );
  const counts: StageCounts = { awareness: 0, interest: 0, purchase: 0, loyalty: 0 };
  for (const r of rows) {
    const stage = stageOfKey(r.code);
    if (stage !== 'none') counts[stage] = Number(r.n);
  }
  return counts;
}

/** Which scopes a shop has consumers in. */
export async function scopesOfShop(tx: Executor, shopId: string): Promise<string[]> {
  const rows = await tx
    .selectDistinct({ scope: aiplFacts.scope })
    .from(aiplFacts)
    .where(eq(aiplFacts.shopId, shopId))
    .orderBy(aiplFacts.scope);
  return rows.map((r) => r.scope);
}

/** The stage-change rows of a shop on a day (for the snapshot's incremental vs recompute test). */
export async function stageChangesOn(tx: Executor, shopId: string, day: number) {
  return tx
    .select()
    .from(aiplStageChanges)
    .where(and(eq(aiplStageChanges.shopId, shopId), eq(aiplStageChanges.day, day)));
}
