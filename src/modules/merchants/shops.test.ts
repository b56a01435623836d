import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { DAY } from '../../kernel/clock';
import { outboxEvents } from '../../kernel/schema';
import { expectLedgerBalanced } from '../ledger/testing';
import { addMonths } from './shops';
import { openMallShop, openMarketShop } from './testing';

let ctx: TestContext;
let operator: Awaited<ReturnType<typeof signUp>>;
beforeAll(async () => {
  // These tests move the clock by months and years; sessions must outlive that.
  ctx = await makeTestApp({ sessionDays: 3650 });
  operator = await signUp(ctx, { operator: true });
});
afterAll(async () => ctx.close());

type Account = { code: string; kind: string; balance: number };
const later = (days: number) => new Date(ctx.clock.now().getTime() + days * DAY).toISOString();
const platformBalance = async (code: string) =>
  ((await operator.get('/admin/ledger')).body.accounts.find((a: Account) => a.code === code)
    ?.balance as number) ?? 0;

describe('addMonths', () => {
  it('adds calendar months and keeps to the end of shorter months', () => {
    expect(addMonths(new Date('2026-11-01T02:00:00Z'), 12).toISOString()).toBe('2027-11-01T02:00:00.000Z');
    expect(addMonths(new Date('2027-01-31T00:00:00Z'), 1).toISOString()).toBe('2027-02-28T00:00:00.000Z');
    expect(addMonths(new Date('2028-02-29T00:00:00Z'), 12).toISOString()).toBe('2029-02-28T00:00:00.000Z');
  });
});

describe('shop pages', () => {
  it('shows staff the kind, tier, deposit, penalty points and rating; the public page hides the deposit', async () => {
    const owner = await signUp(ctx);
    const shopId = await openMarketShop(owner, { shopName: '山货小铺' });
    const r = await owner.get(`/seller/shops/${shopId}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      id: shopId,
      name: '山货小铺',
      kind: 'market',
      status: 'active',
      mallType: null,
      brandName: null,
      tier: 'free',
      tierPaidUntil: null,
      deposit: { plan: 'deposit', status: 'unpaid', amount: 100_000, insuredUntil: null },
      penaltyPoints: 0,
      penalty: { general: 0, serious: 0, counterfeit: 0, restriction: null },
      rating: null,
      createdAt: ctx.clock.now().toISOString(),
      closedAt: null,
      role: 'owner',
    });
    const pub = await client(ctx.app).get(`/shops/${shopId}`);
    expect(pub.status).toBe(200);
    expect(pub.body).toEqual({
      id: shopId,
      name: '山货小铺',
      kind: 'market',
      status: 'active',
      tier: 'free',
      rating: null,
      createdAt: ctx.clock.now().toISOString(),
    });
    expect((await client(ctx.app).get('/shops/shop_nope')).status).toBe(404);
  });
});

describe('deposits', () => {
  it('freezes the consumer-protection deposit in the ledger, once', async () => {
    const owner = await signUp(ctx);
    const shopId = await openMarketShop(owner);
    const cashBefore = await platformBalance('platform:cash');
    const r = await owner.post(`/seller/shops/${shopId}/deposit`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ depositStatus: 'frozen', plan: 'deposit', amount: 100_000, insuredUntil: null });
    expect((await owner.get(`/seller/shops/${shopId}`)).body.deposit).toEqual({
      plan: 'deposit',
      status: 'frozen',
      amount: 100_000,
      insuredUntil: null,
    });
    const ledger = await owner.get(`/seller/shops/${shopId}/ledger`);
    expect(ledger.body).toMatchObject({ balance: 0, frozenDeposit: 100_000, currency: 'CNY' });
    expect(ledger.body.lines.items).toHaveLength(1);
    expect(ledger.body.lines.items[0]).toMatchObject({
      kind: 'shop.deposit_frozen',
      account: 'deposit',
      amount: 100_000,
      balanceAfter: 100_000,
      ref: shopId,
    });
    expect(await platformBalance('platform:cash')).toBe(cashBefore + 100_000);

    const twice = await owner.post(`/seller/shops/${shopId}/deposit`);
    expect(twice.status).toBe(409);
    expect(twice.body.type).toBe('urn:jishi:problem:deposit-already-paid');
    expect((await owner.get(`/seller/shops/${shopId}/ledger`)).body.frozenDeposit).toBe(100_000);
    await expectLedgerBalanced(ctx.db);
  });

  it('only the owner pays', async () => {
    const owner = await signUp(ctx);
    const shopId = await openMarketShop(owner);
    const finance = await signUp(ctx);
    const inv = await owner.post(`/seller/shops/${shopId}/staff`, { login: finance.login, role: 'finance' });
    await finance.post(`/staff-invitations/${inv.body.id}/accept`);
    const r = await finance.post(`/seller/shops/${shopId}/deposit`);
    expect(r.status).toBe(403);
    expect(r.body.title).toBe('Your staff role (finance) may not do this');
    expect((await owner.get(`/seller/shops/${shopId}`)).body.deposit.status).toBe('unpaid');
  });

  it('sells a year of deposit insurance as platform revenue, renews it, and lapses it when unpaid', async () => {
    const owner = await signUp(ctx);
    const shopId = await openMarketShop(owner, { depositPlan: 'insurance' });
    expect((await owner.get(`/seller/shops/${shopId}`)).body.deposit).toEqual({
      plan: 'insurance',
      status: 'unpaid',
      amount: 3000,
      insuredUntil: null,
    });
    const revenueBefore = await platformBalance('platform:revenue:insurance');
    const start = ctx.clock.now();
    const paid = await owner.post(`/seller/shops/${shopId}/deposit`);
    expect(paid.status).toBe(200);
    const oneYear = addMonths(start, 12).toISOString();
    expect(paid.body).toEqual({
      depositStatus: 'insured',
      plan: 'insurance',
      amount: 3000,
      insuredUntil: oneYear,
    });
    expect(await platformBalance('platform:revenue:insurance')).toBe(revenueBefore + 3000);
    // Not the shop's money: nothing frozen for it.
    expect((await owner.get(`/seller/shops/${shopId}/ledger`)).body.frozenDeposit).toBe(0);

    // Paying while insured extends from the end of the current term.
    const renewed = await owner.post(`/seller/shops/${shopId}/deposit`);
    expect(renewed.body.insuredUntil).toBe(addMonths(start, 24).toISOString());

    await ctx.advance({ days: 365 + 300 });
    expect((await owner.get(`/seller/shops/${shopId}`)).body.deposit.status).toBe('insured');
    await ctx.advance({ days: 100 });
    const lapsed = await owner.get(`/seller/shops/${shopId}`);
    expect(lapsed.body.deposit).toMatchObject({ status: 'lapsed', amount: 3000 });

    const back = await owner.post(`/seller/shops/${shopId}/deposit`);
    expect(back.body).toMatchObject({
      depositStatus: 'insured',
      insuredUntil: addMonths(ctx.clock.now(), 12).toISOString(),
    });
    expect(await platformBalance('platform:revenue:insurance')).toBe(revenueBefore + 9000);
    await expectLedgerBalanced(ctx.db);
  });
});

describe('market shop tiers', () => {
  it('charges a month in advance, renews from the paid-up date, and falls back to free when it runs out', async () => {
    const owner = await signUp(ctx);
    const shopId = await openMarketShop(owner);
    const feesBefore = await platformBalance('platform:revenue:tier_fees');

    const basic = await owner.post(`/seller/shops/${shopId}/tier`, { tier: 'basic' });
    expect(basic.status).toBe(200);
    expect(basic.body).toEqual({ tier: 'basic', tierPaidUntil: later(30), charged: 3000 });
    const renewed = await owner.post(`/seller/shops/${shopId}/tier`, { tier: 'basic' });
    expect(renewed.body).toEqual({ tier: 'basic', tierPaidUntil: later(60), charged: 3000 });
    expect(await platformBalance('platform:revenue:tier_fees')).toBe(feesBefore + 6000);

    await ctx.advance({ days: 31 });
    expect((await owner.get(`/seller/shops/${shopId}`)).body).toMatchObject({ tier: 'basic' });
    await ctx.advance({ days: 30 });
    const lapsed = await owner.get(`/seller/shops/${shopId}`);
    expect(lapsed.body).toMatchObject({ tier: 'free', tierPaidUntil: null });
    await expectLedgerBalanced(ctx.db);
  });

  it('switching to another paid tier starts a new period; choosing free is immediate and free', async () => {
    const owner = await signUp(ctx);
    const shopId = await openMarketShop(owner);
    await owner.post(`/seller/shops/${shopId}/tier`, { tier: 'basic' });
    const premium = await owner.post(`/seller/shops/${shopId}/tier`, { tier: 'premium' });
    expect(premium.body).toEqual({ tier: 'premium', tierPaidUntil: later(30), charged: 12_000 });
    const free = await owner.post(`/seller/shops/${shopId}/tier`, { tier: 'free' });
    expect(free.body).toEqual({ tier: 'free', tierPaidUntil: null, charged: 0 });
    const again = await owner.post(`/seller/shops/${shopId}/tier`, { tier: 'free' });
    expect(again.status).toBe(409);
    // No deadline is left to act on a tier the shop has already left.
    await ctx.advance({ days: 31 });
    expect((await owner.get(`/seller/shops/${shopId}`)).body.tier).toBe('free');
    await expectLedgerBalanced(ctx.db);
  });

  it('refuses an unknown tier (400 listing the tiers), a mall shop (422) and non-owners (403)', async () => {
    const owner = await signUp(ctx);
    const shopId = await openMarketShop(owner);
    const unknown = await owner.post(`/seller/shops/${shopId}/tier`, { tier: 'platinum' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([
      { path: '/tier', in: 'body', message: 'must be one of: free, basic, advanced, premium' },
    ]);
    const zh = await client(ctx.app, owner.token, 'zh-CN').post(`/seller/shops/${shopId}/tier`, {});
    expect(zh.status).toBe(400);
    expect(zh.body.errors).toEqual([{ path: '/tier', in: 'body', message: '必填' }]);

    const mallOwner = await signUp(ctx);
    const mallShop = await openMallShop(mallOwner, operator);
    const mall = await mallOwner.post(`/seller/shops/${mallShop}/tier`, { tier: 'basic' });
    expect(mall.status).toBe(422);
    expect(mall.body.type).toBe('urn:jishi:problem:tiers-market-only');

    const staff = await signUp(ctx);
    const inv = await owner.post(`/seller/shops/${shopId}/staff`, { login: staff.login, role: 'operations' });
    await staff.post(`/staff-invitations/${inv.body.id}/accept`);
    expect((await staff.post(`/seller/shops/${shopId}/tier`, { tier: 'basic' })).status).toBe(403);
    expect((await owner.get(`/seller/shops/${shopId}`)).body.tier).toBe('free');
    await expectLedgerBalanced(ctx.db);
  });
});

describe('closure', () => {
  it('closes the shop and pays the frozen deposit back after the cooling period', async () => {
    const owner = await signUp(ctx);
    const shopId = await openMarketShop(owner);
    const finance = await signUp(ctx);
    const inv = await owner.post(`/seller/shops/${shopId}/staff`, { login: finance.login, role: 'finance' });
    await finance.post(`/staff-invitations/${inv.body.id}/accept`);
    await owner.post(`/seller/shops/${shopId}/tier`, { tier: 'advanced' });
    await owner.post(`/seller/shops/${shopId}/deposit`);
    const cashBefore = await platformBalance('platform:cash');

    const closed = await owner.post(`/seller/shops/${shopId}/close`);
    expect(closed.status).toBe(200);
    expect(closed.body).toEqual({
      status: 'closed',
      closedAt: ctx.clock.now().toISOString(),
      depositStatus: 'releasing',
      depositReleaseAt: later(30),
    });
    expect((await owner.post(`/seller/shops/${shopId}/close`)).status).toBe(409);
    expect((await owner.post(`/seller/shops/${shopId}/deposit`)).status).toBe(409);
    expect((await owner.post(`/seller/shops/${shopId}/tier`, { tier: 'basic' })).status).toBe(409);
    const signUpLater = await signUp(ctx);
    const invite = await owner.post(`/seller/shops/${shopId}/staff`, {
      login: signUpLater.login,
      role: 'service',
    });
    expect(invite.status).toBe(409);
    expect(invite.body.type).toBe('urn:jishi:problem:shop-closed');

    await ctx.advance({ days: 29 });
    const cooling = await finance.get(`/seller/shops/${shopId}`);
    expect(cooling.status).toBe(200);
    expect(cooling.body).toMatchObject({
      status: 'closed',
      deposit: { status: 'releasing', amount: 100_000 },
    });
    expect((await finance.get(`/seller/shops/${shopId}/ledger`)).body.frozenDeposit).toBe(100_000);

    await ctx.advance({ days: 2 });
    const released = await owner.get(`/seller/shops/${shopId}`);
    expect(released.body).toMatchObject({ status: 'closed', tier: 'advanced', tierPaidUntil: null });
    expect(released.body.deposit).toEqual({
      plan: 'deposit',
      status: 'released',
      amount: 100_000,
      insuredUntil: null,
    });
    const ledger = await finance.get(`/seller/shops/${shopId}/ledger`);
    expect(ledger.status).toBe(200);
    expect(ledger.body.frozenDeposit).toBe(0);
    expect(
      ledger.body.lines.items.map((l: { kind: string; amount: number; balanceAfter: number }) => [
        l.kind,
        l.amount,
        l.balanceAfter,
      ]),
    ).toEqual([
      ['shop.deposit_released', -100_000, 0],
      ['shop.deposit_frozen', 100_000, 100_000],
    ]);
    expect(await platformBalance('platform:cash')).toBe(cashBefore - 100_000);
    expect((await owner.get('/me')).body.shops.map((s: { id: string }) => s.id)).toContain(shopId);
    await expectLedgerBalanced(ctx.db);
  });

  it('closes a shop that never paid, with nothing to release; insurance cover runs its term', async () => {
    const owner = await signUp(ctx);
    const unpaid = await openMarketShop(owner);
    const r = await owner.post(`/seller/shops/${unpaid}/close`);
    expect(r.body).toMatchObject({ depositStatus: 'unpaid', depositReleaseAt: null });

    const insuredOwner = await signUp(ctx);
    const insured = await openMarketShop(insuredOwner, { depositPlan: 'insurance' });
    await insuredOwner.post(`/seller/shops/${insured}/deposit`);
    const closed = await insuredOwner.post(`/seller/shops/${insured}/close`);
    expect(closed.body).toMatchObject({ depositStatus: 'insured', depositReleaseAt: null });
    await ctx.advance({ days: 40 });
    expect((await insuredOwner.get(`/seller/shops/${insured}`)).body.deposit.status).toBe('insured');
    await expectLedgerBalanced(ctx.db);
  });

  it('only the owner closes', async () => {
    const owner = await signUp(ctx);
    const shopId = await openMarketShop(owner);
    const ops = await signUp(ctx);
    const inv = await owner.post(`/seller/shops/${shopId}/staff`, { login: ops.login, role: 'operations' });
    await ops.post(`/staff-invitations/${inv.body.id}/accept`);
    expect((await ops.post(`/seller/shops/${shopId}/close`)).status).toBe(403);
    expect((await owner.get(`/seller/shops/${shopId}`)).body.status).toBe('active');
  });
});

describe('events', () => {
  it('records each change of a shop’s life in the outbox, in order', async () => {
    const owner = await signUp(ctx);
    const shopId = await openMarketShop(owner);
    const clerk = await signUp(ctx);
    const inv = await owner.post(`/seller/shops/${shopId}/staff`, { login: clerk.login, role: 'service' });
    await clerk.post(`/staff-invitations/${inv.body.id}/accept`);
    await owner.post(`/seller/shops/${shopId}/deposit`);
    await owner.post(`/seller/shops/${shopId}/tier`, { tier: 'basic' });
    await owner.post(`/seller/shops/${shopId}/close`);
    await ctx.advance({ days: 31 });
    const events = await ctx.db
      .select({ topic: outboxEvents.topic, payload: outboxEvents.payload })
      .from(outboxEvents)
      .where(sql`${outboxEvents.payload}->>'shopId' = ${shopId}`)
      .orderBy(outboxEvents.id);
    expect(events.map((e) => e.topic)).toEqual([
      'shop.opened',
      'merchant.application_approved',
      'shop.staff_invited',
      'shop.staff_added',
      'shop.deposit_paid',
      'shop.tier_changed',
      'shop.closed',
      'shop.deposit_released',
    ]);
    expect(events.at(-1)?.payload).toEqual({ shopId, amount: 100_000 });
    await expectLedgerBalanced(ctx.db);
  });
});

describe('platform ledger', () => {
  it('shows operators the platform accounts with a total of zero; nobody else', async () => {
    const r = await operator.get('/admin/ledger');
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(0);
    expect(r.body.currency).toBe('CNY');
    const codes = r.body.accounts.map((a: Account) => a.code);
    expect(codes).toEqual(
      expect.arrayContaining(['platform:cash', 'platform:revenue:insurance', 'platform:revenue:tier_fees']),
    );
    expect(codes.some((c: string) => c.startsWith('shop:'))).toBe(false);
    const cash = r.body.accounts.find((a: Account) => a.code === 'platform:cash')?.balance;
    const revenue = r.body.accounts
      .filter((a: Account) => a.kind === 'revenue')
      .reduce((s: number, a: Account) => s + a.balance, 0);
    // Cash in = revenue earned + deposits still owed to shops.
    expect(cash).toBe(revenue + r.body.shops.deposit + r.body.shops.balance);
    const buyer = await signUp(ctx);
    expect((await buyer.get('/admin/ledger')).status).toBe(403);
    expect((await client(ctx.app).get('/admin/ledger')).status).toBe(401);
    await expectLedgerBalanced(ctx.db);
  });
});
