import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../../db';
import { HOUR } from '../../kernel/clock';
import { bodyField, conflict, type FieldError, invalidFields, notFound } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { emit } from '../../kernel/outbox';
import { afterTimeAndId, page, timeAndIdKey } from '../../kernel/pagination';
import { cancelDeadline, registerDeadlineHandler, scheduleDeadline } from '../../kernel/scheduler';
import { refundOrderBySystem } from '../aftersales';
import { getSkuForSale } from '../catalog';
import { rulesFor } from '../governance';
import { availableBySku } from '../inventory';
import { getShop } from '../merchants';
import {
  type CheckoutResult,
  checkout,
  closeUnpaid,
  type Order,
  onCampaignOrders,
  releaseShipHold,
  type ShippingAddress,
} from '../trade';
import { type GroupStatus, groupBuyGroups, groupBuyMembers, groupBuys } from './schema';
import './messages';

export type GroupBuy = typeof groupBuys.$inferSelect;
export type Group = typeof groupBuyGroups.$inferSelect;
export type GroupMember = typeof groupBuyMembers.$inferSelect;

/** A forming group that has not filled by its expiry fails and refunds everyone who paid. */
export const GROUP_EXPIRES = 'group_buy.group_expires';

export const MAX_GROUP_SIZE = 10_000;
export const MAX_GROUP_QUANTITY = 99;
const MAX_CAMPAIGN_DAYS = 90;

export interface GroupBuyInput {
  skuId: string;
  groupPrice: number;
  groupSize: number;
  stock: number;
  startsAt: Date;
  endsAt: Date;
  /** Hours a group has to fill from its leader's payment; the rule set's groupBuy.windowHours when absent. */
  windowHours?: number;
}

/**
 * Schedules a group buy of one of the shop's SKUs. Rules: the SKU is the shop's own and on sale;
 * 0 < groupPrice < the SKU's price; 2 <= groupSize <= 10,000; groupSize <= stock <= the units
 * available now; the window ends after it starts and lasts at most 90 days.
 */
export async function createGroupBuy(
  tx: Executor,
  shopId: string,
  input: GroupBuyInput,
  createdBy: string,
  now: Date,
): Promise<GroupBuy> {
  const sku = await getSkuForSale(tx, input.skuId);
  if (!sku || sku.shopId !== shopId)
    throw invalidFields([bodyField('/skuId', 'field.group_sku_not_in_shop')]);
  const errors: FieldError[] = [];
  if (sku.status !== 'active' || sku.productStatus !== 'published') {
    errors.push(bodyField('/skuId', 'field.group_sku_not_for_sale'));
  }
  if (input.groupPrice >= sku.price) {
    errors.push(bodyField('/groupPrice', 'field.group_price_not_below_list', { listPrice: sku.price }));
  }
  const available = (await availableBySku(tx, [sku.skuId])).get(sku.skuId) ?? 0;
  if (input.stock > available)
    errors.push(bodyField('/stock', 'field.group_stock_over_available', { available }));
  if (input.stock < input.groupSize) {
    errors.push(bodyField('/stock', 'field.group_stock_below_size', { groupSize: input.groupSize }));
  }
  if (input.endsAt.getTime() <= input.startsAt.getTime()) {
    errors.push(bodyField('/endsAt', 'field.group_ends_before_start'));
  } else if (input.endsAt.getTime() - input.startsAt.getTime() > MAX_CAMPAIGN_DAYS * 24 * HOUR) {
    errors.push(bodyField('/endsAt', 'field.group_window_too_long', { days: MAX_CAMPAIGN_DAYS }));
  }
  if (input.endsAt.getTime() <= now.getTime()) errors.push(bodyField('/endsAt', 'field.group_ends_in_past'));
  if (errors.length) throw invalidFields(errors);
  const shop = await getShop(tx, shopId);
  const windowHours = input.windowHours ?? (await rulesFor(tx, shop!.kind, now)).rules.groupBuy.windowHours;
  const [row] = await tx
    .insert(groupBuys)
    .values({
      id: newId('gb'),
      shopId,
      skuId: sku.skuId,
      productId: sku.productId,
      listPrice: sku.price,
      groupPrice: input.groupPrice,
      groupSize: input.groupSize,
      windowHours,
      stock: input.stock,
      startsAt: input.startsAt,
      endsAt: input.endsAt,
      createdBy,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  await emit(tx, 'group_buy.created', campaignEvent(row!), { key: row!.id, at: now });
  return row!;
}

function campaignEvent(g: GroupBuy) {
  return {
    groupBuyId: g.id,
    shopId: g.shopId,
    skuId: g.skuId,
    groupPrice: g.groupPrice,
    groupSize: g.groupSize,
    stock: g.stock,
    startsAt: g.startsAt.toISOString(),
    endsAt: g.endsAt.toISOString(),
  };
}

export type GroupBuyPhase = 'upcoming' | 'live' | 'ended' | 'paused';

export function groupBuyPhase(g: GroupBuy, now: Date): GroupBuyPhase {
  if (now.getTime() >= g.endsAt.getTime()) return 'ended';
  if (g.status === 'paused') return 'paused';
  return now.getTime() < g.startsAt.getTime() ? 'upcoming' : 'live';
}

export async function getGroupBuy(tx: Executor, id: string): Promise<GroupBuy | undefined> {
  const [row] = await tx.select().from(groupBuys).where(eq(groupBuys.id, id));
  return row;
}

export async function getShopGroupBuy(tx: Executor, shopId: string, id: string): Promise<GroupBuy> {
  const row = await getGroupBuy(tx, id);
  if (!row || row.shopId !== shopId) throw notFound('group_buy_not_found');
  return row;
}

export async function listGroupBuys(tx: Executor, q: { shopId?: string; cursor?: string; limit?: number }) {
  const limit = q.limit ?? 20;
  const rows = await tx
    .select()
    .from(groupBuys)
    .where(
      and(
        q.shopId ? eq(groupBuys.shopId, q.shopId) : undefined,
        afterTimeAndId(q.cursor, groupBuys.createdAt, groupBuys.id),
      ),
    )
    .orderBy(desc(groupBuys.createdAt), desc(groupBuys.id))
    .limit(limit + 1);
  return page(rows, limit, (r) => timeAndIdKey(r.createdAt, r.id));
}

/** Stops (or restarts) new groups; groups already forming run to their end either way. */
export async function setGroupBuyStatus(
  tx: Executor,
  shopId: string,
  id: string,
  to: 'active' | 'paused',
  now: Date,
): Promise<GroupBuy> {
  const current = await getShopGroupBuy(tx, shopId, id);
  if (now.getTime() >= current.endsAt.getTime()) throw conflict('group_buy_ended');
  const [row] = await tx
    .update(groupBuys)
    .set({ status: to, updatedAt: now })
    .where(and(eq(groupBuys.id, id), eq(groupBuys.status, to === 'paused' ? 'active' : 'paused')))
    .returning();
  if (!row) throw conflict(to === 'paused' ? 'group_buy_already_paused' : 'group_buy_not_paused');
  await emit(tx, `group_buy.${to === 'paused' ? 'paused' : 'resumed'}`, campaignEvent(row), {
    key: row.id,
    at: now,
  });
  return row;
}

export interface JoinInput {
  quantity?: number;
  address: ShippingAddress;
}

/** Takes units of the campaign's stock, never beyond it. */
async function claimStock(tx: Executor, groupBuyId: string, quantity: number): Promise<void> {
  const [ok] = await tx
    .update(groupBuys)
    .set({ claimed: sql`${groupBuys.claimed} + ${quantity}` })
    .where(and(eq(groupBuys.id, groupBuyId), sql`${groupBuys.claimed} + ${quantity} <= ${groupBuys.stock}`))
    .returning({ id: groupBuys.id });
  if (!ok) throw conflict('group_buy_sold_out');
}

async function returnStock(tx: Executor, groupBuyId: string, quantity: number): Promise<void> {
  await tx
    .update(groupBuys)
    .set({ claimed: sql`greatest(${groupBuys.claimed} - ${quantity}, 0)` })
    .where(eq(groupBuys.id, groupBuyId));
}

async function placeOrder(
  tx: Executor,
  buyerId: string,
  campaign: GroupBuy,
  groupId: string,
  input: JoinInput,
  now: Date,
): Promise<CheckoutResult> {
  return checkout(
    tx,
    buyerId,
    {
      address: input.address,
      items: [{ skuId: campaign.skuId, quantity: input.quantity ?? 1 }],
      campaign: {
        kind: 'group_buy',
        id: groupId,
        promotionId: campaign.id,
        unitPrices: new Map([[campaign.skuId, campaign.groupPrice]]),
        shipHold: 'group_forming',
      },
    },
    now,
  );
}

/**
 * A buyer opens a group as its leader: the order is placed at the group price; the group opens to
 * others once the leader pays, and has the campaign's window from then to fill.
 */
export async function openGroup(
  tx: Executor,
  buyerId: string,
  groupBuyId: string,
  input: JoinInput,
  now: Date,
): Promise<{ group: Group; checkout: CheckoutResult }> {
  const [campaign] = await tx.select().from(groupBuys).where(eq(groupBuys.id, groupBuyId)).for('update');
  if (!campaign) throw notFound('group_buy_not_found');
  if (groupBuyPhase(campaign, now) !== 'live') {
    throw conflict('group_buy_not_live', { phase: groupBuyPhase(campaign, now) });
  }
  const quantity = input.quantity ?? 1;
  await claimStock(tx, campaign.id, quantity);
  const [group] = await tx
    .insert(groupBuyGroups)
    .values({
      id: newId('grp'),
      groupBuyId: campaign.id,
      shopId: campaign.shopId,
      leaderBuyerId: buyerId,
      size: campaign.groupSize,
      createdAt: now,
    })
    .returning();
  const placed = await placeOrder(tx, buyerId, campaign, group!.id, input, now);
  await tx.insert(groupBuyMembers).values({
    id: newId('gbm'),
    groupId: group!.id,
    groupBuyId: campaign.id,
    buyerId,
    orderId: placed.orders[0]!.id,
    role: 'leader',
    quantity,
    joinedAt: now,
  });
  return { group: group!, checkout: placed };
}

/**
 * A buyer joins a forming group: one place per buyer per group, while places and time remain. The
 * place is held by the unpaid order; if that closes unpaid, the place opens again.
 */
export async function joinGroup(
  tx: Executor,
  buyerId: string,
  groupId: string,
  input: JoinInput,
  now: Date,
): Promise<{ group: Group; checkout: CheckoutResult }> {
  // The group row is the queue: joins of one group go one at a time, so places are never oversold.
  const [group] = await tx.select().from(groupBuyGroups).where(eq(groupBuyGroups.id, groupId)).for('update');
  if (!group) throw notFound('group_not_found');
  if (group.status !== 'forming' || (group.expiresAt && now.getTime() >= group.expiresAt.getTime())) {
    throw conflict('group_not_open', { status: group.status });
  }
  const [already] = await tx
    .select({ id: groupBuyMembers.id })
    .from(groupBuyMembers)
    .where(
      and(
        eq(groupBuyMembers.groupId, groupId),
        eq(groupBuyMembers.buyerId, buyerId),
        sql`${groupBuyMembers.status} <> 'left'`,
      ),
    );
  if (already) throw conflict('group_already_joined');
  if (group.taken >= group.size) throw conflict('group_full');
  const campaign = await getGroupBuy(tx, group.groupBuyId);
  const quantity = input.quantity ?? 1;
  await claimStock(tx, campaign!.id, quantity);
  const [updated] = await tx
    .update(groupBuyGroups)
    .set({ taken: sql`${groupBuyGroups.taken} + 1` })
    .where(eq(groupBuyGroups.id, groupId))
    .returning();
  const placed = await placeOrder(tx, buyerId, campaign!, groupId, input, now);
  await tx.insert(groupBuyMembers).values({
    id: newId('gbm'),
    groupId,
    groupBuyId: campaign!.id,
    buyerId,
    orderId: placed.orders[0]!.id,
    role: 'member',
    quantity,
    joinedAt: now,
  });
  return { group: updated!, checkout: placed };
}

async function memberOfOrder(tx: Executor, orderId: string): Promise<GroupMember | undefined> {
  const [m] = await tx.select().from(groupBuyMembers).where(eq(groupBuyMembers.orderId, orderId));
  return m;
}

async function lockGroup(tx: Executor, groupId: string): Promise<Group> {
  const [g] = await tx.select().from(groupBuyGroups).where(eq(groupBuyGroups.id, groupId)).for('update');
  return g!;
}

function groupEvent(g: Group) {
  return {
    groupId: g.id,
    groupBuyId: g.groupBuyId,
    shopId: g.shopId,
    size: g.size,
    paid: g.paid,
    status: g.status,
  };
}

/** A member's order was paid: the leader's payment opens the group; the last place paid fills it. */
async function onMemberPaid(tx: Executor, order: Order, now: Date): Promise<void> {
  const member = await memberOfOrder(tx, order.id);
  if (!member) return;
  const group = await lockGroup(tx, member.groupId);
  await tx
    .update(groupBuyMembers)
    .set({ status: 'paid', paidAt: now })
    .where(eq(groupBuyMembers.id, member.id));
  const set: Partial<Group> = { paid: group.paid + 1 };
  if (member.role === 'leader' && group.status === 'pending') {
    const campaign = await getGroupBuy(tx, group.groupBuyId);
    set.status = 'forming';
    set.openedAt = now;
    set.expiresAt = new Date(now.getTime() + campaign!.windowHours * HOUR);
    await scheduleDeadline(tx, { kind: GROUP_EXPIRES, subjectId: group.id, dueAt: set.expiresAt, now });
  }
  const [updated] = await tx
    .update(groupBuyGroups)
    .set(set)
    .where(eq(groupBuyGroups.id, group.id))
    .returning();
  if (updated!.status === 'pending') return;
  if (updated!.status === 'forming' && updated!.paid === updated!.size) {
    await formGroup(tx, updated!, now);
  } else if (set.status === 'forming') {
    await emit(tx, 'group_buy.group_opened', groupEvent(updated!), { key: group.id, at: now });
  }
}

/** Every place is paid: the group is formed and each order's ship-by clock starts now. */
async function formGroup(tx: Executor, group: Group, now: Date): Promise<void> {
  const [formed] = await tx
    .update(groupBuyGroups)
    .set({ status: 'formed', endedAt: now })
    .where(and(eq(groupBuyGroups.id, group.id), eq(groupBuyGroups.status, 'forming')))
    .returning();
  if (!formed) return;
  await cancelDeadline(tx, GROUP_EXPIRES, group.id, now);
  const members = await tx
    .select()
    .from(groupBuyMembers)
    .where(and(eq(groupBuyMembers.groupId, group.id), eq(groupBuyMembers.status, 'paid')));
  for (const m of members) await releaseShipHold(tx, m.orderId, now);
  await emit(tx, 'group_buy.group_formed', groupEvent(formed), { key: group.id, at: now });
}

/** A member's order closed unpaid: its place and units come back; a leader's closes the group. */
async function onMemberOrderClosed(tx: Executor, order: Order, now: Date): Promise<void> {
  const member = await memberOfOrder(tx, order.id);
  if (member?.status !== 'pending') return;
  const group = await lockGroup(tx, member.groupId);
  await tx.update(groupBuyMembers).set({ status: 'left' }).where(eq(groupBuyMembers.id, member.id));
  await returnStock(tx, member.groupBuyId, member.quantity);
  const set: Partial<Group> = { taken: Math.max(0, group.taken - 1) };
  if (member.role === 'leader' && group.status === 'pending') {
    set.status = 'abandoned';
    set.endedAt = now;
  }
  await tx.update(groupBuyGroups).set(set).where(eq(groupBuyGroups.id, group.id));
}

onCampaignOrders('group_buy', { paid: onMemberPaid, closed: onMemberOrderClosed });

/**
 * The group's time ran out before it filled: it fails, members still unpaid have their orders
 * closed, and every member who paid is refunded in full by the platform, at once.
 */
export async function expireGroup(tx: Executor, groupId: string, now: Date): Promise<Group | undefined> {
  const group = await lockGroup(tx, groupId);
  if (group?.status !== 'forming') return undefined;
  const [failed] = await tx
    .update(groupBuyGroups)
    .set({ status: 'failed', endedAt: now })
    .where(eq(groupBuyGroups.id, groupId))
    .returning();
  const members = await tx
    .select()
    .from(groupBuyMembers)
    .where(and(eq(groupBuyMembers.groupId, groupId), inArray(groupBuyMembers.status, ['pending', 'paid'])));
  for (const m of members) {
    if (m.status === 'pending') {
      await closeUnpaid(tx, m.orderId, now); // the closed hook frees the place and the units
      continue;
    }
    await refundOrderBySystem(tx, m.orderId, 'group_buy_failed', now);
    await tx.update(groupBuyMembers).set({ status: 'refunded' }).where(eq(groupBuyMembers.id, m.id));
    await returnStock(tx, m.groupBuyId, m.quantity);
  }
  await emit(tx, 'group_buy.group_failed', groupEvent(failed!), { key: groupId, at: now });
  return failed;
}

registerDeadlineHandler(GROUP_EXPIRES, async (tx, d, now) => {
  await expireGroup(tx, d.subjectId, now);
});

export async function getGroup(tx: Executor, groupId: string): Promise<Group | undefined> {
  const [g] = await tx.select().from(groupBuyGroups).where(eq(groupBuyGroups.id, groupId));
  return g;
}

export async function membersOf(tx: Executor, groupId: string): Promise<GroupMember[]> {
  return tx
    .select()
    .from(groupBuyMembers)
    .where(eq(groupBuyMembers.groupId, groupId))
    .orderBy(groupBuyMembers.joinedAt, groupBuyMembers.id);
}

/** Groups of a campaign a buyer can join now: forming, with places left, soonest to expire first. */
export async function openGroupsOf(
  tx: Executor,
  groupBuyId: string,
  now: Date,
  limit = 20,
): Promise<Group[]> {
  return tx
    .select()
    .from(groupBuyGroups)
    .where(
      and(
        eq(groupBuyGroups.groupBuyId, groupBuyId),
        eq(groupBuyGroups.status, 'forming'),
        sql`${groupBuyGroups.expiresAt} > ${now.toISOString()}::timestamptz`,
        sql`${groupBuyGroups.taken} < ${groupBuyGroups.size}`,
      ),
    )
    .orderBy(groupBuyGroups.expiresAt, groupBuyGroups.id)
    .limit(limit);
}

/** The seller's report: groups by outcome, units and sales of formed groups, refunds of failed ones. */
export async function groupBuyReport(tx: Executor, campaign: GroupBuy) {
  const byStatus = await tx
    .select({ status: groupBuyGroups.status, n: sql<number>`count(*)::int` })
    .from(groupBuyGroups)
    .where(eq(groupBuyGroups.groupBuyId, campaign.id))
    .groupBy(groupBuyGroups.status);
  const groups: Record<GroupStatus, number> = { pending: 0, forming: 0, formed: 0, failed: 0, abandoned: 0 };
  for (const r of byStatus) groups[r.status] = Number(r.n);
  const [units] = await tx
    .select({
      sold: sql<number>`coalesce(sum(${groupBuyMembers.quantity}) filter (where ${groupBuyMembers.status} = 'paid' and ${groupBuyGroups.status} = 'formed'), 0)::int`,
      refunded: sql<number>`coalesce(sum(${groupBuyMembers.quantity}) filter (where ${groupBuyMembers.status} = 'refunded'), 0)::int`,
      buyers: sql<number>`count(distinct ${groupBuyMembers.buyerId}) filter (where ${groupBuyMembers.status} <> 'left')::int`,
    })
    .from(groupBuyMembers)
    .innerJoin(groupBuyGroups, eq(groupBuyGroups.id, groupBuyMembers.groupId))
    .where(eq(groupBuyMembers.groupBuyId, campaign.id));
  const sold = Number(units?.sold ?? 0);
  const ended = groups.formed + groups.failed;
  return {
    groups,
    unitsSold: sold,
    unitsRefunded: Number(units?.refunded ?? 0),
    buyers: Number(units?.buyers ?? 0),
    sales: sold * campaign.groupPrice,
    discountCost: { merchant: sold * (campaign.listPrice - campaign.groupPrice), platform: 0 },
    formationRate: ended === 0 ? 0 : groups.formed / ended,
  };
}
