import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { drainOutbox } from '../databank/testing';
import { expectLedgerBalanced } from '../ledger/testing';
import { ADDRESS, makeCategoryId, makeSeller, makeSku, type Seller } from '../trade/testing';

let ctx: TestContext;
let seller: Seller;
let skuId: string;
let productId: string;
let operator: Client;

beforeAll(async () => {
  ctx = await makeTestApp({ sessionDays: 3650 });
  seller = await makeSeller(ctx, 'market');
  ({ skuId, productId } = await makeSku(seller, await makeCategoryId(ctx), { price: 10_000, stock: 20 }));
  operator = await signUp(ctx, { operator: true });
});
afterAll(async () => {
  await expectLedgerBalanced(ctx.db);
  await ctx.close();
});

const seller$ = (path: string) => `/seller/shops/${seller.shopId}${path}`;
const window = () => ({
  validFrom: ctx.clock.now().toISOString(),
  validUntil: new Date(ctx.clock.now().getTime() + 7 * 86_400_000).toISOString(),
});
/** What one unit of the SKU costs this buyer in the cart, and the discount kinds on it. */
const priceFor = async (buyer: Client) => {
  await buyer.delete(`/cart/items/${skuId}`);
  await buyer.post('/cart/items', { skuId, quantity: 1 });
  const cart = (await buyer.get('/cart')).body;
  const line = cart.pricing.lines.find((l: { skuId: string }) => l.skuId === skuId);
  return {
    paid: line.paid as number,
    kinds: line.discounts.map((d: { kind: string }) => d.kind) as string[],
  };
};

describe('member-only prices (会员价)', () => {
  it('need a membership programme and one of its levels', async () => {
    const none = await seller.owner.post(seller$('/timed-discounts'), {
      skuId,
      unitPrice: 9_000,
      memberLevel: '金卡',
      ...window(),
    });
    expect(none.status).toBe(400);
    expect(none.body.errors[0]).toMatchObject({ path: '/memberLevel' });
    const programme = await seller.owner.post(seller$('/membership-programme'), {
      name: '耳机会员',
      levels: [
        { name: '普通会员', minSpend: 0 },
        { name: '金卡', minSpend: 50_000 },
      ],
    });
    expect(programme.status).toBe(201);
    const unknown = await client(ctx.app, seller.owner.token, 'zh-CN').post(seller$('/timed-discounts'), {
      skuId,
      unitPrice: 9_000,
      memberLevel: '钻石',
      ...window(),
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].message).toBe('不是本店会员体系的等级（可选：普通会员, 金卡）');
  });

  it('members pay their level’s price, everyone else the list price; a higher level gets its own', async () => {
    for (const [memberLevel, unitPrice] of [
      ['普通会员', 9_500],
      ['金卡', 8_800],
    ] as const) {
      const r = await seller.owner.post(seller$('/timed-discounts'), {
        skuId,
        unitPrice,
        memberLevel,
        ...window(),
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    const stranger = await signUp(ctx);
    expect(await priceFor(stranger)).toEqual({ paid: 10_000, kinds: [] });

    const member = await signUp(ctx);
    expect((await member.post(`/shops/${seller.shopId}/membership`)).status).toBe(200);
    expect(await priceFor(member)).toEqual({ paid: 9_500, kinds: ['member_price'] });

    // 500 yuan spent at the shop makes the member 金卡 (the data bank learns the product from the outbox).
    await drainOutbox(ctx);
    const spent = await operator.post('/events', {
      events: [
        {
          id: `mp-${member.accountId}`,
          kind: 'purchase',
          occurredAt: ctx.clock.now().toISOString(),
          consumerId: member.accountId,
          productId,
          amount: 50_000,
        },
      ],
    });
    expect(spent.status, JSON.stringify(spent.body)).toBe(200);
    expect((await member.get(`/shops/${seller.shopId}/membership`)).body.level).toBe('金卡');
    expect(await priceFor(member)).toEqual({ paid: 8_800, kinds: ['member_price'] });

    // The order keeps the member price, recorded as a merchant-funded member_price discount.
    const co = await member.post('/checkout', { address: ADDRESS });
    expect(co.status).toBe(201);
    expect(co.body.orders[0].total).toBe(8_800);
    // A public timed price lower than the member's wins for everyone, members included.
    await seller.owner.post(seller$('/timed-discounts'), { skuId, unitPrice: 8_000, ...window() });
    expect(await priceFor(stranger)).toEqual({ paid: 8_000, kinds: ['timed_discount'] });
    expect(await priceFor(member)).toEqual({ paid: 8_000, kinds: ['timed_discount'] });
  });
});
