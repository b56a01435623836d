// Test fixtures for the trade suites. Not used by production code.
import { type Client, client, signUp, type TestContext } from '../../../test/helpers';
import { addStaff, listProduct, makeCategories, makeShop, makeWarehouse } from '../catalog/testing';
import { signPayload } from './signatures';

export const ADDRESS = {
  name: '王小明',
  phone: '13812345678',
  region: '浙江省杭州市西湖区',
  line: '文三路 100 号 5 单元 501',
};

export interface Seller {
  owner: Client & { accountId: string };
  shopId: string;
  warehouseId: string;
}

/** A shop of this kind with a warehouse, owned by a new account. */
export async function makeSeller(ctx: TestContext, kind: 'mall' | 'market'): Promise<Seller> {
  const owner = await signUp(ctx);
  const shopId = await makeShop(ctx, owner, kind);
  const warehouseId = await makeWarehouse(owner, shopId);
  return { owner, shopId, warehouseId };
}

export async function makeCategoryId(ctx: TestContext): Promise<string> {
  return (await makeCategories(ctx)).headphones.id;
}

/** A published product with one SKU; answers the SKU and product ids. */
export async function makeSku(
  seller: Seller,
  categoryId: string,
  opts: { price?: number; stock?: number; shipWithinHours?: number; publish?: boolean } = {},
): Promise<{ skuId: string; productId: string }> {
  const p = await listProduct(seller.owner, seller.shopId, {
    title: `蓝牙耳机 ${Math.random().toString(36).slice(2, 6)}`,
    categoryId,
    warehouseId: seller.warehouseId,
    price: opts.price ?? 10_000,
    stock: opts.stock ?? 10,
    publish: opts.shipWithinHours === undefined ? opts.publish : false,
  });
  if (opts.shipWithinHours !== undefined) {
    const r = await seller.owner.patch(`/seller/shops/${seller.shopId}/products/${p.id}`, {
      shipWithinHours: opts.shipWithinHours,
    });
    if (r.status !== 200) throw new Error(`ship promise: ${r.status} ${JSON.stringify(r.body)}`);
    if (opts.publish !== false) {
      const pub = await seller.owner.post(`/seller/shops/${seller.shopId}/products/${p.id}/publish`);
      if (pub.status !== 200) throw new Error(`publish: ${pub.status} ${JSON.stringify(pub.body)}`);
    }
  }
  return { skuId: p.skus[0]!.id, productId: p.id };
}

export { addStaff };

/** POSTs a body signed like a provider or carrier would (raw JSON, X-Jishi-Signature). */
export async function signedPost(
  ctx: TestContext,
  url: string,
  body: unknown,
  opts: { secret?: string; at?: Date; signature?: string } = {},
) {
  const raw = JSON.stringify(body);
  const signature =
    opts.signature ?? signPayload(opts.secret ?? ctx.config.sandboxSecret, raw, opts.at ?? ctx.clock.now());
  const res = await ctx.app.inject({
    method: 'POST',
    url: `/api/v1${url}`,
    payload: raw,
    headers: { 'content-type': 'application/json', 'x-jishi-signature': signature, 'accept-language': 'en' },
  });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
}

/** A buyer with the given SKUs in the cart, checked out; answers the checkout body. */
export async function buyAndCheckout(buyer: Client, items: { skuId: string; quantity: number }[]) {
  for (const item of items) {
    const r = await buyer.post('/cart/items', item);
    if (r.status !== 200) throw new Error(`cart: ${r.status} ${JSON.stringify(r.body)}`);
  }
  const r = await buyer.post('/checkout', { address: ADDRESS });
  if (r.status !== 201) throw new Error(`checkout: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as {
    orders: { id: string; shopId: string; total: number }[];
    payment: { id: string; amount: number };
  };
}

export { client };

/** Checks out one unit and has the sandbox pay for it; answers the order as the buyer sees it. */
export async function paidOrder(ctx: TestContext, buyer: Client, skuId: string) {
  const co = await buyAndCheckout(buyer, [{ skuId, quantity: 1 }]);
  await buyer.post(`/payments/${co.payment.id}/pay`);
  await ctx.advance({ minutes: 1 });
  const order = (await buyer.get(`/orders/${co.orders[0]!.id}`)).body;
  if (order.status !== 'paid') throw new Error(`order ${order.id} is ${order.status}, not paid`);
  return {
    orderId: order.id as string,
    paidAt: new Date(order.paidAt),
    shipBy: new Date(order.deadlines.shipBy),
    campaignId: order.shipByCampaignId as string | null,
  };
}

/** Registers a sandbox shipment for a paid order and delivers the carrier's signed pick-up. */
export async function shipAndPickUp(ctx: TestContext, seller: Seller, orderId: string, trackingNo: string) {
  const s = await seller.owner.post(`/seller/shops/${seller.shopId}/orders/${orderId}/shipments`, {
    carrier: 'sandbox',
    trackingNo,
  });
  if (s.status !== 201) throw new Error(`shipment refused: ${JSON.stringify(s.body)}`);
  const e = await signedPost(ctx, '/logistics/events', {
    carrier: 'sandbox',
    trackingNo,
    event: 'picked_up',
    at: ctx.clock.now().toISOString(),
  });
  if (e.body.status !== 'shipped') throw new Error(`pick-up not applied: ${JSON.stringify(e.body)}`);
}
