import { and, desc, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db';
import { HOUR } from '../../kernel/clock';
import { bodyField, conflict, type FieldError, invalidFields, notFound } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { emit } from '../../kernel/outbox';
import { afterTimeAndId, page, timeAndIdKey } from '../../kernel/pagination';
import { getSkuForSale } from '../catalog';
import { availableBySku } from '../inventory';
import {
  type CheckoutResult,
  checkout,
  closeUnpaid,
  depositPaidOrdersOf,
  getOrder,
  type Order,
  onCampaignOrders,
  refundDeposit,
  type ShippingAddress,
} from '../trade';
import { PRESALE_ORDER_STATUSES, presaleOrders, presales } from './schema';
import './messages';

export type Presale = typeof presales.$inferSelect;
export const MAX_PRESALE_QUANTITY = 99;
const MAX_PRESALE_DAYS = 120;
/** PRC Civil Code art. 586: a deposit (定金) above 20% of the contract amount is not a deposit. */
export const MAX_DEPOSIT_SHARE_BP = 2_000;

/** What one unit finally costs: the presale price less what the deposit counts for beyond itself. */
export function finalUnitPrice(p: Pick<Presale, 'presalePrice' | 'deposit' | 'depositValue'>): number {
  return p.presalePrice - (p.depositValue - p.deposit);
}

export interface PresaleInput {
  skuId: string;
  presalePrice: number;
  deposit: number;
  /** What the deposit counts for (>= deposit); the deposit itself when absent. */
  depositValue?: number;
  quota: number;
  depositFrom: Date;
  depositUntil: Date;
  balanceFrom: Date;
  balanceUntil: Date;
  announcedShipBy?: Date | null;
}

/**
 * Schedules a presale of one of the shop's SKUs. Rules: the SKU is the shop's own and on sale; the
 * presale price at most the list price; 0 < deposit <= depositValue < presale price; the deposit at
 * most 20% of what a unit finally costs; quota <= units available now; the deposit window ends
 * after it starts and in the future; the balance window opens no earlier than the deposit window
 * and closes after it opens; an announced ship date, if any, is after the balance window; 120 days
 * at most from the first deposit to the last balance.
 */
export async function createPresale(
  tx: Executor,
  shopId: string,
  input: PresaleInput,
  createdBy: string,
  now: Date,
): Promise<Presale> {
  const sku = await getSkuForSale(tx, input.skuId);
  if (!sku || sku.shopId !== shopId)
    throw invalidFields([bodyField('/skuId', 'field.presale_sku_not_in_shop')]);
  const errors: FieldError[] = [];
  if (sku.status !== 'active' || sku.productStatus !== 'published') {
    errors.push(bodyField('/skuId', 'field.presale_sku_not_for_sale'));
  }
  const depositValue = input.depositValue ?? input.deposit;
  if (input.presalePrice > sku.price) {
    errors.push(bodyField('/presalePrice', 'field.presale_price_over_list', { listPrice: sku.price }));
  }
  if (depositValue < input.deposit)
    errors.push(bodyField('/depositValue', 'field.presale_deposit_value_below'));
  if (depositValue >= input.presalePrice) {
    errors.push(bodyField('/depositValue', 'field.presale_deposit_value_over_price'));
  } else if (depositValue >= input.deposit) {
    const unit = input.presalePrice - (depositValue - input.deposit);
    if (input.deposit * 10_000 > unit * MAX_DEPOSIT_SHARE_BP) {
      errors.push(
        bodyField('/deposit', 'field.presale_deposit_over_share', {
          max: Math.floor((unit * MAX_DEPOSIT_SHARE_BP) / 10_000),
        }),
      );
    }
  }
  const available = (await availableBySku(tx, [sku.skuId])).get(sku.skuId) ?? 0;
  if (input.quota > available)
    errors.push(bodyField('/quota', 'field.presale_quota_over_stock', { available }));
  const t = (d: Date) => d.getTime();
  if (t(input.depositUntil) <= t(input.depositFrom)) {
    errors.push(bodyField('/depositUntil', 'field.presale_deposit_window'));
  }
  if (t(input.depositUntil) <= t(now)) errors.push(bodyField('/depositUntil', 'field.presale_in_past'));
  if (t(input.balanceFrom) < t(input.depositFrom)) {
    errors.push(bodyField('/balanceFrom', 'field.presale_balance_before_deposit'));
  }
  if (t(input.balanceUntil) <= t(input.balanceFrom)) {
    errors.push(bodyField('/balanceUntil', 'field.presale_balance_window'));
  }
  if (t(input.balanceUntil) - t(input.depositFrom) > MAX_PRESALE_DAYS * 24 * HOUR) {
    errors.push(bodyField('/balanceUntil', 'field.presale_too_long', { days: MAX_PRESALE_DAYS }));
  }
  if (input.announcedShipBy && t(input.announcedShipBy) < t(input.balanceUntil)) {
    errors.push(bodyField('/announcedShipBy', 'field.presale_ship_before_balance'));
  }
  if (errors.length) throw invalidFields(errors);
  const [row] = await tx
    .insert(presales)
    .values({
      id: newId('pre'),
      shopId,
      skuId: sku.skuId,
      productId: sku.productId,
      listPrice: sku.price,
      presalePrice: input.presalePrice,
      deposit: input.deposit,
      depositValue,
      quota: input.quota,
      depositFrom: input.depositFrom,
      depositUntil: input.depositUntil,
      balanceFrom: input.balanceFrom,
      balanceUntil: input.balanceUntil,
      announcedShipBy: input.announcedShipBy ?? null,
      createdBy,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  await emit(tx, 'presale.created', presaleEvent(row!), { key: row!.id, at: now });
  return row!;
}

function presaleEvent(p: Presale) {
  return {
    presaleId: p.id,
    shopId: p.shopId,
    skuId: p.skuId,
    presalePrice: p.presalePrice,
    deposit: p.deposit,
    depositValue: p.depositValue,
    finalUnitPrice: finalUnitPrice(p),
    quota: p.quota,
    status: p.status,
  };
}

export type PresalePhase = 'upcoming' | 'deposit' | 'waiting_balance' | 'balance' | 'ended' | 'cancelled';

export function presalePhase(p: Presale, now: Date): PresalePhase {
  const at = now.getTime();
  if (p.status === 'cancelled') return 'cancelled';
  if (at < p.depositFrom.getTime()) return 'upcoming';
  if (at < p.depositUntil.getTime()) {
    // Deposit and balance windows may overlap: a deposit is what can be placed first.
    return 'deposit';
  }
  if (at < p.balanceFrom.getTime()) return 'waiting_balance';
  if (at < p.balanceUntil.getTime()) return 'balance';
  return 'ended';
}

export async function getPresale(tx: Executor, id: string): Promise<Presale | undefined> {
  const [row] = await tx.select().from(presales).where(eq(presales.id, id));
  return row;
}

export async function getShopPresale(tx: Executor, shopId: string, id: string): Promise<Presale> {
  const row = await getPresale(tx, id);
  if (!row || row.shopId !== shopId) throw notFound('presale_not_found');
  return row;
}

export async function listPresales(tx: Executor, q: { shopId?: string; cursor?: string; limit?: number }) {
  const limit = q.limit ?? 20;
  const rows = await tx
    .select()
    .from(presales)
    .where(
      and(
        q.shopId ? eq(presales.shopId, q.shopId) : undefined,
        afterTimeAndId(q.cursor, presales.createdAt, presales.id),
      ),
    )
    .orderBy(desc(presales.createdAt), desc(presales.id))
    .limit(limit + 1);
  return page(rows, limit, (r) => timeAndIdKey(r.createdAt, r.id));
}

/**
 * A buyer places a presale order: its first payment is the deposit (to be paid within the rule
 * set's order.unpaidCloseMinutes.presaleDeposit), then the balance in the balance window through
 * POST /orders/{id}/balance-payment.
 */
export async function placeDeposit(
  tx: Executor,
  buyerId: string,
  presaleId: string,
  input: { quantity?: number; address: ShippingAddress },
  now: Date,
): Promise<CheckoutResult> {
  const [presale] = await tx.select().from(presales).where(eq(presales.id, presaleId));
  if (!presale) throw notFound('presale_not_found');
  const phase = presalePhase(presale, now);
  if (phase !== 'deposit') throw conflict('presale_not_taking_deposits', { phase });
  const quantity = input.quantity ?? 1;
  const [ok] = await tx
    .update(presales)
    .set({ claimed: sql`${presales.claimed} + ${quantity}` })
    .where(and(eq(presales.id, presale.id), sql`${presales.claimed} + ${quantity} <= ${presales.quota}`))
    .returning({ id: presales.id });
  if (!ok) throw conflict('presale_sold_out');
  const placed = await checkout(
    tx,
    buyerId,
    {
      address: input.address,
      items: [{ skuId: presale.skuId, quantity }],
      campaign: {
        kind: 'presale',
        id: presale.id,
        promotionId: presale.id,
        unitPrices: new Map([[presale.skuId, finalUnitPrice(presale)]]),
        presale: {
          depositPerUnit: presale.deposit,
          balanceFrom: presale.balanceFrom,
          balanceBy: presale.balanceUntil,
          announcedShipBy: presale.announcedShipBy,
        },
      },
    },
    now,
  );
  const order = placed.orders[0]!;
  await tx.insert(presaleOrders).values({
    orderId: order.id,
    presaleId: presale.id,
    buyerId,
    quantity,
    deposit: presale.deposit * quantity,
    total: order.total,
    createdAt: now,
    updatedAt: now,
  });
  return placed;
}

async function setOrderStatus(
  tx: Executor,
  orderId: string,
  status: (typeof PRESALE_ORDER_STATUSES)[number],
  now: Date,
) {
  const [row] = await tx
    .update(presaleOrders)
    .set({ status, updatedAt: now })
    .where(eq(presaleOrders.orderId, orderId))
    .returning();
  return row;
}

onCampaignOrders('presale', {
  paid: async (tx, order, now) => {
    await setOrderStatus(
      tx,
      order.id,
      order.status === 'deposit_paid' ? 'deposit_paid' : 'balance_paid',
      now,
    );
  },
  // Closed before the balance: the units go back to the presale's quota.
  closed: async (tx, order: Order, now) => {
    const status =
      order.closeReason === 'unpaid_timeout'
        ? 'unpaid'
        : order.closeReason === 'balance_unpaid'
          ? 'forfeited'
          : 'deposit_refunded';
    const row = await setOrderStatus(tx, order.id, status, now);
    if (!row) return;
    await tx
      .update(presales)
      .set({ claimed: sql`greatest(${presales.claimed} - ${row.quantity}, 0)` })
      .where(eq(presales.id, row.presaleId));
  },
});

/** The seller gives one order's deposit back (its fault, or by agreement) before the balance is paid. */
export async function refundPresaleDeposit(
  tx: Executor,
  shopId: string,
  presaleId: string,
  orderId: string,
  actorId: string,
  now: Date,
): Promise<Order> {
  await getShopPresale(tx, shopId, presaleId);
  const order = await getOrder(tx, orderId);
  if (!order || order.campaignId !== presaleId || order.shopId !== shopId) throw notFound('order_not_found');
  return refundDeposit(
    tx,
    orderId,
    { shopId, actor: { type: 'staff', id: actorId }, reason: 'deposit_refunded_by_seller' },
    now,
  );
}

/**
 * The seller calls the presale off (it cannot deliver): no more deposits, every paid deposit is
 * refunded in full and unpaid presale orders close. Orders whose balance is paid are ordinary paid
 * orders by then: the seller ships them or they are refunded under the shipping rules.
 */
export async function cancelPresale(
  tx: Executor,
  shopId: string,
  presaleId: string,
  actorId: string,
  now: Date,
): Promise<{ presale: Presale; depositsRefunded: number; ordersClosed: number }> {
  await getShopPresale(tx, shopId, presaleId);
  const [cancelled] = await tx
    .update(presales)
    .set({ status: 'cancelled', updatedAt: now })
    .where(and(eq(presales.id, presaleId), eq(presales.status, 'active')))
    .returning();
  if (!cancelled) throw conflict('presale_cancelled');
  let depositsRefunded = 0;
  for (const order of await depositPaidOrdersOf(tx, [presaleId])) {
    await refundDeposit(
      tx,
      order.id,
      { shopId, actor: { type: 'staff', id: actorId }, reason: 'presale_cancelled' },
      now,
    );
    depositsRefunded++;
  }
  const unpaid = await tx
    .select({ orderId: presaleOrders.orderId })
    .from(presaleOrders)
    .where(and(eq(presaleOrders.presaleId, presaleId), eq(presaleOrders.status, 'awaiting_deposit')));
  let ordersClosed = 0;
  for (const { orderId } of unpaid) if (await closeUnpaid(tx, orderId, now)) ordersClosed++;
  await emit(
    tx,
    'presale.cancelled',
    { ...presaleEvent(cancelled), depositsRefunded, ordersClosed },
    {
      key: presaleId,
      at: now,
    },
  );
  return { presale: cancelled, depositsRefunded, ordersClosed };
}

/** The seller's report: orders and units by outcome, deposits taken, forfeited and refunded, sales. */
export async function presaleReport(tx: Executor, presale: Presale) {
  const rows = await tx
    .select({
      status: presaleOrders.status,
      orders: sql<number>`count(*)::int`,
      units: sql<number>`coalesce(sum(${presaleOrders.quantity}), 0)::int`,
      deposits: sql<number>`coalesce(sum(${presaleOrders.deposit}), 0)::bigint`,
      totals: sql<number>`coalesce(sum(${presaleOrders.total}), 0)::bigint`,
    })
    .from(presaleOrders)
    .where(eq(presaleOrders.presaleId, presale.id))
    .groupBy(presaleOrders.status);
  const by = Object.fromEntries(
    PRESALE_ORDER_STATUSES.map((s) => [s, { orders: 0, units: 0, deposits: 0, totals: 0 }]),
  ) as Record<
    (typeof PRESALE_ORDER_STATUSES)[number],
    { orders: number; units: number; deposits: number; totals: number }
  >;
  for (const r of rows) {
    by[r.status] = {
      orders: Number(r.orders),
      units: Number(r.units),
      deposits: Number(r.deposits),
      totals: Number(r.totals),
    };
  }
  const paidDeposit =
    by.deposit_paid.orders + by.balance_paid.orders + by.forfeited.orders + by.deposit_refunded.orders;
  return {
    orders: Object.fromEntries(Object.entries(by).map(([k, v]) => [k, v.orders])) as Record<string, number>,
    unitsAwaitingBalance: by.deposit_paid.units,
    unitsSold: by.balance_paid.units,
    depositsHeld: by.deposit_paid.deposits,
    depositsForfeited: by.forfeited.deposits,
    depositsRefunded: by.deposit_refunded.deposits,
    sales: by.balance_paid.totals,
    discountCost: {
      merchant: by.balance_paid.units * (presale.listPrice - finalUnitPrice(presale)),
      platform: 0,
    },
    balanceConversion: paidDeposit === 0 ? 0 : by.balance_paid.orders / paidDeposit,
  };
}
