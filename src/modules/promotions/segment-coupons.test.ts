import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { drainOutbox } from '../databank/testing';
import { succeededOrder } from '../reviews/testing';
import { makeCategoryId, makeSeller, makeSku } from '../trade/testing';

const DAY = 86_400_000;

describe('coupons for a data-bank segment', () => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await makeTestApp({ sessionDays: 3650 });
  });
  afterEach(async () => ctx.close());

  it("only the shop's customers in the segment can claim; the segment must be the shop's own", async () => {
    const seller = await makeSeller(ctx, 'market');
    const { skuId } = await makeSku(seller, await makeCategoryId(ctx), { price: 10_000, stock: 5 });
    const customer = await signUp(ctx);
    await succeededOrder(ctx, customer, seller, skuId);
    await drainOutbox(ctx);
    const segment = await seller.owner.post(`/seller/shops/${seller.shopId}/segments`, {
      name: '老客',
      filter: { layers: ['customer'] },
    });
    expect(segment.body.consumers).toBe(1);
    const now = ctx.clock.now().getTime();
    const window = {
      validFrom: new Date(now).toISOString(),
      validUntil: new Date(now + 7 * DAY).toISOString(),
    };
    const base = {
      name: '老客专享券',
      kind: 'amount',
      amount: 1_000,
      totalLimit: 100,
      perBuyerLimit: 1,
      ...window,
    };
    const offer = await seller.owner.post(`/seller/shops/${seller.shopId}/coupons`, {
      ...base,
      audience: 'segment',
      segmentId: segment.body.id,
    });
    expect(offer.status).toBe(201);
    expect((await customer.post(`/coupons/offers/${offer.body.id}/claim`)).status).toBe(201);
    const stranger = await signUp(ctx);
    const refused = await stranger.post(`/coupons/offers/${offer.body.id}/claim`);
    expect(refused.status).toBe(422);
    expect(refused.body.type).toBe('urn:jishi:problem:coupon-not-for-you');

    const other = await makeSeller(ctx, 'market');
    const foreign = await other.owner.post(`/seller/shops/${other.shopId}/coupons`, {
      ...base,
      audience: 'segment',
      segmentId: segment.body.id,
    });
    expect(foreign.status).toBe(400);
    expect(foreign.body.errors[0].path).toBe('/segmentId');
    const operator = await signUp(ctx, { operator: true });
    const platform = await operator.post('/admin/coupons', {
      ...base,
      audience: 'segment',
      segmentId: segment.body.id,
    });
    expect(platform.status).toBe(400);
    expect(platform.body.errors[0].path).toBe('/audience');
  });
});
