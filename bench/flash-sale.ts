import { parseArgs } from 'node:util';
import { eq, sql } from 'drizzle-orm';
import { type Database, migrateDatabase, openDatabase } from '../src/db';
import { AppError } from '../src/kernel/errors';
import { newId } from '../src/kernel/ids';
import { RedisFlashGate } from '../src/modules/promotions/flash-gate';
import {
  claimFlashQuota,
  configureFlashGate,
  createFlashSale,
  flashGateSettled,
  getFlashSale,
} from '../src/modules/promotions/flash-sales';
import { flashBuyerTallies, flashClaims } from '../src/modules/promotions/flash-schema';
import { machine, makeBenchMarket, percentile, saveResult, scratchDatabase } from './lib';

/**
 * A flash-sale stampede on one hot SKU: `concurrency` buyers in a closed loop call claimFlashQuota,
 * each attempt in its own transaction on a PostgreSQL pool, as checkout will (the domain function
 * directly, in-process: there is no public claim route, and checkout's other work would only hide
 * the hot row). Every attempt is a new buyer (per-buyer limit 1), so the quota sells out and the rest
 * of the run is the stampede being refused. Run without and with the Redis gate (`--redis`, default
 * redis://127.0.0.1:6379), on a fresh sale each. Also times the gate's Lua admission alone.
 * Oversold units and buyers over their limit are counted from the database afterwards (must be 0).
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
      modes: { type: 'string', default: 'database,redis' },
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
      let gate: RedisFlashGate | undefined;
      if (mode === 'redis') {
        gate = await RedisFlashGate.connect(values.redis);
        configureFlashGate({
          gate,
          db: database.db,
          onError: (err, what) => console.error(`gate ${what}:`, err),
        });
      } else configureFlashGate(null);
      try {
        const saleId = await openSale(database, market.shopId, market.skuIds[i]!, quota);
        const r = await stampede(database, saleId, concurrency, seconds, after);
        await flashGateSettled();
        const check = await audit(database, saleId);
        const row = { mode, concurrency, quota, ...r, ...check };
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
    const file = saveResult('flash-sale', { machine: machine(), pool: Number(values.pool), results });
    console.log(`\nwritten to ${file}`);
  } finally {
    await database.close();
    await scratch.drop();
  }
}

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
 * Runs until the quota sells out and then `after` seconds more of buyers being refused (or `seconds`
 * in all). Attempts per second are given for the sale (until the last unit went), for the refusals
 * after it, and over the whole run.
 */
async function stampede(
  database: Database,
  saleId: string,
  concurrency: number,
  seconds: number,
  after: number,
) {
  let attempts = 0;
  let claims = 0;
  let soldOut = 0;
  let other = 0;
  let soldOutAt: number | undefined;
  let attemptsAtSellOut = 0;
  const latencies: number[] = [];
  const start = performance.now();
  const hardEnd = start + seconds * 1000;
  const running = () => {
    const t = performance.now();
    return t < hardEnd && (soldOutAt === undefined || t < soldOutAt + after * 1000);
  };
  const worker = async () => {
    while (running()) {
      const t0 = performance.now();
      try {
        await database.db.transaction((tx) =>
          claimFlashQuota(
            tx,
            { campaignId: saleId, buyerId: newId('acct'), quantity: 1, orderId: newId('ord') },
            new Date(),
          ),
        );
        claims++;
      } catch (err) {
        if (err instanceof AppError && err.code === 'flash_sold_out') {
          soldOut++;
          if (soldOutAt === undefined) {
            soldOutAt = performance.now();
            attemptsAtSellOut = attempts;
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
  const end = performance.now();
  const elapsed = (end - start) / 1000;
  latencies.sort((a, b) => a - b);
  const sellOut = soldOutAt === undefined ? elapsed : (soldOutAt - start) / 1000;
  const afterSeconds = soldOutAt === undefined ? 0 : (end - soldOutAt) / 1000;
  return {
    attempts,
    claims,
    refusedSoldOut: soldOut,
    otherErrors: other,
    elapsedSeconds: round(elapsed),
    sellOutSeconds: soldOutAt === undefined ? null : round(sellOut),
    claimsPerSecond: Math.round(claims / sellOut),
    attemptsPerSecondDuringSale: Math.round(
      (soldOutAt === undefined ? attempts : attemptsAtSellOut) / sellOut,
    ),
    attemptsPerSecondAfterSellOut:
      afterSeconds > 0 ? Math.round((attempts - attemptsAtSellOut) / afterSeconds) : null,
    attemptsPerSecond: Math.round(attempts / elapsed),
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
  return {
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
