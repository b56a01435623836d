import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { type Database, migrateDatabase, openDatabase } from '../src/db';
import { AppError } from '../src/kernel/errors';
import { newId } from '../src/kernel/ids';
import { RedisFlashGate } from '../src/modules/promotions/flash-gate';
import {
  type ClaimInput,
  checkFlashClaim,
  claimFlashQuota,
  configureFlashGate,
  createFlashSale,
  flashGateSettled,
  getFlashSale,
} from '../src/modules/promotions/flash-sales';
import { flashBuyerTallies, flashClaims } from '../src/modules/promotions/flash-schema';
import { checkoutNow } from '../src/modules/trade';
import { machine, makeBenchMarket, percentile, saveResult, scratchDatabase } from './lib';

/**
 * A flash-sale stampede on one hot SKU: `concurrency` buyers in a closed loop make attempts, each
 * as a caller under a stampede should (as checkout's prepareCheckout does): checkFlashClaim first
 * (the gate's peek in Redis, or without it a read of the committed state shared by the checks of
 * one event-loop turn), and only when that passes claimFlashQuota, which commits the claim with the
 * claims of the other buyers waiting at that moment (group commit, one transaction per batch) on a
 * PostgreSQL pool (the domain functions directly, in-process: checkout's other work would only hide
 * the hot rows; `--checkouts` measures whole checkouts). Every attempt is a new buyer (per-buyer
 * limit 1), so the quota sells out and the rest of the run is the stampede being refused. Run
 * without and with the Redis gate (`--redis`, default redis://127.0.0.1:6379), on a fresh sale
 * each. Also times the gate's Lua admission alone. SQL statements (BEGIN, COMMIT and the gate's
 * probes included), transactions and gate calls are counted per attempt in each phase. Oversold
 * units and buyers over their limit are counted from the database afterwards (must be 0).
 */
export async function main(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      concurrency: { type: 'string', default: '1000' },
      quota: { type: 'string', default: '10000' },
      seconds: { type: 'string', default: '120' },
      after: { type: 'string', default: '5' },
      pool: { type: 'string', default: '20' },
      redis: { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
      /** `checkout` and `checkout-redis` run whole flash checkouts (orders/s) through checkoutNow. */
      modes: { type: 'string', default: 'database,redis,checkout,checkout-redis' },
      'checkout-quota': { type: 'string', default: '3000' },
    },
  });
  const concurrency = Number(values.concurrency);
  const quota = Number(values.quota);
  const seconds = Number(values.seconds);
  const after = Number(values.after);
  const scratch = await scratchDatabase('jishi_bench_flash');
  const database = await openDatabase({ databaseUrl: scratch.url, poolSize: Number(values.pool) });
  const results: Record<string, unknown>[] = [];
  try {
    await migrateDatabase(database);
    const modes = values.modes.split(',');
    const market = await makeBenchMarket(
      database,
      { skus: modes.length, stock: quota * 2, buyers: 0 },
      new Date(),
    );
    for (const [i, mode] of modes.entries()) {
      const checkouts = mode.startsWith('checkout');
      const modeQuota = checkouts ? Number(values['checkout-quota']) : quota;
      let gate: RedisFlashGate | undefined;
      if (mode.endsWith('redis')) {
        gate = await RedisFlashGate.connect(values.redis);
        configureFlashGate({
          gate,
          onError: (err, what) => console.error(`gate ${what}:`, err),
        });
      } else configureFlashGate(null);
      try {
        const skuId = market.skuIds[i]!;
        const saleId = await openSale(database, market.shopId, skuId, modeQuota);
        if (gate) await flashGateSettled();
        const attempt: Attempt = checkouts
          ? async (input, now) => {
              await checkoutNow(
                database.db,
                input.buyerId,
                { address: BENCH_ADDRESS, items: [{ skuId, quantity: 1 }] },
                now,
              );
            }
          : async (input, now) => {
              await checkFlashClaim(database.db, input, now);
              await claimFlashQuota(database.db, input, now);
            };
        const r = await stampede(database, saleId, concurrency, seconds, after, gate, attempt);
        await flashGateSettled();
        const check = await audit(database, saleId);
        const row = {
          mode,
          concurrency,
          quota: modeQuota,
          ...r,
          ...check,
          loadAverage: loadavg().map(round),
        };
        if (gate) {
          Object.assign(row, { gateAdmitOnly: await admitOnly(gate, concurrency, quota) });
          const g = await gate.snapshot(saleId);
          Object.assign(row, { gateLeft: g?.left, gatePending: g?.pending });
        }
        results.push(row);
        print(row);
      } finally {
        configureFlashGate(null);
        await gate?.close();
      }
    }
    const file = saveResult('flash-sale', {
      date: new Date().toISOString(),
      machine: machine(),
      pool: Number(values.pool),
      results,
    });
    console.log(`\nwritten to ${file}`);
  } finally {
    await database.close();
    await scratch.drop();
  }
}

const BENCH_ADDRESS = {
  name: '王小明',
  phone: '13812345678',
  region: '浙江省杭州市西湖区',
  line: '文三路 100 号',
};

/** One attempt of a buyer: a claim (check, then claim) or a whole checkout. */
type Attempt = (input: ClaimInput, now: Date) => Promise<void>;

async function openSale(database: Database, shopId: string, skuId: string, quota: number) {
  const now = new Date();
  const sale = await database.db.transaction((tx) =>
    createFlashSale(
      tx,
      shopId,
      {
        skuId,
        flashPrice: 990,
        quota,
        perBuyerLimit: 1,
        startsAt: new Date(now.getTime() + 500),
        endsAt: new Date(now.getTime() + 3_600_000),
      },
      'bench',
      now,
    ),
  );
  await new Promise((r) => setTimeout(r, 600));
  return sale.id;
}

/**
 * SQL statements sent by this process (every pool client's query, BEGIN and COMMIT included):
 * counted by wrapping pg's Client.query, which drizzle's node-postgres driver calls for each one.
 */
let statements = 0;
let transactions = 0;
const clientQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  statements++;
  const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
  if (text && /^\s*begin\b/i.test(text)) transactions++;
  return (clientQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof clientQuery;

/**
 * CPU time used so far, in ms: this process (load generator and domain code) and the PostgreSQL
 * backends serving this database (from /proc, Linux only), read on a connection of its own so the
 * pool's queue does not delay it. Per attempt it is a figure the other agents' load on the shared
 * cores disturbs far less than attempts per second.
 */
async function cpuMeter(url: string) {
  const monitor = new pg.Client({ connectionString: url });
  await monitor.connect();
  const pids = async () => {
    const r = (await (clientQuery as (...a: unknown[]) => Promise<unknown>).call(
      monitor,
      'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    )) as unknown as { rows: { pid: number }[] };
    return r.rows.map((row) => row.pid);
  };
  return {
    async read() {
      const own = process.cpuUsage();
      let ticks = 0;
      for (const pid of await pids()) {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          ticks += Number(fields[11]) + Number(fields[12]); // utime, stime, at 100 ticks a second
        } catch {
          // not Linux, or a backend that just ended
        }
      }
      return { node: (own.user + own.system) / 1000, postgres: ticks * 10 };
    },
    close: () => monitor.end(),
  };
}

/**
 * Gate calls (peek, admit, settle, refund, ...), counted by wrapping the gate's methods. The peeks
 * of one event-loop turn share one Lua call, so Redis sees fewer calls than this counts.
 */
let gateCalls = 0;
function countGateCalls(gate: RedisFlashGate) {
  for (const m of ['peek', 'admit', 'settle', 'refund', 'giveBack', 'seed', 'raise'] as const) {
    const f = gate[m].bind(gate) as (...a: unknown[]) => Promise<unknown>;
    (gate as unknown as Record<string, unknown>)[m] = (...a: unknown[]) => {
      gateCalls++;
      return f(...a);
    };
  }
}

/** The counters at one moment of a run. */
interface Mark {
  t: number;
  attempts: number;
  statements: number;
  transactions: number;
  gateCalls: number;
  cpu: { node: number; postgres: number };
}

/**
 * Runs until the quota sells out and then `after` seconds more of buyers being refused (or `seconds`
 * in all). Two phases are measured: the sale (start to the first sold-out answer) and the refusals
 * (from a second after the sell-out, once the attempts already past the check have drained, to the
 * end). For each: attempts per second, SQL statements, gate calls and CPU ms per attempt. The
 * whole run's attempts per second depends on `after`: read the phases. Buyer and order ids are a
 * counter: the generator's ids are not what is measured.
 */
async function stampede(
  database: Database,
  saleId: string,
  concurrency: number,
  seconds: number,
  after: number,
  gate: RedisFlashGate | undefined,
  attempt: Attempt,
) {
  if (gate) countGateCalls(gate);
  const meter = await cpuMeter(database.url!);
  let attempts = 0;
  let claims = 0;
  let soldOut = 0;
  let other = 0;
  let seq = 0;
  const run = Date.now().toString(36);
  const latencies: number[] = [];
  statements = 0;
  transactions = 0;
  gateCalls = 0;
  const mark = async (): Promise<Mark> => {
    const counts = { t: performance.now(), attempts, statements, transactions, gateCalls };
    return { ...counts, cpu: await meter.read() };
  };
  let soldOutAt: Promise<Mark> | undefined;
  let refusalsFrom: Promise<Mark> | undefined;
  let soldOutTime: number | undefined;
  const begin = await mark();
  const hardEnd = begin.t + seconds * 1000;
  const running = () => {
    const t = performance.now();
    return t < hardEnd && (soldOutTime === undefined || t < soldOutTime + after * 1000);
  };
  const worker = async () => {
    while (running()) {
      const t0 = performance.now();
      const n = seq++;
      const input = {
        campaignId: saleId,
        buyerId: `acct_${run}_${n}`,
        quantity: 1,
        orderId: `ord_${run}_${n}`,
      };
      try {
        await attempt(input, new Date());
        claims++;
      } catch (err) {
        if (err instanceof AppError && err.code === 'flash_sold_out') {
          soldOut++;
          if (soldOutTime === undefined) {
            soldOutTime = performance.now();
            soldOutAt = mark();
            setTimeout(() => {
              refusalsFrom = mark();
            }, 1000);
          }
        } else {
          other++;
          if (other <= 3) console.error(err);
        }
      }
      attempts++;
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const end = await mark();
  await flashGateSettled();
  await meter.close();
  latencies.sort((a, b) => a - b);
  const phase = (from: Mark, to: Mark) => {
    const n = to.attempts - from.attempts;
    const per = (x: number) => (n > 0 ? Math.round((x / n) * 1000) / 1000 : null);
    return {
      attempts: n,
      seconds: round((to.t - from.t) / 1000),
      attemptsPerSecond: Math.round((n * 1000) / (to.t - from.t)),
      sqlPerAttempt: per(to.statements - from.statements),
      transactions: to.transactions - from.transactions,
      gateCallsPerAttempt: gate ? per(to.gateCalls - from.gateCalls) : null,
      cpuMsPerAttempt: {
        node: per(to.cpu.node - from.cpu.node),
        postgres: per(to.cpu.postgres - from.cpu.postgres),
      },
    };
  };
  const sellOut = soldOutAt ? await soldOutAt : end;
  const refusals = refusalsFrom ? await refusalsFrom : undefined;
  return {
    attempts,
    claims,
    refusedSoldOut: soldOut,
    otherErrors: other,
    elapsedSeconds: round((end.t - begin.t) / 1000),
    claimsPerSecond: Math.round((claims * 1000) / (sellOut.t - begin.t)),
    sale: phase(begin, sellOut),
    refusals: refusals && end.t > refusals.t ? phase(refusals, end) : null,
    attemptsPerSecond: Math.round((attempts * 1000) / (end.t - begin.t)),
    p50ms: round(percentile(latencies, 50)),
    p99ms: round(percentile(latencies, 99)),
  };
}

/** Oversold units and over-limit buyers, counted from the rows (each must be 0). */
async function audit(database: Database, saleId: string) {
  const sale = (await getFlashSale(database.db, saleId))!;
  const [c] = await database.db
    .select({
      units: sql<number>`coalesce(sum(${flashClaims.quantity}), 0)::int`,
      buyers: sql<number>`count(distinct ${flashClaims.buyerId})::int`,
    })
    .from(flashClaims)
    .where(eq(flashClaims.flashSaleId, saleId));
  const [over] = await database.db
    .select({ n: sql<number>`count(*)::int` })
    .from(flashBuyerTallies)
    .where(
      sql`${flashBuyerTallies.flashSaleId} = ${saleId} and ${flashBuyerTallies.taken} > ${sale.perBuyerLimit}`,
    );
  const [placed] = await database.db
    .select({ n: sql<number>`count(*)::int` })
    .from(flashClaims)
    .where(
      sql`${flashClaims.flashSaleId} = ${saleId} and exists (select 1 from orders o where o.id = ${flashClaims.orderId})`,
    );
  return {
    ordersPlaced: placed!.n,
    claimedUnits: c!.units,
    distinctBuyers: c!.buyers,
    quotaRowClaimed: sale.claimed,
    oversold: Math.max(0, c!.units - sale.quota),
    buyersOverLimit: over!.n,
  };
}

/** The gate's admission alone (one Lua call per attempt), on a scratch sale seeded in Redis. */
async function admitOnly(gate: RedisFlashGate, concurrency: number, quota: number) {
  const saleId = newId('flashbench');
  await gate.seed(saleId, { left: quota, perBuyerLimit: 1, taken: new Map(), ttlMs: 600_000 });
  let attempts = 0;
  let admitted = 0;
  const end = performance.now() + 5_000;
  const start = performance.now();
  const now = new Date();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const r = await gate.admit(
          saleId,
          { buyerId: newId('acct'), orderId: newId('ord'), quantity: 1 },
          now,
        );
        attempts++;
        if (r === 'ok') admitted++;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  await gate.forget(saleId);
  return { attempts, admitted, attemptsPerSecond: Math.round(attempts / elapsed) };
}

const round = (n: number) => Math.round(n * 100) / 100;

function print(r: Record<string, unknown>) {
  console.log(`\n== ${r.mode} ==`);
  for (const [k, v] of Object.entries(r))
    console.log(`  ${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`);
}
