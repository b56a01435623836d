import { and, eq, sql } from 'drizzle-orm';
import type { Db, Executor } from '../../db';
import { byShape, p, placeholders, statement } from '../../db/statements';
import { AppError, conflict, invalidField } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { eventsInsert } from '../../kernel/outbox';
import { deadlinesUpsert, deadlineValues } from '../../kernel/scheduler';
import type { SkuForSale } from '../catalog';
import { type RuleSet, returnInsuranceRules, rulesFor, type ShopKind } from '../governance';
import { reserveStock } from '../inventory';
import type { Shop } from '../merchants';
import {
  abandonFlashClaims,
  activeFlashSales,
  applyQuote,
  type ClaimInput,
  claimForCheckout,
  type FlashSalesInForce,
  quoteLines,
} from '../promotions';
import { cartLines, requireSkuForSale } from './cart';
import { createdValues, type Order, orderEventsInsert, PAY_BY } from './orders';
import { cartItems, orderLines, orders, payments, type ShippingAddress } from './schema';
import './messages';

export interface CheckoutInput {
  address: ShippingAddress;
  /** Only these cart lines; all of them when absent. */
  skuIds?: string[];
  /** Buy return-shipping insurance for each order whose shop does not already give it. */
  returnInsurance?: boolean;
  /** The buyer's coupons to use (at most one per shop and one platform coupon apply). */
  couponIds?: string[];
  /** Points to pay with (100 points = 1 yuan), capped by the rules' share of the order. */
  usePoints?: number;
  /** Buy now: these lines instead of the cart's (the cart is left as it is). */
  items?: { skuId: string; quantity: number }[];
  /** The campaign the items are bought through; its unit prices replace the list prices. */
  campaign?: OrderCampaign;
}

/**
 * A group buy or presale placing an order of one shop. Such orders take no coupons or points: a
 * group that fails or a forfeited deposit would otherwise strand them.
 */
export interface OrderCampaign {
  kind: 'group_buy' | 'presale';
  /** The group (group buy) or presale campaign id, recorded on the order. */
  id: string;
  /** The promotion priced on the lines (the group-buy campaign, the presale). */
  promotionId: string;
  unitPrices: Map<string, number>;
  /** Paid group orders wait for their group to fill before the ship-by clock starts. */
  shipHold?: 'group_forming';
  presale?: { depositPerUnit: number; balanceFrom: Date; balanceBy: Date; announcedShipBy: Date | null };
}

export interface CheckoutResult {
  orders: {
    id: string;
    shopId: string;
    total: number;
    pointsAmount: number;
    returnInsurance: 'none' | 'buyer' | 'shop';
    returnInsurancePremium: number;
  }[];
  payment: { id: string; amount: number };
  pricing: { listTotal: number; discountTotal: number; pointsUsed: number; couponsApplied: string[] };
}

/**
 * What a checkout did before its transaction: the ids of its orders with flash-sale lines, chosen
 * ahead, and the flash-sale units claimed for them (committed already: see claimForCheckout).
 */
export interface PreparedCheckout {
  orderIds: Map<string, string>;
  flash: ClaimInput[];
  /** The flash sales in force for the SKUs it looked at, so the transaction need not read them again. */
  flashSales: { skuIds: Set<string>; sales: FlashSalesInForce };
}

/** The lines a checkout buys: the given items, or the buyer's cart; only the chosen SKUs of either. */
async function linesToBuy(
  tx: Executor,
  buyerId: string,
  input: CheckoutInput,
  opts: { lock?: boolean } = {},
) {
  const lines = input.items ?? (await cartLines(tx, buyerId, opts));
  if (!input.skuIds) return lines;
  const wanted = new Set(input.skuIds);
  return lines.filter((l) => wanted.has(l.skuId));
}

/**
 * Before the checkout transaction: the flash-sale lines' units are claimed for orders whose ids are
 * chosen now (one order per shop), so that the claims of concurrent checkouts commit together
 * instead of each inside its checkout. Refusals (sold out, over the limit) are thrown here, before
 * any transaction. Undefined for a campaign's order (its own prices replace flash prices). If the
 * checkout then fails, abandonCheckout releases the claims at once; should that never happen (a
 * crash), each claim's deadline releases it a couple of minutes later, its order not existing.
 */
export async function prepareCheckout(
  db: Db,
  buyerId: string,
  input: CheckoutInput,
  now: Date,
): Promise<PreparedCheckout | undefined> {
  if (input.campaign) return undefined; // a campaign's own prices replace flash prices
  const lines = await linesToBuy(db, buyerId, input);
  const skuIds = new Set(lines.map((l) => l.skuId));
  const sales = await activeFlashSales(db, [...skuIds], now);
  const orderIds = new Map<string, string>();
  const flash: ClaimInput[] = [];
  if (sales.size === 0) return { orderIds, flash, flashSales: { skuIds, sales } };
  for (const line of lines) {
    const sale = sales.get(line.skuId);
    if (!sale) continue;
    const orderId = orderIds.get(sale.shopId) ?? newId('ord');
    orderIds.set(sale.shopId, orderId);
    flash.push({ campaignId: sale.id, buyerId, quantity: line.quantity, orderId });
  }
  await claimForCheckout(db, flash, now);
  return { orderIds, flash, flashSales: { skuIds, sales } };
}

/** The checkout's transaction failed (or did not place its orders): its flash claims go back now. */
export async function abandonCheckout(db: Db, prepared: PreparedCheckout | undefined, now: Date) {
  if (prepared?.orderIds.size) await abandonFlashClaims(db, [...prepared.orderIds.values()], now);
}

/**
 * Prepares, checks out in a transaction of its own and abandons on failure (see prepareCheckout):
 * the whole path of a checkout, for callers that have no transaction of their own to run it in.
 */
export async function checkoutNow(
  db: Db,
  buyerId: string,
  input: CheckoutInput,
  now: Date,
): Promise<CheckoutResult> {
  const prepared = await prepareCheckout(db, buyerId, input, now);
  try {
    return await db.transaction((tx) => checkout(tx, buyerId, input, now, prepared));
  } catch (err) {
    await abandonCheckout(db, prepared, now);
    throw err;
  }
}

/**
 * Turns the buyer's cart (or the chosen lines of it) into one order per shop and one payment for
 * all of them, in the caller's transaction: prices and availability are checked again, every line's
 * units are reserved (a shortage throws 409 `insufficient_stock` and, the transaction rolling back,
 * nothing is written), the bought lines leave the cart, and each order gets its pay-by deadline from
 * its shop kind's rules. Flash-sale lines need their units claimed before, by prepareCheckout (its
 * result passed as `prepared`); without it they are refused (409 `flash_claim_missing`).
 */
export async function checkout(
  tx: Executor,
  buyerId: string,
  input: CheckoutInput,
  now: Date,
  prepared?: PreparedCheckout,
): Promise<CheckoutResult> {
  const campaign = input.campaign;
  if (campaign && (input.couponIds?.length || input.usePoints)) {
    throw invalidField(input.couponIds?.length ? '/couponIds' : '/usePoints', 'field.campaign_no_coupons');
  }
  // Locked: a second checkout of the same cart waits, then finds the bought lines gone.
  const lines = await linesToBuy(tx, buyerId, input, { lock: true });
  if (lines.length === 0) throw new AppError(422, 'cart_empty');

  const byShop = new Map<string, { sku: SkuForSale; quantity: number }[]>();
  for (const line of lines) {
    const sku = await requireSkuForSale(tx, line.skuId);
    byShop.set(sku.shopId, [...(byShop.get(sku.shopId) ?? []), { sku, quantity: line.quantity }]);
  }

  const paymentId = newId('pay');
  const shopsById = new Map<string, Shop>();
  const ruleSets = new Map<ShopKind, RuleSet>();
  for (const [shopId, shopLines] of byShop) {
    // Read with its SKUs just above, in this transaction.
    const shop = shopLines[0]!.sku.shop;
    if (!shop || shop.status === 'closed') throw conflict('shop_not_trading', { shopId });
    shopsById.set(shopId, shop);
    if (!ruleSets.has(shop.kind)) ruleSets.set(shop.kind, await rulesFor(tx, shop.kind, now));
  }
  const quote = await quoteLines(
    tx,
    buyerId,
    [...byShop.values()].flat().map(({ sku, quantity }) => ({
      skuId: sku.skuId,
      shopId: sku.shopId,
      shopKind: shopsById.get(sku.shopId)!.kind,
      categoryId: sku.categoryId,
      quantity,
      unitPrice: sku.price,
    })),
    {
      couponIds: input.couponIds,
      usePoints: input.usePoints,
      rules: new Map([...ruleSets].map(([k, r]) => [k, r.rules])),
      itemPrices: campaign
        ? new Map(
            [...campaign.unitPrices].map(([skuId, unitPrice]) => [
              skuId,
              { campaignId: campaign.promotionId, unitPrice, kind: campaign.kind },
            ]),
          )
        : undefined,
      flashSales: prepared?.flashSales,
    },
    now,
  );
  const priced = new Map(quote.result.lines.map((l) => [l.key, l]));
  const planned: { order: typeof orders.$inferInsert; lines: { sku: SkuForSale; quantity: number }[] }[] = [];
  for (const [shopId, shopLines] of byShop) {
    const shop = shopsById.get(shopId)!;
    const ruleSet = ruleSets.get(shop.kind)!;
    const total = shopLines.reduce((s, l) => s + priced.get(l.sku.skuId)!.paid, 0);
    const pointsAmount = shopLines.reduce((s, l) => s + priced.get(l.sku.skuId)!.pointsAmount, 0);
    // Flash-sale and group-buy orders must be paid within the rules' (much shorter) flash window,
    // a presale deposit within its own.
    const flash = campaign?.kind === 'group_buy' || shopLines.some((l) => quote.flash.has(l.sku.skuId));
    const closeMinutes = campaign?.presale
      ? ruleSet.rules.order.unpaidCloseMinutes.presaleDeposit
      : flash
        ? ruleSet.rules.order.unpaidCloseMinutes.flash
        : ruleSet.rules.order.unpaidCloseMinutes.normal;
    const presale = campaign?.presale;
    const depositAmount = presale
      ? shopLines.reduce((s, l) => s + presale.depositPerUnit * l.quantity, 0)
      : 0;
    if (depositAmount > total) throw conflict('deposit_exceeds_price');
    // A shop that gives the insurance pays for it out of settlement; otherwise the buyer may buy it.
    // (A presale buyer cannot buy it: the premium would belong to neither of the two payments.)
    const returnInsurance = shop.givesReturnInsurance
      ? 'shop'
      : input.returnInsurance && !campaign?.presale
        ? 'buyer'
        : 'none';
    const premium = returnInsurance === 'none' ? 0 : returnInsuranceRules(ruleSet.rules).premium;
    planned.push({
      order: {
        id: prepared?.orderIds.get(shopId) ?? newId('ord'),
        buyerId,
        shopId,
        shopKind: shop.kind,
        rulesVersion: ruleSet.version,
        paymentId,
        status: 'awaiting_payment',
        total,
        pointsAmount,
        returnInsurance,
        returnInsurancePremium: premium,
        address: input.address,
        createdAt: now,
        payBy: new Date(now.getTime() + closeMinutes * 60_000),
        campaignKind: campaign?.kind ?? null,
        campaignId: campaign?.id ?? null,
        shipHold: campaign?.shipHold ?? null,
        depositAmount,
        balanceFrom: presale?.balanceFrom ?? null,
        balanceBy: presale?.balanceBy ?? null,
        announcedShipBy: presale?.announcedShipBy ?? null,
      },
      lines: shopLines,
    });
  }
  // The buyer pays for the goods and for the insurance they bought; a shop's gift costs them nothing.
  // A presale's first payment is its deposit.
  const amount = planned.reduce(
    (s, p) =>
      s +
      (p.order.depositAmount ? p.order.depositAmount : (p.order.total ?? 0)) -
      (p.order.pointsAmount ?? 0) +
      (p.order.returnInsurance === 'buyer' ? (p.order.returnInsurancePremium ?? 0) : 0),
    0,
  );
  const result: CheckoutResult = {
    orders: [],
    payment: { id: paymentId, amount },
    pricing: {
      listTotal: quote.result.listTotal,
      discountTotal: quote.result.discountTotal,
      pointsUsed: quote.result.pointsUsed,
      couponsApplied: quote.result.coupons.filter((c) => c.applied).map((c) => c.couponId),
    },
  };
  // The payment and its orders in one statement.
  const payment = { id: paymentId, buyerId, amount, status: 'pending', createdAt: now };
  const orderRows = (await insertPaymentAndOrders(planned.length)(tx, {
    ...prefixed('pay_', payment, PAYMENT_COLUMNS),
    ...Object.assign({}, ...planned.map((p, i) => prefixed(`o${i}_`, p.order, ORDER_COLUMNS))),
  })) as Order[];
  const byId = new Map(orderRows.map((o) => [o.id, o]));
  const placedLines = new Map<string, { orderId: string; orderLineId: string; shopId: string }>();
  const placed = planned.map((p) => ({ order: byId.get(p.order.id!)!, lines: p.lines }));
  // Stock rows are locked in one global order (by SKU), so two checkouts of the same SKUs in
  // different cart orders wait for each other instead of deadlocking.
  const toReserve = placed
    .flatMap(({ order, lines: shopLines }) => shopLines.map((line) => ({ order, ...line })))
    .sort((a, b) => (a.sku.skuId < b.sku.skuId ? -1 : a.sku.skuId > b.sku.skuId ? 1 : 0));
  const lineRows: (typeof orderLines.$inferInsert)[] = [];
  for (const { order, sku, quantity } of toReserve) {
    const reservation = await reserveStock(tx, {
      shopId: order.shopId,
      skuId: sku.skuId,
      quantity,
      ref: order.id,
      now,
    });
    const line = priced.get(sku.skuId)!;
    const orderLineId = newId('oln');
    placedLines.set(sku.skuId, { orderId: order.id, orderLineId, shopId: order.shopId });
    lineRows.push({
      id: orderLineId,
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
      paidAmount: line.paid,
      pointsAmount: line.pointsAmount,
      platformFunded: line.platformFunded,
      shipWithinHours: sku.shipWithinHours,
      reservationId: reservation.id,
    });
  }
  await applyQuote(
    tx,
    { buyerId, paymentId, quote, placed: placedLines, flashClaimed: !!prepared?.flash.length },
    now,
  );
  // The lines, each order's creation (its event and pay-by deadline) and the cart's bought lines
  // leaving, in one statement: the same writes, in the same order, as one round trip.
  const values: Record<string, unknown> = {};
  for (const [i, row] of lineRows.entries()) Object.assign(values, prefixed(`l${i}_`, row, LINE_COLUMNS));
  placed.forEach(({ order }, i) => {
    Object.assign(
      values,
      createdValues(`c${i}_`, order, { type: 'buyer', id: buyerId }, now),
      deadlineValues(`d${i}_`, { kind: PAY_BY, subjectId: order.id, dueAt: order.payBy!, now }),
    );
    result.orders.push({
      id: order.id,
      shopId: order.shopId,
      total: order.total,
      pointsAmount: order.pointsAmount,
      returnInsurance: order.returnInsurance,
      returnInsurancePremium: order.returnInsurancePremium,
    });
  });
  const clearCart = !input.items;
  if (clearCart) Object.assign(values, { buyerId, boughtSkuIds: lines.map((l) => l.skuId) });
  await placeLines(lineRows.length, placed.length, clearCart)(tx, values);
  return result;
}

/**
 * A row's values as placeholders' values under `prefix` (undefined as null: every column is given).
 * A column the statement does not write is a programming fault, not something to drop silently.
 */
function prefixed(prefix: string, row: Record<string, unknown>, columns: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (!columns.includes(k)) throw new Error(`checkout writes no column ${k}`);
    out[`${prefix}${k}`] = v ?? null;
  }
  return out;
}

// The columns checkout gives (every one, so each statement has one shape per count of rows).
const PAYMENT_COLUMNS = ['id', 'buyerId', 'amount', 'status', 'createdAt'];
const ORDER_COLUMNS = [
  'id',
  'buyerId',
  'shopId',
  'shopKind',
  'rulesVersion',
  'paymentId',
  'status',
  'total',
  'pointsAmount',
  'returnInsurance',
  'returnInsurancePremium',
  'address',
  'createdAt',
  'payBy',
  'campaignKind',
  'campaignId',
  'shipHold',
  'depositAmount',
  'balanceFrom',
  'balanceBy',
  'announcedShipBy',
];
const LINE_COLUMNS = [
  'id',
  'orderId',
  'skuId',
  'productId',
  'categoryId',
  'title',
  'attributes',
  'image',
  'unitPrice',
  'quantity',
  'lineTotal',
  'paidAmount',
  'pointsAmount',
  'platformFunded',
  'shipWithinHours',
  'reservationId',
];

const paymentAndOrders = byShape((orderCount: `${number}`) =>
  statement((db) => {
    const pay = db.$with('pay').as(db.insert(payments).values(placeholders('pay_', PAYMENT_COLUMNS)));
    return db
      .with(pay)
      .insert(orders)
      .values(Array.from({ length: Number(orderCount) }, (_, i) => placeholders(`o${i}_`, ORDER_COLUMNS)))
      .returning();
  }),
);
const insertPaymentAndOrders = (orderCount: number) => paymentAndOrders(`${orderCount}`);

const linesStatement = byShape((shape: string) => {
  const [lineCount, orderCount, clear] = shape.split('/').map(Number) as [number, number, number];
  const orderPrefixes = Array.from({ length: orderCount }, (_, i) => `c${i}_`);
  return statement((db) => {
    const ctes = [
      db
        .$with('lines')
        .as(
          db
            .insert(orderLines)
            .values(Array.from({ length: lineCount }, (_, i) => placeholders(`l${i}_`, LINE_COLUMNS))),
        ),
      db.$with('created').as(orderEventsInsert(db, orderPrefixes)),
      db.$with('events').as(
        eventsInsert(
          db,
          orderPrefixes.map((x) => `${x}ob_`),
        ),
      ),
      ...(clear
        ? [
            db
              .$with('bought')
              .as(
                db
                  .delete(cartItems)
                  .where(
                    and(
                      eq(cartItems.buyerId, p('buyerId')),
                      sql`${cartItems.skuId} = any(${p('boughtSkuIds')}::text[])`,
                    ),
                  ),
              ),
          ]
        : []),
    ];
    return deadlinesUpsert(
      db,
      Array.from({ length: orderCount }, (_, i) => `d${i}_`),
      ctes,
    );
  });
});
const placeLines = (lineCount: number, orderCount: number, clearCart: boolean) =>
  linesStatement(`${lineCount}/${orderCount}/${clearCart ? 1 : 0}`);
