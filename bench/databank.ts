import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { migrateDatabase, openDatabase, withPlansPerCall } from '../src/db';
import {
  type BehaviourEvent,
  copyEvents,
  type EventKind,
  flows,
  funnel,
  rebuildAllFacts,
  recomputeFacts,
  storeEvents,
  takeSnapshot,
} from '../src/modules/databank';
import { flowsByConsumer } from '../src/modules/databank/aipl';
import { dayLabel, dayOf } from '../src/modules/databank/days';
import { DEFAULT_RULES } from '../src/modules/governance';
import { machine, PG_ADMIN_URL, percentile, ROOT, saveResult, scratchDatabase } from './lib';

/**
 * The data bank at scale, as issue 7 asks: N behaviour events generated with the distributions of the
 * real Taobao UserBehavior sample (behaviour mix, events and distinct categories per user, category skew), bulk-ingested into
 * PostgreSQL (COPY over several connections into the day partitions), all AIPL facts
 * recomputed from the raw events, then a brand's funnel and a flow queried repeatedly.
 * Synthetic data following the real sample; no real consumer is in it.
 */
export async function main(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      events: { type: 'string', default: '10000000' },
      connections: { type: 'string', default: '3' },
      batch: { type: 'string', default: '50000' },
      parts: { type: 'string', default: '2' },
      keep: { type: 'boolean', default: false },
      // Reuse a database kept by an earlier --keep run: no ingest, snapshots only if missing.
      db: { type: 'string' },
      shops: { type: 'string', default: '200' },
      brands: { type: 'string', default: '500' },
      queries: { type: 'string', default: '200' },
      real: { type: 'boolean', default: false },
      // Only the ingest (events/s), for comparing ingest changes without the rebuild and snapshots.
      'ingest-only': { type: 'boolean', default: false },
      // The rebuild and the funnel only (no snapshots, no flows): for comparing rebuild changes. Prints
      // a checksum of every facts row, so two rebuilds of one database can be compared.
      'no-snapshots': { type: 'boolean', default: false },
    },
  });
  if (values.real) return realCheck();
  const total = Number(values.events);
  const connections = Number(values.connections);
  const batchSize = Number(values.batch);
  const sample = loadSample();
  const kept = new URL(PG_ADMIN_URL);
  kept.pathname = `/${values.db ?? ''}`;
  const scratch = values.db
    ? { url: kept.toString(), drop: async () => {} }
    : await scratchDatabase('jishi_bench_databank');
  const database = await openDatabase({ databaseUrl: scratch.url, poolSize: connections + 2 });
  const db = database.db;
  try {
    await migrateDatabase(database);
    const now = new Date();
    const today = dayOf(now);
    const gen = new Generator(sample, Number(values.shops), Number(values.brands), today);

    // Ingest: COPY batches over C connections (copyEvents), the generator producing the next batch
    // while the previous ones load.
    const batches = function* () {
      for (let seq = 0; seq < total; seq += batchSize)
        yield gen.events(Math.min(batchSize, total - seq), seq);
    };
    let ingestSeconds = Number.NaN;
    if (!values.db) {
      const started = performance.now();
      const stored = await copyEvents(database, batches(), now, connections);
      ingestSeconds = (performance.now() - started) / 1000;
      if (stored !== total) throw new Error(`stored ${stored} of ${total} events`);
      console.log(`ingested ${total.toLocaleString('en')} events in ${ingestSeconds.toFixed(1)} s`);
      // What autovacuum does soon after a bulk load; the rebuild's plan depends on it.
      await db.execute('analyze databank_events');
    }
    if (values['ingest-only']) {
      const summary = {
        eventsPerSecond: Math.round(total / ingestSeconds),
        ingestSeconds,
        loadAverage: loadavg(),
      };
      console.log(JSON.stringify(summary));
      return;
    }

    const r0 = performance.now();
    const rows = await rebuildAllFacts(database, Number(values.parts));
    const recomputeSeconds = (performance.now() - r0) / 1000;
    console.log(
      `recomputed ${rows.toLocaleString('en')} AIPL facts rows in ${recomputeSeconds.toFixed(1)} s`,
    );

    const windows = DEFAULT_RULES.market.aipl;
    if (values['no-snapshots']) {
      const [sum] = (
        (await db.execute(
          'select count(*)::int as n, sum(hashtextextended(f::text, 0))::text as sum from aipl_facts f',
        )) as unknown as { rows: { n: number; sum: string }[] }
      ).rows;
      const [top] = (
        (await db.execute(
          `select shop_id, scope from aipl_facts where scope like 'brand:%' group by 1, 2 order by count(*) desc, 1, 2 limit 1`,
        )) as unknown as { rows: { shop_id: string; scope: string }[] }
      ).rows;
      if (!top) throw new Error('no facts');
      const lat: number[] = [];
      for (let i = 0; i < Number(values.queries); i++) {
        const t = performance.now();
        await withPlansPerCall(db, (tx) => funnel(tx, top.shop_id, top.scope, today, windows));
        lat.push(performance.now() - t);
      }
      lat.sort((a, b) => a - b);
      const summary = {
        factsRows: rows,
        recomputeSeconds,
        factsChecksum: sum,
        funnelMs: { p50: percentile(lat, 50), p99: percentile(lat, 99) },
        funnel: await funnel(db, top.shop_id, top.scope, today, windows),
        loadAverage: loadavg(),
      };
      console.log(JSON.stringify(summary));
      return;
    }
    const s0 = performance.now();
    await db.transaction((tx) => takeSnapshot(tx, today - 1, async () => windows, now));
    await db.transaction((tx) => takeSnapshot(tx, today + 14, async () => windows, now));
    const snapshotSeconds = (performance.now() - s0) / 1000;
    // Statistics for the fresh change rows, as autovacuum would gather after the daily job.
    await db.execute('vacuum analyze aipl_stage_changes');

    // The busiest shop's busiest brand: the worst case for one merchant's queries.
    const [top] = (
      (await db.execute(
        `select shop_id, scope, count(*)::int as n from aipl_facts where scope like 'brand:%' group by 1, 2 order by 3 desc limit 1`,
      )) as unknown as { rows: { shop_id: string; scope: string; n: number }[] }
    ).rows;
    if (!top) throw new Error('no facts');
    const time = async (fn: () => Promise<unknown>) => {
      const lat: number[] = [];
      for (let i = 0; i < Number(values.queries); i++) {
        const t = performance.now();
        await fn();
        lat.push(performance.now() - t);
      }
      lat.sort((a, b) => a - b);
      return { p50: percentile(lat, 50), p99: percentile(lat, 99) };
    };
    // As the routes run them: planned for their values on every call (withPlansPerCall).
    const funnelMs = await time(() =>
      withPlansPerCall(db, (tx) => funnel(tx, top.shop_id, top.scope, today, windows)),
    );
    const flowMs = await time(() =>
      withPlansPerCall(db, (tx) => flows(tx, top.shop_id, top.scope, today - 1, today + 14)),
    );
    // The same flow walked consumer by consumer, as for a campaign audience: what it costs without
    // the day's counts.
    const flowByConsumerMs = await time(() =>
      flowsByConsumer(db, top.shop_id, top.scope, today - 1, today + 14),
    );
    const flowRows = await flows(db, top.shop_id, top.scope, today - 1, today + 14);
    if (
      JSON.stringify(flowRows) !==
      JSON.stringify(await flowsByConsumer(db, top.shop_id, top.scope, today - 1, today + 14))
    )
      throw new Error('the flow read from the changes differs from the walk of every consumer');
    const counts = await funnel(db, top.shop_id, top.scope, today, windows);

    const summary = {
      machine: machine(),
      events: total,
      connections,
      batchSize,
      eventsPerSecond: Math.round(total / ingestSeconds),
      ingestSeconds,
      factsRows: rows,
      recomputeSeconds,
      snapshotSeconds,
      queryScope: { shopId: top.shop_id, scope: top.scope, consumers: top.n, funnel: counts },
      flowDays: [dayLabel(today - 1), dayLabel(today + 14)],
      funnelMs,
      flowMs,
      flowByConsumerMs,
      flow: flowRows,
      loadAverage: loadavg(),
      targets: { eventsPerSecond: 200_000, recomputeSeconds: 30, p99Ms: 50 },
      data: `synthetic, following ${sample.source}`,
    };
    console.log(JSON.stringify(summary, null, 2));
    console.log(`written to ${saveResult('databank', summary)}`);
  } finally {
    await database.close();
    if (values.keep) console.log(`kept ${scratch.url}`);
    else await scratch.drop();
  }
}

interface Sample {
  source: string;
  /** Behaviour kinds in the sample's proportions (one entry per row, shuffled use). */
  kinds: EventKind[];
  /** Events per user and the distinct categories they touched, one entry per sampled user. */
  perUser: { events: number; categories: number }[];
  /** Category popularity: rows per category, descending. */
  categoryWeights: number[];
  /** Share of each of the 9 days. */
  dayWeights: number[];
}

const KINDS: Record<string, EventKind> = { pv: 'view', fav: 'favourite', cart: 'cart', buy: 'purchase' };

/** Distributions from the real extract (or the committed slice when the shared data is absent). */
function loadSample(): Sample {
  const full = join(ROOT, '../shared/data/taobao-userbehavior/userbehavior_head_815users.csv.gz');
  const slice = join(ROOT, 'src/modules/databank/fixtures/userbehavior-slice.csv');
  const text = existsSync(full)
    ? gunzipSync(readFileSync(full)).toString('utf8')
    : readFileSync(slice, 'utf8');
  const kinds: EventKind[] = [];
  const users = new Map<string, number>();
  const userCats = new Map<string, Set<string>>();
  const cats = new Map<string, number>();
  const days = new Map<number, number>();
  for (const line of text.split('\n')) {
    const [user, , cat, b, ts] = line.split(',');
    const kind = b ? KINDS[b] : undefined;
    if (!user || !cat || !kind || !ts) continue;
    kinds.push(kind);
    users.set(user, (users.get(user) ?? 0) + 1);
    const mine = userCats.get(user) ?? new Set<string>();
    mine.add(cat);
    userCats.set(user, mine);
    cats.set(cat, (cats.get(cat) ?? 0) + 1);
    const d = dayOf(new Date(Number(ts) * 1000));
    days.set(d, (days.get(d) ?? 0) + 1);
  }
  const lastDay = Math.max(...[...days.entries()].filter(([, n]) => n > 100).map(([d]) => d));
  const dayWeights = Array.from({ length: 9 }, (_, i) => days.get(lastDay - 8 + i) ?? 0);
  return {
    source: existsSync(full) ? 'the 84,475-row Taobao UserBehavior extract' : 'the committed 3,055-row slice',
    kinds,
    perUser: [...users.entries()].map(([u, events]) => ({ events, categories: userCats.get(u)!.size })),
    categoryWeights: [...cats.values()].sort((a, b) => b - a),
    dayWeights,
  };
}

/** A small deterministic PRNG (mulberry32), so runs are comparable. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function cumulative(weights: number[]): number[] {
  const out: number[] = [];
  let sum = 0;
  for (const w of weights) {
    sum += w;
    out.push(sum);
  }
  return out.map((x) => x / sum);
}

function pick(cum: number[], r: number): number {
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid]! < r) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

class Generator {
  private readonly random = rng(649);
  private readonly catCum: number[];
  private readonly dayCum: number[];
  private user = 0;
  private left = 0;
  /** The current user's categories: a consumer browses a few categories, not the whole market. */
  private mine: number[] = [];
  private consumer = '';
  /** The id strings of each (category, shop), made once: the generator's garbage is the bench's cost, not the ingest's. */
  private readonly named = new Map<
    number,
    { shop: string; product: string; brand: string; category: string }
  >();

  private names(category: number, shop: number, brand: number) {
    const key = category * this.shops + shop;
    let n = this.named.get(key);
    if (!n) {
      n = {
        shop: `shop${shop}`,
        product: `p${category}-${shop}`,
        brand: `brand${brand}`,
        category: `cat${category}`,
      };
      this.named.set(key, n);
    }
    return n;
  }

  constructor(
    private readonly sample: Sample,
    private readonly shops: number,
    private readonly brands: number,
    private readonly today: number,
  ) {
    this.catCum = cumulative(sample.categoryWeights);
    this.dayCum = cumulative(sample.dayWeights);
  }

  /** Users come one after another with the sample's events-per-user counts, as the file does. */
  events(n: number, seq: number): BehaviourEvent[] {
    const out: BehaviourEvent[] = [];
    for (let i = 0; i < n; i++) {
      if (this.left === 0) {
        this.user++;
        this.consumer = `u${this.user}`;
        const u = this.sample.perUser[Math.floor(this.random() * this.sample.perUser.length)]!;
        this.left = u.events;
        this.mine = Array.from({ length: u.categories }, () => pick(this.catCum, this.random()));
      }
      this.left--;
      const kind = this.sample.kinds[Math.floor(this.random() * this.sample.kinds.length)]!;
      const category = this.mine[Math.floor(this.random() * this.mine.length)]!;
      // Each category belongs to a few shops and brands, so a brand's consumers cluster as in a market.
      const shop = (category * 7 + Math.floor(this.random() * 3)) % this.shops;
      const brand = (category * 13 + shop) % this.brands;
      const names = this.names(category, shop, brand);
      const day = this.today - 9 + pick(this.dayCum, this.random());
      const at = new Date((day * 86_400 + Math.floor(this.random() * 86_400) - 8 * 3600) * 1000);
      out.push({
        id: `b${seq + i}`,
        kind,
        occurredAt: at,
        consumerId: this.consumer,
        deviceId: null,
        shopId: names.shop,
        productId: names.product,
        skuId: null,
        brandId: names.brand,
        categoryId: names.category,
        channel: 'bench',
        region: null,
        quantity: kind === 'purchase' ? 1 : null,
        amount: kind === 'purchase' ? 9900 : null,
        rating: null,
        source: 'bench',
      });
    }
    return out;
  }
}

/**
 * `--real`: the whole real extract (84,475 events, 815 users) through the incremental path in
 * batches of 1,000 as POST /events would take them, then a full recompute, which must agree row for
 * row. One shop; each Taobao category is a category scope and the whole file one brand. Stages are
 * read on 2017-12-04, the day after the extract ends.
 */
async function realCheck() {
  const file = join(ROOT, '../shared/data/taobao-userbehavior/userbehavior_head_815users.csv.gz');
  if (!existsSync(file)) throw new Error(`${file} is not there`);
  const scratch = await scratchDatabase('jishi_bench_databank_real');
  const database = await openDatabase({ databaseUrl: scratch.url, poolSize: 2 });
  const db = database.db;
  try {
    await migrateDatabase(database);
    const rows = gunzipSync(readFileSync(file)).toString('utf8').trim().split('\n');
    const now = new Date('2017-12-04T12:00:00+08:00');
    const seen = new Map<string, number>();
    const events: BehaviourEvent[] = [];
    for (const line of rows) {
      const [user, item, cat, b, ts] = line.split(',');
      const kind = b ? KINDS[b] : undefined;
      if (!user || !item || !cat || !kind || !ts) continue;
      const n = (seen.get(line) ?? 0) + 1;
      seen.set(line, n);
      events.push({
        id: `${line}#${n}`,
        kind,
        occurredAt: new Date(Number(ts) * 1000),
        consumerId: `tb:${user}`,
        deviceId: null,
        shopId: 'taobao',
        productId: item,
        skuId: null,
        brandId: 'taobao',
        categoryId: cat,
        channel: 'import',
        region: null,
        quantity: kind === 'purchase' ? 1 : null,
        amount: kind === 'purchase' ? 0 : null,
        rating: null,
        source: 'taobao-userbehavior',
      });
    }
    const t0 = performance.now();
    for (let i = 0; i < events.length; i += 1000) {
      await db.transaction((tx) => storeEvents(tx, events.slice(i, i + 1000), now));
    }
    const incrementalSeconds = (performance.now() - t0) / 1000;
    const read = async () =>
      (
        (await db.execute(
          'select shop_id, scope, consumer_id, exposure_day, view_days, active_day, purchase_days, praise_day, spend from aipl_facts order by 1, 2, 3',
        )) as unknown as { rows: unknown[] }
      ).rows;
    const incremental = await read();
    const t1 = performance.now();
    await db.transaction((tx) => recomputeFacts(tx));
    const recomputeSeconds = (performance.now() - t1) / 1000;
    const rebuilt = await read();
    const same = JSON.stringify(incremental) === JSON.stringify(rebuilt);
    // And the full rebuild, which folds the events in this process (rebuild.ts), not in SQL.
    await rebuildAllFacts(database, 2);
    const sameRebuild = JSON.stringify(incremental) === JSON.stringify(await read());
    const day = dayOf(now);
    const windows = DEFAULT_RULES.market.aipl;
    const brand = await funnel(db, 'taobao', 'brand:taobao', day, windows);
    const summary = {
      events: events.length,
      factsRows: incremental.length,
      incrementalEqualsRecompute: same,
      incrementalEqualsRebuild: sameRebuild,
      incrementalSeconds,
      recomputeSeconds,
      stagesOn: dayLabel(day),
      wholeFileAsOneBrand: brand,
    };
    console.log(JSON.stringify(summary, null, 2));
    console.log(`written to ${saveResult('databank-real', summary)}`);
    if (!same || !sameRebuild) process.exitCode = 1;
  } finally {
    await database.close();
    await scratch.drop();
  }
}
