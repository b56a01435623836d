import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { loadConfig } from '../src/config';
import { migrateDatabase, openDatabase } from '../src/db';
import { newId } from '../src/kernel/ids';
import { createCategory, createProduct, publishProduct } from '../src/modules/catalog';
import { ensureDefaultRuleSets } from '../src/modules/governance';
import { createAccount, hashPassword, openSession } from '../src/modules/identity';
import { accounts } from '../src/modules/identity/schema';
import { createWarehouse } from '../src/modules/inventory';
import { payDeposit, submitApplication } from '../src/modules/merchants';
import { machine, percentile, saveResult, scratchDatabase, startServer } from './lib';

/**
 * The full HTTP checkout-and-pay flow, as BENCHMARKS.md measures the peers: each checkout is one
 * unit bought by a buyer with an empty cart (add to cart -> checkout -> pay), C buyers in a closed
 * loop against one server process on PostgreSQL; latency is the three calls together.
 */
export async function main(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      concurrency: { type: 'string', default: '16,64' },
      seconds: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '3' },
      buyers: { type: 'string', default: '4000' },
      port: { type: 'string', default: '3999' },
    },
  });
  const levels = values.concurrency.split(',').map(Number);
  const seconds = Number(values.seconds);
  const port = Number(values.port);
  const scratch = await scratchDatabase('jishi_bench');
  const database = await openDatabase({ databaseUrl: scratch.url, poolSize: 10 });
  try {
    await migrateDatabase(database);
    const now = new Date();
    await ensureDefaultRuleSets(database.db, now);
    const config = loadConfig();
    const fixture = await database.db.transaction(async (tx) => {
      const owner = await createAccount(
        tx,
        { login: 'bench_owner', password: 'bench-pass-1', displayName: '压测店主' },
        now,
      );
      const app = await submitApplication(
        tx,
        {
          kind: 'market',
          shopName: '压测小店',
          realName: '压测',
          idNumber: '11010519491231002X',
          depositPlan: 'insurance',
          applicantAccountId: owner.id,
          identitySecret: config.identitySecret,
        },
        now,
      );
      const shopId = app.shopId as string;
      await payDeposit(tx, shopId, now);
      const warehouse = await createWarehouse(tx, shopId, { name: '压测仓', region: '浙江杭州' }, now);
      const category = await createCategory(tx, { nameZh: '压测类目', nameEn: 'Bench', slug: 'bench' }, now);
      const skuIds: string[] = [];
      for (let i = 0; i < 8; i++) {
        const p = await createProduct(
          tx,
          shopId,
          {
            title: `压测商品 ${i} 蓝牙耳机`,
            categoryId: category.id,
            skus: [
              {
                code: `B${i}`,
                price: 9900 + i,
                stock: [{ warehouseId: warehouse.id, quantity: 10_000_000 }],
              },
            ],
          },
          now,
        );
        await publishProduct(tx, shopId, p.id, now);
        skuIds.push(p.skus[0]!.id);
      }
      return { shopId, skuIds };
    });
    // Buyers are made directly (one password hash shared) so setting up thousands takes seconds.
    const hash = await hashPassword('bench-pass-1');
    const buyerCount = Number(values.buyers);
    const tokens: string[] = [];
    await database.db.transaction(async (tx) => {
      const rows = Array.from({ length: buyerCount }, (_, i) => ({
        id: newId('acct'),
        login: `bench_buyer_${i}`,
        displayName: `买家${i}`,
        passwordHash: hash,
        createdAt: now,
      }));
      for (let i = 0; i < rows.length; i += 1000) await tx.insert(accounts).values(rows.slice(i, i + 1000));
      for (const row of rows) {
        tokens.push(
          (
            await openSession(
              tx,
              { ...row, locale: 'zh-CN', isOperator: false, status: 'active' },
              { sessionDays: 1 },
              now,
            )
          ).token,
        );
      }
    });

    const server = await startServer({ DATABASE_URL: scratch.url, JISHI_SCHEDULER_INTERVAL_MS: '50' }, port);
    const results = [];
    let drainSeconds = 0;
    try {
      for (const c of levels)
        results.push(await runLevel(port, c, seconds, Number(values.warmup), tokens, fixture.skuIds));
      // The sandbox provider's callbacks arrive through the deadline sweeper; wait until every one is applied.
      const drainStart = performance.now();
      while (performance.now() - drainStart < 120_000) {
        const r = await database.db.execute(
          `select count(*)::int as n from payments where status = 'processing'`,
        );
        if ((r as unknown as { rows: { n: number }[] }).rows[0]?.n === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      drainSeconds = (performance.now() - drainStart) / 1000;
    } finally {
      server.kill('SIGTERM');
    }
    const statuses = await database.db.execute(
      `select status, count(*)::int as n from orders group by status order by status`,
    );
    const summary = {
      bench: 'checkout',
      date: new Date().toISOString(),
      machine: machine(),
      conditions: `one server process on PostgreSQL (${scratch.url.replace(/\/\/.*@/, '//')}), load generator in another process on the same machine, closed loop, 1 unit per checkout, ${buyerCount} buyers`,
      levels: results,
      callbackDrainSeconds: drainSeconds,
      ordersByStatus: (statuses as unknown as { rows: { status: string; n: number }[] }).rows,
    };
    for (const r of results) {
      console.log(
        `C=${String(r.concurrency).padStart(3)}  ${r.ordersPerSecond.toFixed(1)} checkouts/s  p50 ${r.p50Ms.toFixed(1)} ms  p95 ${r.p95Ms.toFixed(1)} ms  p99 ${r.p99Ms.toFixed(1)} ms  errors ${r.errors}`,
      );
    }
    console.log('orders by status:', summary.ordersByStatus.map((s) => `${s.status} ${s.n}`).join(', '));
    console.log(`written to ${saveResult('checkout', summary)}`);
  } finally {
    await database.close();
    await scratch.drop();
  }
}

async function runLevel(
  port: number,
  concurrency: number,
  seconds: number,
  warmup: number,
  tokens: string[],
  skuIds: string[],
) {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: concurrency, pipelining: 1 });
  let next = 0;
  let errors = 0;
  const latencies: number[] = [];
  const firstErrors: string[] = [];
  const call = async (token: string, method: 'POST', path: string, body: unknown) => {
    const r = await pool.request({
      method,
      path: `/api/v1${path}`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await r.body.text();
    if (r.statusCode >= 300) throw new Error(`${path} -> ${r.statusCode} ${text.slice(0, 200)}`);
    return JSON.parse(text);
  };
  const checkoutOnce = async () => {
    const token = tokens[next++ % tokens.length] as string;
    const skuId = skuIds[next % skuIds.length] as string;
    const started = performance.now();
    await call(token, 'POST', '/cart/items', { skuId, quantity: 1 });
    const order = await call(token, 'POST', '/checkout', {
      address: { name: '张三', phone: '13800138000', region: '浙江省杭州市余杭区', line: '文一西路 969 号' },
    });
    await call(token, 'POST', `/payments/${order.payment.id}/pay`, {});
    return performance.now() - started;
  };
  const loop = async (until: number, record: boolean) => {
    while (performance.now() < until) {
      try {
        const ms = await checkoutOnce();
        if (record) latencies.push(ms);
      } catch (e) {
        if (record) errors++;
        if (firstErrors.length < 3) firstErrors.push(String(e));
      }
    }
  };
  const warmEnd = performance.now() + warmup * 1000;
  await Promise.all(Array.from({ length: concurrency }, () => loop(warmEnd, false)));
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, () => loop(end, true)));
  const elapsed = (performance.now() - start) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  if (firstErrors.length) console.error(`C=${concurrency} first errors:\n  ${firstErrors.join('\n  ')}`);
  return {
    concurrency,
    seconds: elapsed,
    checkouts: latencies.length,
    errors,
    ordersPerSecond: latencies.length / elapsed,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
  };
}
