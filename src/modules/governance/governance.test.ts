import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { DEFAULTS_EFFECTIVE_FROM, ensureDefaultRuleSets, rulesFor } from './rule-sets';
import { DEFAULT_RULES, type Rules } from './rules';
import { ruleSets } from './schema';

let ctx: TestContext;
let operator: Awaited<ReturnType<typeof signUp>>;
beforeAll(async () => {
  ctx = await makeTestApp();
  operator = await signUp(ctx, { operator: true });
});
afterAll(async () => ctx.close());

const countRuleSets = async () =>
  (await ctx.db.select({ n: sql<number>`count(*)::int` }).from(ruleSets))[0]?.n ?? 0;

describe('rule sets', () => {
  it('installs version 1 of each kind once, even when several processes start together', async () => {
    expect(await countRuleSets()).toBe(2);
    await Promise.all([
      ensureDefaultRuleSets(ctx.db, ctx.clock.now()),
      ensureDefaultRuleSets(ctx.db, ctx.clock.now()),
      ensureDefaultRuleSets(ctx.db, ctx.clock.now()),
    ]);
    expect(await countRuleSets()).toBe(2);
    const market = await rulesFor(ctx.db, 'market', ctx.clock.now());
    expect(market).toMatchObject({ kind: 'market', version: 1, publishedBy: null });
    expect(market.effectiveFrom).toEqual(DEFAULTS_EFFECTIVE_FROM);
    expect(market.rules).toEqual(DEFAULT_RULES.market);
  });

  it('GET /rules answers the rules in force for a kind, to anyone', async () => {
    const anon = client(ctx.app);
    const mall = await anon.get('/rules?kind=mall');
    expect(mall.status).toBe(200);
    expect(mall.body).toMatchObject({
      kind: 'mall',
      version: 1,
      effectiveFrom: DEFAULTS_EFFECTIVE_FROM.toISOString(),
    });
    expect(mall.body.rules.shipping.deadlineHours).toBe(48);
    expect(mall.body.rules.deposit.byShopType.franchise.TM).toBe(15_000_000);
    const market = await anon.get('/rules?kind=market');
    expect(market.body.rules.shipping.deadlineHours).toBe(72);
    expect(market.body.rules.shopTiers.defaultTier).toBe('free');
    // The whole document survives the response schema unchanged.
    expect(market.body.rules).toEqual(DEFAULT_RULES.market);

    const bad = await client(ctx.app, undefined, 'en').get('/rules?kind=outlet');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]).toMatchObject({
      path: '/kind',
      in: 'query',
      message: 'must be one of: mall, market',
    });
    const missing = await client(ctx.app, undefined, 'zh-CN').get('/rules');
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0]).toMatchObject({ path: '/kind', message: '必填' });
  });

  it('only operators list and publish rule sets', async () => {
    const buyer = await signUp(ctx);
    expect((await buyer.get('/admin/rule-sets')).status).toBe(403);
    const body = {
      kind: 'market',
      effectiveFrom: ctx.clock.now().toISOString(),
      rules: DEFAULT_RULES.market,
    };
    const denied = await buyer.post('/admin/rule-sets', body);
    expect(denied.status).toBe(403);
    expect(denied.body.type).toBe('urn:jishi:problem:operator-only');
    expect((await client(ctx.app).post('/admin/rule-sets', body)).status).toBe(401);
    expect(await countRuleSets()).toBe(2);
  });

  it('refuses an invalid document with field-level problems in both languages, writing nothing', async () => {
    const rules: Partial<Rules> = structuredClone(DEFAULT_RULES.market);
    rules.shipping = { deadlineHours: 0 };
    delete rules.complaint;
    const en = await operator.post('/admin/rule-sets', {
      kind: 'market',
      effectiveFrom: ctx.clock.now().toISOString(),
      rules,
    });
    expect(en.status).toBe(400);
    expect(en.headers['content-type']).toContain('application/problem+json');
    expect(en.body.errors).toEqual(
      expect.arrayContaining([
        { path: '/rules/shipping/deadlineHours', in: 'body', message: 'must be at least 1' },
        { path: '/rules/complaint', in: 'body', message: 'is required' },
      ]),
    );
    const zh = await client(ctx.app, operator.token, 'zh-CN').post('/admin/rule-sets', {
      kind: 'market',
      effectiveFrom: ctx.clock.now().toISOString(),
      rules,
    });
    expect(zh.body.title).toBe('请求参数有误');
    expect(zh.body.errors).toEqual(
      expect.arrayContaining([{ path: '/rules/shipping/deadlineHours', in: 'body', message: '不能小于 1' }]),
    );
    expect(await countRuleSets()).toBe(2);
  });

  it('refuses a document that does not fit its kind, and a start in the past', async () => {
    const wrongKind = await operator.post('/admin/rule-sets', {
      kind: 'mall',
      effectiveFrom: ctx.clock.now().toISOString(),
      rules: DEFAULT_RULES.market,
    });
    expect(wrongKind.status).toBe(400);
    expect(wrongKind.body.errors.map((e: { path: string; message: string }) => e.path).sort()).toEqual([
      '/rules/deposit/byShopType',
      '/rules/deposit/consumerProtection',
      '/rules/shopTiers',
    ]);
    expect(
      wrongKind.body.errors.find((e: { path: string; message: string }) => e.path === '/rules/shopTiers')
        ?.message,
    ).toBe('does not apply to mall shops');
    const past = await client(ctx.app, operator.token, 'zh-CN').post('/admin/rule-sets', {
      kind: 'market',
      effectiveFrom: new Date(ctx.clock.now().getTime() - 60_000).toISOString(),
      rules: DEFAULT_RULES.market,
    });
    expect(past.status).toBe(400);
    expect(past.body.errors).toEqual([{ path: '/effectiveFrom', in: 'body', message: '不能早于当前时间' }]);
    expect(await countRuleSets()).toBe(2);
  });

  it('publishes the next version, which takes effect at its time', async () => {
    const rules = structuredClone(DEFAULT_RULES.market);
    rules.shipping.deadlineHours = 48;
    const start = new Date(ctx.clock.now().getTime() + 2 * 86_400_000);
    const r = await operator.post('/admin/rule-sets', {
      kind: 'market',
      effectiveFrom: start.toISOString(),
      rules,
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      kind: 'market',
      version: 2,
      effectiveFrom: start.toISOString(),
      publishedBy: operator.accountId,
    });
    expect(r.body.rules.shipping.deadlineHours).toBe(48);

    // Scheduled, not yet in force.
    expect((await client(ctx.app).get('/rules?kind=market')).body.version).toBe(1);
    await ctx.advance({ days: 2 });
    const now = await client(ctx.app).get('/rules?kind=market');
    expect(now.body).toMatchObject({ version: 2 });
    expect(now.body.rules.shipping.deadlineHours).toBe(48);
    // A decision about an earlier moment is still explained by the version then in force.
    expect((await rulesFor(ctx.db, 'market', new Date(start.getTime() - 1))).version).toBe(1);
    expect((await client(ctx.app).get('/rules?kind=mall')).body.version).toBe(1);
  });

  it('lists every version, newest first per kind, in pages', async () => {
    const all = await operator.get('/admin/rule-sets');
    expect(all.status).toBe(200);
    expect(all.body.items.map((r: { kind: string; version: number }) => `${r.kind}:${r.version}`)).toEqual([
      'mall:1',
      'market:2',
      'market:1',
    ]);
    const first = await operator.get('/admin/rule-sets?limit=2');
    expect(first.body.items).toHaveLength(2);
    const second = await operator.get(`/admin/rule-sets?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((r: { kind: string; version: number }) => `${r.kind}:${r.version}`)).toEqual(
      ['market:1'],
    );
    expect(second.body.nextCursor).toBeNull();
    const forged = Buffer.from(JSON.stringify({ k: 'outlet', v: 'one' })).toString('base64url');
    expect((await operator.get(`/admin/rule-sets?cursor=${forged}`)).status).toBe(400);
    const market = await operator.get('/admin/rule-sets?kind=market');
    expect(market.body.items.map((r: { kind: string; version: number }) => r.version)).toEqual([2, 1]);
  });

  it('two operators publishing at once get consecutive versions or a 409, never a duplicate', async () => {
    const body = () => ({
      kind: 'mall',
      effectiveFrom: new Date(ctx.clock.now().getTime() + 86_400_000).toISOString(),
      rules: DEFAULT_RULES.mall,
    });
    const results = await Promise.all([
      operator.post('/admin/rule-sets', body()),
      operator.post('/admin/rule-sets', body()),
    ]);
    const ok = results.filter((r) => r.status === 201);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of results) expect([201, 409]).toContain(r.status);
    expect(new Set(ok.map((r) => r.body.version)).size).toBe(ok.length);
    const mall = await operator.get('/admin/rule-sets?kind=mall');
    expect(mall.body.items.map((r: { kind: string; version: number }) => r.version)).toEqual(
      ok.length === 2 ? [3, 2, 1] : [2, 1],
    );
  });
});
