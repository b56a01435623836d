import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from '../../../test/helpers';
import { AppError } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import type { RedisFlashGate } from './flash-gate';
import {
  abandonFlashClaims,
  activeFlashSale,
  checkFlashClaim,
  claimFlashQuota,
  confirmFlashClaims,
  flashGateSettled,
  getFlashSale,
  reconcileFlashGate,
  releaseFlashClaims,
} from './flash-sales';
import { flashBuyerTallies, flashClaims } from './flash-schema';
import { gateErrors, gateModes, liveFlashSale, makeFlashTestApp, useGate, withRedis } from './flash-testing';

let ctx: TestContext;

beforeAll(async () => {
  ctx = await makeFlashTestApp({}, { poolSize: 40 });
});
afterAll(async () => {
  await useGate(false);
  await ctx.close();
});

const claim = (campaignId: string, buyerId: string, quantity = 1, orderId = newId('ord')) =>
  claimFlashQuota(ctx.db, { campaignId, buyerId, quantity, orderId }, ctx.clock.now());

const codeOf = (r: PromiseSettledResult<unknown>) =>
  r.status === 'rejected' ? `${(r.reason as AppError).status} ${(r.reason as AppError).code}` : 'ok';

/** The quota row agrees with the claims and the tallies. */
async function expectConsistent(saleId: string) {
  const sale = (await getFlashSale(ctx.db, saleId))!;
  const [c] = await ctx.db
    .select({
      held: sql<number>`coalesce(sum(quantity) filter (where status <> 'released'), 0)::int`,
      sold: sql<number>`coalesce(sum(quantity) filter (where status = 'sold'), 0)::int`,
      released: sql<number>`coalesce(sum(quantity) filter (where status = 'released'), 0)::int`,
    })
    .from(flashClaims)
    .where(eq(flashClaims.flashSaleId, saleId));
  const [t] = await ctx.db
    .select({ taken: sql<number>`coalesce(sum(taken), 0)::int` })
    .from(flashBuyerTallies)
    .where(eq(flashBuyerTallies.flashSaleId, saleId));
  expect(sale.claimed).toBe(c!.held);
  expect(sale.sold).toBe(c!.sold);
  expect(sale.released).toBe(c!.released);
  expect(t!.taken).toBe(c!.held);
  expect(sale.claimed).toBeLessThanOrEqual(sale.quota);
  return sale;
}

describe.each(await gateModes())('flash sale claims (Redis gate: $redis)', ({ redis }) => {
  let gate: RedisFlashGate | undefined;
  beforeAll(async () => {
    gate = await useGate(redis);
    gateErrors.length = 0;
  });
  afterAll(async () => {
    await flashGateSettled();
    expect(gateErrors).toEqual([]);
  });

  /** With the gate, once every follow-up ran: it holds exactly what the database holds. */
  async function expectGateAgrees(saleId: string) {
    if (!gate) return;
    await flashGateSettled();
    const sale = (await getFlashSale(ctx.db, saleId))!;
    const g = await gate.snapshot(saleId);
    expect(g).toBeDefined();
    expect(g!.pending).toBe(0);
    expect(g!.left).toBe(sale.quota - sale.claimed);
    const tallies = await ctx.db
      .select()
      .from(flashBuyerTallies)
      .where(eq(flashBuyerTallies.flashSaleId, saleId));
    const committed = new Map(tallies.filter((r) => r.taken > 0).map((r) => [r.buyerId, r.taken]));
    expect(g!.buyers).toEqual(committed);
  }

  it('2,000 buyers at once for a quota of 100, 1 each: exactly 100 claims by 100 buyers', async () => {
    const { sale } = await liveFlashSale(ctx, { quota: 100, perBuyerLimit: 1 });
    const buyers = Array.from({ length: 2_000 }, () => newId('acct'));
    const results = await Promise.allSettled(buyers.map((b) => claim(sale.id, b)));
    const codes = new Map<string, number>();
    for (const r of results) codes.set(codeOf(r), (codes.get(codeOf(r)) ?? 0) + 1);
    expect(Object.fromEntries(codes)).toEqual({ ok: 100, '409 flash_sold_out': 1_900 });
    const rows = await ctx.db.select().from(flashClaims).where(eq(flashClaims.flashSaleId, sale.id));
    expect(rows).toHaveLength(100);
    expect(new Set(rows.map((r) => r.buyerId)).size).toBe(100);
    expect(rows.every((r) => r.status === 'held' && r.quantity === 1)).toBe(true);
    const winners = new Set(buyers.filter((_, i) => results[i]!.status === 'fulfilled'));
    expect(new Set(rows.map((r) => r.buyerId))).toEqual(winners);
    const after = await expectConsistent(sale.id);
    expect(after.claimed).toBe(100);
    await expectGateAgrees(sale.id);
  });

  it('no buyer passes the limit: 200 buyers try 3 orders each at once for a limit of 2', async () => {
    const { sale } = await liveFlashSale(ctx, { quota: 1_000, perBuyerLimit: 2 });
    const buyers = Array.from({ length: 200 }, () => newId('acct'));
    const results = await Promise.allSettled(
      buyers.flatMap((b) => [claim(sale.id, b), claim(sale.id, b), claim(sale.id, b)]),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(400);
    expect(new Set(results.map(codeOf))).toEqual(new Set(['ok', '422 flash_buyer_limit']));
    const rows = await ctx.db.select().from(flashClaims).where(eq(flashClaims.flashSaleId, sale.id));
    const perBuyer = new Map<string, number>();
    for (const r of rows) perBuyer.set(r.buyerId, (perBuyer.get(r.buyerId) ?? 0) + r.quantity);
    expect([...perBuyer.values()].every((n) => n === 2)).toBe(true);
    expect(perBuyer.size).toBe(200);
    await expectConsistent(sale.id);
    await expectGateAgrees(sale.id);
  });

  it('a buyer trying twice gets 422 flash_buyer_limit naming the limit; a quantity over it too', async () => {
    const { sale } = await liveFlashSale(ctx, { quota: 10, perBuyerLimit: 1 });
    const buyer = newId('acct');
    await claim(sale.id, buyer);
    const again = await claim(sale.id, buyer).catch((e: AppError) => e);
    expect(again).toBeInstanceOf(AppError);
    expect((again as AppError).status).toBe(422);
    expect((again as AppError).code).toBe('flash_buyer_limit');
    expect((again as AppError).params).toMatchObject({ limit: 1 });
    const big = await claim(sale.id, newId('acct'), 2).catch((e: AppError) => e);
    expect((big as AppError).code).toBe('flash_buyer_limit');
    const dupOrder = newId('ord');
    await claim(sale.id, newId('acct'), 1, dupOrder);
    expect(((await claim(sale.id, newId('acct'), 1, dupOrder).catch((e) => e)) as AppError).code).toBe(
      'flash_claim_duplicate',
    );
    expect((await expectConsistent(sale.id)).claimed).toBe(2);
    await expectGateAgrees(sale.id);
  });

  it('release returns the units to the quota and the buyer (idempotent); confirm keeps them counted', async () => {
    const { sale } = await liveFlashSale(ctx, { quota: 2, perBuyerLimit: 1 });
    const [a, b, c] = [newId('acct'), newId('acct'), newId('acct')];
    const [oa, ob] = [newId('ord'), newId('ord')];
    await claim(sale.id, a, 1, oa);
    await claim(sale.id, b, 1, ob);
    expect(codeOf((await Promise.allSettled([claim(sale.id, c)]))[0]!)).toBe('409 flash_sold_out');
    const now = ctx.clock.now();
    await ctx.db.transaction((tx) => confirmFlashClaims(tx, ob, now));
    await ctx.db.transaction((tx) => releaseFlashClaims(tx, oa, now));
    await ctx.db.transaction((tx) => releaseFlashClaims(tx, oa, now));
    let s = await expectConsistent(sale.id);
    expect({ claimed: s.claimed, sold: s.sold, released: s.released }).toEqual({
      claimed: 1,
      sold: 1,
      released: 1,
    });
    await expectGateAgrees(sale.id);
    // the unit came back: c gets it, and a may buy again
    await claim(sale.id, c);
    expect(codeOf((await Promise.allSettled([claim(sale.id, a)]))[0]!)).toBe('409 flash_sold_out');
    // a paid order refunded before shipping gives its sold unit back too
    await ctx.db.transaction((tx) => releaseFlashClaims(tx, ob, ctx.clock.now()));
    s = await expectConsistent(sale.id);
    expect({ claimed: s.claimed, sold: s.sold, released: s.released }).toEqual({
      claimed: 1,
      sold: 0,
      released: 2,
    });
    await claim(sale.id, a);
    await expectGateAgrees(sale.id);
  });

  it('orders of several units spread over the quota slices: every unit sells, none twice', async () => {
    // quota 20 over 20 slices of 1 unit (FLASH_SHARDS is more): a claim of 3 never fits in one slice
    const { sale } = await liveFlashSale(ctx, { quota: 20, perBuyerLimit: 3 });
    const orders = Array.from({ length: 30 }, () => newId('ord'));
    const results = await Promise.allSettled(orders.map((o) => claim(sale.id, newId('acct'), 3, o)));
    expect(results.map(codeOf).filter((c) => c === 'ok')).toHaveLength(6);
    expect(results.map(codeOf).filter((c) => c === '409 flash_sold_out')).toHaveLength(24);
    expect((await expectConsistent(sale.id)).claimed).toBe(18);
    const two = await claim(sale.id, newId('acct'), 2);
    expect(two).toBeUndefined();
    expect((await expectConsistent(sale.id)).claimed).toBe(20);
    const won = orders.filter((_, i) => results[i]!.status === 'fulfilled');
    await ctx.db.transaction((tx) => releaseFlashClaims(tx, won[0]!, ctx.clock.now()));
    expect((await expectConsistent(sale.id)).claimed).toBe(17);
    await claim(sale.id, newId('acct'), 3);
    expect((await expectConsistent(sale.id)).claimed).toBe(20);
    await expectGateAgrees(sale.id);
  });

  it('a claim abandoned by its checkout goes back at once: the next buyer gets the unit', async () => {
    const { sale } = await liveFlashSale(ctx, { quota: 1, perBuyerLimit: 1 });
    const buyer = newId('acct');
    const order = newId('ord');
    await claim(sale.id, buyer, 1, order);
    expect(codeOf((await Promise.allSettled([claim(sale.id, newId('acct'))]))[0]!)).toBe(
      '409 flash_sold_out',
    );
    await abandonFlashClaims(ctx.db, [order], ctx.clock.now());
    // the same buyer is not over the limit, and the unit is there
    await claim(sale.id, buyer);
    expect((await expectConsistent(sale.id)).claimed).toBe(1);
    await expectGateAgrees(sale.id);
  });

  it('one batch, each claim its own answer: ok, over the limit, duplicate order, sold out', async () => {
    const { sale } = await liveFlashSale(ctx, { quota: 5, perBuyerLimit: 1 });
    const [held, order] = [newId('acct'), newId('ord')];
    await claim(sale.id, held, 1, order);
    // Sent together: without the gate they go in one batch (none awaits anything first).
    const results = await Promise.allSettled([
      claim(sale.id, newId('acct')),
      claim(sale.id, held),
      claim(sale.id, newId('acct'), 1, order),
      claim(sale.id, newId('acct'), 2),
      claim(sale.id, newId('acct')),
      claim(sale.id, newId('acct')),
      claim(sale.id, newId('acct')),
      claim(sale.id, newId('acct')),
    ]);
    expect(results.map(codeOf)).toEqual([
      'ok',
      '422 flash_buyer_limit',
      '409 flash_claim_duplicate',
      '422 flash_buyer_limit',
      'ok',
      'ok',
      // The gate admits the repeated order (its first claim is settled) until the database refuses
      // it, so meanwhile it has one unit fewer to admit: refusing early is all a gate may do.
      redis ? '409 flash_sold_out' : 'ok',
      '409 flash_sold_out',
    ]);
    expect((await expectConsistent(sale.id)).claimed).toBe(redis ? 4 : 5);
    await expectGateAgrees(sale.id);
  });

  it('the same buyer twice at once: the claims go in separate batches, the limit holds', async () => {
    const { sale } = await liveFlashSale(ctx, { quota: 10, perBuyerLimit: 2 });
    const buyer = newId('acct');
    const results = await Promise.allSettled([1, 1, 1].map((q) => claim(sale.id, buyer, q)));
    expect(results.map(codeOf).sort()).toEqual(['422 flash_buyer_limit', 'ok', 'ok']);
    const rows = await ctx.db.select().from(flashClaims).where(eq(flashClaims.flashSaleId, sale.id));
    expect(rows.map((r) => r.buyerId)).toEqual([buyer, buyer]);
    expect((await expectConsistent(sale.id)).claimed).toBe(2);
    await expectGateAgrees(sale.id);
  });

  it('a claim whose order never appears (the checkout crashed) is released by its deadline', async () => {
    const { sale } = await liveFlashSale(ctx, { quota: 1, perBuyerLimit: 1 });
    const buyer = newId('acct');
    await claim(sale.id, buyer);
    await ctx.advance({ minutes: 1 });
    expect((await expectConsistent(sale.id)).claimed).toBe(1); // not yet: the checkout may still run
    await ctx.advance({ minutes: 1 });
    const s = await expectConsistent(sale.id);
    expect({ claimed: s.claimed, released: s.released }).toEqual({ claimed: 0, released: 1 });
    await expectGateAgrees(sale.id);
    await claim(sale.id, buyer);
  });

  it('checkFlashClaim refuses before any transaction: sold out, over the limit; the gate alone answers', async () => {
    const { sale } = await liveFlashSale(ctx, { quota: 3, perBuyerLimit: 1 });
    const [a, b, c] = [newId('acct'), newId('acct'), newId('acct')];
    for (const buyer of [a, b]) await claim(sale.id, buyer);
    await flashGateSettled();
    // With the gate, any use of the database fails the check: Redis alone must answer.
    const noDatabase = new Proxy(
      {},
      {
        get() {
          throw new Error('the database was used');
        },
      },
    ) as typeof ctx.db;
    const db = gate ? noDatabase : ctx.db;
    const check = (buyerId: string, quantity = 1) =>
      checkFlashClaim(db, { campaignId: sale.id, buyerId, quantity }, ctx.clock.now()).then(
        () => 'ok',
        (e: AppError) => `${e.status} ${e.code}${e.params?.limit ? ` ${e.params.limit}` : ''}`,
      );
    // Checks arriving together share one read, yet each buyer gets its own answer.
    expect(await Promise.all([check(a), check(c), check(b), check(c, 2)])).toEqual([
      '422 flash_buyer_limit 1',
      'ok',
      '422 flash_buyer_limit 1',
      '409 flash_sold_out', // 1 unit left: sold out for 2, as the claim would answer
    ]);
    await claim(sale.id, c);
    await flashGateSettled();
    expect(await Promise.all([check(newId('acct')), check(a)])).toEqual([
      '409 flash_sold_out',
      '409 flash_sold_out',
    ]);
    if (!gate) {
      // Without the gate the read also knows the window and whether the sale exists.
      const { sale: upcoming } = await liveFlashSale(ctx, { quota: 3, perBuyerLimit: 1, start: false });
      const early = await checkFlashClaim(
        ctx.db,
        { campaignId: upcoming.id, buyerId: a, quantity: 1 },
        ctx.clock.now(),
      ).catch((e: AppError) => e.code);
      expect(early).toBe('flash_sale_not_active');
      const unknown = await checkFlashClaim(
        ctx.db,
        { campaignId: 'flash_nope', buyerId: a, quantity: 1 },
        ctx.clock.now(),
      ).catch((e: AppError) => e.code);
      expect(unknown).toBe('flash_sale_not_found');
    }
    expect((await expectConsistent(sale.id)).claimed).toBe(3);
    await expectGateAgrees(sale.id);
  });

  it('pause stops sales, resume restarts them; a sale outside its window sells nothing', async () => {
    const { sale, skuId, seller } = await liveFlashSale(ctx, { quota: 5, perBuyerLimit: 5 });
    expect((await activeFlashSale(ctx.db, skuId, ctx.clock.now()))?.id).toBe(sale.id);
    const paused = await seller.owner.post(`/seller/shops/${seller.shopId}/flash-sales/${sale.id}/pause`);
    expect(paused.status).toBe(200);
    expect(await activeFlashSale(ctx.db, skuId, ctx.clock.now())).toBeUndefined();
    expect(codeOf((await Promise.allSettled([claim(sale.id, newId('acct'))]))[0]!)).toBe(
      '409 flash_sale_not_active',
    );
    const resumed = await seller.owner.post(`/seller/shops/${seller.shopId}/flash-sales/${sale.id}/resume`);
    expect(resumed.status).toBe(200);
    await claim(sale.id, newId('acct'), 2);
    expect((await expectConsistent(sale.id)).claimed).toBe(2);
    await ctx.advance({ hours: 1 }); // (the claim's order never appears: its deadline releases it)
    expect(await activeFlashSale(ctx.db, skuId, ctx.clock.now())).toBeUndefined();
    expect(codeOf((await Promise.allSettled([claim(sale.id, newId('acct'))]))[0]!)).toBe(
      '409 flash_sale_not_active',
    );
    expect((await expectConsistent(sale.id)).released).toBe(2);
    await expectGateAgrees(sale.id);
    const unknown = await Promise.allSettled([claim('flash_nope', newId('acct'))]);
    expect(codeOf(unknown[0]!)).toBe('404 flash_sale_not_found');
  });
});

describe.skipIf(!(await withRedis()))('the gate heals (Redis)', () => {
  let gate: RedisFlashGate;
  beforeAll(async () => {
    gate = (await useGate(true))!;
    gateErrors.length = 0;
  });

  it('re-seeds from the database after losing its keys, without over-selling or under-selling', async () => {
    const { sale } = await liveFlashSale(ctx, { quota: 30, perBuyerLimit: 1 });
    const first = Array.from({ length: 20 }, () => newId('acct'));
    await Promise.all(first.map((b) => claim(sale.id, b)));
    await flashGateSettled();
    await gate.forget(sale.id); // Redis restarted or evicted the keys
    const again = await Promise.allSettled(
      [...first.slice(0, 5), ...Array.from({ length: 40 }, () => newId('acct'))].map((b) =>
        claim(sale.id, b),
      ),
    );
    const codes = again.map(codeOf);
    expect(codes.filter((c) => c === 'ok')).toHaveLength(10);
    // the 5 who already bought are refused (over the limit, or sold out if they came after the last unit)
    expect(codes.slice(0, 5).every((c) => c === '422 flash_buyer_limit' || c === '409 flash_sold_out')).toBe(
      true,
    );
    expect((await expectConsistent(sale.id)).claimed).toBe(30);
    await flashGateSettled();
    expect((await gate.snapshot(sale.id))?.left).toBe(0);
  });

  it('an admission whose process died before its follow-up is resolved by the sweep', async () => {
    const { sale } = await liveFlashSale(ctx, { quota: 2, perBuyerLimit: 1 });
    // Two admissions that never reached the database (the process died): the gate under-admits...
    const now = ctx.clock.now();
    expect(await gate.admit(sale.id, { buyerId: 'ghost1', orderId: newId('ord'), quantity: 1 }, now)).toBe(
      'ok',
    );
    expect(await gate.admit(sale.id, { buyerId: 'ghost2', orderId: newId('ord'), quantity: 1 }, now)).toBe(
      'ok',
    );
    expect(codeOf((await Promise.allSettled([claim(sale.id, newId('acct'))]))[0]!)).toBe(
      '409 flash_sold_out',
    );
    // ...until the sweep after the grace period probes for their claims and gives the units back.
    await ctx.advance({ minutes: 2 });
    await claim(sale.id, newId('acct'));
    await claim(sale.id, newId('acct'));
    await flashGateSettled();
    expect((await gate.snapshot(sale.id))?.left).toBe(0);
    expect((await expectConsistent(sale.id)).claimed).toBe(2);
  });

  it('a lost give-back is healed by the sweep raising what is left', async () => {
    const { sale } = await liveFlashSale(ctx, { quota: 1, perBuyerLimit: 1 });
    const order = newId('ord');
    await claim(sale.id, 'b1', 1, order);
    await flashGateSettled();
    // The release commits but its give-back is lost (Redis unreachable for a moment).
    configureWithoutGiveBack();
    await ctx.db.transaction((tx) => releaseFlashClaims(tx, order, ctx.clock.now()));
    restoreGate();
    expect((await gate.snapshot(sale.id))?.left).toBe(0);
    await ctx.db.transaction((tx) => reconcileFlashGate(tx, sale.id, ctx.clock.now()));
    expect((await gate.snapshot(sale.id))?.left).toBe(1);
    expect((await gate.snapshot(sale.id))?.buyers.size).toBe(0);
    await claim(sale.id, 'b1');
  });

  let saved: RedisFlashGate['giveBack'] | undefined;
  function configureWithoutGiveBack() {
    saved = gate.giveBack.bind(gate);
    gate.giveBack = async () => {
      throw new Error('connection lost');
    };
  }
  function restoreGate() {
    if (saved) gate.giveBack = saved;
    gateErrors.length = 0;
  }
});
