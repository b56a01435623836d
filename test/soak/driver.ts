// The money soak: a seeded random walk through the marketplace over HTTP (app.inject), with the
// invariants of test/soak/invariants.ts checked every `checkEvery` steps and at the end. The same
// seed replays the same walk, so a failure names the seed and step that reproduce it.
// The app first: it loads the modules in the order their imports need.
import '../../src/app';
import { sql } from 'drizzle-orm';
import { makeCategories } from '../../src/modules/catalog/testing';
import { DEFAULT_RULES } from '../../src/modules/governance';
import { payDeposit } from '../../src/modules/merchants';
import { signPayload } from '../../src/modules/trade/signatures';
import { ADDRESS, makeSeller, makeSku, type Seller } from '../../src/modules/trade/testing';
import { type Answer, type Client, makeTestApp, signUp, type TestContext } from '../helpers';
import { checkInvariants, type MoneyTerms, sqlRows } from './invariants';

/** mulberry32: small, fast and good enough to pick operations; the walk depends only on the seed. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T | undefined =>
      xs.length ? xs[Math.floor(next() * xs.length)] : undefined,
    chance: (p: number) => next() < p,
  };
}

export class SoakFailure extends Error {
  constructor(
    readonly seed: number,
    readonly step: number,
    what: string,
  ) {
    super(`soak failed at seed ${seed} step ${step}: ${what}\nreproduce: npm run soak -- ${seed} ${step}`);
  }
}

type OrderStatus = 'awaiting_payment' | 'paid' | 'shipped' | 'succeeded' | 'closed';
interface KnownOrder {
  id: string;
  buyer: number;
  seller: Seller;
  status: OrderStatus;
  /** Refunded for a late shipment or succeeded: a complaint may be filed. */
  complainable: boolean;
}
interface KnownRefund {
  id: string;
  order: KnownOrder;
  status: string;
}

export interface SoakOptions {
  seed: number;
  steps: number;
  checkEvery?: number;
  /** Called after each check with progress figures. */
  onCheck?: (info: {
    step: number;
    elapsedMs: number;
    counts: Record<string, number>;
    terms: MoneyTerms;
  }) => void;
  ctx?: TestContext;
}

export interface SoakResult {
  steps: number;
  elapsedMs: number;
  /** Operations attempted, by name, and how many of them the API accepted (2xx). */
  counts: Record<string, number>;
  accepted: Record<string, number>;
  /** Wall time spent per operation, in milliseconds. */
  timeMs: Record<string, number>;
  checks: number;
  terms: MoneyTerms;
  orders: Record<OrderStatus, number>;
}

const OPS = [
  ['browse', 8],
  ['cart', 14],
  ['checkout', 9],
  ['pay', 9],
  ['ship', 9],
  ['pickUp', 8],
  ['confirm', 5],
  ['refund', 6],
  ['approve', 5],
  ['returnShip', 4],
  ['confirmReturn', 4],
  ['lateRefund', 3],
  ['complain', 3],
  ['uphold', 3],
  ['advance', 7],
  ['publishRules', 0.4],
  ['restock', 2],
] as const;
type OpName = (typeof OPS)[number][0];
const FINAL_REFUND = ['refunded', 'closed', 'gone'];
const KEEP_SUCCEEDED = 60;
const TOTAL_WEIGHT = OPS.reduce((s, [, w]) => s + w, 0);

export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const { seed, steps } = opts;
  const checkEvery = opts.checkEvery ?? 1000;
  const r = rng(seed);
  const ctx = opts.ctx ?? (await makeTestApp({ sessionDays: 36500 }));
  const started = Date.now();
  const counts: Record<string, number> = {};
  const accepted: Record<string, number> = {};
  const timeMs: Record<string, number> = {};
  let step = 0;
  try {
    const cats = await makeCategories(ctx);
    const categories = [cats.headphones.id, cats.dresses.id, cats.fruit.id];
    const sellers = [
      await makeSeller(ctx, 'market'),
      await makeSeller(ctx, 'mall'),
      await makeSeller(ctx, 'market'),
    ];
    // One shop puts down its deposit (charges may draw on it); the others have none, so a charge
    // they cannot pay from their balance is advanced by the platform.
    await payDeposit(ctx.db, sellers[0]!.shopId, ctx.clock.now());
    const skus: { skuId: string; seller: Seller }[] = [];
    for (const seller of sellers) {
      for (let i = 0; i < 4; i++) {
        const { skuId } = await makeSku(seller, categories[i % categories.length]!, {
          price: r.int(1, 200) * 100 + r.int(0, 99),
          stock: r.int(5, 40),
        });
        skus.push({ skuId, seller });
      }
    }
    const buyers: (Client & { accountId: string })[] = [];
    for (let i = 0; i < 5; i++) buyers.push(await signUp(ctx));
    const operator = await signUp(ctx, { operator: true });

    const orders: KnownOrder[] = [];
    const retired: Record<OrderStatus, number> = {
      awaiting_payment: 0,
      paid: 0,
      shipped: 0,
      succeeded: 0,
      closed: 0,
    };
    const byStatus = (s: OrderStatus) => orders.filter((o) => o.status === s);
    const pendingPayments: { id: string; buyer: number }[] = [];
    const refunds: KnownRefund[] = [];
    const complaints: string[] = [];
    let tracking = 0;
    let lastRuleStart = ctx.clock.now().getTime();

    const ensure = (what: string, a: Answer) => {
      if (a.status >= 500)
        throw new SoakFailure(seed, step, `${what} answered ${a.status}: ${JSON.stringify(a.body)}`);
      if (a.status >= 400 && !String(a.headers['content-type']).includes('application/problem+json')) {
        throw new SoakFailure(
          seed,
          step,
          `${what} answered ${a.status} without a problem: ${JSON.stringify(a.body)}`,
        );
      }
      return a.status < 300;
    };
    /** The order as its buyer sees it (for its lines), which also refreshes the known status. */
    const fetchOrder = async (o: KnownOrder) => {
      const a = await buyers[o.buyer]!.get(`/orders/${o.id}`);
      ensure('order', a);
      if (a.status === 200) o.status = a.body.status;
      return a.body;
    };
    /** Where an order stands now (read straight from the table: cheaper than a GET, same answer). */
    const refresh = async (o: KnownOrder) => {
      const [row] = await sqlRows<{ status: OrderStatus }>(
        ctx.db,
        sql`select status from orders where id = ${o.id}`,
      );
      if (row) o.status = row.status;
    };

    // The clock moved: deadlines may have paid, closed or settled orders and ended refunds. One
    // query reads where everything stands (an auditor's shortcut; the walk itself stays on HTTP).
    const resync = async () => {
      const open = orders.filter((o) => o.status !== 'closed' && o.status !== 'succeeded');
      if (open.length) {
        const now = await sqlRows<{ id: string; status: OrderStatus }>(
          ctx.db,
          sql`select id, status from orders where id in (${sql.join(
            open.map((o) => sql`${o.id}`),
            sql`, `,
          )})`,
        );
        const status = new Map(now.map((o) => [o.id, o.status]));
        for (const o of open) {
          o.status = status.get(o.id) ?? o.status;
          // Succeeded on its own (the receipt deadline): a complaint may follow, within its window.
          if (o.status === 'succeeded' && r.chance(0.3)) o.complainable = true;
        }
      }
      const pending = refunds.filter((f) => !FINAL_REFUND.includes(f.status));
      if (pending.length) {
        const fs = await sqlRows<{ id: string; status: string }>(
          ctx.db,
          sql`select id, status from refunds where id in (${sql.join(
            pending.map((f) => sql`${f.id}`),
            sql`, `,
          )})`,
        );
        const fstatus = new Map(fs.map((f) => [f.id, f.status]));
        for (const f of pending) f.status = fstatus.get(f.id) ?? f.status;
      }
      retire();
    };
    /**
     * Keeps the working set small on long runs: closed orders and ended refunds leave it, and only
     * the newest succeeded orders stay (older ones are past their after-sales windows anyway).
     */
    const retire = () => {
      let succeeded = 0;
      for (let i = orders.length - 1; i >= 0; i--) {
        const o = orders[i]!;
        const keep =
          o.status === 'succeeded' ? ++succeeded <= KEEP_SUCCEEDED : o.status !== 'closed' || o.complainable;
        if (!keep) {
          retired[o.status]++;
          orders.splice(i, 1);
        }
      }
      for (let i = refunds.length - 1; i >= 0; i--) {
        if (FINAL_REFUND.includes(refunds[i]!.status)) refunds.splice(i, 1);
      }
    };

    const run: Record<OpName, () => Promise<boolean | undefined>> = {
      browse: async () => {
        const buyer = r.pick(buyers)!;
        const a = r.chance(0.5)
          ? await buyer.get(`/products?limit=${r.int(1, 20)}${r.chance(0.5) ? '&q=%E8%80%B3%E6%9C%BA' : ''}`)
          : await buyer.get(
              `/products/${(await buyer.get('/products?limit=1')).body.items?.[0]?.id ?? 'none'}`,
            );
        return ensure('browse', a);
      },
      cart: async () => {
        const buyer = r.pick(buyers)!;
        const sku = r.pick(skus)!;
        return ensure('cart', await buyer.post('/cart/items', { skuId: sku.skuId, quantity: r.int(1, 3) }));
      },
      checkout: async () => {
        const i = r.int(0, buyers.length - 1);
        const a = await buyers[i]!.post('/checkout', {
          address: ADDRESS,
          ...(r.chance(0.2) ? { returnInsurance: true } : {}),
        });
        if (!ensure('checkout', a)) {
          // An empty cart or a sold-out SKU: start the cart afresh.
          for (const sku of skus) await buyers[i]!.delete(`/cart/items/${sku.skuId}`);
          return false;
        }
        pendingPayments.push({ id: a.body.payment.id, buyer: i });
        for (const o of a.body.orders as { id: string; shopId: string }[]) {
          const seller = sellers.find((s) => s.shopId === o.shopId)!;
          orders.push({ id: o.id, buyer: i, seller, status: 'awaiting_payment', complainable: false });
        }
        return true;
      },
      pay: async () => {
        const p = pendingPayments.splice(r.int(0, Math.max(0, pendingPayments.length - 1)), 1)[0];
        if (!p) return undefined;
        const ok = ensure('pay', await buyers[p.buyer]!.post(`/payments/${p.id}/pay`));
        // The sandbox provider calls back a moment later.
        if (r.chance(0.8)) {
          await ctx.advance({ minutes: 1 });
          await resync();
        }
        return ok;
      },
      ship: async () => {
        const o = r.pick(byStatus('paid'));
        if (!o) return undefined;
        const a = await o.seller.owner.post(`/seller/shops/${o.seller.shopId}/orders/${o.id}/shipments`, {
          carrier: 'sandbox',
          trackingNo: `SK${seed}x${++tracking}`,
        });
        const ok = ensure('ship', a);
        if (!ok) await refresh(o);
        else (o as KnownOrder & { trackingNo?: string }).trackingNo = a.body.trackingNo;
        return ok;
      },
      pickUp: async () => {
        const o = r.pick(
          byStatus('paid').filter((x) => (x as KnownOrder & { trackingNo?: string }).trackingNo),
        ) as (KnownOrder & { trackingNo?: string }) | undefined;
        if (!o) return undefined;
        // Signed like the carrier signs it: the HMAC covers the raw body.
        const raw = JSON.stringify({
          carrier: 'sandbox',
          trackingNo: o.trackingNo,
          event: 'picked_up',
          at: ctx.clock.now().toISOString(),
        });
        const res = await ctx.app.inject({
          method: 'POST',
          url: '/api/v1/logistics/events',
          payload: raw,
          headers: {
            'content-type': 'application/json',
            'x-jishi-signature': signPayload(ctx.config.sandboxSecret, raw, ctx.clock.now()),
          },
        });
        const ok = ensure('pick-up', { status: res.statusCode, body: res.body, headers: res.headers });
        await refresh(o);
        return ok;
      },
      confirm: async () => {
        const o = r.pick(byStatus('shipped'));
        if (!o) return undefined;
        const ok = ensure('confirm', await buyers[o.buyer]!.post(`/orders/${o.id}/confirm-receipt`));
        await refresh(o);
        if (o.status === 'succeeded') o.complainable = true;
        return ok;
      },
      refund: async () => {
        const o = r.pick(orders.filter((x) => ['paid', 'shipped', 'succeeded'].includes(x.status)));
        if (!o) return undefined;
        const order = await fetchOrder(o);
        const shipped = o.status !== 'paid';
        const kind = shipped && r.chance(0.6) ? 'return_refund' : 'refund_only';
        const reason = r.pick(
          shipped
            ? (['no_reason', 'quality_issue', 'damaged', 'no_longer_needed'] as const)
            : (['no_longer_needed'] as const),
        );
        const line = r.pick(
          (order?.lines ?? []) as { id: string; quantity: number; refundedQuantity?: number }[],
        );
        const partial = line && r.chance(0.4);
        const a = await buyers[o.buyer]!.post(`/orders/${o.id}/refunds`, {
          kind,
          reason,
          ...(partial ? { lines: [{ orderLineId: line.id, quantity: r.int(1, line.quantity) }] } : {}),
        });
        const ok = ensure('refund', a);
        if (ok) refunds.push({ id: a.body.id, order: o, status: a.body.status });
        return ok;
      },
      approve: async () => {
        const f = r.pick(refunds.filter((x) => x.status === 'requested'));
        if (!f) return undefined;
        const a = await f.order.seller.owner.post(
          `/seller/shops/${f.order.seller.shopId}/refunds/${f.id}/approve`,
        );
        const ok = ensure('approve', a);
        f.status = ok
          ? a.body.status
          : ((await buyers[f.order.buyer]!.get(`/refunds/${f.id}`)).body.status ?? 'gone');
        await refresh(f.order);
        return ok;
      },
      returnShip: async () => {
        const f = r.pick(refunds.filter((x) => x.status === 'awaiting_return'));
        if (!f) return undefined;
        const a = await buyers[f.order.buyer]!.post(`/refunds/${f.id}/return-shipment`, {
          carrier: 'sandbox',
          trackingNo: `RT${seed}x${++tracking}`,
          ...(r.chance(0.5) ? { postage: r.int(500, 2000) } : {}),
        });
        const ok = ensure('return shipment', a);
        f.status = ok
          ? a.body.status
          : ((await buyers[f.order.buyer]!.get(`/refunds/${f.id}`)).body.status ?? 'gone');
        return ok;
      },
      confirmReturn: async () => {
        const f = r.pick(refunds.filter((x) => x.status === 'return_shipped'));
        if (!f) return undefined;
        const a = await f.order.seller.owner.post(
          `/seller/shops/${f.order.seller.shopId}/refunds/${f.id}/confirm-return`,
        );
        const ok = ensure('confirm return', a);
        f.status = ok
          ? a.body.status
          : ((await buyers[f.order.buyer]!.get(`/refunds/${f.id}`)).body.status ?? 'gone');
        await refresh(f.order);
        return ok;
      },
      lateRefund: async () => {
        const o = r.pick(byStatus('paid'));
        if (!o) return undefined;
        const a = await buyers[o.buyer]!.post(`/orders/${o.id}/refunds`, {
          kind: 'refund_only',
          reason: 'not_shipped_on_time',
        });
        const ok = ensure('late refund', a);
        if (ok) {
          refunds.push({ id: a.body.id, order: o, status: a.body.status });
          o.complainable = true;
        }
        await refresh(o);
        return ok;
      },
      complain: async () => {
        const o = r.pick(orders.filter((x) => x.complainable));
        if (!o) return undefined;
        const a = await buyers[o.buyer]!.post(`/orders/${o.id}/complaints`, {
          reason: r.pick(['late_shipment', 'not_as_described'] as const),
        });
        const ok = ensure('complaint', a);
        if (ok) complaints.push(a.body.id);
        o.complainable = false;
        return ok;
      },
      uphold: async () => {
        const id = complaints.splice(r.int(0, Math.max(0, complaints.length - 1)), 1)[0];
        if (!id) return undefined;
        return ensure(
          'uphold',
          await operator.post(`/admin/complaints/${id}/uphold`, { note: 'upheld in the soak' }),
        );
      },
      advance: async () => {
        const roll = r.next();
        await ctx.advance(
          roll < 0.6
            ? { minutes: r.int(1, 180) }
            : roll < 0.9
              ? { hours: r.int(3, 30) }
              : { days: r.int(2, 8) },
        );
        await resync();
        return true;
      },
      publishRules: async () => {
        const kind = r.pick(['mall', 'market'] as const)!;
        const rules = structuredClone(DEFAULT_RULES[kind]);
        if (kind === 'mall') rules.commission.defaultRateBp = r.int(200, 800);
        rules.shipping.deadlineHours = r.pick([24, 48, 72])!;
        const start = Math.max(ctx.clock.now().getTime(), lastRuleStart) + r.int(1, 72) * 3_600_000;
        const a = await operator.post('/admin/rule-sets', {
          kind,
          effectiveFrom: new Date(start).toISOString(),
          rules,
        });
        const ok = ensure('publish rules', a);
        if (ok) lastRuleStart = start;
        return ok;
      },
      restock: async () => {
        const sku = r.pick(skus)!;
        return ensure(
          'restock',
          await sku.seller.owner.post(`/seller/shops/${sku.seller.shopId}/stock/adjustments`, {
            skuId: sku.skuId,
            warehouseId: sku.seller.warehouseId,
            delta: r.int(5, 30),
            reason: 'receipt',
          }),
        );
      },
    };

    let checks = 0;
    let terms: MoneyTerms | undefined;
    const check = async () => {
      const result = await checkInvariants(ctx.db);
      checks++;
      terms = result.terms;
      if (result.problems.length) {
        throw new SoakFailure(
          seed,
          step,
          `invariants broken:\n- ${result.problems.slice(0, 20).join('\n- ')}`,
        );
      }
      opts.onCheck?.({ step, elapsedMs: Date.now() - started, counts, terms });
    };

    for (step = 1; step <= steps; step++) {
      let roll = r.next() * TOTAL_WEIGHT;
      let name: OpName = OPS[0][0];
      for (const [op, w] of OPS) {
        roll -= w;
        if (roll < 0) {
          name = op;
          break;
        }
      }
      counts[name] = (counts[name] ?? 0) + 1;
      const t0 = performance.now();
      try {
        if (await run[name]()) accepted[name] = (accepted[name] ?? 0) + 1;
        timeMs[name] = (timeMs[name] ?? 0) + (performance.now() - t0);
      } catch (err) {
        if (err instanceof SoakFailure) throw err;
        throw new SoakFailure(seed, step, `${name} threw ${(err as Error).stack ?? err}`);
      }
      if (step % checkEvery === 0) await check();
    }
    step = steps;
    if (steps % checkEvery !== 0) await check();
    const tally = { ...retired };
    for (const o of orders) tally[o.status]++;
    return {
      steps,
      elapsedMs: Date.now() - started,
      counts,
      accepted,
      timeMs,
      checks,
      terms: terms!,
      orders: tally,
    };
  } finally {
    if (!opts.ctx) await ctx.close();
  }
}
