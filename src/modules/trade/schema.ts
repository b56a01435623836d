import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { tstz } from '../../kernel/schema';

/** One line per (buyer, SKU): adding again raises the quantity. */
export const cartItems = pgTable(
  'cart_items',
  {
    buyerId: text('buyer_id').notNull(),
    skuId: text('sku_id').notNull(),
    quantity: integer('quantity').notNull(),
    addedAt: tstz('added_at').notNull(),
    updatedAt: tstz('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.buyerId, t.skuId] })],
);

export const PAYMENT_STATUSES = ['pending', 'processing', 'succeeded', 'refunded', 'closed'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** One payment covers every order of one checkout. */
export const payments = pgTable(
  'payments',
  {
    id: text('id').primaryKey(),
    buyerId: text('buyer_id').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    currency: text('currency').notNull().default('CNY'),
    status: text('status', { enum: PAYMENT_STATUSES }).notNull().default('pending'),
    provider: text('provider'),
    chargeId: text('charge_id'),
    createdAt: tstz('created_at').notNull(),
    paidAt: tstz('paid_at'),
    refundedAt: tstz('refunded_at'),
  },
  (t) => [index('payments_buyer').on(t.buyerId)],
);

/**
 * Every provider notification accepted, one row per (provider, charge): a duplicate or replayed
 * notification finds its row taken and changes nothing.
 */
export const paymentNotifications = pgTable(
  'payment_notifications',
  {
    id: text('id').primaryKey(),
    provider: text('provider').notNull(),
    chargeId: text('charge_id').notNull(),
    paymentId: text('payment_id').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    status: text('status').notNull(),
    /** What it did: `paid`, or `refunded` when it came after the orders had closed unpaid. */
    outcome: text('outcome').notNull(),
    body: jsonb('body').notNull(),
    receivedAt: tstz('received_at').notNull(),
  },
  (t) => [uniqueIndex('payment_notifications_charge').on(t.provider, t.chargeId)],
);

/** `deposit_paid`: a presale order whose deposit is paid and whose balance is awaited. */
export const ORDER_STATUSES = [
  'awaiting_payment',
  'deposit_paid',
  'paid',
  'shipped',
  'succeeded',
  'closed',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export interface ShippingAddress {
  name: string;
  phone: string;
  region: string;
  line: string;
}

export const orders = pgTable(
  'orders',
  {
    id: text('id').primaryKey(),
    buyerId: text('buyer_id').notNull(),
    shopId: text('shop_id').notNull(),
    shopKind: text('shop_kind', { enum: ['mall', 'market'] }).notNull(),
    rulesVersion: integer('rules_version').notNull(),
    paymentId: text('payment_id').notNull(),
    status: text('status', { enum: ORDER_STATUSES }).notNull().default('awaiting_payment'),
    total: bigint('total', { mode: 'number' }).notNull(),
    currency: text('currency').notNull().default('CNY'),
    address: jsonb('address').$type<ShippingAddress>().notNull(),
    createdAt: tstz('created_at').notNull(),
    payBy: tstz('pay_by'),
    paidAt: tstz('paid_at'),
    shipBy: tstz('ship_by'),
    /** The ship-deadline campaign that set `shipBy` at payment, when one did. */
    shipByCampaignId: text('ship_by_campaign_id'),
    shipLate: boolean('ship_late').notNull().default(false),
    shippedAt: tstz('shipped_at'),
    confirmBy: tstz('confirm_by'),
    receiptExtensions: integer('receipt_extensions').notNull().default(0),
    /** Set while after-sales holds the receipt clock: the time that was left when it stopped. */
    receiptPausedMs: bigint('receipt_paused_ms', { mode: 'number' }),
    succeededAt: tstz('succeeded_at'),
    closedAt: tstz('closed_at'),
    closeReason: text('close_reason'),
    /** Return-shipping insurance (运费险): bought by the buyer at checkout, given by the shop, or none. */
    returnInsurance: text('return_insurance', { enum: ['none', 'buyer', 'shop'] })
      .notNull()
      .default('none'),
    /** The part of `total` paid with platform points (in fen): it came from the points liability, not the buyer's cash. */
    pointsAmount: bigint('points_amount', { mode: 'number' }).notNull().default(0),
    /** The premium of that insurance, in fen: paid with the order (buyer) or out of settlement (shop). */
    returnInsurancePremium: bigint('return_insurance_premium', { mode: 'number' }).notNull().default(0),
    /** The campaign the order was placed through (a group buy's group, a presale), when one was. */
    campaignKind: text('campaign_kind', { enum: ['group_buy', 'presale'] }),
    campaignId: text('campaign_id'),
    /** Paid, but the ship-by clock waits: `group_forming` until the order's group buy fills. */
    shipHold: text('ship_hold', { enum: ['group_forming'] }),
    /** Presale: the deposit (part of `total`), paid first through `paymentId`. */
    depositAmount: bigint('deposit_amount', { mode: 'number' }).notNull().default(0),
    depositPaidAt: tstz('deposit_paid_at'),
    /** Presale: the window in which the balance (total - deposit) is paid, and its own payment. */
    balanceFrom: tstz('balance_from'),
    balanceBy: tstz('balance_by'),
    balancePaymentId: text('balance_payment_id'),
    /** Presale: the ship date announced with the sale; ship-by is never earlier. */
    announcedShipBy: tstz('announced_ship_by'),
  },
  (t) => [
    index('orders_buyer').on(t.buyerId, t.createdAt, t.id),
    index('orders_balance_payment').on(t.balancePaymentId),
    index('orders_campaign').on(t.campaignId),
    index('orders_shop').on(t.shopId, t.status, t.createdAt),
    index('orders_payment').on(t.paymentId),
  ],
);

export const orderLines = pgTable(
  'order_lines',
  {
    id: text('id').primaryKey(),
    orderId: text('order_id')
      .notNull()
      .references(() => orders.id),
    skuId: text('sku_id').notNull(),
    productId: text('product_id').notNull(),
    categoryId: text('category_id').notNull(),
    title: text('title').notNull(),
    attributes: jsonb('attributes').$type<Record<string, string>>().notNull(),
    image: text('image'),
    unitPrice: bigint('unit_price', { mode: 'number' }).notNull(),
    quantity: integer('quantity').notNull(),
    lineTotal: bigint('line_total', { mode: 'number' }).notNull(),
    /** What the buyer actually paid for the line after every discount: the most a refund can return. */
    paidAmount: bigint('paid_amount', { mode: 'number' }).notNull(),
    /** The part of paidAmount paid with points, and the discounts on the line the platform funds. */
    pointsAmount: bigint('points_amount', { mode: 'number' }).notNull().default(0),
    platformFunded: bigint('platform_funded', { mode: 'number' }).notNull().default(0),
    /** Units and fen of this line refunded so far (never more than quantity and paidAmount). */
    refundedQuantity: integer('refunded_quantity').notNull().default(0),
    refundedAmount: bigint('refunded_amount', { mode: 'number' }).notNull().default(0),
    shipWithinHours: integer('ship_within_hours'),
    reservationId: text('reservation_id').notNull(),
  },
  (t) => [index('order_lines_order').on(t.orderId)],
);

/** Every status change of an order: who moved it, why, when. */
export const orderEvents = pgTable(
  'order_events',
  {
    id: text('id').primaryKey(),
    orderId: text('order_id').notNull(),
    fromStatus: text('from_status'),
    toStatus: text('to_status').notNull(),
    actorType: text('actor_type', { enum: ['buyer', 'staff', 'system', 'provider', 'carrier'] }).notNull(),
    actorId: text('actor_id'),
    reason: text('reason'),
    /** What a change that keeps the status did (e.g. a seller's receipt extension: days, new confirm-by). */
    detail: jsonb('detail').$type<Record<string, unknown>>(),
    at: tstz('at').notNull(),
  },
  (t) => [index('order_events_order').on(t.orderId, t.at)],
);

/**
 * A fixed ship-by moment for a sales period (e.g. Double 11): an order of this kind of shop (or of
 * either kind when `shopKind` is null) paid in [paidFrom, paidUntil) must ship by `shipBy`, whatever
 * the product promises or the rules' default say.
 */
export const shipDeadlineCampaigns = pgTable(
  'ship_deadline_campaigns',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    shopKind: text('shop_kind', { enum: ['mall', 'market'] }),
    paidFrom: tstz('paid_from').notNull(),
    paidUntil: tstz('paid_until').notNull(),
    shipBy: tstz('ship_by').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: tstz('created_at').notNull(),
  },
  (t) => [
    index('ship_deadline_campaigns_window').on(t.paidFrom, t.paidUntil),
    index('ship_deadline_campaigns_created').on(t.createdAt, t.id),
  ],
);

export const shipments = pgTable(
  'shipments',
  {
    id: text('id').primaryKey(),
    orderId: text('order_id').notNull(),
    shopId: text('shop_id').notNull(),
    carrier: text('carrier').notNull(),
    trackingNo: text('tracking_no').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: tstz('created_at').notNull(),
    pickedUpAt: tstz('picked_up_at'),
    deliveredAt: tstz('delivered_at'),
  },
  (t) => [
    uniqueIndex('shipments_order').on(t.orderId),
    uniqueIndex('shipments_tracking').on(t.carrier, t.trackingNo),
  ],
);

export const withdrawals = pgTable(
  'withdrawals',
  {
    id: text('id').primaryKey(),
    shopId: text('shop_id').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    bankAccount: text('bank_account').notNull(),
    status: text('status', { enum: ['paid_out'] })
      .notNull()
      .default('paid_out'),
    ledgerTransactionId: text('ledger_transaction_id').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: tstz('created_at').notNull(),
  },
  (t) => [index('withdrawals_shop').on(t.shopId, t.createdAt)],
);

/** Who saw a buyer's full address on a shipping label, and when. */
export const labelAccesses = pgTable(
  'shipping_label_accesses',
  {
    id: text('id').primaryKey(),
    orderId: text('order_id').notNull(),
    shopId: text('shop_id').notNull(),
    accountId: text('account_id').notNull(),
    at: tstz('at').notNull(),
  },
  (t) => [index('shipping_label_accesses_order').on(t.orderId, t.at)],
);
