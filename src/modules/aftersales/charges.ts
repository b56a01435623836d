import type { Executor } from '../../db';
import { balanceOf, type PostingInput, platformAccount, postTransaction, shopAccount } from '../ledger';

/** What the platform advanced for a shop that had neither balance nor deposit left: owed back by it. */
export const MERCHANT_RECEIVABLES = platformAccount('asset', 'merchant_receivables');

export interface ShopCharge {
  fromBalance: number;
  fromDeposit: number;
  advanced: number;
}

/** How a charge on a shop splits: its balance first, then its frozen deposit, then a platform advance. */
export function splitShopCharge(amount: number, balance: number, deposit: number): ShopCharge {
  const fromBalance = Math.min(amount, Math.max(0, balance));
  const fromDeposit = Math.min(amount - fromBalance, Math.max(0, deposit));
  return { fromBalance, fromDeposit, advanced: amount - fromBalance - fromDeposit };
}

/**
 * Charges a shop `amount` fen in one ledger transaction, towards the given credit postings (which
 * must add up to -amount): what the shop owes for a refund after settlement, a compensation or
 * return postage. A deposit drawn on must be topped up by the merchant.
 */
export async function chargeShop(
  tx: Executor,
  input: { shopId: string; amount: number; kind: string; memo: string; ref: string; credits: PostingInput[] },
  now: Date,
): Promise<ShopCharge> {
  const split = splitShopCharge(
    input.amount,
    await balanceOf(tx, shopAccount(input.shopId, 'balance')),
    await balanceOf(tx, shopAccount(input.shopId, 'deposit')),
  );
  const postings: PostingInput[] = [...input.credits];
  if (split.fromBalance > 0)
    postings.push({ account: shopAccount(input.shopId, 'balance'), amount: split.fromBalance });
  if (split.fromDeposit > 0)
    postings.push({ account: shopAccount(input.shopId, 'deposit'), amount: split.fromDeposit });
  if (split.advanced > 0) postings.push({ account: MERCHANT_RECEIVABLES, amount: split.advanced });
  await postTransaction(tx, {
    kind: input.kind,
    memo: input.memo,
    ref: input.ref,
    shopId: input.shopId,
    postings,
    now,
  });
  return split;
}
