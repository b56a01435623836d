import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Client, client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { newId } from '../../kernel/ids';
import { makeCategories } from '../catalog/testing';
import { expectLedgerBalanced } from '../ledger/testing';
import { ADDRESS, makeSeller, makeSku, type Seller } from '../trade/testing';

const HOUR = 3_600_000;

describe('group buying', () => {
  let ctx: TestContext;
  let seller: Seller;
  let skuId: string;
  let tracking = 0;

  beforeEach(async () => {
    ctx = await makeTestApp({ sessionDays: 3650 });
    const categoryId = (await makeCategories(ctx)).headphones.id;
    seller = await makeSeller(ctx, 'market');
    skuId = (await makeSku(seller, categoryId, { price: 10_000, stock: 20 })).skuId;
  });
  afterEach(async () => {
    await expectLedgerBalanced(ctx.db);
    await ctx.close();
  });

  const at = (hours: number) => new Date(ctx.clock.now().getTime() + hours * HOUR).toISOString();
  const seller$ = (path: string) => `/seller/shops/${seller.shopId}${path}`;
  const count = async (query: string) => {
    const res = (await ctx.db.execute(query)) as unknown as { rows?: { n: number | string }[] };
    return Number((res.rows ?? (res as unknown as { n: number }[]))[0]?.n ?? 0);
  };
  const campaign = async (over: Record<string, unknown> = {}) => {
    const r = await seller.owner.post(seller$('/group-buys'), {
      skuId,
      groupPrice: 6_000,
      groupSize: 3,
      stock: 9,
      startsAt: at(0),
      endsAt: at(24 * 7),
      ...over,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body as { id: string; windowHours: number };
  };
  const pay = async (buyer: Client, paymentId: string) => {
    expect((await buyer.post(`/payments/${paymentId}/pay`)).status).toBe(200);
    await ctx.advance({ minutes: 1 }); // the sandbox's callback
  };
  const order = async (buyer: Client, id: string) => (await buyer.get(`/orders/${id}`)).body;

  it('validates a campaign field by field, in the caller’s language', async () => {
    const r = await seller.owner.post(seller$('/group-buys'), {
      skuId,
      groupPrice: 10_000,
      groupSize: 3,
      stock: 21,
      startsAt: at(1),
      endsAt: at(0.5),
    });
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toContain('application/problem+json');
    expect(r.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      '/endsAt',
      '/groupPrice',
      '/stock',
    ]);
    const one = await seller.owner.post(seller$('/group-buys'), {
      skuId,
      groupPrice: 6_000,
      groupSize: 1,
      stock: 5,
      startsAt: at(0),
      endsAt: at(1),
    });
    expect(one.status).toBe(400);
    expect(one.body.errors[0].path).toBe('/groupSize');
    const zh = await client(ctx.app, seller.owner.token, 'zh-CN').post(seller$('/group-buys'), {
      skuId,
      groupPrice: 6_000,
      groupSize: 5,
      stock: 4,
      startsAt: at(0),
      endsAt: at(1),
    });
    expect(zh.body.errors[0].message).toBe('活动库存至少要够一个团（5 件）');
  });

  it('a group that fills: opens when the leader pays, one place per buyer, ships only once full', async () => {
    const gb = await campaign();
    expect(gb.windowHours).toBe(24); // the rule set's groupBuy.windowHours
    const [leader, b, c, d] = [await signUp(ctx), await signUp(ctx), await signUp(ctx), await signUp(ctx)];

    const opened = await leader.post(
      `/group-buys/${gb.id}/groups`,
      { address: ADDRESS },
      { 'idempotency-key': newId('k') },
    );
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    expect(opened.body).toMatchObject({ total: 6_000, payment: { amount: 6_000 } });
    const groupId = opened.body.groupId as string;
    const leaderOrder = await order(leader, opened.body.orderId);
    expect(leaderOrder).toMatchObject({
      status: 'awaiting_payment',
      campaign: { kind: 'group_buy', id: groupId },
    });
    // Group orders must be paid within the flash window (30 min).
    expect(Date.parse(leaderOrder.deadlines.payBy) - ctx.clock.now().getTime()).toBe(30 * 60_000);
    // Nobody joins before the leader pays.
    const early = await b.post(`/group-buys/groups/${groupId}/join`, { address: ADDRESS });
    expect(early.status).toBe(409);
    expect(early.body.type).toBe('urn:jishi:problem:group-not-open');
    // Coupons and points are not for group orders: the checkout route is the cart's, not this.

    await pay(leader, opened.body.payment.id);
    const paid = await order(leader, opened.body.orderId);
    expect(paid).toMatchObject({ status: 'paid', shipHold: 'group_forming' });
    expect(paid.deadlines.shipBy).toBeUndefined();
    const g1 = (await client(ctx.app).get(`/group-buys/groups/${groupId}`)).body;
    expect(g1.group).toMatchObject({ status: 'forming', size: 3, taken: 1, paid: 1, placesLeft: 2 });
    // 24 h from the leader's payment (the sandbox paid within the minute the test moved the clock).
    expect(g1.group.secondsLeft).toBeGreaterThan(24 * 3600 - 61);
    expect(g1.group.secondsLeft).toBeLessThanOrEqual(24 * 3600);
    expect(g1.members).toEqual([{ role: 'leader', paid: true, joinedAt: expect.any(String) }]);
    // After-sales waits while the group forms, and the seller cannot ship yet.
    const refund = await leader.post(`/orders/${opened.body.orderId}/refunds`, {
      kind: 'refund_only',
      reason: 'no_longer_needed',
    });
    expect(refund.status).toBe(422);
    expect(refund.body.type).toBe('urn:jishi:problem:group-buy-forming');
    const ship = await seller.owner.post(seller$(`/orders/${opened.body.orderId}/shipments`), {
      carrier: 'sandbox',
      trackingNo: `GB${++tracking}${Date.now()}`,
    });
    expect(ship.status).toBe(409);

    // The leader cannot join their own group; B joins once, not twice.
    expect((await leader.post(`/group-buys/groups/${groupId}/join`, { address: ADDRESS })).body.type).toBe(
      'urn:jishi:problem:group-already-joined',
    );
    const jb = await b.post(`/group-buys/groups/${groupId}/join`, { address: ADDRESS });
    expect(jb.status).toBe(201);
    const twice = await b.post(`/group-buys/groups/${groupId}/join`, { address: ADDRESS });
    expect(twice.status).toBe(409);
    expect(twice.body.type).toBe('urn:jishi:problem:group-already-joined');
    await pay(b, jb.body.payment.id);
    const jc = await c.post(`/group-buys/groups/${groupId}/join`, { address: ADDRESS });
    expect(jc.status).toBe(201);
    // C's unpaid place is held: D finds the group full.
    const full = await d.post(`/group-buys/groups/${groupId}/join`, { address: ADDRESS });
    expect(full.status).toBe(409);
    expect(full.body.type).toBe('urn:jishi:problem:group-full');

    await ctx.advance({ minutes: 20 });
    await pay(c, jc.body.payment.id);
    const formedAt = ctx.clock.now().getTime();
    const g2 = (await client(ctx.app).get(`/group-buys/groups/${groupId}`)).body;
    expect(g2.group).toMatchObject({ status: 'formed', paid: 3, placesLeft: 0, secondsLeft: null });
    for (const [buyer, id] of [
      [leader, opened.body.orderId],
      [b, jb.body.orderId],
      [c, jc.body.orderId],
    ] as const) {
      const o = await order(buyer, id);
      expect(o.shipHold).toBeNull();
      // Ship-by counts from the moment the group formed (72 h for a market shop), not from payment.
      expect(Date.parse(o.deadlines.shipBy) - (formedAt - 60_000)).toBeLessThanOrEqual(72 * HOUR + 60_000);
      expect(Date.parse(o.deadlines.shipBy)).toBeGreaterThan(formedAt + 71 * HOUR);
    }
    // Now the seller ships and after-sales is open.
    const shipped = await seller.owner.post(seller$(`/orders/${opened.body.orderId}/shipments`), {
      carrier: 'sandbox',
      trackingNo: `GB${++tracking}${Date.now()}`,
    });
    expect(shipped.status).toBe(201);
    const ok = await b.post(`/orders/${jb.body.orderId}/refunds`, {
      kind: 'refund_only',
      reason: 'no_longer_needed',
    });
    expect(ok.status).toBe(201);

    const report = (await seller.owner.get(seller$(`/group-buys/${gb.id}`))).body;
    expect(report.groupBuy).toMatchObject({ remaining: 6, phase: 'live' });
    expect(report.report).toMatchObject({
      groups: { formed: 1, forming: 0, failed: 0 },
      unitsSold: 3,
      sales: 18_000,
      discountCost: { merchant: 12_000, platform: 0 },
      formationRate: 1,
    });
    // The group is gone from the campaign's open groups.
    expect((await client(ctx.app).get(`/group-buys/${gb.id}`)).body.openGroups).toEqual([]);
  });

  it('a group that does not fill in time refunds everyone who paid, at once, and closes unpaid places', async () => {
    const gb = await campaign();
    const [leader, b, c] = [await signUp(ctx), await signUp(ctx), await signUp(ctx)];
    const opened = await leader.post(`/group-buys/${gb.id}/groups`, { address: ADDRESS });
    await pay(leader, opened.body.payment.id);
    const groupId = opened.body.groupId;
    const jb = await b.post(`/group-buys/groups/${groupId}/join`, { address: ADDRESS });
    await pay(b, jb.body.payment.id);
    await ctx.advance({ hours: 23, minutes: 50 });
    const jc = await c.post(`/group-buys/groups/${groupId}/join`, { address: ADDRESS });
    expect(jc.status).toBe(201);
    expect((await client(ctx.app).get(`/group-buys/${gb.id}`)).body.groupBuy.remaining).toBe(6);

    await ctx.advance({ minutes: 7 }); // still inside the group's 24 h (opened 1 min after the leader's order)
    expect((await client(ctx.app).get(`/group-buys/groups/${groupId}`)).body.group.status).toBe('forming');
    await ctx.advance({ minutes: 2 });
    const g = (await client(ctx.app).get(`/group-buys/groups/${groupId}`)).body;
    expect(g.group.status).toBe('failed');
    for (const [buyer, id] of [
      [leader, opened.body.orderId],
      [b, jb.body.orderId],
    ] as const) {
      expect(await order(buyer, id)).toMatchObject({ status: 'closed', closeReason: 'refunded' });
      const refunds = (await buyer.get('/refunds')).body.items;
      expect(refunds).toEqual([
        expect.objectContaining({
          orderId: id,
          reason: 'group_buy_failed',
          status: 'refunded',
          amount: 6_000,
        }),
      ]);
    }
    expect(await order(c, jc.body.orderId)).toMatchObject({
      status: 'closed',
      closeReason: 'unpaid_timeout',
    });
    // Every unit is back: the campaign's stock and the warehouse's reservations.
    expect((await client(ctx.app).get(`/group-buys/${gb.id}`)).body.groupBuy.remaining).toBe(9);
    expect(await count(`select sum(reserved)::int as n from stock where sku_id = '${skuId}'`)).toBe(0);
    // Refunded exactly once, even when the deadline is swept again.
    await ctx.advance({ days: 2 });
    expect(await count(`select count(*)::int as n from refunds where reason = 'group_buy_failed'`)).toBe(2);
    const report = (await seller.owner.get(seller$(`/group-buys/${gb.id}`))).body.report;
    expect(report).toMatchObject({ groups: { failed: 1 }, unitsSold: 0, unitsRefunded: 2, formationRate: 0 });
  });

  it('an unpaid leader abandons the group; an unpaid member’s place opens again', async () => {
    const gb = await campaign({ groupSize: 2, stock: 4 });
    const [leader, b, c] = [await signUp(ctx), await signUp(ctx), await signUp(ctx)];
    const lost = await leader.post(`/group-buys/${gb.id}/groups`, { address: ADDRESS });
    await ctx.advance({ minutes: 31 });
    expect((await client(ctx.app).get(`/group-buys/groups/${lost.body.groupId}`)).body.group.status).toBe(
      'abandoned',
    );
    expect((await client(ctx.app).get(`/group-buys/${gb.id}`)).body.groupBuy.remaining).toBe(4);

    const opened = await leader.post(`/group-buys/${gb.id}/groups`, { address: ADDRESS });
    await pay(leader, opened.body.payment.id);
    const jb = await b.post(`/group-buys/groups/${opened.body.groupId}/join`, { address: ADDRESS });
    expect(
      (await c.post(`/group-buys/groups/${opened.body.groupId}/join`, { address: ADDRESS })).status,
    ).toBe(409);
    await ctx.advance({ minutes: 31 }); // B never pays
    expect(await order(b, jb.body.orderId)).toMatchObject({ status: 'closed' });
    const jc = await c.post(`/group-buys/groups/${opened.body.groupId}/join`, { address: ADDRESS });
    expect(jc.status).toBe(201);
    await pay(c, jc.body.payment.id);
    expect((await client(ctx.app).get(`/group-buys/groups/${opened.body.groupId}`)).body.group.status).toBe(
      'formed',
    );
  });

  it('buyers racing for the last places of a group: never more members than places', async () => {
    const gb = await campaign({ groupSize: 3, stock: 9 });
    const leader = await signUp(ctx);
    const opened = await leader.post(`/group-buys/${gb.id}/groups`, { address: ADDRESS });
    await pay(leader, opened.body.payment.id);
    const buyers = await Promise.all(Array.from({ length: 8 }, () => signUp(ctx)));
    const answers = await Promise.all(
      buyers.map((b) => b.post(`/group-buys/groups/${opened.body.groupId}/join`, { address: ADDRESS })),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(2);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(6);
    expect(answers.every((a) => a.status === 201 || a.body.type === 'urn:jishi:problem:group-full')).toBe(
      true,
    );
    expect((await client(ctx.app).get(`/group-buys/groups/${opened.body.groupId}`)).body.group.taken).toBe(3);
  });

  it('a seller sees only its own campaigns', async () => {
    const gb = await campaign();
    const other = await makeSeller(ctx, 'market');
    const r = await other.owner.get(`/seller/shops/${other.shopId}/group-buys/${gb.id}`);
    expect(r.status).toBe(404);
    const cross = await other.owner.get(seller$(`/group-buys/${gb.id}`));
    expect(cross.status).toBe(404);
  });
});
