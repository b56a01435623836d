import type { Executor } from '../../db';
import { conflict } from '../../kernel/errors';
import { emit } from '../../kernel/outbox';
import { balanceOf, PLATFORM_CASH, postTransaction, shopAccount } from '../ledger';
import { getShop, type Shop } from './shops';

/** What a frozen deposit lacks after claims were paid from it (compensations, refunds). */
export async function depositShortfall(tx: Executor, shop: Shop): Promise<number> {
  if (shop.depositStatus !== 'frozen') return 0;
  const held = await balanceOf(tx, shopAccount(shop.id, 'deposit'));
  return Math.max(0, shop.depositAmount - held);
}

/** The merchant pays the shortfall back in, so the deposit is whole again. */
export async function topUpDeposit(tx: Executor, shopId: string, now: Date) {
  const shop = await getShop(tx, shopId);
  if (!shop) throw conflict('shop_closed');
  const shortfall = await depositShortfall(tx, shop);
  if (shortfall <= 0) throw conflict('deposit_not_short');
  await postTransaction(tx, {
    kind: 'shop.deposit_topped_up',
    memo: 'Deposit topped up after claims',
    ref: shop.id,
    shopId: shop.id,
    postings: [
      { account: PLATFORM_CASH, amount: shortfall },
      { account: shopAccount(shop.id, 'deposit'), amount: -shortfall },
    ],
    now,
  });
  await emit(tx, 'shop.deposit_topped_up', { shopId: shop.id, amount: shortfall }, { key: shop.id, at: now });
  return { paid: shortfall, deposit: shop.depositAmount };
}
