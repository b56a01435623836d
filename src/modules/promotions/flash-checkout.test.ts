// Flash sales through the real checkout: the claims are committed before the checkout transaction
// (group commit), so a checkout that fails or never finishes must give its units back.
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, type TestContext } from '../../../test/helpers';
import type { AppError } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { checkLedger } from '../ledger';
import { checkoutNow, prepareCheckout } from '../trade';
import { ADDRESS, makeCategoryId, makeSku, paidOrder } from '../trade/testing';
import { abandonFlashClaims, flashGateSettled, getFlashSale } from './flash-sales';
import { flashBuyerTallies, flashClaims } from './flash-schema';
import { gateErrors, gateModes, liveFlashSale, makeFlashTestApp, useGate } from './flash-testing';

let ctx: TestContext;

beforeAll(async () => {
  ctx = await makeFlashTestApp({}, { poolSize: 20 });
});
afterAll(async () => {
  await useGate(false);
  await ctx.close();
});

const codeOf = (r: PromiseSettledResult<unknown>) =>
  r.status === 'rejected' ? `${(r.reason as AppError).status} ${(r.reason as AppError).code}` : 'ok';

const buy = (
  buyerId: string,
  skuId: string,
  quantity = 1,
  more: { skuId: string; quantity: number }[] = [],
) =>
  checkoutNow(ctx.db, buyerId, { address: ADDRESS, items: [{ skuId, quantity }, ...more] }, ctx.clock.now());

async function claimsOf(saleId: string) {
  return ctx.db.select().from(flashClaims).where(eq(flashClaims.flashSaleId, saleId));
}

/** Claimed units agree with the claims and the tallies, and held claims all belong to orders. */
async function expectConsistent(saleId: string) {
  const sale = (await getFlashSale(ctx.db, saleId))!;
  const rows = await claimsOf(saleId);
  const held = rows.filter((r) => r.status !== 'released').reduce((n, r) => n + r.quantity, 0);
  const [t] = await ctx.db
    .select({ taken: sql<number>`coalesce(sum(taken), 0)::int` })
    .from(flashBuyerTallies)
    .where(eq(flashBuyerTallies.flashSaleId, saleId));
  expect(sale.claimed).toBe(held);
  expect(t!.taken).toBe(held);
  expect(sale.claimed).toBeLessThanOrEqual(sale.quota);
  return sale;
}

describe.each(await gateModes())('flash checkouts (Redis gate: $redis)', ({ redis }) => {
  beforeAll(async () => {
    await useGate(redis);
    gateErrors.length = 0;
  });
  afterAll(async () => {
    await flashGateSettled();
    expect(gateErrors).toEqual([]);
  });

  it('300 buyers check out at once for a quota of 30, 1 each: exactly 30 orders by 30 buyers', async () => {
    const { sale, skuId } = await liveFlashSale(ctx, { quota: 30, perBuyerLimit: 1, stock: 100 });
    const buyers = Array.from({ length: 300 }, () => newId('acct'));
    const results = await Promise.allSettled(buyers.map((b) => buy(b, skuId)));
    const codes = new Map<string, number>();
    for (const r of results) codes.set(codeOf(r), (codes.get(codeOf(r)) ?? 0) + 1);
    expect(Object.fromEntries(codes)).toEqual({ ok: 30, '409 flash_sold_out': 270 });
    const orderIds = results.flatMap((r) =>
      r.status === 'fulfilled' ? r.value.orders.map((o) => o.id) : [],
    );
    const rows = await claimsOf(sale.id);
    // every claim is the claim of a placed order, at the flash price
    expect(new Set(rows.map((r) => r.orderId))).toEqual(new Set(orderIds));
    expect(new Set(rows.map((r) => r.buyerId)).size).toBe(30);
    for (const r of results) if (r.status === 'fulfilled') expect(r.value.orders[0]!.total).toBe(1_990);
    expect((await expectConsistent(sale.id)).claimed).toBe(30);
    // a placed order's claims stay, whoever asks to release them (a commit error answered late)
    await abandonFlashClaims(ctx.db, orderIds.slice(0, 3), ctx.clock.now());
    await ctx.advance({ minutes: 3 });
    expect((await expectConsistent(sale.id)).claimed).toBe(30);
    expect((await claimsOf(sale.id)).every((r) => r.status === 'held')).toBe(true);
    expect(await checkLedger(ctx.db)).toEqual([]);
  });

  it('a checkout whose transaction fails gives its units back at once', async () => {
    const { sale, skuId, seller } = await liveFlashSale(ctx, { quota: 1, perBuyerLimit: 1 });
    const scarce = await makeSku(seller, await makeCategoryId(ctx), { stock: 1 });
    const buyer = newId('acct');
    // The flash line is claimed, then the other line's stock runs short inside the transaction.
    const failed = await buy(buyer, skuId, 1, [{ skuId: scarce.skuId, quantity: 2 }]).catch(
      (e: AppError) => e,
    );
    expect((failed as AppError).code).toBe('insufficient_stock');
    const rows = await claimsOf(sale.id);
    expect(rows.map((r) => r.status)).toEqual(['released']);
    expect((await expectConsistent(sale.id)).claimed).toBe(0);
    // at once, not at the deadline: the same buyer gets the unit now
    const ok = await buy(buyer, skuId);
    expect(ok.orders[0]!.total).toBe(1_990);
    expect((await expectConsistent(sale.id)).claimed).toBe(1);
  });

  it('a claim whose checkout never ran (a crash after the claim) is released by the deadline', async () => {
    const { sale, skuId } = await liveFlashSale(ctx, { quota: 1, perBuyerLimit: 1 });
    const buyer = newId('acct');
    const prepared = await prepareCheckout(
      ctx.db,
      buyer,
      { address: ADDRESS, items: [{ skuId, quantity: 1 }] },
      ctx.clock.now(),
    );
    expect(prepared?.flash).toHaveLength(1);
    // the process died here: the claim is committed, its order never inserted
    const refused = await Promise.allSettled([buy(newId('acct'), skuId)]);
    expect(codeOf(refused[0]!)).toBe('409 flash_sold_out');
    await ctx.advance({ minutes: 1 });
    expect((await expectConsistent(sale.id)).claimed).toBe(1);
    await ctx.advance({ minutes: 1 });
    const rows = await claimsOf(sale.id);
    expect(rows.map((r) => [r.orderId, r.status])).toEqual([[prepared!.flash[0]!.orderId, 'released']]);
    expect((await expectConsistent(sale.id)).claimed).toBe(0);
    await buy(buyer, skuId);
  });

  it('a retried checkout (same Idempotency-Key) is replayed, not refused as sold out', async () => {
    const { sale, skuId } = await liveFlashSale(ctx, { quota: 1, perBuyerLimit: 1 });
    const buyer = await signUp(ctx);
    await buyer.post('/cart/items', { skuId, quantity: 1 });
    const key = { 'idempotency-key': `flash-${newId('k')}` };
    const first = await buyer.post('/checkout', { address: ADDRESS }, key);
    expect(first.status).toBe(201);
    // the unit is in the cart again (another tab), so the retry's claim is refused before its replay
    await buyer.post('/cart/items', { skuId, quantity: 1 });
    const again = await buyer.post('/checkout', { address: ADDRESS }, key);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.orders[0].id).toBe(first.body.orders[0].id);
    // without the key it is a new checkout, refused
    const other = await buyer.post('/checkout', { address: ADDRESS });
    expect(other.body.code).toBe('flash_sold_out');
    expect((await claimsOf(sale.id)).map((r) => r.orderId)).toEqual([first.body.orders[0].id]);
    expect((await expectConsistent(sale.id)).claimed).toBe(1);
  });

  it('a paid flash order keeps its unit, the ledger balances', async () => {
    const { sale, skuId } = await liveFlashSale(ctx, { quota: 2, perBuyerLimit: 1 });
    const buyer = await signUp(ctx);
    const { orderId } = await paidOrder(ctx, buyer, skuId);
    await ctx.advance({ minutes: 40 });
    const rows = await claimsOf(sale.id);
    expect(rows.map((r) => [r.orderId, r.status])).toEqual([[orderId, 'sold']]);
    expect((await expectConsistent(sale.id)).sold).toBe(1);
    expect(await checkLedger(ctx.db)).toEqual([]);
  });
});
