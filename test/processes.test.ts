/**
 * Several server processes on one PostgreSQL (issue 8, part 2): three `jishi serve` processes on
 * their own ports, so each request goes to a chosen process, then `jishi serve --workers 3` itself.
 * PGlite is one process by nature, so everything but the refusal runs only on PostgreSQL.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db';
import { checkLedger } from '../src/modules/ledger';
import { ADDRESS, makeCategoryId, makeSeller, makeSku, type Seller } from '../src/modules/trade/testing';
import {
  freePort,
  type Http,
  http,
  OPERATOR,
  rows,
  type ServerProcess,
  startServe,
  testAppOn,
  waitFor,
} from './fixtures/servers';
import { freshDatabase, onPostgres, signUp, type TestContext } from './helpers';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function login(server: ServerProcess, who: { login: string; password: string }) {
  const r = await http(server.base).post('/auth/login', who);
  if (r.status !== 200) throw new Error(`login: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token as string;
}

/** Unpaid-close is 1,440 minutes for a normal order (governance defaults); one minute past it. */
const PAST_PAY_BY = { minutes: 1441 };

/** Order ids whose pay-by deadline rows, close events and reservation releases are each exactly one. */
async function expectClosedOnce(database: Database, orderIds: string[]) {
  const list = orderIds.map((id) => `'${id}'`).join(',');
  const statuses = await rows<{ status: string; n: number }>(
    database,
    `select status, count(*)::int as n from orders where id in (${list}) group by status`,
  );
  expect(statuses).toEqual([{ status: 'closed', n: orderIds.length }]);
  const closes = await rows<{ order_id: string; n: number }>(
    database,
    `select order_id, count(*)::int as n from order_events where to_status = 'closed' and order_id in (${list}) group by order_id`,
  );
  expect(closes).toHaveLength(orderIds.length);
  expect(closes.every((c) => c.n === 1)).toBe(true);
  const deadlines = await rows<{ status: string; n: number }>(
    database,
    `select status, count(*)::int as n from deadlines where kind = 'order.pay_by' and subject_id in (${list}) group by status`,
  );
  expect(deadlines).toEqual([{ status: 'done', n: orderIds.length }]);
  const releases = await rows<{ reservation_id: string; n: number }>(
    database,
    `select l.reservation_id, (select count(*)::int from stock_movements m where m.ref = l.reservation_id and m.reason = 'release') as n
       from order_lines l where l.order_id in (${list})`,
  );
  expect(releases.every((r) => r.n === 1)).toBe(true);
}

describe.skipIf(!onPostgres)('three server processes on one PostgreSQL', () => {
  let database: Database & { url?: string };
  let ctx: TestContext;
  let servers: ServerProcess[] = [];
  let seller: Seller;
  let categoryId: string;
  /** 45 buyers, each with a client on each process. */
  let buyers: { accountId: string; on: Http[] }[] = [];

  beforeAll(async () => {
    database = await freshDatabase({ poolSize: 8 });
    ctx = await testAppOn(database);
    // All three start at once on the same database, as a deployment's processes would.
    const ports = [await freePort(), await freePort(), await freePort()];
    servers = await Promise.all(ports.map((port) => startServe({ databaseUrl: database.url!, port })));
    seller = await makeSeller(ctx, 'market');
    categoryId = await makeCategoryId(ctx);
    const accounts = await Promise.all(Array.from({ length: 45 }, () => signUp(ctx)));
    buyers = accounts.map((a) => ({ accountId: a.accountId, on: servers.map((s) => http(s.base, a.token)) }));
  }, 120_000);

  afterAll(async () => {
    for (const s of servers) s.child.kill('SIGTERM');
    // A process that has not stopped 20 s after SIGTERM is killed, so a failure above is reported
    // as itself rather than as this hook's timeout.
    const killLate = setTimeout(() => {
      for (const s of servers) if (s.child.exitCode === null) s.child.kill('SIGKILL');
    }, 20_000);
    await Promise.all(servers.map((s) => s.exited));
    clearTimeout(killLate);
    await ctx?.close();
    await database?.close();
  }, 60_000);

  it('an Idempotency-Key holds across processes: replayed on another, 409 with another body', async () => {
    const { skuId } = await makeSku(seller, categoryId, { stock: 50 });
    const [p1, p2, p3] = buyers[0]!.on as [Http, Http, Http];
    const key = { 'idempotency-key': 'add-once-7f3a' };
    const first = await p1.post('/cart/items', { skuId, quantity: 1 }, key);
    expect(first.status).toBe(200);
    const again = await p2.post('/cart/items', { skuId, quantity: 1 }, key);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    const other = await p3.post('/cart/items', { skuId, quantity: 2 }, key);
    expect(other.status).toBe(409);
    expect(other.headers.get('content-type')).toContain('application/problem+json');
    // Only the first request added anything.
    const cart = await p3.get('/cart');
    expect(JSON.stringify(cart.body)).toContain(skuId);
    const lines = await rows<{ quantity: number }>(
      database,
      `select quantity from cart_items where buyer_id = '${buyers[0]!.accountId}'`,
    );
    expect(lines).toEqual([{ quantity: 1 }]);

    // The same checkout sent to all three processes at the same moment makes one order; all three
    // answers are that order.
    const checkoutKey = { 'idempotency-key': 'checkout-once-91c2' };
    const answers = await Promise.all(
      [p1, p2, p3].map((p) => p.post('/checkout', { address: ADDRESS }, checkoutKey)),
    );
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
    expect(answers[1]!.body).toEqual(answers[0]!.body);
    expect(answers[2]!.body).toEqual(answers[0]!.body);
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(2);
    const orders = await rows<{ n: number }>(
      database,
      `select count(*)::int as n from orders where buyer_id = '${buyers[0]!.accountId}'`,
    );
    expect(orders).toEqual([{ n: 1 }]);
  });

  it('a stampede of 45 buyers through three processes on a SKU with 12 units sells exactly 12', async () => {
    const stock = 12;
    const { skuId } = await makeSku(seller, categoryId, { stock, price: 4_900 });
    // Every buyer's cart goes through one process and the checkout through another, all at once.
    const results = await Promise.all(
      buyers.map(async (b, i) => {
        const cart = await b.on[i % 3]!.post('/cart/items', { skuId, quantity: 1 });
        if (cart.status !== 200) return { status: cart.status, body: cart.body };
        const co = await b.on[(i + 1) % 3]!.post('/checkout', { address: ADDRESS, skuIds: [skuId] });
        return { status: co.status, body: co.body, buyer: b, i };
      }),
    );
    const sold = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status !== 201);
    expect(sold).toHaveLength(stock);
    // Every loser is told the stock ran out (409 insufficient_stock), never a server error.
    expect(
      refused
        .filter((r) => r.status !== 409 || (r.body as { code?: string }).code !== 'insufficient_stock')
        .map((r) => [r.status, r.body]),
    ).toEqual([]);
    const [level] = await rows<{ on_hand: number; reserved: number }>(
      database,
      `select on_hand, reserved from stock where sku_id = '${skuId}'`,
    );
    expect(level).toEqual({ on_hand: stock, reserved: stock });
    const lines = await rows<{ n: number }>(
      database,
      `select coalesce(sum(quantity), 0)::int as n from order_lines where sku_id = '${skuId}'`,
    );
    expect(lines).toEqual([{ n: stock }]);

    // The winners pay, each through yet another process; the sandbox's callbacks are deadlines the
    // three sweepers share, and each is applied once.
    const paymentIds = sold.map((r) => (r.body as { payment: { id: string } }).payment.id);
    const pays = await Promise.all(
      sold.map((r, k) => r.buyer!.on[(r.i! + 2) % 3]!.post(`/payments/${paymentIds[k]}/pay`)),
    );
    expect(pays.map((p) => p.status)).toEqual(paymentIds.map(() => 200));
    const list = paymentIds.map((id) => `'${id}'`).join(',');
    await waitFor('the sandbox callbacks', async () => {
      const [r] = await rows<{ n: number }>(
        database,
        `select count(*)::int as n from payments where id in (${list}) and status = 'succeeded'`,
      );
      return r!.n === stock;
    });
    const notes = await rows<{ payment_id: string; n: number }>(
      database,
      `select payment_id, count(*)::int as n from payment_notifications where payment_id in (${list}) group by payment_id`,
    );
    expect(notes).toHaveLength(stock);
    expect(notes.every((n) => n.n === 1)).toBe(true);
    const ledger = await rows<{ n: number }>(
      database,
      `select count(*)::int as n from ledger_transactions where kind = 'payment' and ref in (${list})`,
    );
    expect(ledger).toEqual([{ n: stock }]);
    expect(await checkLedger(database.db)).toEqual([]);
  });

  it('every unpaid order closes exactly once when the shared clock passes pay-by', async () => {
    const { skuId } = await makeSku(seller, categoryId, { stock: 1_000 });
    // Two orders per buyer, placed through the three processes in turn: 90 unpaid orders.
    const orderIds: string[] = [];
    for (let round = 0; round < 2; round++) {
      const placed = await Promise.all(
        buyers.map(async (b, i) => {
          const p = b.on[(i + round) % 3]!;
          const cart = await p.post('/cart/items', { skuId, quantity: 1 });
          expect(cart.status).toBe(200);
          const co = await p.post('/checkout', { address: ADDRESS, skuIds: [skuId] });
          expect(co.status).toBe(201);
          return co.body.orders[0].id as string;
        }),
      );
      orderIds.push(...placed);
    }
    const [level] = await rows<{ reserved: number }>(
      database,
      `select reserved from stock where sku_id = '${skuId}'`,
    );
    expect(level!.reserved).toBe(90);

    // The operator moves the shared clock through one process (which sweeps as it goes) while the
    // other two processes' schedulers pick up the same due rows.
    const operator = http(servers[0]!.base, await login(servers[0]!, OPERATOR));
    const moved = await operator.post('/admin/clock/advance', PAST_PAY_BY);
    expect(moved.status).toBe(200);
    await waitFor('the pay-by deadlines', async () => {
      const [r] = await rows<{ n: number }>(
        database,
        `select count(*)::int as n from deadlines where kind = 'order.pay_by' and status = 'pending'`,
      );
      return r!.n === 0;
    });
    await expectClosedOnce(database, orderIds);
    const [after] = await rows<{ on_hand: number; reserved: number }>(
      database,
      `select on_hand, reserved from stock where sku_id = '${skuId}'`,
    );
    expect(after).toEqual({ on_hand: 1_000, reserved: 0 });
    // The stampede's orders were paid before the clock moved: they stay paid, holding their units.
    const [paid] = await rows<{ n: number }>(
      database,
      `select count(*)::int as n from orders where status = 'paid'`,
    );
    expect(paid!.n).toBe(12);
    expect(await checkLedger(database.db)).toEqual([]);
  });
});

describe('jishi serve --workers', () => {
  it('refuses the embedded PGlite database, naming PostgreSQL', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, JISHI_DATA_DIR: 'memory://' };
    delete env.DATABASE_URL;
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve', '--workers', '3'], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('needs PostgreSQL');
    expect(r.stderr).toContain('DATABASE_URL');
  });

  it('refuses a worker count that is not a whole number from 1 to 64', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve', '--workers', 'lots'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--workers');
  });

  it.skipIf(!onPostgres)(
    'runs three workers that share deadlines, restarts one that dies, and stops on SIGTERM',
    async () => {
      const database = await freshDatabase({ poolSize: 4 });
      const ctx = await testAppOn(database);
      let server: ServerProcess | undefined;
      let passed = false;
      try {
        server = await startServe({ databaseUrl: database.url!, port: await freePort(), workers: 3 });
        // The primary says when each worker is up and listening on the shared port.
        const listening = () =>
          [...server!.output().matchAll(/worker (\d+) listening/g)].map((m) => Number(m[1]));
        await waitFor('three workers listening', async () => listening().length === 3, 60_000);

        // A worker killed outright: the other two keep answering on the port while it is replaced.
        const [victim] = listening();
        process.kill(victim!, 'SIGKILL');
        await waitFor('the primary to see the worker die', async () =>
          server!.output().includes(`worker ${victim} exited (SIGKILL)`),
        );
        expect((await fetch(`${server.base}/health`)).status).toBe(200);
        await waitFor('a replacement worker', async () => listening().length === 4, 60_000);
        expect(listening().slice(3)).not.toContain(victim);

        // Unpaid orders placed through the shared port close once each, swept by the workers.
        const seller = await makeSeller(ctx, 'market');
        const { skuId } = await makeSku(seller, await makeCategoryId(ctx), { stock: 100 });
        const accounts = await Promise.all(Array.from({ length: 15 }, () => signUp(ctx)));
        const orderIds = await Promise.all(
          accounts.map(async (a) => {
            const p = http(server!.base, a.token);
            expect((await p.post('/cart/items', { skuId, quantity: 2 })).status).toBe(200);
            const co = await p.post('/checkout', { address: ADDRESS });
            expect(co.status).toBe(201);
            return co.body.orders[0].id as string;
          }),
        );
        // The clock moves in the database alone: only the workers' schedulers can close the orders.
        await database.db.execute(
          `update clock_state set now = now + interval '${PAST_PAY_BY.minutes} minutes' where id = 1`,
        );
        await waitFor('the workers to close the unpaid orders', async () => {
          const [r] = await rows<{ n: number }>(
            database,
            `select count(*)::int as n from orders where status = 'closed'`,
          );
          return r!.n === orderIds.length;
        });
        await expectClosedOnce(database, orderIds);
        const [level] = await rows<{ reserved: number }>(
          database,
          `select reserved from stock where sku_id = '${skuId}'`,
        );
        expect(level!.reserved).toBe(0);

        // SIGTERM to the primary stops every worker and then the primary, cleanly.
        const alive = listening().filter((pid) => pid !== victim);
        server.child.kill('SIGTERM');
        expect(await server.exited).toEqual({ code: 0, signal: null });
        for (const pid of alive) expect(() => process.kill(pid, 0)).toThrow();
        expect(server.output()).toContain('stopped');
        passed = true;
      } finally {
        // What the primary and its workers said is the first thing to read when this fails.
        if (!passed && server) console.error(server.output());
        if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
        await ctx.close();
        await database.close();
      }
    },
    180_000,
  );
});
