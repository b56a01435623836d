import { and, eq, inArray } from 'drizzle-orm';
import type { Executor } from '../../db';
import { AppError, conflict } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { scheduleDeadline } from '../../kernel/scheduler';
import type { SkuForSale } from '../catalog';
import { returnInsuranceRules, rulesFor } from '../governance';
import { reserveStock } from '../inventory';
import { getShop } from '../merchants';
import { cartLines, requireSkuForSale } from './cart';
import { type Order, PAY_BY, recordCreated } from './orders';
import { cartItems, orderLines, orders, payments, type ShippingAddress } from './schema';
import './messages';

export interface CheckoutInput {
  address: ShippingAddress;
  /** Only these cart lines; all of them when absent. */
  skuIds?: string[];
  /** Buy return-shipping insurance for each order whose shop does not already give it. */
  returnInsurance?: boolean;
}

export interface CheckoutResult {
  orders: {
    id: string;
    shopId: string;
    total: number;
    returnInsurance: 'none' | 'buyer' | 'shop';
    returnInsurancePremium: number;
  }[];
  payment: { id: string; amount: number };
}

/**
 * Turns the buyer's cart (or the chosen lines of it) into one order per shop and one payment for
 * all of them, in the caller's transaction: prices and availability are checked again, every line's
 * units are reserved (a shortage throws 409 `insufficient_stock` and, the transaction rolling back,
 * nothing is written), the bought lines leave the cart, and each order gets its pay-by deadline from
 * its shop kind's rules.
 */
export async function checkout(
  tx: Executor,
  buyerId: string,
  input: CheckoutInput,
  now: Date,
): Promise<CheckoutResult> {
  // Locked: a second checkout of the same cart waits, then finds the bought lines gone.
  let lines = await cartLines(tx, buyerId, { lock: true });
  if (input.skuIds) {
    const wanted = new Set(input.skuIds);
    lines = lines.filter((l) => wanted.has(l.skuId));
  }
  if (lines.length === 0) throw new AppError(422, 'cart_empty');

  const byShop = new Map<string, { sku: SkuForSale; quantity: number }[]>();
  for (const line of lines) {
    const sku = await requireSkuForSale(tx, line.skuId);
    byShop.set(sku.shopId, [...(byShop.get(sku.shopId) ?? []), { sku, quantity: line.quantity }]);
  }

  const paymentId = newId('pay');
  const planned: { order: typeof orders.$inferInsert; lines: { sku: SkuForSale; quantity: number }[] }[] = [];
  for (const [shopId, shopLines] of byShop) {
    const shop = await getShop(tx, shopId);
    if (!shop || shop.status === 'closed') throw conflict('shop_not_trading', { shopId });
    const ruleSet = await rulesFor(tx, shop.kind, now);
    const total = shopLines.reduce((s, l) => s + l.sku.price * l.quantity, 0);
    // A shop that gives the insurance pays for it out of settlement; otherwise the buyer may buy it.
    const returnInsurance = shop.givesReturnInsurance ? 'shop' : input.returnInsurance ? 'buyer' : 'none';
    const premium = returnInsurance === 'none' ? 0 : returnInsuranceRules(ruleSet.rules).premium;
    planned.push({
      order: {
        id: newId('ord'),
        buyerId,
        shopId,
        shopKind: shop.kind,
        rulesVersion: ruleSet.version,
        paymentId,
        status: 'awaiting_payment',
        total,
        returnInsurance,
        returnInsurancePremium: premium,
        address: input.address,
        createdAt: now,
        payBy: new Date(now.getTime() + ruleSet.rules.order.unpaidCloseMinutes.normal * 60_000),
      },
      lines: shopLines,
    });
  }
  // The buyer pays for the goods and for the insurance they bought; a shop's gift costs them nothing.
  const amount = planned.reduce(
    (s, p) =>
      s +
      (p.order.total ?? 0) +
      (p.order.returnInsurance === 'buyer' ? (p.order.returnInsurancePremium ?? 0) : 0),
    0,
  );
  await tx.insert(payments).values({ id: paymentId, buyerId, amount, status: 'pending', createdAt: now });

  const result: CheckoutResult = { orders: [], payment: { id: paymentId, amount } };
  const placed: { order: Order; lines: { sku: SkuForSale; quantity: number }[] }[] = [];
  for (const p of planned) {
    const [order] = (await tx.insert(orders).values(p.order).returning()) as Order[];
    placed.push({ order: order!, lines: p.lines });
  }
  // Stock rows are locked in one global order (by SKU), so two checkouts of the same SKUs in
  // different cart orders wait for each other instead of deadlocking.
  const toReserve = placed
    .flatMap(({ order, lines: shopLines }) => shopLines.map((line) => ({ order, ...line })))
    .sort((a, b) => (a.sku.skuId < b.sku.skuId ? -1 : a.sku.skuId > b.sku.skuId ? 1 : 0));
  for (const { order, sku, quantity } of toReserve) {
    const reservation = await reserveStock(tx, {
      shopId: order.shopId,
      skuId: sku.skuId,
      quantity,
      ref: order.id,
      now,
    });
    await tx.insert(orderLines).values({
      id: newId('oln'),
      orderId: order.id,
      skuId: sku.skuId,
      productId: sku.productId,
      categoryId: sku.categoryId,
      title: sku.title,
      attributes: sku.attributes as Record<string, string>,
      image: sku.image,
      unitPrice: sku.price,
      quantity,
      lineTotal: sku.price * quantity,
      // Until promotions exist the buyer pays the line total; the price engine will allocate discounts here.
      paidAmount: sku.price * quantity,
      shipWithinHours: sku.shipWithinHours,
      reservationId: reservation.id,
    });
  }
  for (const { order } of placed) {
    await recordCreated(tx, order, { type: 'buyer', id: buyerId }, now);
    await scheduleDeadline(tx, { kind: PAY_BY, subjectId: order.id, dueAt: order.payBy!, now });
    result.orders.push({
      id: order.id,
      shopId: order.shopId,
      total: order.total,
      returnInsurance: order.returnInsurance,
      returnInsurancePremium: order.returnInsurancePremium,
    });
  }
  await tx.delete(cartItems).where(
    and(
      eq(cartItems.buyerId, buyerId),
      inArray(
        cartItems.skuId,
        lines.map((l) => l.skuId),
      ),
    ),
  );
  return result;
}
