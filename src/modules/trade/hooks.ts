import type { Executor } from '../../db';
import type { Order } from './orders';

/**
 * Campaign modules built on trade (group buying, presale) follow their orders through these hooks,
 * called inside the transaction that moves the order, so their own rows change with it or not at all.
 */
export interface OrderHooks {
  /** Paid (`paid`, or `deposit_paid` for a presale deposit). */
  paid?: (tx: Executor, order: Order, now: Date) => Promise<void>;
  /** Closed before any money was kept for it: unpaid, balance unpaid, deposit refunded. */
  closed?: (tx: Executor, order: Order, now: Date) => Promise<void>;
}

const hooks = new Map<string, OrderHooks>();

/** Registers the hooks of orders placed through `kind` campaigns (orders.campaign_kind). */
export function onCampaignOrders(kind: NonNullable<Order['campaignKind']>, h: OrderHooks): void {
  hooks.set(kind, h);
}

export async function orderPaidHooks(tx: Executor, order: Order, now: Date): Promise<void> {
  if (order.campaignKind) await hooks.get(order.campaignKind)?.paid?.(tx, order, now);
}

export async function orderClosedHooks(tx: Executor, order: Order, now: Date): Promise<void> {
  if (order.campaignKind) await hooks.get(order.campaignKind)?.closed?.(tx, order, now);
}
