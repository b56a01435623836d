import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { merchantApiKeys } from './schema';
import { openMarketShop } from './testing';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await makeTestApp();
});
afterAll(async () => ctx.close());

describe('merchant API keys', () => {
  it('creates a key shown once, stores only its hash, and lists keys without secrets', async () => {
    const owner = await signUp(ctx);
    const shopId = await openMarketShop(owner);
    const r = await owner.post(`/seller/shops/${shopId}/api-keys`, { name: 'ERP 同步', role: 'operations' });
    expect(r.status).toBe(201);
    expect(r.body.key).toMatch(/^jk_[A-Za-z0-9_-]{43}$/);
    expect(r.body).toMatchObject({
      name: 'ERP 同步',
      role: 'operations',
      prefix: r.body.key.slice(0, 11),
      revokedAt: null,
    });
    const [row] = await ctx.db.select().from(merchantApiKeys).where(eq(merchantApiKeys.id, r.body.id));
    expect(row?.keyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(r.body.key);
    const list = await owner.get(`/seller/shops/${shopId}/api-keys`);
    expect(list.body.items).toEqual([
      {
        id: r.body.id,
        name: 'ERP 同步',
        role: 'operations',
        prefix: r.body.prefix,
        createdAt: r.body.createdAt,
        revokedAt: null,
      },
    ]);
    expect(JSON.stringify(list.body)).not.toContain(r.body.key);
  });

  it('authenticates as the shop with the key’s role, and nowhere else', async () => {
    const owner = await signUp(ctx);
    const shopId = await openMarketShop(owner);
    const otherOwner = await signUp(ctx);
    const otherShop = await openMarketShop(otherOwner);
    const ops = await owner.post(`/seller/shops/${shopId}/api-keys`, { name: 'erp', role: 'operations' });
    const fin = await owner.post(`/seller/shops/${shopId}/api-keys`, { name: 'books', role: 'finance' });
    const asOps = client(ctx.app, ops.body.key);
    const asFin = client(ctx.app, fin.body.key);

    const shop = await asOps.get(`/seller/shops/${shopId}`);
    expect(shop.status).toBe(200);
    expect(shop.body).toMatchObject({ id: shopId, role: 'operations' });
    expect((await asOps.get(`/seller/shops/${shopId}/ledger`)).status).toBe(403);
    expect((await asFin.get(`/seller/shops/${shopId}/ledger`)).status).toBe(200);
    // Owner-only actions are never a key's.
    expect(
      (await asOps.post(`/seller/shops/${shopId}/api-keys`, { name: 'x', role: 'finance' })).status,
    ).toBe(403);
    expect((await asOps.post(`/seller/shops/${shopId}/close`)).status).toBe(403);
    // A shop acting is not a person: no applying, no invitations, no admin.
    expect((await asOps.get('/merchant/applications')).status).toBe(403);
    expect((await asOps.get('/me/staff-invitations')).status).toBe(403);
    expect((await asOps.get('/admin/ledger')).status).toBe(403);

    for (const url of [
      `/seller/shops/${otherShop}`,
      `/seller/shops/${otherShop}/staff`,
      `/seller/shops/${otherShop}/ledger`,
    ]) {
      const r = await asFin.get(url);
      expect(r.status, url).toBe(404);
    }
  });

  it('stops working at once when revoked (401); revoking twice is a conflict', async () => {
    const owner = await signUp(ctx);
    const shopId = await openMarketShop(owner);
    const k = await owner.post(`/seller/shops/${shopId}/api-keys`, { name: 'old', role: 'warehouse' });
    expect((await client(ctx.app, k.body.key).get(`/seller/shops/${shopId}`)).status).toBe(200);
    const revoked = await owner.post(`/seller/shops/${shopId}/api-keys/${k.body.id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toBe(ctx.clock.now().toISOString());
    const after = await client(ctx.app, k.body.key).get(`/seller/shops/${shopId}`);
    expect(after.status).toBe(401);
    expect(after.body.type).toBe('urn:jishi:problem:unauthenticated');
    expect((await owner.post(`/seller/shops/${shopId}/api-keys/${k.body.id}/revoke`)).status).toBe(409);
    expect((await owner.post(`/seller/shops/${shopId}/api-keys/mkey_nope/revoke`)).status).toBe(404);
    // A made-up key of the right shape is nobody.
    expect((await client(ctx.app, `jk_${'A'.repeat(43)}`).get(`/seller/shops/${shopId}`)).status).toBe(401);
  });

  it('refuses the owner role for a key and bad names', async () => {
    const owner = await signUp(ctx);
    const shopId = await openMarketShop(owner);
    const r = await client(ctx.app, owner.token, 'zh-CN').post(`/seller/shops/${shopId}/api-keys`, {
      name: '',
      role: 'owner',
    });
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['/name', '/role']);
    expect((await owner.get(`/seller/shops/${shopId}/api-keys`)).body.items).toEqual([]);
  });
});
