import { eq } from 'drizzle-orm';
import type { Executor } from '../../db';
import { newId } from '../../kernel/ids';
import { emit } from '../../kernel/outbox';
import { recordSales } from '../catalog';
import { commissionRateBp, rulesFor } from '../governance';
import { PLATFORM_CASH, PLATFORM_ESCROW, platformAccount, postTransaction, shopAccount } from '../ledger';
import { linesOf, type Order } from './orders';
import { withdrawals } from './schema';

export const COMMISSION_ACCOUNT = platformAccount('revenue', 'commission');

/** Commission per line, rounded down to the fen, at the rates of the order's rules. */
export function commissionOf(
  lines: { lineTotal: number; categoryId: string }[],
  rateBp: (categoryId: string) => number,
): number {
  return lines.reduce((s, l) => s + Math.floor((l.lineTotal * rateBp(l.categoryId)) / 10_000), 0);
}

/**
 * Trade success pays the shop, in the caller's transaction: escrow releases the order total, the
 * shop's balance receives it less commission (mall shops; market rules charge none), the platform
 * books the commission, and the catalog counts the sales.
 */
export async function settleOrder(tx: Executor, order: Order, now: Date): Promise<{ commission: number }> {
  const lines = (await linesOf(tx, [order.id])).get(order.id) ?? [];
  const { rules } = await rulesFor(tx, order.shopKind, order.createdAt);
  const commission = commissionOf(lines, (categoryId) => commissionRateBp(rules, categoryId));
  const toShop = order.total - commission;
  const postings = [{ account: PLATFORM_ESCROW, amount: order.total }];
  if (toShop > 0) postings.push({ account: shopAccount(order.shopId, 'balance'), amount: -toShop });
  if (commission > 0) postings.push({ account: COMMISSION_ACCOUNT, amount: -commission });
  await postTransaction(tx, {
    kind: 'trade_settlement',
    memo: `order ${order.id} settled`,
    ref: order.id,
    shopId: order.shopId,
    postings,
    now,
  });
  const byProduct = new Map<string, number>();
  for (const l of lines) byProduct.set(l.productId, (byProduct.get(l.productId) ?? 0) + l.quantity);
  for (const [productId, quantity] of byProduct) await recordSales(tx, productId, quantity);
  await emit(
    tx,
    'order.settled',
    { orderId: order.id, shopId: order.shopId, total: order.total, commission },
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
