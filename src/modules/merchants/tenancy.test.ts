import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { openMarketShop } from './testing';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await makeTestApp();
});
afterAll(async () => ctx.close());

describe('tenancy', () => {
  it('staff of shop A get 404 for shop B, whatever the route, and change nothing there', async () => {
    const ownerA = await signUp(ctx);
    const ownerB = await signUp(ctx);
    const shopA = await openMarketShop(ownerA);
    const shopB = await openMarketShop(ownerB);
    const keyB = await ownerB.post(`/seller/shops/${shopB}/api-keys`, { name: 'erp', role: 'operations' });
    const someone = await signUp(ctx);

    const reads = [
      `/seller/shops/${shopB}`,
      `/seller/shops/${shopB}/staff`,
      `/seller/shops/${shopB}/ledger`,
      `/seller/shops/${shopB}/api-keys`,
    ];
    for (const url of reads) {
      const r = await ownerA.get(url);
      expect(r.status, url).toBe(404);
      expect(r.body.type).toBe('urn:jishi:problem:shop-not-found');
    }
    const writes: [string, unknown][] = [
      [`/seller/shops/${shopB}/deposit`, undefined],
      [`/seller/shops/${shopB}/tier`, { tier: 'basic' }],
      [`/seller/shops/${shopB}/staff`, { login: someone.login, role: 'service' }],
      [`/seller/shops/${shopB}/api-keys`, { name: 'x', role: 'finance' }],
      [`/seller/shops/${shopB}/api-keys/${keyB.body.id}/revoke`, undefined],
      [`/seller/shops/${shopB}/close`, undefined],
    ];
    for (const [url, body] of writes) expect((await ownerA.post(url, body)).status, url).toBe(404);
    expect((await ownerA.delete(`/seller/shops/${shopB}/staff/${ownerB.accountId}`)).status).toBe(404);

    const b = await ownerB.get(`/seller/shops/${shopB}`);
    expect(b.body).toMatchObject({ status: 'active', tier: 'free', deposit: { status: 'unpaid' } });
    expect((await ownerB.get(`/seller/shops/${shopB}/staff`)).body.invitations).toEqual([]);
    expect((await ownerB.get(`/seller/shops/${shopB}/api-keys`)).body.items[0].revokedAt).toBeNull();
    // A's own shop still answers A.
    expect((await ownerA.get(`/seller/shops/${shopA}`)).status).toBe(200);
  });

  it('a buyer with no shop gets 403 on seller routes, and on admin routes', async () => {
    const owner = await signUp(ctx);
    const shopId = await openMarketShop(owner);
    const buyer = await signUp(ctx);
    for (const url of [
      `/seller/shops/${shopId}`,
      `/seller/shops/${shopId}/ledger`,
      `/seller/shops/${shopId}/staff`,
      `/seller/shops/${shopId}/api-keys`,
    ]) {
      const r = await buyer.get(url);
      expect(r.status, url).toBe(403);
      expect(r.body.type).toBe('urn:jishi:problem:merchant-only');
    }
    expect((await buyer.post(`/seller/shops/${shopId}/deposit`)).status).toBe(403);
    expect((await buyer.post(`/seller/shops/${shopId}/close`)).status).toBe(403);
    for (const url of ['/admin/ledger', '/admin/merchant/applications', '/admin/rule-sets']) {
      const r = await buyer.get(url);
      expect(r.status, url).toBe(403);
      expect(r.body.type).toBe('urn:jishi:problem:operator-only');
    }
    expect((await client(ctx.app).get(`/seller/shops/${shopId}`)).status).toBe(401);
  });
});
