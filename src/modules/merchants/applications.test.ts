import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { expectLedgerBalanced } from '../ledger/testing';
import { merchantApplications, shopStaff, shops } from './schema';
import { makeIdNumber } from './testing';

let ctx: TestContext;
let operator: Awaited<ReturnType<typeof signUp>>;
beforeAll(async () => {
  ctx = await makeTestApp();
  operator = await signUp(ctx, { operator: true });
});
afterAll(async () => ctx.close());

const count = async (table: typeof shops | typeof merchantApplications | typeof shopStaff) =>
  (await ctx.db.select({ n: sql<number>`count(*)::int` }).from(table))[0]?.n ?? 0;

const market = (idNumber = makeIdNumber(), extra: Record<string, unknown> = {}) => ({
  kind: 'market',
  shopName: '小明的杂货铺',
  realName: '王小明',
  idNumber,
  depositPlan: 'deposit',
  ...extra,
});

const mall = (extra: Record<string, unknown> = {}) => ({
  kind: 'mall',
  shopName: 'Acme 官方旗舰店',
  realName: '李雷',
  idNumber: makeIdNumber(),
  brandName: 'Acme',
  trademarkNo: 'TM20261101',
  depositPlan: 'deposit',
  mallType: 'flagship',
  trademarkStatus: 'R',
  ...extra,
});

describe('market applications', () => {
  it('opens a market shop at once with the applicant as owner', async () => {
    const applicant = await signUp(ctx);
    const idNumber = makeIdNumber();
    const r = await applicant.post('/merchant/applications', market(idNumber));
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ kind: 'market', status: 'approved', shopName: '小明的杂货铺' });
    expect(r.body.shopId).toMatch(/^shop_/);
    expect(r.body.idNumberMasked).toBe(`${idNumber.slice(0, 3)}***********${idNumber.slice(-4)}`);
    expect(JSON.stringify(r.body)).not.toContain(idNumber);

    const me = await applicant.get('/me');
    expect(me.body.roles).toEqual(['buyer', 'merchant']);
    expect(me.body.shops).toEqual([
      { id: r.body.shopId, name: '小明的杂货铺', kind: 'market', role: 'owner' },
    ]);

    const shop = await applicant.get(`/seller/shops/${r.body.shopId}`);
    expect(shop.status).toBe(200);
    expect(shop.body).toMatchObject({
      kind: 'market',
      tier: 'free',
      role: 'owner',
      penaltyPoints: 0,
      rating: null,
    });

    const mine = await applicant.get('/merchant/applications');
    expect(mine.body.items.map((a: { id: string; status: string }) => a.id)).toEqual([r.body.id]);
  });

  it('never stores the identity number in clear', async () => {
    const applicant = await signUp(ctx);
    const idNumber = makeIdNumber();
    const r = await applicant.post('/merchant/applications', market(idNumber));
    const [row] = await ctx.db
      .select()
      .from(merchantApplications)
      .where(eq(merchantApplications.id, r.body.id));
    expect(row?.idNumberHmac).toMatch(/^[0-9a-f]{64}$/);
    expect(row?.idNumberMasked).toBe(`${idNumber.slice(0, 3)}***********${idNumber.slice(-4)}`);
    // Not even the middle digits (region, birth date, sequence) are kept anywhere.
    const apps = await ctx.db
      .select({ j: sql<string>`row_to_json(${merchantApplications})::text` })
      .from(merchantApplications);
    const shopRows = await ctx.db.select({ j: sql<string>`row_to_json(${shops})::text` }).from(shops);
    expect(apps.length + shopRows.length).toBeGreaterThan(1);
    for (const x of [...apps, ...shopRows]) expect(x.j).not.toContain(idNumber.slice(3, 14));
  });

  it('refuses a bad identity number with 400 naming /idNumber in both languages, writing nothing', async () => {
    const applicant = await signUp(ctx);
    const good = makeIdNumber();
    const badCheck = good.slice(0, 17) + (good[17] === '1' ? '2' : '1');
    const before = [await count(shops), await count(merchantApplications)];
    const en = await client(ctx.app, applicant.token, 'en').post('/merchant/applications', market(badCheck));
    expect(en.status).toBe(400);
    expect(en.headers['content-type']).toContain('application/problem+json');
    expect(en.body).toMatchObject({ type: 'urn:jishi:problem:validation-failed', status: 400 });
    expect(en.body.errors).toEqual([
      { path: '/idNumber', in: 'body', message: 'is not a valid 18-character resident identity number' },
    ]);
    const zh = await client(ctx.app, applicant.token, 'zh-CN').post(
      '/merchant/applications',
      market('12345'),
    );
    expect(zh.status).toBe(400);
    expect(zh.body.title).toBe('请求参数有误');
    expect(zh.body.errors).toEqual([
      { path: '/idNumber', in: 'body', message: '不是有效的 18 位居民身份证号码' },
    ]);
    expect([await count(shops), await count(merchantApplications)]).toEqual(before);
  });

  it('reports schema problems field by field', async () => {
    const applicant = await signUp(ctx);
    const r = await applicant.post('/merchant/applications', {
      kind: 'outlet',
      shopName: 'x',
      depositPlan: 'cash',
    });
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: { path: string; message: string }) => e.path).sort()).toEqual(
      ['/depositPlan', '/idNumber', '/kind', '/realName', '/shopName'].sort(),
    );
    expect(
      r.body.errors.find((e: { path: string; message: string }) => e.path === '/depositPlan')?.message,
    ).toBe('must be one of: deposit, insurance');
  });

  it('refuses a second market shop for the same identity number, from any account (422)', async () => {
    const idNumber = makeIdNumber();
    const first = await signUp(ctx);
    expect((await first.post('/merchant/applications', market(idNumber))).status).toBe(201);
    const before = [await count(shops), await count(merchantApplications), await count(shopStaff)];

    const again = await first.post('/merchant/applications', market(idNumber, { shopName: '第二家店' }));
    expect(again.status).toBe(422);
    const other = await signUp(ctx, { lang: 'en' });
    // Typed in lower case or with spaces, it is the same identity.
    const en = await other.post('/merchant/applications', market(` ${idNumber.toLowerCase()} `));
    expect(en.status).toBe(422);
    expect(en.body.type).toBe('urn:jishi:problem:one-shop-per-identity');
    expect(en.body.title).toBe(
      'One real-name identity may open only one market shop, and this identity number already has one',
    );
    const zh = await client(ctx.app, other.token, 'zh-CN').post('/merchant/applications', market(idNumber));
    expect(zh.status).toBe(422);
    expect(zh.body.title).toBe('每个实名身份只能开设一家集市店铺，该身份证号已有店铺');
    expect([await count(shops), await count(merchantApplications), await count(shopStaff)]).toEqual(before);
  });

  it('lets exactly one of two concurrent applications with the same identity number through', async () => {
    const idNumber = makeIdNumber();
    const [a, b] = await Promise.all([signUp(ctx), signUp(ctx)]);
    const before = await count(merchantApplications);
    const results = await Promise.all([
      a.post('/merchant/applications', market(idNumber, { shopName: 'A 店' })),
      b.post('/merchant/applications', market(idNumber, { shopName: 'B 店' })),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 422]);
    const winner = results.find((r) => r.status === 201)!.body;
    const [app] = await ctx.db
      .select()
      .from(merchantApplications)
      .where(eq(merchantApplications.id, winner.id));
    const [n] = await ctx.db
      .select({ n: sql<number>`count(*)::int` })
      .from(shops)
      .where(eq(shops.identityHmac, app!.idNumberHmac));
    expect(n?.n).toBe(1);
    expect(await count(merchantApplications)).toBe(before + 1);
  });

  it('frees the identity once its market shop is closed', async () => {
    const idNumber = makeIdNumber();
    const owner = await signUp(ctx);
    const first = await owner.post('/merchant/applications', market(idNumber));
    expect((await owner.post(`/seller/shops/${first.body.shopId}/close`)).status).toBe(200);
    const second = await owner.post('/merchant/applications', market(idNumber, { shopName: '重新开张' }));
    expect(second.status).toBe(201);
    expect(second.body.shopId).not.toBe(first.body.shopId);
  });

  it('creates one application for repeated requests with the same Idempotency-Key', async () => {
    const applicant = await signUp(ctx);
    const body = market();
    const headers = { 'idempotency-key': 'apply-once-1' };
    const before = await count(merchantApplications);
    const r1 = await applicant.post('/merchant/applications', body, headers);
    const r2 = await applicant.post('/merchant/applications', body, headers);
    expect(r1.status).toBe(201);
    expect(r2.status).toBe(201);
    expect(r2.body).toEqual(r1.body);
    expect(r2.headers['idempotent-replayed']).toBe('true');
    expect(await count(merchantApplications)).toBe(before + 1);
    const other = await applicant.post('/merchant/applications', { ...body, shopName: '另一家' }, headers);
    expect(other.status).toBe(409);
    expect(other.body.type).toBe('urn:jishi:problem:idempotency-key-reused');
  });

  it('needs a signed-in account', async () => {
    expect((await client(ctx.app).post('/merchant/applications', market())).status).toBe(401);
    expect((await client(ctx.app).get('/merchant/applications')).status).toBe(401);
  });
});

describe('mall applications', () => {
  it('requires brand, trademark, shop type and trademark status, naming each field', async () => {
    const applicant = await signUp(ctx);
    const before = await count(merchantApplications);
    const r = await applicant.post('/merchant/applications', {
      kind: 'mall',
      shopName: 'Acme 官方旗舰店',
      realName: '李雷',
      idNumber: makeIdNumber(),
      depositPlan: 'deposit',
    });
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([
      { path: '/brandName', in: 'body', message: 'is required for a mall shop' },
      { path: '/trademarkNo', in: 'body', message: 'is required for a mall shop' },
      { path: '/mallType', in: 'body', message: 'is required for a mall shop' },
      { path: '/trademarkStatus', in: 'body', message: 'is required for a mall shop' },
    ]);
    const zh = await client(ctx.app, applicant.token, 'zh-CN').post(
      '/merchant/applications',
      mall({ brandName: undefined }),
    );
    expect(zh.body.errors).toEqual([{ path: '/brandName', in: 'body', message: '商城店铺必填' }]);
    expect(await count(merchantApplications)).toBe(before);
  });

  it('refuses the insurance plan for a mall shop, with the reason', async () => {
    const applicant = await signUp(ctx);
    const r = await applicant.post('/merchant/applications', mall({ depositPlan: 'insurance' }));
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([
      {
        path: '/depositPlan',
        in: 'body',
        message: 'the deposit-insurance plan is for market shops only; mall shops pay a deposit',
      },
    ]);
    const marketWithMallType = await applicant.post(
      '/merchant/applications',
      market(undefined, { mallType: 'flagship' }),
    );
    expect(marketWithMallType.status).toBe(400);
    expect(marketWithMallType.body.errors[0]).toMatchObject({
      path: '/mallType',
      message: 'applies to mall shops only',
    });
  });

  it('waits for review; the operator approves and the shop opens, once', async () => {
    const applicant = await signUp(ctx);
    const r = await applicant.post('/merchant/applications', mall());
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      status: 'pending',
      shopId: null,
      mallType: 'flagship',
      trademarkStatus: 'R',
    });
    expect((await applicant.get('/me')).body.roles).toEqual(['buyer']);

    const pending = await operator.get('/admin/merchant/applications?status=pending');
    expect(pending.status).toBe(200);
    expect(pending.body.items.map((a: { id: string; status: string }) => a.id)).toContain(r.body.id);
    expect(pending.body.items.every((a: { id: string; status: string }) => a.status === 'pending')).toBe(
      true,
    );

    const approved = await operator.post(`/admin/merchant/applications/${r.body.id}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ id: r.body.id, status: 'approved' });
    expect(approved.body.shopId).toMatch(/^shop_/);

    const shop = await applicant.get(`/seller/shops/${approved.body.shopId}`);
    expect(shop.body).toMatchObject({
      kind: 'mall',
      tier: null,
      mallType: 'flagship',
      brandName: 'Acme',
      role: 'owner',
    });
    expect(shop.body.deposit).toEqual({
      plan: 'deposit',
      status: 'unpaid',
      amount: 5_000_000,
      insuredUntil: null,
    });
    expect((await applicant.get('/me')).body.shops[0]).toMatchObject({
      id: approved.body.shopId,
      kind: 'mall',
    });

    const again = await operator.post(`/admin/merchant/applications/${r.body.id}/approve`);
    expect(again.status).toBe(409);
    expect(again.body.type).toBe('urn:jishi:problem:application-already-reviewed');
    expect(again.body.title).toBe('This application was already reviewed (status: approved)');
    const reject = await operator.post(`/admin/merchant/applications/${r.body.id}/reject`, {
      reason: 'too late',
    });
    expect(reject.status).toBe(409);
    const [n] = await ctx.db
      .select({ n: sql<number>`count(*)::int` })
      .from(shops)
      .where(eq(shops.applicationId, r.body.id));
    expect(n?.n).toBe(1);
  });

  it('prices the mall deposit by shop type and trademark status', async () => {
    const applicant = await signUp(ctx);
    const r = await applicant.post(
      '/merchant/applications',
      mall({ mallType: 'franchise', trademarkStatus: 'TM' }),
    );
    const approved = await operator.post(`/admin/merchant/applications/${r.body.id}/approve`);
    const shop = await applicant.get(`/seller/shops/${approved.body.shopId}`);
    expect(shop.body.deposit.amount).toBe(15_000_000);
    const paid = await applicant.post(`/seller/shops/${approved.body.shopId}/deposit`);
    expect(paid.body).toMatchObject({ depositStatus: 'frozen', amount: 15_000_000 });
    const ledger = await applicant.get(`/seller/shops/${approved.body.shopId}/ledger`);
    expect(ledger.body.frozenDeposit).toBe(15_000_000);
    await expectLedgerBalanced(ctx.db);
  });

  it('the operator rejects with a reason the applicant reads; nothing opens', async () => {
    const applicant = await signUp(ctx);
    const r = await applicant.post('/merchant/applications', mall());
    const bad = await operator.post(`/admin/merchant/applications/${r.body.id}/reject`, {});
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('/reason');
    const rejected = await operator.post(`/admin/merchant/applications/${r.body.id}/reject`, {
      reason: '商标注册证与品牌名称不符',
    });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({
      status: 'rejected',
      rejectReason: '商标注册证与品牌名称不符',
      shopId: null,
    });
    const mine = await applicant.get('/merchant/applications');
    expect(mine.body.items[0]).toMatchObject({
      id: r.body.id,
      status: 'rejected',
      rejectReason: '商标注册证与品牌名称不符',
    });
    expect((await operator.post(`/admin/merchant/applications/${r.body.id}/approve`)).status).toBe(409);
    expect((await applicant.get('/me')).body.roles).toEqual(['buyer']);
    const rejectedList = await operator.get('/admin/merchant/applications?status=rejected');
    expect(rejectedList.body.items.map((a: { id: string; status: string }) => a.id)).toEqual([r.body.id]);
  });

  it('answers 404 for an unknown application and 403 to non-operators', async () => {
    expect((await operator.post('/admin/merchant/applications/mapp_nope/approve')).status).toBe(404);
    const buyer = await signUp(ctx);
    const r = await buyer.post('/merchant/applications', mall());
    expect((await buyer.post(`/admin/merchant/applications/${r.body.id}/approve`)).status).toBe(403);
    expect(
      (await buyer.post(`/admin/merchant/applications/${r.body.id}/reject`, { reason: 'no way' })).status,
    ).toBe(403);
    expect((await buyer.get('/admin/merchant/applications')).status).toBe(403);
    // Applicants see only their own applications.
    const others = await (await signUp(ctx)).get('/merchant/applications');
    expect(others.body.items).toEqual([]);
  });

  it('pages the operator’s list, newest first', async () => {
    const all = await operator.get('/admin/merchant/applications?limit=100');
    const ids = all.body.items.map((a: { id: string; status: string }) => a.id);
    expect(ids).toEqual([...ids].sort().reverse());
    const first = await operator.get('/admin/merchant/applications?limit=3');
    const second = await operator.get(`/admin/merchant/applications?limit=3&cursor=${first.body.nextCursor}`);
    expect(
      [...first.body.items, ...second.body.items].map((a: { id: string; status: string }) => a.id),
    ).toEqual(ids.slice(0, 6));
    const forged = Buffer.from(JSON.stringify({ id: 42 })).toString('base64url');
    expect((await operator.get(`/admin/merchant/applications?cursor=${forged}`)).status).toBe(400);
  });
});
