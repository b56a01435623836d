import { eq } from 'drizzle-orm';
import type { Executor } from '../../db';
import { newId } from '../../kernel/ids';
import { emit } from '../../kernel/outbox';
import { recordSales } from '../catalog';
import { commissionRateBp, rulesFor } from '../governance';
import { PLATFORM_CASH, PLATFORM_ESCROW, platformAccount, postTransaction, shopAccount } from '../ledger';
import { earnTradePoints } from '../points';
import { PROMOTION_EXPENSE } from '../promotions';
import { linesOf, type Order, type OrderLine } from './orders';
import { RETURN_INSURANCE_REVENUE } from './payments';
import { withdrawals } from './schema';

export const COMMISSION_ACCOUNT = platformAccount('revenue', 'commission');

/** Commission per line, rounded down to the fen, at the rates of the order's rules. */
export function commissionOf(
  lines: { amount: number; categoryId: string }[],
  rateBp: (categoryId: string) => number,
): number {
  return lines.reduce((s, l) => s + Math.floor((l.amount * rateBp(l.categoryId)) / 10_000), 0);
}

/**
 * The platform-funded discount of a line's units not refunded (the rest is never paid to the shop).
 * Refunded units carry floor(funded x refunded / quantity), the same cumulative split refunds use,
 * so what a shop is paid now and what it owes back later for the remaining units always match.
 */
export function platformShareOf(line: OrderLine): number {
  if (line.platformFunded === 0) return 0;
  const refundedShare = (BigInt(line.platformFunded) * BigInt(line.refundedQuantity)) / BigInt(line.quantity);
  return line.platformFunded - Number(refundedShare);
}

/** The points part of what was refunded of a line so far (the same cumulative split refunds use). */
function pointsRefundedOf(line: OrderLine): number {
  if (line.pointsAmount === 0 || line.paidAmount === 0) return 0;
  return Number((BigInt(line.pointsAmount) * BigInt(line.refundedAmount)) / BigInt(line.paidAmount));
}

/** What settling a line pays for: what the buyer paid for it less what was refunded before. */
export function settledAmountOf(line: OrderLine): number {
  return line.paidAmount - line.refundedAmount;
}

/** The commission rate function of an order's rules. */
export async function orderCommissionRate(
  tx: Executor,
  order: Order,
): Promise<(categoryId: string) => number> {
  const { rules } = await rulesFor(tx, order.shopKind, order.createdAt);
  return (categoryId) => commissionRateBp(rules, categoryId);
}

/**
 * Trade success pays the shop, in the caller's transaction: escrow releases what is still held for
 * the order (what was paid less refunds already made from escrow), the shop's balance receives it
 * less commission (mall shops; market rules charge none) and less the premium of return-shipping
 * insurance the shop gives, the platform books both, and the catalog counts the units sold.
 */
export async function settleOrder(tx: Executor, order: Order, now: Date): Promise<{ commission: number }> {
  const lines = (await linesOf(tx, [order.id])).get(order.id) ?? [];
  const { rules } = await rulesFor(tx, order.shopKind, order.createdAt);
  const rate = (categoryId: string) => commissionRateBp(rules, categoryId);
  const held = lines.reduce((s, l) => s + settledAmountOf(l), 0);
  // Commission is on what the shop sells for: what the buyer paid plus what the platform funds.
  const commission = commissionOf(
    lines.map((l) => ({ amount: settledAmountOf(l) + platformShareOf(l), categoryId: l.categoryId })),
    rate,
  );
  // Discounts the platform funds are paid to the shop now, for the units not refunded.
  const platformFunded = lines.reduce((s, l) => s + platformShareOf(l), 0);
  const premium =
    order.returnInsurance === 'shop'
      ? Math.min(order.returnInsurancePremium, held + platformFunded - commission)
      : 0;
  const toShop = held + platformFunded - commission - premium;
  if (held + platformFunded > 0) {
    const postings = [];
    if (held > 0) postings.push({ account: PLATFORM_ESCROW, amount: held });
    if (platformFunded > 0) postings.push({ account: PROMOTION_EXPENSE, amount: platformFunded });
    if (toShop > 0) postings.push({ account: shopAccount(order.shopId, 'balance'), amount: -toShop });
    if (commission > 0) postings.push({ account: COMMISSION_ACCOUNT, amount: -commission });
    if (premium > 0) postings.push({ account: RETURN_INSURANCE_REVENUE, amount: -premium });
    await postTransaction(tx, {
      kind: 'trade_settlement',
      memo: `order ${order.id} settled`,
      ref: order.id,
      shopId: order.shopId,
      postings,
      now,
    });
  }
  // Points on the money paid for what was kept (points paid with earn none), at the order's rules.
  const earnRateBp = rules.points.earnRateBp ?? 0;
  if (earnRateBp > 0) {
    await earnTradePoints(
      tx,
      {
        buyerId: order.buyerId,
        orderId: order.id,
        paid: lines.reduce((s, l) => s + settledAmountOf(l) - (l.pointsAmount - pointsRefundedOf(l)), 0),
        earnRateBp,
        fenPerPoint: rules.points.fenPerPoint,
      },
      now,
    );
  }
  const byProduct = new Map<string, number>();
  for (const l of lines) {
    const sold = l.quantity - l.refundedQuantity;
    if (sold > 0) byProduct.set(l.productId, (byProduct.get(l.productId) ?? 0) + sold);
  }
  for (const [productId, quantity] of byProduct) await recordSales(tx, productId, quantity);
  await emit(
    tx,
    'order.settled',
    { orderId: order.id, shopId: order.shopId, total: held, commission, returnInsurancePremium: premium },
    { key: order.id, at: now },
  );
  return { commission };
}

export type Withdrawal = typeof withdrawals.$inferSelect;

/**
 * Pays part of the shop's balance out to its bank account. The ledger refuses (409
 * `insufficient_funds`) an amount above the balance, rolling the whole request back.
 */
export async function withdraw(
  tx: Executor,
  shopId: string,
  input: { amount: number; bankAccount: string; accountId: string },
  now: Date,
): Promise<Withdrawal> {
  const id = newId('wdr');
  const { id: ledgerTransactionId } = await postTransaction(tx, {
    kind: 'withdrawal',
    memo: `withdrawal ${id} to ${input.bankAccount}`,
    ref: id,
    shopId,
    postings: [
      { account: shopAccount(shopId, 'balance'), amount: input.amount },
      { account: PLATFORM_CASH, amount: -input.amount },
    ],
    now,
  });
  const [row] = await tx
    .insert(withdrawals)
    .values({
      id,
      shopId,
      amount: input.amount,
      bankAccount: input.bankAccount,
      ledgerTransactionId,
      createdBy: input.accountId,
      createdAt: now,
    })
    .returning();
  await emit(
    tx,
    'shop.withdrawal',
    { withdrawalId: id, shopId, amount: input.amount },
    { key: shopId, at: now },
  );
  return row!;
}

export async function listWithdrawals(tx: Executor, shopId: string) {
  return tx.select().from(withdrawals).where(eq(withdrawals.shopId, shopId));
}
