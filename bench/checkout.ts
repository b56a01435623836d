import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { migrateDatabase, openDatabase } from '../src/db';
import { machine, makeBenchMarket, percentile, saveResult, scratchDatabase, startServer } from './lib';

/**
 * The full HTTP checkout-and-pay flow, as BENCHMARKS.md measures the peers: each checkout is one
 * unit bought by a buyer with an empty cart (add to cart -> checkout -> pay), C buyers in a closed
 * loop against one server process on PostgreSQL (or `--workers N` of them behind one port); latency
 * is the three calls together.
 */
export async function main(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      concurrency: { type: 'string', default: '16,64,256' },
      seconds: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '3' },
      buyers: { type: 'string', default: '4000' },
      port: { type: 'string', default: '3999' },
      workers: { type: 'string', default: '1' },
    },
  });
  const levels = values.concurrency.split(',').map(Number);
  const seconds = Number(values.seconds);
  const port = Number(values.port);
  const scratch = await scratchDatabase('jishi_bench');
  const database = await openDatabase({ databaseUrl: scratch.url, poolSize: 10 });
  try {
    await migrateDatabase(database);
    const buyerCount = Number(values.buyers);
    const fixture = await makeBenchMarket(
      database,
      { skus: 8, stock: 10_000_000, buyers: buyerCount },
      new Date(),
    );
    const tokens = fixture.tokens;

    const workers = Number(values.workers);
    const server = await startServer(
      { DATABASE_URL: scratch.url, JISHI_SCHEDULER_INTERVAL_MS: '50' },
      port,
      workers > 1 ? ['--workers', String(workers)] : [],
    );
    const results = [];
    let drainSeconds = 0;
    let outboxDrainSeconds = 0;
    let outboxBehind = 0;
    let cpuWithConsumers: CpuSnapshot | undefined;
    const cpuStart = await cpuSnapshot(database, server.pid);
    let cpuEnd: CpuSnapshot | undefined;
    // The pool closes idle backends (their CPU time goes with them): look at them every second.
    const backendsSeen = new Map(cpuStart.backends);
    const sampler = setInterval(() => {
      cpuSnapshot(database, server.pid)
        .then((s) => {
          for (const [pid, seconds] of s.backends) backendsSeen.set(pid, seconds);
        })
        .catch(() => {});
    }, 1000);
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
      cpuEnd = await cpuSnapshot(database, server.pid);
      for (const [pid, seconds] of cpuEnd.backends) backendsSeen.set(pid, seconds);
      cpuEnd.backends = new Map(backendsSeen);
      // The outbox consumers (rankings, data bank) handle each order.paid in the server too, but the
      // scheduler reaches them only between sweeps, so under load they fall behind and most of their
      // work would happen after the figure above. Wait until every consumer has passed the last event
      // and give a second figure with their work in it.
      const outboxStart = performance.now();
      while (performance.now() - outboxStart < 120_000) {
        outboxBehind = await consumersBehind(database);
        if (outboxBehind === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      outboxDrainSeconds = (performance.now() - outboxStart) / 1000;
      cpuWithConsumers = await cpuSnapshot(database, server.pid);
      for (const [pid, seconds] of cpuWithConsumers.backends) backendsSeen.set(pid, seconds);
      cpuWithConsumers.backends = backendsSeen;
    } finally {
      clearInterval(sampler);
      // Stopped before its database is dropped below.
      const exited = new Promise((resolve) => server.once('exit', resolve));
      if (server.exitCode === null && server.signalCode === null) {
        server.kill('SIGTERM');
        await exited;
      }
    }
    const statuses = await database.db.execute(
      `select status, count(*)::int as n from orders group by status order by status`,
    );
    const ordersPlaced = (statuses as unknown as { rows: { n: number }[] }).rows.reduce((s, r) => s + r.n, 0);
    const cpu = cpuEnd ? cpuPerCheckout(cpuStart, cpuEnd, ordersPlaced) : undefined;
    const cpuAll = cpuWithConsumers ? cpuPerCheckout(cpuStart, cpuWithConsumers, ordersPlaced) : undefined;
    const summary = {
      bench: 'checkout',
      date: new Date().toISOString(),
      machine: machine(),
      conditions: `${workers > 1 ? `jishi serve --workers ${workers}` : 'one server process'} on PostgreSQL (${scratch.url.replace(/\/\/.*@/, '//')}), load generator in another process on the same machine, closed loop, 1 unit per checkout, ${buyerCount} buyers`,
      workers,
      levels: results,
      callbackDrainSeconds: drainSeconds,
      cpuMsPerCheckout: cpu,
      outboxDrainSeconds,
      outboxEventsBehindAtEnd: outboxBehind,
      cpuMsPerCheckoutWithConsumers: cpuAll,
      ordersByStatus: (statuses as unknown as { rows: { status: string; n: number }[] }).rows,
    };
    for (const r of results) {
      console.log(
        `C=${String(r.concurrency).padStart(3)}  ${r.ordersPerSecond.toFixed(1)} checkouts/s  p50 ${r.p50Ms.toFixed(1)} ms  p95 ${r.p95Ms.toFixed(1)} ms  p99 ${r.p99Ms.toFixed(1)} ms  errors ${r.errors}`,
      );
    }
    if (cpu) {
      console.log(
        `CPU per checkout (warm-up and callbacks included): server ${cpu.server.toFixed(2)} ms, PostgreSQL ${cpu.postgres.toFixed(2)} ms, load generator ${cpu.loadGenerator.toFixed(2)} ms, total ${cpu.total.toFixed(2)} ms`,
      );
    }
    if (cpuAll) {
      console.log(
        `CPU per checkout with the outbox consumers caught up (${outboxDrainSeconds.toFixed(1)} s later${outboxBehind ? `, still ${outboxBehind} events behind` : ''}): server ${cpuAll.server.toFixed(2)} ms, PostgreSQL ${cpuAll.postgres.toFixed(2)} ms, load generator ${cpuAll.loadGenerator.toFixed(2)} ms, total ${cpuAll.total.toFixed(2)} ms`,
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

/** How many outbox events the furthest-behind consumer has yet to pass (0: every one caught up). */
async function consumersBehind(database: Awaited<ReturnType<typeof openDatabase>>): Promise<number> {
  const r = await database.db.execute(
    `select coalesce(max((select count(*) from outbox_events e
        where (e.tx_id, e.id) > (c.position_tx, c.position_id))), 0)::int as n
       from outbox_consumers c`,
  );
  return (r as unknown as { rows: { n: number }[] }).rows[0]?.n ?? 0;
}

/**
 * CPU time used by the server's processes, this database's PostgreSQL backends and this process
 * (the load generator), read from /proc: where the two cores go, per checkout. Linux only.
 */
interface CpuSnapshot {
  server: number;
  backends: Map<number, number>;
  loadGenerator: number;
}

// USER_HZ, the unit of /proc/<pid>/stat times, is 100 on every Linux architecture Node runs on.
const TICKS_PER_SECOND = 100;

function procStat(pid: number): { ppid: number; cpuSeconds: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      ppid: Number(fields[1]),
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
    };
  } catch {
    return undefined; // the process has ended
  }
}

async function cpuSnapshot(
  database: Awaited<ReturnType<typeof openDatabase>>,
  serverPid: number | undefined,
): Promise<CpuSnapshot> {
  const usage = process.cpuUsage();
  const loadGenerator = (usage.user + usage.system) / 1e6;
  if (!existsSync('/proc/self/stat') || serverPid === undefined) {
    return { server: 0, backends: new Map(), loadGenerator };
  }
  // The server and, with --workers, its children.
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const ppid = procStat(pid)?.ppid;
    if (ppid !== undefined) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  let server = 0;
  const todo = [serverPid];
  while (todo.length) {
    const pid = todo.pop() as number;
    server += procStat(pid)?.cpuSeconds ?? 0;
    todo.push(...(children.get(pid) ?? []));
  }
  const r = await database.db.execute(
    `select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
  );
  const backends = new Map<number, number>();
  for (const { pid } of (r as unknown as { rows: { pid: number }[] }).rows) {
    const s = procStat(pid);
    if (s) backends.set(pid, s.cpuSeconds);
  }
  return { server, backends, loadGenerator };
}

function cpuPerCheckout(start: CpuSnapshot, end: CpuSnapshot, checkouts: number) {
  if (end.server === 0 || checkouts === 0) return undefined;
  let postgres = 0;
  // A backend that began during the run counts from zero; one that ended counts up to its last sample.
  for (const [pid, seconds] of end.backends) postgres += seconds - (start.backends.get(pid) ?? 0);
  const perCheckout = (seconds: number) => (seconds * 1000) / checkouts;
  const server = perCheckout(end.server - start.server);
  const pg = perCheckout(postgres);
  const loadGenerator = perCheckout(end.loadGenerator - start.loadGenerator);
  return { server, postgres: pg, loadGenerator, total: server + pg + loadGenerator };
}
