import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Client, client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { newId } from '../../kernel/ids';
import { makeCategories } from '../catalog/testing';
import { expectLedgerBalanced } from '../ledger/testing';
import { ADDRESS, makeSeller, makeSku, type Seller, shipAndPickUp } from '../trade/testing';

const HOUR = 3_600_000;
const MINUTE = 60_000;

describe('presale', () => {
  let ctx: TestContext;
  let seller: Seller;
  let skuId: string;
  let tracking = 0;

  beforeEach(async () => {
    ctx = await makeTestApp({ sessionDays: 3650 });
    const categoryId = (await makeCategories(ctx)).headphones.id;
    seller = await makeSeller(ctx, 'market');
    skuId = (await makeSku(seller, categoryId, { price: 100_000, stock: 20 })).skuId;
  });
  afterEach(async () => {
    await expectLedgerBalanced(ctx.db);
    await ctx.close();
  });

  const seller$ = (path: string) => `/seller/shops/${seller.shopId}${path}`;
  const count = async (query: string) => {
    const res = (await ctx.db.execute(query)) as unknown as { rows?: { n: number | string }[] };
    return Number((res.rows ?? (res as unknown as { n: number }[]))[0]?.n ?? 0);
  };
  /** The next 20:00 in China (12:00 UTC) after the clock. */
  const next2000 = () => {
    const now = ctx.clock.now().getTime();
    const noon = Math.floor(now / (24 * HOUR)) * 24 * HOUR + 12 * HOUR;
    return new Date(noon > now ? noon : noon + 24 * HOUR);
  };
  const iso = (d: Date) => d.toISOString();
  const plus = (d: Date, hours: number) => new Date(d.getTime() + hours * HOUR);

  /** Deposits open at 20:00 China time for 2 days; the balance is paid from day 3 for 2 days; ships by day 7. */
  const presale = async (over: Record<string, unknown> = {}) => {
    const opens = next2000();
    const r = await seller.owner.post(
      seller$('/presales'),
      {
        skuId,
        presalePrice: 100_000,
        deposit: 10_000,
        depositValue: 30_000,
        quota: 5,
        depositFrom: iso(opens),
        depositUntil: iso(plus(opens, 48)),
        balanceFrom: iso(plus(opens, 72)),
        balanceUntil: iso(plus(opens, 120)),
        announcedShipBy: iso(plus(opens, 168)),
        ...over,
      },
      { 'idempotency-key': newId('k') },
    );
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return { ...(r.body as { id: string }), opens };
  };
  const pay = async (buyer: Client, paymentId: string) => {
    expect((await buyer.post(`/payments/${paymentId}/pay`)).status).toBe(200);
    await ctx.advance({ minutes: 1 });
  };
  const until = async (t: Date) =>
    ctx.advance({ minutes: (t.getTime() - ctx.clock.now().getTime()) / MINUTE });
  const order = async (buyer: Client, id: string) => (await buyer.get(`/orders/${id}`)).body;
  const shopBalance = async () => (await seller.owner.get(seller$('/ledger'))).body.balance as number;

  it('validates prices and windows: the deposit at most 20% of the final price, worth at least itself', async () => {
    const opens = next2000();
    const base = {
      skuId,
      presalePrice: 100_000,
      deposit: 10_000,
      depositFrom: iso(opens),
      depositUntil: iso(plus(opens, 48)),
      balanceFrom: iso(plus(opens, 72)),
      balanceUntil: iso(plus(opens, 120)),
    };
    const r = await seller.owner.post(seller$('/presales'), {
      ...base,
      deposit: 25_000,
      depositValue: 20_000,
      quota: 21,
      balanceUntil: iso(plus(opens, 60)),
      announcedShipBy: iso(plus(opens, 1)),
    });
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toContain('application/problem+json');
    expect(r.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      '/announcedShipBy',
      '/balanceUntil',
      '/depositValue',
      '/quota',
    ]);
    // 20% of a final price of 80,000 is 16,000: a deposit of 16,001 is refused, 16,000 accepted.
    const over = await seller.owner.post(seller$('/presales'), {
      ...base,
      deposit: 16_001,
      depositValue: 36_001,
      quota: 1,
    });
    expect(over.body.errors.map((e: { path: string }) => e.path)).toEqual(['/deposit']);
    expect(over.body.errors[0].message).toContain('16000');
    const zh = await client(ctx.app, seller.owner.token, 'zh-CN').post(seller$('/presales'), {
      ...base,
      deposit: 16_001,
      depositValue: 36_001,
      quota: 1,
    });
    expect(zh.body.errors[0].message).toBe('定金不能超过成交价的 20%（最多 16000 分）');
    const ok = await seller.owner.post(seller$('/presales'), {
      ...base,
      deposit: 16_000,
      depositValue: 36_000,
      quota: 1,
    });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ finalUnitPrice: 80_000, balancePerUnit: 64_000, phase: 'upcoming' });
  });

  it('deposit at 20:00, balance in its window, ships by the announced date, settles the full price', async () => {
    const p = await presale();
    const buyer = await signUp(ctx);
    const early = await buyer.post(`/presales/${p.id}/deposits`, { address: ADDRESS });
    expect(early.status).toBe(409);
    expect(early.body.type).toBe('urn:jishi:problem:presale-not-taking-deposits');
    await until(p.opens);
    expect((await client(ctx.app).get(`/presales/${p.id}`)).body.phase).toBe('deposit');

    const placed = await buyer.post(`/presales/${p.id}/deposits`, { address: ADDRESS });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    // 1,000 presale price, deposit 100 worth 300: the unit costs 800, the balance is 700.
    expect(placed.body).toMatchObject({
      total: 80_000,
      deposit: 10_000,
      balance: 70_000,
      payment: { amount: 10_000 },
    });
    const orderId = placed.body.orderId as string;
    const o1 = await order(buyer, orderId);
    expect(o1).toMatchObject({ status: 'awaiting_payment', presale: { deposit: 10_000, balance: 70_000 } });
    expect(Date.parse(o1.deadlines.payBy) - ctx.clock.now().getTime()).toBe(30 * MINUTE);

    await pay(buyer, placed.body.payment.id);
    const o2 = await order(buyer, orderId);
    expect(o2.status).toBe('deposit_paid');
    expect(o2.deadlines).toEqual({ balanceBy: iso(plus(p.opens, 120)) });
    // No after-sales on a deposit: it is forfeited or, by the seller, refunded.
    const refund = await buyer.post(`/orders/${orderId}/refunds`, {
      kind: 'refund_only',
      reason: 'no_longer_needed',
    });
    expect(refund.status).toBe(409);
    // The balance waits for its window.
    const tooSoon = await buyer.post(`/orders/${orderId}/balance-payment`);
    expect(tooSoon.status).toBe(422);
    expect(tooSoon.body.type).toBe('urn:jishi:problem:balance-window-not-open');

    await until(plus(p.opens, 72));
    const balance = await buyer.post(`/orders/${orderId}/balance-payment`, undefined, {
      'idempotency-key': newId('k'),
    });
    expect(balance.status).toBe(201);
    expect(balance.body.amount).toBe(70_000);
    // Asking again answers the same payment.
    expect((await buyer.post(`/orders/${orderId}/balance-payment`)).body.paymentId).toBe(
      balance.body.paymentId,
    );
    await pay(buyer, balance.body.paymentId);
    const o3 = await order(buyer, orderId);
    expect(o3.status).toBe('paid');
    expect(o3.deadlines.shipBy).toBe(iso(plus(p.opens, 168)));

    await shipAndPickUp(ctx, seller, orderId, `PS${++tracking}${Date.now()}`);
    expect((await buyer.post(`/orders/${orderId}/confirm-receipt`)).status).toBe(200);
    // A market shop pays no commission: the shop gets the whole 800.
    expect(await shopBalance()).toBe(80_000);
    const report = (await seller.owner.get(seller$(`/presales/${p.id}`))).body.report;
    expect(report).toMatchObject({ unitsSold: 1, sales: 80_000, balanceConversion: 1, depositsForfeited: 0 });
  });

  it('an unpaid deposit closes after 30 minutes; an unpaid balance closes the order and forfeits the deposit', async () => {
    const p = await presale({ quota: 2 });
    await until(p.opens);
    const [a, b, c] = [await signUp(ctx), await signUp(ctx), await signUp(ctx)];
    const unpaid = await a.post(`/presales/${p.id}/deposits`, { address: ADDRESS });
    const forfeit = await b.post(`/presales/${p.id}/deposits`, { address: ADDRESS });
    // The quota is held by both open orders.
    expect((await c.post(`/presales/${p.id}/deposits`, { address: ADDRESS })).body.type).toBe(
      'urn:jishi:problem:presale-sold-out',
    );
    await pay(b, forfeit.body.payment.id);
    await ctx.advance({ minutes: 30 });
    expect(await order(a, unpaid.body.orderId)).toMatchObject({
      status: 'closed',
      closeReason: 'unpaid_timeout',
    });
    expect((await client(ctx.app).get(`/presales/${p.id}`)).body.remaining).toBe(1);

    // B never pays the balance: at the end of the window the order closes, the deposit goes to the shop.
    await until(new Date(plus(p.opens, 120).getTime() - MINUTE));
    expect((await order(b, forfeit.body.orderId)).status).toBe('deposit_paid');
    await ctx.advance({ minutes: 1 });
    expect(await order(b, forfeit.body.orderId)).toMatchObject({
      status: 'closed',
      closeReason: 'balance_unpaid',
    });
    expect(await shopBalance()).toBe(10_000);
    expect(await count(`select sum(reserved)::int as n from stock where sku_id = '${skuId}'`)).toBe(0);
    expect((await client(ctx.app).get(`/presales/${p.id}`)).body.remaining).toBe(2);
    // Too late now: the window is shut.
    expect((await b.post(`/orders/${forfeit.body.orderId}/balance-payment`)).status).toBe(409);
    const report = (await seller.owner.get(seller$(`/presales/${p.id}`))).body.report;
    expect(report).toMatchObject({
      orders: { unpaid: 1, forfeited: 1 },
      depositsForfeited: 10_000,
      sales: 0,
      balanceConversion: 0,
    });
    expect(
      await count(
        `select count(*)::int as n from ledger_transactions where kind = 'presale.deposit_forfeited'`,
      ),
    ).toBe(1);
  });

  it('the merchant at fault: a refunded deposit, and a cancelled presale refunding every deposit in full', async () => {
    const p = await presale();
    await until(p.opens);
    const [a, b, c] = [await signUp(ctx), await signUp(ctx), await signUp(ctx)];
    const oa = await a.post(`/presales/${p.id}/deposits`, { address: ADDRESS });
    const ob = await b.post(`/presales/${p.id}/deposits`, { address: ADDRESS });
    const oc = await c.post(`/presales/${p.id}/deposits`, { address: ADDRESS });
    await pay(a, oa.body.payment.id);
    await pay(b, ob.body.payment.id);

    // The seller gives A's deposit back (退定金).
    const back = await seller.owner.post(
      seller$(`/presales/${p.id}/orders/${oa.body.orderId}/refund-deposit`),
    );
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect(await order(a, oa.body.orderId)).toMatchObject({
      status: 'closed',
      closeReason: 'deposit_refunded_by_seller',
    });
    // Another shop cannot touch this presale's orders.
    const other = await makeSeller(ctx, 'market');
    expect(
      (
        await other.owner.post(
          `/seller/shops/${other.shopId}/presales/${p.id}/orders/${ob.body.orderId}/refund-deposit`,
        )
      ).status,
    ).toBe(404);

    // Then it calls the whole presale off: B's deposit comes back, C's unpaid order closes.
    const cancelled = await seller.owner.post(seller$(`/presales/${p.id}/cancel`));
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({
      depositsRefunded: 1,
      ordersClosed: 1,
      presale: { phase: 'cancelled' },
    });
    expect(await order(b, ob.body.orderId)).toMatchObject({
      status: 'closed',
      closeReason: 'presale_cancelled',
    });
    expect((await order(c, oc.body.orderId)).status).toBe('closed');
    // Nothing was forfeited: the shop has nothing, the buyers got 100 each back.
    expect(await shopBalance()).toBe(0);
    expect(
      await count(
        `select count(*)::int as n from ledger_transactions where kind = 'presale.deposit_refunded'`,
      ),
    ).toBe(2);
    // The balance deadlines are gone: moving past them changes nothing.
    await until(plus(p.opens, 200));
    expect(await shopBalance()).toBe(0);
    const report = (await seller.owner.get(seller$(`/presales/${p.id}`))).body.report;
    expect(report).toMatchObject({ depositsRefunded: 20_000, depositsForfeited: 0 });
    expect(await count(`select sum(reserved)::int as n from stock where sku_id = '${skuId}'`)).toBe(0);
  });
});
