// Test fixtures for the review suites. Not used by production code.
import type { Client, TestContext } from '../../../test/helpers';
import { paidOrder, type Seller, shipAndPickUp } from '../trade/testing';

let tracking = 0;

/** One unit of the SKU bought, paid, shipped and confirmed received: the trade succeeded now. */
export async function succeededOrder(
  ctx: TestContext,
  buyer: Client,
  seller: Seller,
  skuId: string,
): Promise<string> {
  const { orderId } = await paidOrder(ctx, buyer, skuId);
  await shipAndPickUp(ctx, seller, orderId, `RV${Date.now()}${++tracking}`);
  const r = await buyer.post(`/orders/${orderId}/confirm-receipt`);
  if (r.status !== 200 || r.body.status !== 'succeeded') {
    throw new Error(`confirm receipt: ${r.status} ${JSON.stringify(r.body)}`);
  }
  return orderId;
}

export const stars = (item: number, service = item, logistics = item) => ({ item, service, logistics });

/** Reviews the order and answers the created review (throws unless 201). */
export async function review(
  buyer: Client,
  orderId: string,
  rating: 1 | 0 | -1,
  s = stars(5),
  text?: string,
) {
  const r = await buyer.post(`/orders/${orderId}/reviews`, { rating, stars: s, text });
  if (r.status !== 201) throw new Error(`review: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as { id: string; points: number; scoring: boolean; dsrCounted: boolean; rating: number };
}
