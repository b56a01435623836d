import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { tstz } from '../../kernel/schema';

export const GROUP_BUY_STATUSES = ['active', 'paused'] as const;

/**
 * A group-buy campaign (拼团) on one SKU: the group price, the group size, how long a group has to
 * fill once its leader pays, and a limited stock of units for the whole campaign. `claimed` counts
 * units held by open orders plus units sold, never beyond `stock` (the check backs the conditional
 * UPDATE that claims them).
 */
export const groupBuys = pgTable(
  'group_buys',
  {
    id: text('id').primaryKey(),
    shopId: text('shop_id').notNull(),
    skuId: text('sku_id').notNull(),
    productId: text('product_id').notNull(),
    listPrice: bigint('list_price', { mode: 'number' }).notNull(),
    groupPrice: bigint('group_price', { mode: 'number' }).notNull(),
    groupSize: integer('group_size').notNull(),
    windowHours: integer('window_hours').notNull(),
    stock: integer('stock').notNull(),
    claimed: integer('claimed').notNull().default(0),
    status: text('status', { enum: GROUP_BUY_STATUSES }).notNull().default('active'),
    startsAt: tstz('starts_at').notNull(),
    endsAt: tstz('ends_at').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: tstz('created_at').notNull(),
    updatedAt: tstz('updated_at').notNull(),
  },
  (t) => [
    index('group_buys_shop').on(t.shopId, t.createdAt, t.id),
    index('group_buys_sku').on(t.skuId, t.startsAt),
    check('group_buys_claimed', sql`${t.claimed} >= 0 and ${t.claimed} <= ${t.stock}`),
    check('group_buys_size', sql`${t.groupSize} between 2 and 10000`),
    check('group_buys_price', sql`${t.groupPrice} > 0 and ${t.groupPrice} < ${t.listPrice}`),
    check('group_buys_window', sql`${t.endsAt} > ${t.startsAt}`),
  ],
);

/**
 * pending (the leader has not paid yet; nobody can join) -> forming (open for `windowHours` from the
 * leader's payment) -> formed (every place paid) | failed (time ran out: everyone paid is refunded);
 * pending -> abandoned when the leader's order closes unpaid.
 */
export const GROUP_STATUSES = ['pending', 'forming', 'formed', 'failed', 'abandoned'] as const;
export type GroupStatus = (typeof GROUP_STATUSES)[number];

export const groupBuyGroups = pgTable(
  'group_buy_groups',
  {
    id: text('id').primaryKey(),
    groupBuyId: text('group_buy_id').notNull(),
    shopId: text('shop_id').notNull(),
    leaderBuyerId: text('leader_buyer_id').notNull(),
    size: integer('size').notNull(),
    /** Places held: members whose order is unpaid or paid. */
    taken: integer('taken').notNull().default(1),
    paid: integer('paid').notNull().default(0),
    status: text('status', { enum: GROUP_STATUSES }).notNull().default('pending'),
    createdAt: tstz('created_at').notNull(),
    openedAt: tstz('opened_at'),
    expiresAt: tstz('expires_at'),
    endedAt: tstz('ended_at'),
  },
  (t) => [
    index('group_buy_groups_campaign').on(t.groupBuyId, t.status, t.expiresAt),
    check(
      'group_buy_groups_places',
      sql`${t.taken} >= 0 and ${t.taken} <= ${t.size} and ${t.paid} <= ${t.taken}`,
    ),
  ],
);

/** A member's place: held while its order is unpaid, `left` if it closes unpaid. */
export const MEMBER_STATUSES = ['pending', 'paid', 'left', 'refunded'] as const;

export const groupBuyMembers = pgTable(
  'group_buy_members',
  {
    id: text('id').primaryKey(),
    groupId: text('group_id').notNull(),
    groupBuyId: text('group_buy_id').notNull(),
    buyerId: text('buyer_id').notNull(),
    orderId: text('order_id').notNull(),
    role: text('role', { enum: ['leader', 'member'] }).notNull(),
    quantity: integer('quantity').notNull(),
    status: text('status', { enum: MEMBER_STATUSES }).notNull().default('pending'),
    joinedAt: tstz('joined_at').notNull(),
    paidAt: tstz('paid_at'),
  },
  (t) => [
    // One join per buyer per group (a buyer whose unpaid order closed may join again).
    uniqueIndex('group_buy_members_once').on(t.groupId, t.buyerId).where(sql`${t.status} <> 'left'`),
    uniqueIndex('group_buy_members_order').on(t.orderId),
    index('group_buy_members_group').on(t.groupId, t.joinedAt),
  ],
);
