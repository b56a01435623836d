import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { openMarketShop } from './testing';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await makeTestApp();
});
afterAll(async () => ctx.close());

type User = Awaited<ReturnType<typeof signUp>>;

async function hire(owner: User, shopId: string, role: string): Promise<User> {
  const member = await signUp(ctx);
  const inv = await owner.post(`/seller/shops/${shopId}/staff`, { login: member.login, role });
  expect(inv.status).toBe(201);
  expect((await member.post(`/staff-invitations/${inv.body.id}/accept`)).status).toBe(200);
  return member;
}

describe('staff invitations', () => {
  it('invites by login; the invitee sees, accepts and becomes staff in that role', async () => {
    const owner = await signUp(ctx);
    const shopId = await openMarketShop(owner, { shopName: '茶叶铺' });
    const clerk = await signUp(ctx, { displayName: '小李' });

    const inv = await owner.post(`/seller/shops/${shopId}/staff`, {
      login: clerk.login.toUpperCase(),
      role: 'service',
    });
    expect(inv.status).toBe(201);
    expect(inv.body).toMatchObject({ shopId, login: clerk.login, role: 'service', status: 'pending' });

    const mine = await clerk.get('/me/staff-invitations');
    expect(mine.body.items).toEqual([
      {
        id: inv.body.id,
        shop: { id: shopId, name: '茶叶铺', kind: 'market' },
        role: 'service',
        createdAt: ctx.clock.now().toISOString(),
      },
    ]);
    // Before accepting, the shop is not theirs to see.
    expect((await clerk.get(`/seller/shops/${shopId}`)).status).toBe(403);

    const staffList = await owner.get(`/seller/shops/${shopId}/staff`);
    expect(staffList.body.members.map((m: { role: string }) => m.role)).toEqual(['owner']);
    expect(staffList.body.invitations.map((i: { id: string }) => i.id)).toEqual([inv.body.id]);

    const accepted = await clerk.post(`/staff-invitations/${inv.body.id}/accept`);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toEqual({ id: inv.body.id, shopId, role: 'service', status: 'accepted' });
    expect((await clerk.get('/me/staff-invitations')).body.items).toEqual([]);
    const me = await clerk.get('/me');
    expect(me.body.roles).toContain('merchant');
    expect(me.body.shops).toEqual([{ id: shopId, name: '茶叶铺', kind: 'market', role: 'service' }]);
    const view = await clerk.get(`/seller/shops/${shopId}`);
    expect(view.status).toBe(200);
    expect(view.body.role).toBe('service');

    const after = await clerk.get(`/seller/shops/${shopId}/staff`);
    expect(after.body.members).toEqual([
      expect.objectContaining({ accountId: owner.accountId, login: owner.login, role: 'owner' }),
      expect.objectContaining({
        accountId: clerk.accountId,
        login: clerk.login,
        displayName: '小李',
        role: 'service',
      }),
    ]);
    expect(after.body.invitations).toEqual([]);
    // Answered once is answered.
    expect((await clerk.post(`/staff-invitations/${inv.body.id}/decline`)).status).toBe(409);
  });

  it('answers 404 naming /login for an unknown login, in both languages', async () => {
    const owner = await signUp(ctx);
    const shopId = await openMarketShop(owner);
    const en = await owner.post(`/seller/shops/${shopId}/staff`, { login: 'nobody_here', role: 'finance' });
    expect(en.status).toBe(404);
    expect(en.body.type).toBe('urn:jishi:problem:account-not-found');
    expect(en.body.errors).toEqual([{ path: '/login', in: 'body', message: 'no account has this login' }]);
    const zh = await client(ctx.app, owner.token, 'zh-CN').post(`/seller/shops/${shopId}/staff`, {
      login: 'nobody_here',
      role: 'finance',
    });
    expect(zh.body.title).toBe('该登录名对应的账号不存在');
    expect((await owner.get(`/seller/shops/${shopId}/staff`)).body.invitations).toEqual([]);
  });

  it('never invites an owner, and refuses duplicates', async () => {
    const owner = await signUp(ctx);
    const shopId = await openMarketShop(owner);
    const other = await signUp(ctx);
    const asOwner = await owner.post(`/seller/shops/${shopId}/staff`, { login: other.login, role: 'owner' });
    expect(asOwner.status).toBe(400);
    expect(asOwner.body.errors).toEqual([
      { path: '/role', in: 'body', message: 'must be one of: operations, service, warehouse, finance' },
    ]);
    expect(
      (await owner.post(`/seller/shops/${shopId}/staff`, { login: other.login, role: 'finance' })).status,
    ).toBe(201);
    const dup = await owner.post(`/seller/shops/${shopId}/staff`, { login: other.login, role: 'service' });
    expect(dup.status).toBe(409);
    expect(dup.body.type).toBe('urn:jishi:problem:invitation-pending');
    const self = await owner.post(`/seller/shops/${shopId}/staff`, { login: owner.login, role: 'service' });
    expect(self.status).toBe(409);
    expect(self.body.type).toBe('urn:jishi:problem:already-staff');
  });

  it('only the invitee answers; declining leaves the shop unchanged; the owner may withdraw', async () => {
    const owner = await signUp(ctx);
    const shopId = await openMarketShop(owner);
    const invitee = await signUp(ctx);
    const stranger = await signUp(ctx);
    const inv = await owner.post(`/seller/shops/${shopId}/staff`, {
      login: invitee.login,
      role: 'warehouse',
    });
    expect((await stranger.post(`/staff-invitations/${inv.body.id}/accept`)).status).toBe(404);
    expect((await owner.post(`/staff-invitations/${inv.body.id}/accept`)).status).toBe(404);
    const declined = await invitee.post(`/staff-invitations/${inv.body.id}/decline`);
    expect(declined.body).toMatchObject({ status: 'declined' });
    expect((await invitee.get(`/seller/shops/${shopId}`)).status).toBe(403);
    expect((await owner.get(`/seller/shops/${shopId}/staff`)).body.members).toHaveLength(1);

    const second = await owner.post(`/seller/shops/${shopId}/staff`, {
      login: invitee.login,
      role: 'warehouse',
    });
    expect(second.status).toBe(201);
    const cancelled = await owner.post(`/seller/shops/${shopId}/staff-invitations/${second.body.id}/cancel`);
    expect(cancelled.body).toEqual({ id: second.body.id, status: 'cancelled' });
    expect((await invitee.post(`/staff-invitations/${second.body.id}/accept`)).status).toBe(409);
    expect(
      (await owner.post(`/seller/shops/${shopId}/staff-invitations/${second.body.id}/cancel`)).status,
    ).toBe(409);
    expect((await owner.post(`/seller/shops/${shopId}/staff-invitations/sinv_nope/cancel`)).status).toBe(404);
  });

  it('only the owner invites and removes staff; the owner cannot be removed', async () => {
    const owner = await signUp(ctx);
    const shopId = await openMarketShop(owner);
    const ops = await hire(owner, shopId, 'operations');
    const other = await signUp(ctx);
    const byOps = await ops.post(`/seller/shops/${shopId}/staff`, { login: other.login, role: 'service' });
    expect(byOps.status).toBe(403);
    expect((await ops.delete(`/seller/shops/${shopId}/staff/${owner.accountId}`)).status).toBe(403);

    const removeOwner = await client(ctx.app, owner.token, 'zh-CN').delete(
      `/seller/shops/${shopId}/staff/${owner.accountId}`,
    );
    expect(removeOwner.status).toBe(422);
    expect(removeOwner.body).toMatchObject({
      type: 'urn:jishi:problem:owner-not-removable',
      title: '不能移除店主',
    });

    expect((await owner.delete(`/seller/shops/${shopId}/staff/${ops.accountId}`)).status).toBe(204);
    expect((await ops.get(`/seller/shops/${shopId}`)).status).toBe(403);
    expect((await ops.get('/me')).body.roles).toEqual(['buyer']);
    expect((await owner.delete(`/seller/shops/${shopId}/staff/${ops.accountId}`)).status).toBe(404);
  });
});

describe('roles', () => {
  it('finance reads the ledger; warehouse does not; every member reads the shop', async () => {
    const owner = await signUp(ctx);
    const shopId = await openMarketShop(owner);
    const warehouse = await hire(owner, shopId, 'warehouse');
    const finance = await hire(owner, shopId, 'finance');
    const denied = await warehouse.get(`/seller/shops/${shopId}/ledger`);
    expect(denied.status).toBe(403);
    expect(denied.body.type).toBe('urn:jishi:problem:staff-role-forbidden');
    expect(denied.body.title).toBe('Your staff role (warehouse) may not do this');
    const zh = await client(ctx.app, warehouse.token, 'zh-CN').get(`/seller/shops/${shopId}/ledger`);
    expect(zh.body.title).toBe('您的岗位（warehouse）无权执行此操作');
    const ok = await finance.get(`/seller/shops/${shopId}/ledger`);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({
      balance: 0,
      frozenDeposit: 0,
      currency: 'CNY',
      lines: { items: [], nextCursor: null },
    });
    expect((await owner.get(`/seller/shops/${shopId}/ledger`)).status).toBe(200);
    expect((await warehouse.get(`/seller/shops/${shopId}`)).status).toBe(200);
    expect((await warehouse.get(`/seller/shops/${shopId}/staff`)).status).toBe(200);
    // Keys are the owner's business.
    expect((await finance.get(`/seller/shops/${shopId}/api-keys`)).status).toBe(403);
  });
});
