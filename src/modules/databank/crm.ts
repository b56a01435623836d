import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db';
import { conflict, invalidField, notFound } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { emit } from '../../kernel/outbox';
import type { BehaviourEvent } from './events';
import { pgArray } from './events';
import { crmRelations, membershipProgrammeShops, membershipProgrammes, memberships } from './schema';

// CRM layers (客户分层): the relation dimension beside AIPL. Strongest first.
export const LAYERS = ['member', 'customer', 'friend', 'fan', 'guest', 'visitor'] as const;
export type Layer = (typeof LAYERS)[number];
export const STRENGTH: Record<Layer, 'weak' | 'medium' | 'strong'> = {
  visitor: 'weak',
  guest: 'medium',
  fan: 'medium',
  friend: 'strong',
  customer: 'strong',
  member: 'strong',
};

const rowsOf = <T>(r: unknown): T[] => (r as { rows: T[] }).rows;

type RelationDelta = {
  visitedAt: number | null;
  interactedAt: number | null;
  followedAt: number | null;
  boughtAt: number | null;
  purchases: number;
  spend: number;
  region: string | null;
  regionAt: number;
  lastSeenAt: number;
};

const later = (a: number | null, b: number) => (a === null ? b : Math.max(a, b));

/** Folds new events into the shops' relations with their consumers (one upsert per batch). */
export async function applyRelations(tx: Executor, events: BehaviourEvent[]): Promise<void> {
  const byKey = new Map<string, { shopId: string; consumerId: string; d: RelationDelta }>();
  for (const e of events) {
    if (!e.shopId) continue;
    const key = `${e.shopId}\u0000${e.consumerId}`;
    const t = e.occurredAt.getTime();
    const cur = byKey.get(key) ?? {
      shopId: e.shopId,
      consumerId: e.consumerId,
      d: {
        visitedAt: null,
        interactedAt: null,
        followedAt: null,
        boughtAt: null,
        purchases: 0,
        spend: 0,
        region: null,
        regionAt: 0,
        lastSeenAt: t,
      },
    };
    const d = cur.d;
    d.lastSeenAt = Math.max(d.lastSeenAt, t);
    if (e.kind === 'exposure' || e.kind === 'view') d.visitedAt = later(d.visitedAt, t);
    else if (e.kind === 'follow') d.followedAt = later(d.followedAt, t);
    else if (e.kind === 'purchase') {
      d.boughtAt = later(d.boughtAt, t);
      d.purchases += 1;
      d.spend += e.amount ?? 0;
    } else d.interactedAt = later(d.interactedAt, t);
    if (e.region && t >= d.regionAt) {
      d.region = e.region;
      d.regionAt = t;
    }
    byKey.set(key, cur);
  }
  const rows = [...byKey.values()];
  const iso = (n: number | null) => (n === null ? null : new Date(n).toISOString());
  for (let i = 0; i < rows.length; i += 2000) {
    const s = rows.slice(i, i + 2000);
    await tx.execute(sql`
      insert into crm_relations as r (shop_id, consumer_id, visited_at, interacted_at, followed_at, bought_at,
        purchases, spend, region, last_seen_at)
      select * from unnest(
        ${pgArray(s.map((x) => x.shopId))}::text[],
        ${pgArray(s.map((x) => x.consumerId))}::text[],
        ${pgArray(s.map((x) => iso(x.d.visitedAt)))}::timestamptz[],
        ${pgArray(s.map((x) => iso(x.d.interactedAt)))}::timestamptz[],
        ${pgArray(s.map((x) => iso(x.d.followedAt)))}::timestamptz[],
        ${pgArray(s.map((x) => iso(x.d.boughtAt)))}::timestamptz[],
        ${pgArray(s.map((x) => String(x.d.purchases)))}::integer[],
        ${pgArray(s.map((x) => String(x.d.spend)))}::bigint[],
        ${pgArray(s.map((x) => x.d.region))}::text[],
        ${pgArray(s.map((x) => iso(x.d.lastSeenAt)))}::timestamptz[])
      on conflict (shop_id, consumer_id) do update set
        visited_at = greatest(r.visited_at, excluded.visited_at),
        interacted_at = greatest(r.interacted_at, excluded.interacted_at),
        followed_at = greatest(r.followed_at, excluded.followed_at),
        bought_at = greatest(r.bought_at, excluded.bought_at),
        purchases = r.purchases + excluded.purchases,
        spend = r.spend + excluded.spend,
        region = case when excluded.region is not null and excluded.last_seen_at >= r.last_seen_at
          then excluded.region else coalesce(r.region, excluded.region) end,
        last_seen_at = greatest(r.last_seen_at, excluded.last_seen_at)`);
  }
}

/** The layer of each relation row, in SQL (member needs the shop's programme). */
export function layerSql(shopId: string) {
  return sql`case
    when exists (select 1 from ${memberships} m join ${membershipProgrammeShops} ps on ps.programme_id = m.programme_id
      where ps.shop_id = ${shopId} and m.buyer_id = ${crmRelations.consumerId}) then 'member'
    when ${crmRelations.boughtAt} is not null then 'customer'
    when ${crmRelations.friendAt} is not null then 'friend'
    when ${crmRelations.followedAt} is not null then 'fan'
    when ${crmRelations.interactedAt} is not null then 'guest'
    else 'visitor' end`;
}

/** How many consumers of the shop are in each layer, with the strength of each. */
export async function layerCounts(tx: Executor, shopId: string) {
  const rows = await tx
    .select({ layer: sql<Layer>`${layerSql(shopId)}`, n: sql<number>`count(*)::int` })
    .from(crmRelations)
    .where(eq(crmRelations.shopId, shopId))
    .groupBy(sql`1`);
  // Members who never had an event at the shop still count as members.
  const [extra] = rowsOf<{ n: number }>(
    await tx.execute(sql`
      select count(*)::int as n from ${memberships} m join ${membershipProgrammeShops} ps on ps.programme_id = m.programme_id
      where ps.shop_id = ${shopId} and not exists (
        select 1 from ${crmRelations} r where r.shop_id = ${shopId} and r.consumer_id = m.buyer_id)`),
  );
  const counts = Object.fromEntries(LAYERS.map((l) => [l, 0])) as Record<Layer, number>;
  for (const r of rows) counts[r.layer] = Number(r.n);
  counts.member += Number(extra?.n ?? 0);
  return LAYERS.map((layer) => ({ layer, strength: STRENGTH[layer], consumers: counts[layer] }));
}

/** Whether the buyer follows the shop (is its fan), and how many fans it has. */
export async function followState(tx: Executor, shopId: string, buyerId: string | undefined) {
  const [fans] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(crmRelations)
    .where(and(eq(crmRelations.shopId, shopId), sql`${crmRelations.followedAt} is not null`));
  const [mine] = buyerId
    ? await tx
        .select({ at: crmRelations.followedAt })
        .from(crmRelations)
        .where(and(eq(crmRelations.shopId, shopId), eq(crmRelations.consumerId, buyerId)))
    : [];
  return {
    following: mine?.at != null,
    followedAt: mine?.at?.toISOString() ?? null,
    fans: Number(fans?.n ?? 0),
  };
}

/**
 * The buyer stops following the shop: no longer a fan (nor a friend, which needs the follow).
 * Their other relations with the shop (visits, purchases, membership) stay.
 */
export async function unfollowShop(tx: Executor, shopId: string, buyerId: string, now: Date) {
  const [row] = await tx
    .update(crmRelations)
    .set({ followedAt: null, friendAt: null })
    .where(
      and(
        eq(crmRelations.shopId, shopId),
        eq(crmRelations.consumerId, buyerId),
        sql`${crmRelations.followedAt} is not null`,
      ),
    )
    .returning({ shopId: crmRelations.shopId });
  if (row) await emit(tx, 'shop.unfollowed', { shopId, buyerId }, { key: shopId, at: now });
}

/** The shop's service staff add a fan back: the relation becomes mutual (a friend). */
export async function addFriend(tx: Executor, shopId: string, consumerId: string, now: Date) {
  const [row] = await tx
    .update(crmRelations)
    .set({ friendAt: now })
    .where(
      and(
        eq(crmRelations.shopId, shopId),
        eq(crmRelations.consumerId, consumerId),
        sql`${crmRelations.followedAt} is not null`,
      ),
    )
    .returning();
  if (!row) throw notFound('crm_fan_not_found');
  return row;
}

export type Programme = typeof membershipProgrammes.$inferSelect;

function checkLevels(levels: { name: string; minSpend: number }[]) {
  if (levels[0]?.minSpend !== 0) throw invalidField('/levels/0/minSpend', 'membership_first_level_zero');
  for (let i = 1; i < levels.length; i++) {
    if (levels[i]!.minSpend <= levels[i - 1]!.minSpend) {
      throw invalidField(`/levels/${i}/minSpend`, 'membership_levels_ascending');
    }
  }
}

/** A shop starts its membership programme (one per shop). */
export async function createProgramme(
  tx: Executor,
  shopId: string,
  input: { name: string; levels: { name: string; minSpend: number }[] },
  now: Date,
): Promise<Programme> {
  checkLevels(input.levels);
  const [existing] = await tx
    .select()
    .from(membershipProgrammeShops)
    .where(eq(membershipProgrammeShops.shopId, shopId));
  if (existing) throw conflict('membership_programme_exists');
  const id = newId('mbp');
  const [row] = await tx
    .insert(membershipProgrammes)
    .values({ id, name: input.name, ownerShopId: shopId, levels: input.levels, createdAt: now })
    .returning();
  await tx.insert(membershipProgrammeShops).values({ programmeId: id, shopId, addedAt: now });
  return row!;
}

/** A mall operator lets another shop share a programme (the shop must not have its own). */
export async function shareProgramme(tx: Executor, programmeId: string, shopId: string, now: Date) {
  const [programme] = await tx
    .select()
    .from(membershipProgrammes)
    .where(eq(membershipProgrammes.id, programmeId));
  if (!programme) throw notFound('membership_programme_not_found');
  const [existing] = await tx
    .select()
    .from(membershipProgrammeShops)
    .where(eq(membershipProgrammeShops.shopId, shopId));
  if (existing) throw conflict('membership_programme_exists');
  await tx.insert(membershipProgrammeShops).values({ programmeId, shopId, addedAt: now });
  return programme;
}

export async function programmeOfShop(tx: Executor, shopId: string): Promise<Programme | undefined> {
  const [row] = await tx
    .select({ p: membershipProgrammes })
    .from(membershipProgrammeShops)
    .innerJoin(membershipProgrammes, eq(membershipProgrammes.id, membershipProgrammeShops.programmeId))
    .where(eq(membershipProgrammeShops.shopId, shopId));
  return row?.p;
}

/** The level reached by spend across the programme's shops. */
export function levelFor(levels: { name: string; minSpend: number }[], spend: number): string {
  let level = levels[0]!.name;
  for (const l of levels) if (spend >= l.minSpend) level = l.name;
  return level;
}

/** A buyer's membership of the shop's programme: level and spend, or undefined when not a member. */
export async function membershipOf(tx: Executor, shopId: string, buyerId: string) {
  const programme = await programmeOfShop(tx, shopId);
  if (!programme) return undefined;
  const [m] = await tx
    .select()
    .from(memberships)
    .where(and(eq(memberships.programmeId, programme.id), eq(memberships.buyerId, buyerId)));
  if (!m) return undefined;
  const [spent] = rowsOf<{ spend: number }>(
    await tx.execute(sql`
      select coalesce(sum(r.spend), 0)::bigint as spend from ${crmRelations} r
      join ${membershipProgrammeShops} ps on ps.shop_id = r.shop_id
      where ps.programme_id = ${programme.id} and r.consumer_id = ${buyerId}`),
  );
  const spend = Number(spent?.spend ?? 0);
  const level = levelFor(programme.levels, spend);
  return {
    programmeId: programme.id,
    programme: programme.name,
    level,
    /** The level's position in the programme's levels (0 = the first), for member-only prices. */
    levelRank: programme.levels.findIndex((l) => l.name === level),
    spend,
    joinedAt: m.joinedAt,
  };
}

/** The buyer joins the shop's programme; answers whether they were new. */
export async function joinMembership(tx: Executor, shopId: string, buyerId: string, now: Date) {
  const programme = await programmeOfShop(tx, shopId);
  if (!programme) throw notFound('membership_programme_not_found');
  const [row] = await tx
    .insert(memberships)
    .values({ programmeId: programme.id, buyerId, joinedAt: now, joinedViaShopId: shopId })
    .onConflictDoNothing()
    .returning();
  return { programme, joined: row !== undefined };
}
