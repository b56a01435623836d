import { and, count, desc, eq, lt, lte } from 'drizzle-orm';
import type { Executor } from '../../db';
import { DAY, HOUR } from '../../kernel/clock';
import { AppError, invalidField, notFound } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { emit } from '../../kernel/outbox';
import { decodeCursor, page } from '../../kernel/pagination';
import { cancelDeadline, scheduleDeadline } from '../../kernel/scheduler';
import { clearSearchAdjustment, setSearchAdjustment } from '../catalog';
import { type Rules, rulesFor } from '../governance';
import {
  getShop,
  liftShopRestriction,
  recordShopPenaltyPoints,
  restrictShop,
  type Shop,
  type ShopRestriction,
} from '../merchants';
import { PENALTY_TRACKS, type PenaltyAction, penaltyRecords, penaltyTotals, shopPenalties } from './schema';
import './messages';

/** Deadline kinds, one pending per shop: the active penalty's end, and the yearly reset. */
export const PENALTY_END = 'penalty.end';
export const ANNUAL_RESET = 'penalty.annual_reset';
/** The search-adjustment source penalties write under, so a programme's boost is left alone. */
export const PENALTY_SEARCH_SOURCE = 'penalty';

type PenaltyRules = Rules['penalty'];

export interface PenaltyTotals {
  general: number;
  serious: number;
  counterfeit: number;
}
const ZERO: PenaltyTotals = { general: 0, serious: 0, counterfeit: 0 };

export interface ActivePenalty {
  id: string;
  action: PenaltyAction;
  /** general, or serious (serious and counterfeit points count together on that ladder). */
  ladder: 'general' | 'serious';
  /** The points node that fired. */
  node: number;
  /** What the shop may not do meanwhile: be found in search, list products, sell at all. */
  restricts: ('search' | 'listing' | 'trading')[];
  startsAt: Date;
  /** When it lifts; null for a seal, which never does. */
  until: Date | null;
  /** e.g. `general 12`, `serious 36`: the ladder and node, for the merchant. */
  reason: string;
}

// ---- the penalty year ----------------------------------------------------------------------------
// Points count per calendar year in China time: the reset is on Dec 31 at 24:00 Asia/Shanghai
// (UTC+8, no daylight saving), i.e. Dec 31 16:00 UTC.

const SHANGHAI_OFFSET = 8 * HOUR;

export function penaltyYear(at: Date): number {
  return new Date(at.getTime() + SHANGHAI_OFFSET).getUTCFullYear();
}

/** The end of this penalty year: Dec 31 24:00 in Shanghai. */
export function penaltyYearEnd(year: number): Date {
  return new Date(Date.UTC(year + 1, 0, 1) - SHANGHAI_OFFSET);
}

/**
 * What the year-end reset leaves: general points go; serious points below the threshold (48) go,
 * at or above it they stay (the account stays sealed); counterfeit points below 24 go, 24 to 47
 * carry 24 over, and from the serious threshold (48) on they stay.
 */
export function carryOver(t: PenaltyTotals, reset: PenaltyRules['annualReset']): PenaltyTotals {
  const counterfeit =
    t.counterfeit < reset.counterfeitClearBelow
      ? 0
      : t.counterfeit >= reset.seriousClearBelow
        ? t.counterfeit
        : Math.min(t.counterfeit, reset.counterfeitCarryOver);
  return {
    general: 0,
    serious: t.serious >= reset.seriousClearBelow ? t.serious : 0,
    counterfeit,
  };
}

// ---- nodes -----------------------------------------------------------------------------------------

export interface NodeHit {
  ladder: 'general' | 'serious';
  node: number;
  action: PenaltyAction;
  /** null: permanent. */
  days: number | null;
}

/**
 * Every node a deduction crosses, going from `before` to `after`: each multiple of the general
 * step on the general ladder; on the serious ladder, the configured nodes, counting serious and
 * counterfeit points together (售假 points lead to the same closures and seal as serious ones).
 */
export function nodesCrossed(before: PenaltyTotals, after: PenaltyTotals, rules: PenaltyRules): NodeHit[] {
  const hits: NodeHit[] = [];
  const step = rules.general.pointsPerNode;
  for (let n = (Math.floor(before.general / step) + 1) * step; n <= after.general; n += step) {
    hits.push({ ladder: 'general', node: n, action: 'restrict', days: rules.general.restrictionDays });
  }
  const from = before.serious + before.counterfeit;
  const to = after.serious + after.counterfeit;
  for (const node of rules.serious) {
    if (node.points > from && node.points <= to) {
      hits.push({ ladder: 'serious', node: node.points, action: node.action, days: node.days ?? null });
    }
  }
  return hits;
}

const ACTION_RANK: Record<PenaltyAction, number> = { restrict: 1, close_shop: 2, seal_account: 3 };

/** How heavy a penalty is: the action first (seal > closure > restriction), then its length. */
export function severity(p: { action: PenaltyAction; days: number | null }): number {
  return ACTION_RANK[p.action] * 1_000_000 + (p.days ?? 999_999);
}

/** Of the nodes one deduction crosses, only the heaviest applies (of equal ones, the higher node). */
export function heaviest(hits: NodeHit[]): NodeHit | undefined {
  return hits.reduce<NodeHit | undefined>(
    (best, h) => (!best || severity(h) >= severity(best) ? h : best),
    undefined,
  );
}

const RESTRICTION_OF: Record<PenaltyAction, ShopRestriction> = {
  restrict: 'listing_ban',
  close_shop: 'closed',
  seal_account: 'sealed',
};

type PenaltyRow = typeof shopPenalties.$inferSelect;

function toActive(row: PenaltyRow): ActivePenalty {
  return {
    id: row.id,
    action: row.action,
    ladder: row.ladder,
    node: row.node,
    restricts: row.action === 'restrict' ? ['search', 'listing'] : ['search', 'listing', 'trading'],
    startsAt: row.startsAt,
    until: row.endsAt,
    reason: `${row.ladder} ${row.node}`,
  };
}

// ---- totals ----------------------------------------------------------------------------------------

const pick = (r: PenaltyTotals): PenaltyTotals => ({
  general: r.general,
  serious: r.serious,
  counterfeit: r.counterfeit,
});

/**
 * The shop's totals for `year`: the stored row, or what the year-end resets since the last stored
 * year left (then not stored yet: a year starts its row on its first deduction or at the reset).
 */
async function computeTotals(
  tx: Executor,
  shop: Shop,
  year: number,
): Promise<{ totals: PenaltyTotals; stored: boolean }> {
  const [row] = await tx
    .select()
    .from(penaltyTotals)
    .where(and(eq(penaltyTotals.shopId, shop.id), lte(penaltyTotals.year, year)))
    .orderBy(desc(penaltyTotals.year))
    .limit(1);
  if (!row) return { totals: ZERO, stored: false };
  if (row.year === year) return { totals: pick(row), stored: true };
  let totals = pick(row);
  for (let y = row.year; y < year && totals.general + totals.serious + totals.counterfeit > 0; y++) {
    const { rules } = await rulesFor(tx, shop.kind, penaltyYearEnd(y));
    totals = carryOver(totals, rules.penalty.annualReset);
  }
  return { totals, stored: false };
}

/** The year's totals row, created from the carry-over if missing, locked: deductions queue here. */
async function lockTotals(
  tx: Executor,
  shop: Shop,
  year: number,
  now: Date,
): Promise<{ totals: PenaltyTotals; created: boolean }> {
  let created = false;
  const computed = await computeTotals(tx, shop, year);
  if (!computed.stored) {
    const inserted = await tx
      .insert(penaltyTotals)
      .values({ shopId: shop.id, year, ...computed.totals, updatedAt: now })
      .onConflictDoNothing()
      .returning({ year: penaltyTotals.year });
    created = inserted.length > 0;
  }
  const [row] = await tx
    .select()
    .from(penaltyTotals)
    .where(and(eq(penaltyTotals.shopId, shop.id), eq(penaltyTotals.year, year)))
    .for('update');
  if (!row) throw new Error(`penalty totals of ${shop.id} for ${year} vanished`);
  return { totals: pick(row), created };
}

async function requireShop(tx: Executor, shopId: string): Promise<Shop> {
  const shop = await getShop(tx, shopId);
  if (!shop) throw notFound('shop_not_found');
  return shop;
}

// ---- the active penalty ------------------------------------------------------------------------------

async function activeRow(tx: Executor, shopId: string, lock = false): Promise<PenaltyRow | undefined> {
  const q = tx
    .select()
    .from(shopPenalties)
    .where(and(eq(shopPenalties.shopId, shopId), eq(shopPenalties.status, 'active')));
  const [row] = lock ? await q.for('update') : await q;
  return row;
}

/** Ends the penalty: the shop may list, trade and be found again. */
async function lift(tx: Executor, row: PenaltyRow, now: Date): Promise<void> {
  await tx.update(shopPenalties).set({ status: 'lifted', endedAt: now }).where(eq(shopPenalties.id, row.id));
  await liftShopRestriction(tx, row.shopId, now);
  await clearSearchAdjustment(tx, { shopId: row.shopId, source: PENALTY_SEARCH_SOURCE }, now);
  await emit(
    tx,
    'shop.penalty_lifted',
    {
      shopId: row.shopId,
      penaltyId: row.id,
      action: row.action,
      ladder: row.ladder,
      node: row.node,
      endsAt: row.endsAt?.toISOString() ?? null,
    },
    { key: row.shopId, at: now },
  );
}

/** Deadline handler: the active penalty's period is over. Late or repeated runs change nothing. */
export async function endPenalty(tx: Executor, shopId: string, now: Date): Promise<void> {
  const row = await activeRow(tx, shopId, true);
  if (!row?.endsAt || row.endsAt > now) return;
  await lift(tx, row, now);
}

/**
 * A node fired. "If one deduction crosses several nodes, or a node fires during an active penalty,
 * apply only the heaviest": a penalty in force at least as heavy absorbs the new one (it is not
 * queued after it); a heavier one replaces it from now for its full length.
 */
async function applyNode(
  tx: Executor,
  shop: Shop,
  hit: NodeHit,
  recordId: string,
  now: Date,
): Promise<ActivePenalty> {
  let active = await activeRow(tx, shop.id, true);
  if (active?.endsAt && active.endsAt <= now) {
    // Its end passed and the deadline has not run yet: it is over either way.
    await lift(tx, active, now);
    active = undefined;
  }
  if (active && severity(active) >= severity(hit)) return toActive(active);
  if (active) {
    await tx
      .update(shopPenalties)
      .set({ status: 'superseded', endedAt: now })
      .where(eq(shopPenalties.id, active.id));
  }
  const endsAt = hit.days === null ? null : new Date(now.getTime() + hit.days * DAY);
  const [row] = await tx
    .insert(shopPenalties)
    .values({
      id: newId('spen'),
      shopId: shop.id,
      action: hit.action,
      ladder: hit.ladder,
      node: hit.node,
      days: hit.days,
      recordId,
      status: 'active',
      startsAt: now,
      endsAt,
    })
    .returning();
  const penalty = toActive(row!);
  await restrictShop(
    tx,
    shop.id,
    { kind: RESTRICTION_OF[hit.action], until: endsAt, reason: penalty.reason },
    now,
  );
  // Every node penalty hides the shop (店铺屏蔽); the row ends on its own at `until`.
  await setSearchAdjustment(
    tx,
    { shopId: shop.id, source: PENALTY_SEARCH_SOURCE, effect: 'hidden', until: endsAt },
    now,
  );
  if (endsAt) {
    await scheduleDeadline(tx, { kind: PENALTY_END, subjectId: shop.id, dueAt: endsAt, now });
  } else {
    await cancelDeadline(tx, PENALTY_END, shop.id, now);
  }
  await emit(
    tx,
    'shop.penalised',
    {
      shopId: shop.id,
      penaltyId: row!.id,
      action: hit.action,
      ladder: hit.ladder,
      node: hit.node,
      recordId,
      startsAt: now.toISOString(),
      until: endsAt?.toISOString() ?? null,
      supersedes: active?.id ?? null,
    },
    { key: shop.id, at: now },
  );
  return penalty;
}

// ---- deductions --------------------------------------------------------------------------------------

export interface PenaltyPointsInput {
  shopId: string;
  track: 'general' | 'serious' | 'counterfeit';
  points: number;
  /** A reason code (see PENALTY_REASONS), e.g. `late_shipment_not_compensated`. */
  reason: string;
  note?: string | null;
  /** What it is about: a complaint id, an order id. */
  ref?: string | null;
  /** The operator's account id; null or absent when the platform issues it. */
  issuedBy?: string | null;
}

export interface PenaltyResult {
  id: string;
  totals: PenaltyTotals;
  /** The penalty in force after this deduction (a new one, or the one that absorbed it). */
  penalty: ActivePenalty | null;
}

const REASON = /^[a-z][a-z0-9_]{1,63}$/;

function checkInput(input: PenaltyPointsInput): void {
  if (!PENALTY_TRACKS.includes(input.track)) {
    throw invalidField('/track', 'field.enum', { allowed: PENALTY_TRACKS.join(', ') });
  }
  if (!Number.isInteger(input.points) || input.points < 0) {
    throw invalidField('/points', 'field.minimum', { limit: 0 });
  }
  if (input.points > 1000) throw invalidField('/points', 'field.maximum', { limit: 1000 });
  if (!REASON.test(input.reason)) throw invalidField('/reason', 'field.pattern');
}

async function deduct(
  tx: Executor,
  input: PenaltyPointsInput,
  now: Date,
  finding: { fakeOrders?: number; offence?: number; lateDetected?: boolean } = {},
): Promise<PenaltyResult> {
  checkInput(input);
  const shop = await requireShop(tx, input.shopId);
  const year = penaltyYear(now);
  const { totals: before } = await lockTotals(tx, shop, year, now);
  const after = { ...before, [input.track]: before[input.track] + input.points };
  const id = newId('pen');
  await tx.insert(penaltyRecords).values({
    id,
    shopId: shop.id,
    year,
    track: input.track,
    points: input.points,
    reason: input.reason,
    note: input.note ?? null,
    ref: input.ref ?? null,
    issuedBy: input.issuedBy ?? null,
    fakeOrders: finding.fakeOrders ?? null,
    offence: finding.offence ?? null,
    lateDetected: finding.lateDetected ?? null,
    createdAt: now,
  });
  let penalty: ActivePenalty | null = null;
  if (input.points > 0) {
    await tx
      .update(penaltyTotals)
      .set({ ...after, updatedAt: now })
      .where(and(eq(penaltyTotals.shopId, shop.id), eq(penaltyTotals.year, year)));
    await scheduleDeadline(tx, {
      kind: ANNUAL_RESET,
      subjectId: shop.id,
      dueAt: penaltyYearEnd(year),
      payload: { year },
      now,
    });
    const { rules } = await rulesFor(tx, shop.kind, now);
    const hit = heaviest(nodesCrossed(before, after, rules.penalty));
    if (hit) penalty = await applyNode(tx, shop, hit, id, now);
    // After the penalty rows: locks are taken penalties first, then the shop, as the lift does.
    await recordShopPenaltyPoints(tx, shop.id, after);
  }
  if (!penalty) {
    const active = await activeRow(tx, shop.id);
    penalty = active && (!active.endsAt || active.endsAt > now) ? toActive(active) : null;
  }
  await emit(
    tx,
    'shop.penalty_points_added',
    {
      shopId: shop.id,
      recordId: id,
      track: input.track,
      points: input.points,
      reason: input.reason,
      ref: input.ref ?? null,
      year,
      totals: after,
    },
    { key: shop.id, at: now },
  );
  return { id, totals: after, penalty };
}

/**
 * Adds penalty points to a shop (an upheld complaint, an operator's finding). The points count in
 * the current penalty year; a node they reach penalises the shop (only the heaviest, see applyNode).
 */
export async function addPenaltyPoints(
  tx: Executor,
  input: PenaltyPointsInput,
  now: Date,
): Promise<PenaltyResult> {
  return deduct(tx, input, now);
}

/** Points for a brushing finding by the rule set's schedule. */
export function fakeTradePoints(
  rules: PenaltyRules['fakeTrade'],
  finding: { offence: number; fakeOrders: number; lateDetected?: boolean },
): number {
  if (finding.lateDetected) return rules.lateDetected;
  const large = finding.fakeOrders >= rules.orderThreshold;
  if (finding.offence <= 2) return large ? rules.firstOffences.atOrAbove : rules.firstOffences.below;
  if (finding.offence === 3) return large ? rules.thirdOffence.atOrAbove : rules.thirdOffence.below;
  return rules.laterOffences;
}

export interface FakeTradeInput {
  shopId: string;
  fakeOrders: number;
  /** Found months after the fact: the rule set's fixed late-detection points. */
  lateDetected?: boolean;
  note: string;
  issuedBy: string | null;
}

/**
 * Records a brushing (虚假交易) finding. Offences are counted per shop within the penalty year, as
 * the points are (the year-end reset starts the count again), the late-detected case included.
 * The points go on the serious track: the schedule's 48 for repeat offenders is meant to seal the
 * shop, which 48 general points (four 7-day nodes) would not do. A finding worth 0 points
 * (correction only) is still recorded and counts as an offence.
 */
export async function recordFakeTrade(
  tx: Executor,
  input: FakeTradeInput,
  now: Date,
): Promise<PenaltyResult & { offence: number; points: number }> {
  if (!Number.isInteger(input.fakeOrders) || input.fakeOrders < 1) {
    throw invalidField('/fakeOrders', 'field.minimum', { limit: 1 });
  }
  const shop = await requireShop(tx, input.shopId);
  const year = penaltyYear(now);
  // Taken first so two findings at once count as two offences, in turn.
  await lockTotals(tx, shop, year, now);
  const [prior] = await tx
    .select({ n: count() })
    .from(penaltyRecords)
    .where(
      and(
        eq(penaltyRecords.shopId, shop.id),
        eq(penaltyRecords.reason, 'fake_trade'),
        eq(penaltyRecords.year, year),
      ),
    );
  const offence = (prior?.n ?? 0) + 1;
  const { rules } = await rulesFor(tx, shop.kind, now);
  const points = fakeTradePoints(rules.penalty.fakeTrade, {
    offence,
    fakeOrders: input.fakeOrders,
    lateDetected: input.lateDetected,
  });
  const result = await deduct(
    tx,
    {
      shopId: shop.id,
      track: 'serious',
      points,
      reason: 'fake_trade',
      note: input.note,
      issuedBy: input.issuedBy,
    },
    now,
    { fakeOrders: input.fakeOrders, offence, lateDetected: input.lateDetected ?? false },
  );
  return { ...result, offence, points };
}

// ---- the yearly reset --------------------------------------------------------------------------------

/**
 * Deadline handler, Dec 31 24:00 (Shanghai) for every shop that had points that year: starts the
 * next year's totals from the carry-over and shows them on the shop. The totals row is created at
 * most once (insert if absent), and the deadline row is marked done in the same transaction, so
 * the reset happens exactly once; a deduction that came first (a late sweep) already started the
 * year from the same carry-over. What carries over is reset again a year later.
 */
export async function resetPenaltyYear(tx: Executor, shopId: string, endedYear: number, now: Date) {
  const shop = await getShop(tx, shopId);
  if (!shop) return;
  const year = endedYear + 1;
  const [ended] = await tx
    .select()
    .from(penaltyTotals)
    .where(and(eq(penaltyTotals.shopId, shopId), eq(penaltyTotals.year, endedYear)));
  const { totals, created } = await lockTotals(tx, shop, year, now);
  if (penaltyYear(now) === year) await recordShopPenaltyPoints(tx, shopId, totals);
  if (created) {
    await emit(
      tx,
      'shop.penalty_points_reset',
      { shopId, endedYear, before: ended ? pick(ended) : ZERO, after: totals },
      { key: shopId, at: now },
    );
  }
  if (totals.general + totals.serious + totals.counterfeit > 0) {
    await scheduleDeadline(tx, {
      kind: ANNUAL_RESET,
      subjectId: shopId,
      dueAt: penaltyYearEnd(year),
      payload: { year },
      now,
    });
  }
}

// ---- reading -----------------------------------------------------------------------------------------

export interface PenaltyState {
  shopId: string;
  year: number;
  totals: PenaltyTotals;
  penalty: ActivePenalty | null;
}

/** The shop's points this penalty year and the penalty in force (what, until when, why). */
export async function shopPenaltyState(tx: Executor, shopId: string, now: Date): Promise<PenaltyState> {
  const shop = await requireShop(tx, shopId);
  const year = penaltyYear(now);
  const { totals } = await computeTotals(tx, shop, year);
  const active = await activeRow(tx, shopId);
  const penalty = active && (!active.endsAt || active.endsAt > now) ? toActive(active) : null;
  return { shopId, year, totals, penalty };
}

export type PenaltyRecord = typeof penaltyRecords.$inferSelect;

/** The shop's deductions, newest first (every year), keyset-paged. */
export async function listPenaltyRecords(
  tx: Executor,
  shopId: string,
  opts: { cursor?: string; limit: number },
): Promise<{ items: PenaltyRecord[]; nextCursor: string | null }> {
  const after = decodeCursor<{ id?: unknown }>(opts.cursor);
  if (after && typeof after.id !== 'string') {
    throw new AppError(400, 'bad_cursor', {}, [{ path: '/cursor', in: 'query', code: 'field.invalid' }]);
  }
  const rows = await tx
    .select()
    .from(penaltyRecords)
    .where(
      and(eq(penaltyRecords.shopId, shopId), after ? lt(penaltyRecords.id, after.id as string) : undefined),
    )
    .orderBy(desc(penaltyRecords.id))
    .limit(opts.limit + 1);
  return page(rows, opts.limit, (r) => ({ id: r.id }));
}

/** Past and present node penalties of the shop, newest first. */
export async function listShopPenalties(tx: Executor, shopId: string, limit = 50) {
  return tx
    .select()
    .from(shopPenalties)
    .where(eq(shopPenalties.shopId, shopId))
    .orderBy(desc(shopPenalties.startsAt), desc(shopPenalties.id))
    .limit(limit);
}
