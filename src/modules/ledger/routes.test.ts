import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { openMarketShop } from '../merchants/testing';
import { PLATFORM_ESCROW, shopAccount } from './accounts';
import { postTransaction } from './ledger';
import { expectLedgerBalanced } from './testing';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await makeTestApp();
});
afterAll(async () => ctx.close());

describe('shop statement', () => {
  it('lists the postings to the shop’s accounts, newest first, page by page', async () => {
    const owner = await signUp(ctx);
    const shopId = await openMarketShop(owner);
    const otherShop = await openMarketShop(await signUp(ctx));
    await owner.post(`/seller/shops/${shopId}/deposit`);
    // Settlements as the trade module will post them: escrow released to the shop's balance.
    for (const [i, amount] of [1999, 500, 12_000].entries()) {
      await ctx.db.transaction(async (tx) => {
        await postTransaction(tx, {
          kind: 'test.buyer_paid',
          memo: 'buyer payment into escrow',
          postings: [
            { account: 'platform:cash', amount },
            { account: PLATFORM_ESCROW, amount: -amount },
          ],
          now: ctx.clock.now(),
        });
        await postTransaction(tx, {
          kind: 'test.settlement',
          memo: `order ${i}`,
          ref: `ord_${i}`,
          shopId,
          postings: [
            { account: PLATFORM_ESCROW, amount },
            { account: shopAccount(shopId, 'balance'), amount: -amount },
          ],
          now: ctx.clock.now(),
        });
      });
    }
    // Another shop's money never shows here.
    await ctx.db.transaction((tx) =>
      postTransaction(tx, {
        kind: 'test.settlement',
        memo: 'other shop',
        shopId: otherShop,
        postings: [
          { account: 'platform:cash', amount: 777 },
          { account: shopAccount(otherShop, 'balance'), amount: -777 },
        ],
        now: ctx.clock.now(),
      }),
    );

    const all = await owner.get(`/seller/shops/${shopId}/ledger?limit=100`);
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ balance: 14_499, frozenDeposit: 100_000, currency: 'CNY' });
    expect(
      all.body.lines.items.map(
        (l: { account: string; amount: number; balanceAfter: number; ref: string }) => [
          l.account,
          l.amount,
          l.balanceAfter,
          l.ref,
        ],
      ),
    ).toEqual([
      ['balance', 12_000, 14_499, 'ord_2'],
      ['balance', 500, 2499, 'ord_1'],
      ['balance', 1999, 1999, 'ord_0'],
      ['deposit', 100_000, 100_000, shopId],
    ]);
    expect(all.body.lines.nextCursor).toBeNull();

    const first = await owner.get(`/seller/shops/${shopId}/ledger?limit=3`);
    expect(first.body.lines.items).toHaveLength(3);
    expect(first.body.lines.nextCursor).toEqual(expect.any(String));
    const second = await owner.get(
      `/seller/shops/${shopId}/ledger?limit=3&cursor=${first.body.lines.nextCursor}`,
    );
    expect([...first.body.lines.items, ...second.body.lines.items]).toEqual(all.body.lines.items);
    expect(second.body.lines.nextCursor).toBeNull();

    const bad = await client(ctx.app, owner.token, 'zh-CN').get(`/seller/shops/${shopId}/ledger?cursor=%%%`);
    expect(bad.status).toBe(400);
    expect(bad.body.title).toBe('分页游标无效');
    // A cursor that decodes but was not made by us is refused too, not passed to the database.
    const forged = Buffer.from(JSON.stringify({ id: 'x; drop table' })).toString('base64url');
    expect((await owner.get(`/seller/shops/${shopId}/ledger?cursor=${forged}`)).status).toBe(400);
    const tooMany = await owner.get(`/seller/shops/${shopId}/ledger?limit=1000`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errors[0]).toMatchObject({ path: '/limit', in: 'query' });
    await expectLedgerBalanced(ctx.db);
  });

  it('the platform summary adds every account up to zero', async () => {
    const op = await signUp(ctx, { operator: true });
    const r = await op.get('/admin/ledger');
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(0);
    expect(r.body.accounts).toEqual([
      { code: 'platform:cash', kind: 'asset', balance: 100_000 + 1999 + 500 + 12_000 + 777 },
      { code: 'platform:escrow', kind: 'liability', balance: 0 },
    ]);
    expect(r.body.shops).toEqual({ deposit: 100_000, balance: 14_499 + 777 });
    expect((await op.get('/admin/ledger?currency=USD')).body).toMatchObject({ accounts: [], total: 0 });
  });
});
