import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Executor, Tx } from '../../db';
import { p, statement } from '../../db/statements';
import { conflict, invalidField } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { promotionRules, type Rules, rulesFor, type ShopKind } from '../governance';
import { PLATFORM_ESCROW, platformAccount, postTransaction } from '../ledger';
import { POINTS_EXPIRED, POINTS_LIABILITY, pointsBalance, returnPoints, spendPoints } from '../points';
import { activeCampaigns, timedPricesFor, usableCoupons } from './campaigns';
import { type Coupon, type DiscountKind, type FlashPrice, type PriceResult, priceCart } from './engine';
import {
  activeFlashSales,
  type FlashSalesInForce,
  holdPlacedClaims,
  releaseFlashClaims,
} from './flash-sales';
import { flashClaims } from './flash-schema';
import { checkoutPoints, coupons, couponTemplates, orderDiscounts, subsidies } from './schema';
import './messages';

/** Where platform-funded discounts are paid from when the shop is settled. */
export const PROMOTION_EXPENSE = platformAccount('expense', 'promotions');

export interface PricingLine {
  skuId: string;
  shopId: string;
  shopKind: ShopKind;
  categoryId: string;
  quantity: number;
  unitPrice: number;
}

export interface Quote {
  result: PriceResult;
  /** The flash sale pricing each SKU, if any. */
  flash: Map<string, FlashPrice & { perBuyerLimit: number }>;
  coupons: Coupon[];
  fenPerPoint: number;
}

/**
 * Prices the buyer's lines with everything in force now: the engine's breakdown, and why chosen
 * coupons do not apply. Reads only; checkout then applies the quote in its transaction.
 */
export async function quoteLines(
  tx: Executor,
  buyerId: string,
  lines: PricingLine[],
  opts: {
    couponIds?: string[];
    usePoints?: number;
    rules?: Map<ShopKind, Rules>;
    /** Item prices of the campaign the lines are bought through (group buy, presale): no flash sale then. */
    itemPrices?: Map<string, FlashPrice>;
    /** The flash sales in force for these SKUs, when the caller has just read them (at `now`). */
    flashSales?: { skuIds: Set<string>; sales: FlashSalesInForce };
  },
  now: Date,
): Promise<Quote> {
  const skuIds = [...new Set(lines.map((l) => l.skuId))];
  const shopIds = [...new Set(lines.map((l) => l.shopId))];
  const flash = new Map<string, FlashPrice & { perBuyerLimit: number }>();
  if (opts.itemPrices) {
    for (const [skuId, price] of opts.itemPrices) flash.set(skuId, { ...price, perBuyerLimit: 0 });
  } else {
    const known = opts.flashSales;
    const sales =
      known && skuIds.every((id) => known.skuIds.has(id))
        ? known.sales
        : await activeFlashSales(tx, skuIds, now);
    for (const [skuId, sale] of sales) {
      if (!skuIds.includes(skuId)) continue;
      flash.set(skuId, {
        campaignId: sale.id,
        unitPrice: sale.flashPrice,
        perBuyerLimit: sale.perBuyerLimit,
      });
    }
  }
  const campaigns = await activeCampaigns(tx, { skuIds, shopIds }, now);
  const timed = await timedPricesFor(tx, campaigns.timed, buyerId || undefined);
  const chosen = await usableCoupons(tx, buyerId, opts.couponIds ?? [], now);
  // Points and exclusions are the platform's: the strictest of the rule sets of the kinds in the cart.
  const kinds = [...new Set(lines.map((l) => l.shopKind))];
  const ruleSets: Rules[] = [];
  for (const k of kinds) ruleSets.push(opts.rules?.get(k) ?? (await rulesFor(tx, k, now)).rules);
  const fenPerPoint = Math.max(1, ...ruleSets.map((r) => r.points.fenPerPoint));
  const maxOrderShareBp = Math.min(10_000, ...ruleSets.map((r) => r.points.maxOrderShareBp));
  const exclusions = ruleSets.flatMap((r) => promotionRules(r).exclusions) as [DiscountKind, DiscountKind][];
  const requested = opts.usePoints ?? 0;
  const result = priceCart({
    lines: lines.map((l) => ({
      key: l.skuId,
      shopId: l.shopId,
      skuId: l.skuId,
      categoryId: l.categoryId,
      quantity: l.quantity,
      unitPrice: l.unitPrice,
    })),
    flash,
    timed,
    subsidies: campaigns.subsidies,
    reductions: campaigns.reductions,
    coupons: chosen,
    points: {
      requested,
      available: requested > 0 ? await pointsBalance(tx, buyerId, now) : 0,
      fenPerPoint,
      maxOrderShareBp,
    },
    exclusions,
  });
  return { result, flash, coupons: chosen, fenPerPoint };
}

/**
 * Makes a quote real inside the checkout transaction: flash-sale units held (claimed before the
 * transaction, see claimForCheckout; checked and locked here), subsidy budget committed (never
 * beyond it), coupons held for the payment, points spent (their value moves from the points
 * liability into escrow), and every line's discounts recorded with who funds them.
 */
export async function applyQuote(
  tx: Executor,
  input: {
    buyerId: string;
    paymentId: string;
    quote: Quote;
    /** The order and order line each SKU of the quote went to. */
    placed: Map<string, { orderId: string; orderLineId: string; shopId: string }>;
    /** Whether flash-sale units were claimed for these orders before the transaction (claimForCheckout). */
    flashClaimed?: boolean;
  },
  now: Date,
): Promise<void> {
  const { quote, buyerId, paymentId } = input;
  const flashLines: { campaignId: string; orderId: string; quantity: number }[] = [];
  for (const line of quote.result.lines) {
    const at = input.placed.get(line.key);
    if (!at) throw new Error(`quoted SKU ${line.key} was not placed`);
    const flash = line.discounts.find((d) => d.kind === 'flash_sale');
    if (flash)
      flashLines.push({ campaignId: flash.promotionId, orderId: at.orderId, quantity: line.quantity });
    for (const d of line.discounts) {
      await tx.insert(orderDiscounts).values({
        id: newId('odc'),
        paymentId,
        orderId: at.orderId,
        orderLineId: at.orderLineId,
        shopId: at.shopId,
        kind: d.kind,
        promotionId: d.promotionId,
        amount: d.amount,
        merchantFunded: d.merchantFunded,
        platformFunded: d.platformFunded,
        createdAt: now,
      });
    }
  }
  if (flashLines.length || input.flashClaimed) {
    const orderIds = [...new Set([...input.placed.values()].map((p) => p.orderId))];
    await holdPlacedClaims(tx, buyerId, orderIds, flashLines, now);
  }
  for (const [subsidyId, spent] of quote.result.subsidySpent) {
    const [ok] = await tx
      .update(subsidies)
      .set({ committed: sql`${subsidies.committed} + ${spent}` })
      .where(and(eq(subsidies.id, subsidyId), sql`${subsidies.committed} + ${spent} <= ${subsidies.budget}`))
      .returning({ id: subsidies.id });
    // Another checkout spent the rest of the budget meanwhile: price again.
    if (!ok) throw conflict('subsidy_budget_spent');
  }
  const applied = new Set(quote.result.coupons.filter((c) => c.applied).map((c) => c.couponId));
  for (const c of quote.coupons) {
    if (!applied.has(c.id)) continue;
    const [held] = await tx
      .update(coupons)
      .set({ status: 'held', paymentId })
      .where(and(eq(coupons.id, c.id), eq(coupons.status, 'unused')))
      .returning({ id: coupons.id });
    if (!held) throw invalidField('/couponIds', 'field.coupon_used');
  }
  const points = quote.result.pointsUsed;
  if (points > 0) {
    const lots = await spendPoints(tx, { buyerId, points, reason: 'checkout', ref: paymentId }, now);
    await tx.insert(checkoutPoints).values({
      paymentId,
      buyerId,
      points,
      fenPerPoint: quote.fenPerPoint,
      lots,
      createdAt: now,
    });
    const value = points * quote.fenPerPoint;
    await postTransaction(tx, {
      kind: 'points.spent',
      memo: `points paid towards payment ${paymentId}`,
      ref: paymentId,
      postings: [
        { account: POINTS_LIABILITY, amount: value },
        { account: PLATFORM_ESCROW, amount: -value },
      ],
      now,
    });
  }
}

/** The payment went through: flash claims become sales, held coupons are used. */
export async function confirmPromotions(
  tx: Executor,
  paymentId: string,
  orderIds: string[],
  now: Date,
): Promise<void> {
  // The orders' held flash-sale claims sold (confirmFlashClaims, for all of them at once) and the
  // payment's held coupons used, in one statement: every paid order runs it.
  const used = (await claimsSoldCouponsUsed(tx, { paymentId, orderIds, now })) as { templateId: string }[];
  for (const { templateId } of used) {
    await tx
      .update(couponTemplates)
      .set({ used: sql`${couponTemplates.used} + 1` })
      .where(eq(couponTemplates.id, templateId));
  }
}

const claimsSoldCouponsUsed = statement((db) =>
  db
    .with(
      db.$with('sold').as(
        db
          .update(flashClaims)
          .set({ status: 'sold', soldAt: p('now') } as never)
          .where(
            and(sql`${flashClaims.orderId} = any(${p('orderIds')}::text[])`, eq(flashClaims.status, 'held')),
          ),
      ),
    )
    .update(coupons)
    .set({ status: 'used', usedAt: p('now') } as never)
    .where(and(eq(coupons.paymentId, p('paymentId')), eq(coupons.status, 'held')))
    .returning({ templateId: coupons.templateId }),
);

/**
 * Gives points of a checkout back (an order closed unpaid, a refund): their value leaves escrow for
 * the points liability again; points whose grant expired meanwhile lapse to the platform.
 */
export async function returnCheckoutPoints(
  tx: Executor,
  input: {
    paymentId: string;
    fen: number;
    ref: string;
    reason: string;
    /** false: the caller books the value itself (it was no longer in escrow, e.g. after settlement). */
    book?: boolean;
  },
  now: Date,
): Promise<{ value: number; returned: number; lapsed: number }> {
  const none = { value: 0, returned: 0, lapsed: 0 };
  if (input.fen <= 0) return none;
  const [spent] = await tx
    .select()
    .from(checkoutPoints)
    .where(eq(checkoutPoints.paymentId, input.paymentId))
    .for('update');
  if (!spent) return none;
  const points = Math.min(Math.floor(input.fen / spent.fenPerPoint), spent.points - spent.returned);
  if (points <= 0) return none;
  // Give back from the lots spent, newest first (the oldest ones are the likeliest to lapse anyway).
  let skip = spent.returned;
  let left = points;
  const back: { lotId: string; points: number }[] = [];
  for (const lot of [...spent.lots].reverse()) {
    const free = Math.max(0, lot.points - skip);
    skip = Math.max(0, skip - lot.points);
    const take = Math.min(free, left);
    if (take > 0) back.push({ lotId: lot.lotId, points: take });
    left -= take;
    if (left <= 0) break;
  }
  const { returned, lapsed } = await returnPoints(
    tx,
    { buyerId: spent.buyerId, lots: back, reason: input.reason, ref: input.ref },
    now,
  );
  await tx
    .update(checkoutPoints)
    .set({ returned: spent.returned + points })
    .where(eq(checkoutPoints.paymentId, input.paymentId));
  const result = {
    value: points * spent.fenPerPoint,
    returned: returned * spent.fenPerPoint,
    lapsed: lapsed * spent.fenPerPoint,
  };
  if (input.book === false) return result;
  const postings = [{ account: PLATFORM_ESCROW, amount: result.value }];
  postings.push(...pointsReturnCredits(result));
  await postTransaction(tx, {
    kind: 'points.returned',
    memo: `points of payment ${input.paymentId} given back (${input.reason})`,
    ref: input.ref,
    postings,
    now,
  });
  return result;
}

/** Where returned points' value goes: back into the liability, or to the platform when they lapsed. */
export function pointsReturnCredits(r: { returned: number; lapsed: number }) {
  const credits: { account: string; amount: number }[] = [];
  if (r.returned > 0) credits.push({ account: POINTS_LIABILITY, amount: -r.returned });
  if (r.lapsed > 0) credits.push({ account: POINTS_EXPIRED, amount: -r.lapsed });
  return credits;
}

/**
 * An order closed unpaid: its flash-sale units return to the quota, its subsidy to the budget, its
 * coupons to the buyer (once no other open order of the payment uses them) and its points back.
 */
export async function releaseOrderPromotions(
  tx: Executor,
  input: { orderId: string; paymentId: string; pointsAmount: number; openOrderIds: string[] },
  now: Date,
): Promise<void> {
  await releaseFlashClaims(tx as Tx, input.orderId, now);
  const discounts = await tx.select().from(orderDiscounts).where(eq(orderDiscounts.orderId, input.orderId));
  const bySubsidy = new Map<string, number>();
  for (const d of discounts.filter((x) => x.kind === 'subsidy')) {
    bySubsidy.set(d.promotionId, (bySubsidy.get(d.promotionId) ?? 0) + d.amount);
  }
  for (const [id, amount] of bySubsidy) {
    await tx
      .update(subsidies)
      .set({ committed: sql`greatest(${subsidies.committed} - ${amount}, 0)` })
      .where(eq(subsidies.id, id));
  }
  const couponIds = [
    ...new Set(
      discounts
        .filter((d) => d.kind === 'shop_coupon' || d.kind === 'platform_coupon')
        .map((d) => d.promotionId),
    ),
  ];
  if (couponIds.length) {
    const stillUsed = input.openOrderIds.length
      ? await tx
          .select({ id: orderDiscounts.promotionId })
          .from(orderDiscounts)
          .where(
            and(
              inArray(orderDiscounts.orderId, input.openOrderIds),
              inArray(orderDiscounts.promotionId, couponIds),
            ),
          )
      : [];
    const keep = new Set(stillUsed.map((r) => r.id));
    const free = couponIds.filter((id) => !keep.has(id));
    if (free.length) {
      await tx
        .update(coupons)
        .set({ status: 'unused', paymentId: null })
        .where(and(inArray(coupons.id, free), eq(coupons.status, 'held')));
    }
  }
  await returnCheckoutPoints(
    tx,
    { paymentId: input.paymentId, fen: input.pointsAmount, ref: input.orderId, reason: 'order_closed' },
    now,
  );
}
