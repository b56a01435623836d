import { parseArgs } from 'node:util';
import pg from 'pg';
import { buildApp } from '../src/app';
import { loadConfig } from '../src/config';
import { migrateDatabase, openDatabase } from '../src/db';
import { SystemClock } from '../src/kernel/clock';
import { sweepDeadlines } from '../src/kernel/scheduler';
import { signPayload } from '../src/modules/trade/signatures';
import { machine, makeBenchMarket, saveResult, scratchDatabase } from './lib';

/**
 * SQL statements per API call on the hot paths, counted at the PostgreSQL client: every statement
 * the server sends (BEGIN, COMMIT and SAVEPOINT included, as each is a round trip). The server is
 * in this process (buildApp on a scratch PostgreSQL database, the system clock, no idempotency key)
 * so nothing else talks to the database while a call is counted. Each path runs once to warm up and
 * then `--runs` times; a path whose most statements exceed its budget fails the benchmark.
 *
 * Budgets (the statements each path must make, with some room; justified in bench/RESULTS.md).
 */
export const BUDGETS: Record<string, number> = {
  // 7: the upsert of the line and the cart's lines after it are one statement.
  'add to cart': 8,
  checkout: 16,
  // 5: the sandbox's callback deadline is written with the payment's move to processing.
  pay: 6,
  // 13 and 19: one read of the ship-by facts (campaign and lines' promises) per payment, and the
  // flash claims sold with the coupons used in one statement.
  'callback (provider HTTP)': 14,
  'callback (sandbox deadline sweep)': 20,
  ship: 10,
  'pick-up': 13,
};

interface Sample {
  statements: number;
  transactionControl: number;
  texts: string[];
}

let counting = false;
let seen: string[] = [];
// pg.Pool runs its queries through pg.Client too, so this sees every statement of both.
const clientQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  if (counting) {
    const first = args[0] as string | { text?: string };
    seen.push(typeof first === 'string' ? first : (first?.text ?? '?'));
  }
  return (clientQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof clientQuery;

async function count(fn: () => Promise<void>): Promise<Sample> {
  seen = [];
  counting = true;
  try {
    await fn();
  } finally {
    counting = false;
  }
  const control = seen.filter((t) => /^\s*(begin|commit|rollback|savepoint|release savepoint)/i.test(t));
  return { statements: seen.length, transactionControl: control.length, texts: seen };
}

export async function main(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: { runs: { type: 'string', default: '6' }, verbose: { type: 'boolean', default: false } },
  });
  const runs = Number(values.runs);
  const scratch = await scratchDatabase('jishi_queries');
  const database = await openDatabase({ databaseUrl: scratch.url, poolSize: 4 });
  try {
    await migrateDatabase(database);
    const clock = new SystemClock();
    const market = await makeBenchMarket(database, { skus: 2, stock: 1_000, buyers: runs + 1 }, clock.now());
    const config = { ...loadConfig({}), logLevel: 'silent', schedulerIntervalMs: 0 };
    const app = await buildApp({ config, database, clock, logger: false });
    await app.ready();
    const inject = async (
      method: 'POST',
      url: string,
      opts: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> },
    ) => {
      const res = await app.inject({
        method,
        url: `/api/v1${url}`,
        payload: opts.raw ?? (opts.body as object),
        headers: {
          'content-type': 'application/json',
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          ...opts.headers,
        },
      });
      if (res.statusCode >= 300) throw new Error(`${url} -> ${res.statusCode} ${res.body}`);
      return JSON.parse(res.body);
    };
    const signed = (url: string, body: unknown) => {
      const raw = JSON.stringify(body);
      return inject('POST', url, {
        raw,
        headers: { 'x-jishi-signature': signPayload(config.sandboxSecret, raw, clock.now()) },
      });
    };

    const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(BUDGETS).map((k) => [k, []]));
    const address = {
      name: '张三',
      phone: '13800138000',
      region: '浙江省杭州市余杭区',
      line: '文一西路 969 号',
    };
    // Run 0 warms up (first ledger accounts of the shop, caches); runs 1..n are counted.
    for (let run = 0; run <= runs; run++) {
      const token = market.tokens[run] as string;
      const record = (path: string, s: Sample) => {
        if (run > 0) samples[path]!.push(s);
      };
      const skuId = market.skuIds[run % 2] as string;
      record(
        'add to cart',
        await count(() => inject('POST', '/cart/items', { token, body: { skuId, quantity: 1 } })),
      );
      let co: { orders: { id: string }[]; payment: { id: string } } | undefined;
      record(
        'checkout',
        await count(async () => {
          co = await inject('POST', '/checkout', { token, body: { address } });
        }),
      );
      const paymentId = co!.payment.id;
      const orderId = co!.orders[0]!.id;
      record('pay', await count(() => inject('POST', `/payments/${paymentId}/pay`, { token, body: {} })));
      if (run % 2 === 0) {
        // The provider's own HTTP notification; the sandbox's durable one then finds it applied.
        const r = await database.db.execute(
          `select charge_id, amount from payments where id = '${paymentId}'`,
        );
        const p = (r as unknown as { rows: { charge_id: string; amount: number }[] }).rows[0]!;
        record(
          'callback (provider HTTP)',
          await count(() =>
            signed('/payments/callbacks/sandbox', {
              provider: 'sandbox',
              paymentId,
              chargeId: p.charge_id,
              amount: p.amount,
              status: 'succeeded',
              at: clock.now().toISOString(),
            }),
          ),
        );
        await sweepDeadlines(database.db, clock);
      } else {
        record(
          'callback (sandbox deadline sweep)',
          await count(async () => {
            const n = await sweepDeadlines(database.db, clock);
            if (n !== 1) throw new Error(`expected one due deadline, swept ${n}`);
          }),
        );
      }
      const trackingNo = `SB${Date.now()}${run}`;
      record(
        'ship',
        await count(() =>
          inject('POST', `/seller/shops/${market.shopId}/orders/${orderId}/shipments`, {
            token: market.ownerToken,
            body: { carrier: 'sandbox', trackingNo },
          }),
        ),
      );
      record(
        'pick-up',
        await count(() =>
          signed('/logistics/events', {
            carrier: 'sandbox',
            trackingNo,
            event: 'picked_up',
            at: clock.now().toISOString(),
          }),
        ),
      );
    }
    await app.close();

    const paths = Object.entries(samples).map(([path, list]) => {
      const counts = list.map((s) => s.statements).sort((a, b) => a - b);
      const most = counts[counts.length - 1] ?? 0;
      return {
        path,
        runs: list.length,
        min: counts[0] ?? 0,
        max: most,
        transactionControl: list[0]?.transactionControl ?? 0,
        budget: BUDGETS[path] as number,
        withinBudget: most <= (BUDGETS[path] as number),
        statements: values.verbose ? list[0]?.texts : undefined,
      };
    });
    console.log('SQL statements per API call (BEGIN/COMMIT/SAVEPOINT included):');
    for (const p of paths) {
      console.log(
        `  ${p.path.padEnd(34)} ${String(p.min === p.max ? p.max : `${p.min}-${p.max}`).padStart(5)}  (of which ${p.transactionControl} transaction control)  budget ${p.budget}  ${p.withinBudget ? 'ok' : 'OVER BUDGET'}`,
      );
      if (values.verbose)
        for (const t of p.statements ?? []) console.log(`      ${t.replace(/\s+/g, ' ').slice(0, 160)}`);
    }
    const file = saveResult('queries', {
      bench: 'queries',
      date: new Date().toISOString(),
      machine: machine(),
      conditions: `in-process server (buildApp) on PostgreSQL, system clock, no Idempotency-Key, one market shop, ${runs} counted runs per path after one warm-up`,
      paths,
    });
    console.log(`written to ${file}`);
    const over = paths.filter((p) => !p.withinBudget);
    if (over.length) {
      console.error(`over budget: ${over.map((p) => `${p.path} ${p.max} > ${p.budget}`).join(', ')}`);
      process.exitCode = 1;
    }
  } finally {
    await database.close();
    await scratch.drop();
  }
}
