// AIPL (数据银行) as pure rules: what each behaviour means in a scope, and a consumer's stage on a day.
// The SQL in aipl.ts says the same things for many consumers at once; the tests hold the two together.

export const EVENT_KINDS = [
  'exposure',
  'search',
  'view',
  'click',
  'favourite',
  'cart',
  'follow',
  'join',
  'purchase',
  'review',
  'share',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export const STAGES = ['awareness', 'interest', 'purchase', 'loyalty'] as const;
export type Stage = (typeof STAGES)[number];
/** The stages in order, after `none` (a consumer without one): the order stageSql ranks them in. */
export const STAGES_OR_NONE = ['none', ...STAGES] as const;
export type StageOrNone = (typeof STAGES_OR_NONE)[number];

/** A brand's consumers or a category's: the two kinds of AIPL scope. */
export type ScopeKind = 'brand' | 'category';

export interface AiplWindows {
  awarenessDays: number;
  interestDays: number;
  purchaseDays: number;
  loyaltyDays: number;
  loyaltyMinPurchaseDays: number;
}

/** Purchase days older than this (before the newest) can never count again under any allowed rule. */
export const PURCHASE_DAYS_KEPT = 3650;

export interface Facts {
  exposureDay: number | null;
  viewDays: number[];
  activeDay: number | null;
  purchaseDays: number[];
  praiseDay: number | null;
  spend: number;
}

export const NO_FACTS: Facts = {
  exposureDay: null,
  viewDays: [],
  activeDay: null,
  purchaseDays: [],
  praiseDay: null,
  spend: 0,
};

export type Effect = 'passive' | 'view' | 'active' | 'purchase' | 'praise';

/**
 * What a behaviour counts as in a scope. A search is active contact with a brand (a brand-word
 * search) but passive for a category (a category-word search). A view on one day is awareness, on
 * two days interest. A positive review or a share is loyalty; any other review is active contact.
 */
export function effectOf(kind: EventKind, scope: ScopeKind, rating: number | null): Effect {
  switch (kind) {
    case 'exposure':
      return 'passive';
    case 'search':
      return scope === 'brand' ? 'active' : 'passive';
    case 'view':
      return 'view';
    case 'purchase':
      return 'purchase';
    case 'share':
      return 'praise';
    case 'review':
      return rating === 1 ? 'praise' : 'active';
    default:
      return 'active';
  }
}

const maxOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

/** The newest `keep` distinct days of both lists, newest first. */
function topDays(a: number[], b: number[], keep: number): number[] {
  return [...new Set([...a, ...b])].sort((x, y) => y - x).slice(0, keep);
}

function recentDays(a: number[], b: number[]): number[] {
  const all = [...new Set([...a, ...b])].sort((x, y) => y - x);
  if (all.length === 0) return all;
  const floor = all[0]! - PURCHASE_DAYS_KEPT;
  return all.filter((d) => d >= floor);
}

/** Joins two sets of facts; order and grouping do not matter (the incremental path relies on it). */
export function mergeFacts(a: Facts, b: Facts): Facts {
  return {
    exposureDay: maxOf(a.exposureDay, b.exposureDay),
    viewDays: topDays(a.viewDays, b.viewDays, 2),
    activeDay: maxOf(a.activeDay, b.activeDay),
    purchaseDays: recentDays(a.purchaseDays, b.purchaseDays),
    praiseDay: maxOf(a.praiseDay, b.praiseDay),
    spend: a.spend + b.spend,
  };
}

/** The facts one event adds. */
export function factsOfEvent(effect: Effect, day: number, amount: number | null): Facts {
  switch (effect) {
    case 'passive':
      return { ...NO_FACTS, exposureDay: day };
    case 'view':
      return { ...NO_FACTS, viewDays: [day] };
    case 'active':
      return { ...NO_FACTS, activeDay: day };
    case 'purchase':
      return { ...NO_FACTS, purchaseDays: [day], spend: amount ?? 0 };
    case 'praise':
      return { ...NO_FACTS, praiseDay: day };
  }
}

/** Within a window of `days` days before `today` (an event `days` days old still counts). */
const within = (d: number | null | undefined, today: number, days: number) =>
  d !== null && d !== undefined && d <= today && today - d <= days;

/**
 * The stage on `today`, the highest that applies: loyalty (purchases on `loyaltyMinPurchaseDays`
 * distinct days in `loyaltyDays`, or a positive review or share in `loyaltyDays`), purchase (bought in
 * `purchaseDays`), interest (active contact, or views on two days, in `interestDays`), awareness
 * (passive contact or a view in `awarenessDays`). `today` is on or after every fact's day.
 */
export function stageOf(f: Facts, today: number, w: AiplWindows): StageOrNone {
  const loyalDays = f.purchaseDays.filter((d) => within(d, today, w.loyaltyDays)).length;
  if (loyalDays >= w.loyaltyMinPurchaseDays || within(f.praiseDay, today, w.loyaltyDays)) return 'loyalty';
  if (f.purchaseDays.some((d) => within(d, today, w.purchaseDays))) return 'purchase';
  if (within(f.activeDay, today, w.interestDays) || within(f.viewDays[1], today, w.interestDays)) {
    return 'interest';
  }
  if (within(f.exposureDay, today, w.awarenessDays) || within(f.viewDays[0], today, w.awarenessDays)) {
    return 'awareness';
  }
  return 'none';
}
