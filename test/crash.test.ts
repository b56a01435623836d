/**
 * Crash safety (issue 8, part 3): checkout-and-pay load over HTTP against a `jishi serve` process on
 * PostgreSQL, SIGKILL in the middle of it, a restart, and the unpaid-close deadline passed. What was
 * acknowledged must be there, each payment applied once, no unit left reserved by a closed order,
 * and the ledger balanced. PostgreSQL only: the embedded PGlite lives inside the process killed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db';
import { checkLedger } from '../src/modules/ledger';
import { signPayload } from '../src/modules/trade/signatures';
import { ADDRESS, makeCategoryId, makeSeller, makeSku } from '../src/modules/trade/testing';
import {
  freePort,
  http,
  OPERATOR,
  rows,
  type ServerProcess,
  startServe,
  testAppOn,
  waitFor,
} from './fixtures/servers';
import { freshDatabase, onPostgres, signUp, type TestContext } from './helpers';

const STOCK = 5_000;
const BUYERS = 24;

describe.skipIf(!onPostgres)('crash safety: a server killed with SIGKILL mid-load', () => {
  let database: Database & { url?: string };
  let ctx: TestContext;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    database = await freshDatabase({ poolSize: 4 });
    ctx = await testAppOn(database);
  });
  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await ctx?.close();
    await database?.close();
  });

  it('keeps every acknowledged order and payment, applies each payment once and frees every unpaid unit', async () => {
    const seller = await makeSeller(ctx, 'market');
    const categoryId = await makeCategoryId(ctx);
    const skus = [
      (await makeSku(seller, categoryId, { stock: STOCK, price: 12_900 })).skuId,
      (await makeSku(seller, categoryId, { stock: STOCK, price: 3_500 })).skuId,
    ];
    const buyers = await Promise.all(Array.from({ length: BUYERS }, () => signUp(ctx)));
    const port = await freePort();
    // The first process never reaches its first scheduler tick, so every acknowledged payment's
    // sandbox callback is still an undelivered durable deadline when the process dies.
    server = await startServe({
      databaseUrl: database.url!,
      port,
      env: { JISHI_SCHEDULER_INTERVAL_MS: '600000' },
    });

    const ackedOrders = new Map<string, { paymentId: string; buyer: number }>();
    const ackedPayments = new Set<string>();
    let failedCalls = 0;
    let stopped = false;
    const load = buyers.map(async (b, i) => {
      const api = http(server!.base, b.token);
      for (let n = 0; !stopped; n++) {
        try {
          const cart = await api.post('/cart/items', { skuId: skus[(i + n) % 2], quantity: 1 + (n % 2) });
          if (cart.status !== 200) throw new Error(`cart ${cart.status}`);
          const co = await api.post('/checkout', { address: ADDRESS });
          if (co.status !== 201) throw new Error(`checkout ${co.status}`);
          for (const o of co.body.orders) ackedOrders.set(o.id, { paymentId: co.body.payment.id, buyer: i });
          // One checkout in three is left unpaid, for the unpaid-close deadline to handle.
          if (n % 3 === 2) continue;
          const pay = await api.post(`/payments/${co.body.payment.id}/pay`);
          if (pay.status !== 200) throw new Error(`pay ${pay.status}`);
          ackedPayments.add(co.body.payment.id);
        } catch {
          failedCalls++;
          return;
        }
      }
    });
    await waitFor('load to build up', async () => ackedOrders.size >= 90, 60_000);
    server.child.kill('SIGKILL');
    stopped = true;
    await Promise.all(load);
    expect((await server.exited).signal).toBe('SIGKILL');
    // Requests were in flight when the process died; each of them ended its buyer's loop.
    expect(failedCalls).toBeGreaterThan(0);
    const [outstanding] = await rows<{ n: number }>(
      database,
      `select count(*)::int as n from deadlines where kind = 'payment.sandbox_callback' and status = 'pending'`,
    );
    expect(outstanding!.n).toBeGreaterThanOrEqual(ackedPayments.size);

    server = await startServe({ databaseUrl: database.url!, port });
    const orderList = [...ackedOrders.keys()].map((id) => `'${id}'`).join(',');
    const paymentList = [...ackedPayments].map((id) => `'${id}'`).join(',');

    // Every order whose creation was acknowledged exists.
    const [found] = await rows<{ n: number }>(
      database,
      `select count(*)::int as n from orders where id in (${orderList})`,
    );
    expect(found!.n).toBe(ackedOrders.size);

    // The restarted process delivers the callbacks the dead one owed: each payment applied once.
    await waitFor('the outstanding sandbox callbacks', async () => {
      const [r] = await rows<{ n: number }>(
        database,
        `select count(*)::int as n from payments where status = 'processing'`,
      );
      return r!.n === 0;
    });
    const paidPayments = await rows<{ id: string; status: string; charge_id: string; amount: number }>(
      database,
      `select id, status, charge_id, amount from payments where id in (${paymentList})`,
    );
    expect(paidPayments).toHaveLength(ackedPayments.size);
    expect(paidPayments.filter((p) => p.status !== 'succeeded')).toEqual([]);
    const appliedOnce = async () => {
      const notes = await rows<{ payment_id: string; n: number }>(
        database,
        `select payment_id, count(*)::int as n from payment_notifications where payment_id in (${paymentList}) group by payment_id`,
      );
      expect(notes).toHaveLength(ackedPayments.size);
      expect(notes.filter((n) => n.n !== 1)).toEqual([]);
      const postings = await rows<{ ref: string; n: number }>(
        database,
        `select ref, count(*)::int as n from ledger_transactions where kind = 'payment' and ref in (${paymentList}) group by ref`,
      );
      expect(postings).toHaveLength(ackedPayments.size);
      expect(postings.filter((p) => p.n !== 1)).toEqual([]);
    };
    await appliedOnce();

    // The provider retries: the same signed notification again changes nothing.
    const [{ now }] = (await rows<{ now: Date }>(database, 'select now from clock_state where id = 1')) as [
      { now: Date },
    ];
    const callbacks = http(server.base);
    for (const p of paidPayments.slice(0, 10)) {
      const raw = JSON.stringify({
        provider: 'sandbox',
        paymentId: p.id,
        chargeId: p.charge_id,
        amount: p.amount,
        status: 'succeeded',
        at: new Date(now).toISOString(),
      });
      const r = await callbacks.post('/payments/callbacks/sandbox', raw, {
        'x-jishi-signature': signPayload(ctx.config.sandboxSecret, raw, new Date(now)),
      });
      expect(r.status).toBe(200);
      expect(r.body.outcome).toBe('duplicate');
    }
    await appliedOnce();
    for (const [orderId, { paymentId }] of ackedOrders) {
      if (!ackedPayments.has(paymentId)) continue;
      const [o] = await rows<{ status: string }>(
        database,
        `select status from orders where id = '${orderId}'`,
      );
      expect(o!.status).toBe('paid');
    }

    // The clock passes the unpaid-close deadline: every unpaid order closes and lets its units go.
    const operatorToken = (await http(server.base).post('/auth/login', OPERATOR)).body.token as string;
    const moved = await http(server.base, operatorToken).post('/admin/clock/advance', { minutes: 1441 });
    expect(moved.status).toBe(200);
    await waitFor('the unpaid-close deadlines', async () => {
      const [r] = await rows<{ n: number }>(
        database,
        `select count(*)::int as n from orders where status = 'awaiting_payment'`,
      );
      return r!.n === 0;
    });
    const statuses = await rows<{ status: string; n: number }>(
      database,
      'select status, count(*)::int as n from orders group by status order by status',
    );
    expect(statuses.map((s) => s.status)).toEqual(['closed', 'paid']);
    // A reservation is held exactly when its order is paid (nothing has shipped yet).
    const wrongHolds = await rows<{ order_id: string; status: string; reservation: string }>(
      database,
      `select o.id as order_id, o.status, r.status as reservation
         from orders o join order_lines l on l.order_id = o.id join reservations r on r.id = l.reservation_id
        where (o.status = 'paid') <> (r.status = 'held')`,
    );
    expect(wrongHolds).toEqual([]);
    const levels = await rows<{
      sku_id: string;
      on_hand: number;
      reserved: number;
      held: number;
      paid: number;
    }>(
      database,
      `select s.sku_id, s.on_hand, s.reserved,
              (select coalesce(sum(quantity), 0)::int from reservations r where r.sku_id = s.sku_id and r.status = 'held') as held,
              (select coalesce(sum(l.quantity), 0)::int from order_lines l join orders o on o.id = l.order_id
                where l.sku_id = s.sku_id and o.status = 'paid') as paid
         from stock s where s.sku_id in ('${skus.join("','")}') order by s.sku_id`,
    );
    expect(levels).toHaveLength(2);
    for (const l of levels) {
      expect(l.on_hand).toBe(STOCK);
      expect(l.reserved).toBe(l.held);
      expect(l.reserved).toBe(l.paid);
    }
    expect(await checkLedger(database.db)).toEqual([]);

    const [closed] = await rows<{ n: number }>(
      database,
      `select count(*)::int as n from orders where status = 'closed' and id in (${orderList})`,
    );
    console.log(
      `crash test: ${ackedOrders.size} orders acknowledged, ${found!.n} found; ${ackedPayments.size} payments acknowledged, ${paidPayments.length} applied once each; ${failedCalls} calls cut by SIGKILL; ${outstanding!.n} callbacks outstanding at the crash; ${closed!.n} unpaid orders closed, reservations consistent on ${levels.length} SKUs`,
    );
  }, 90_000);
});
