import { and, asc, desc, eq, gt, inArray, isNull, lte, sql } from 'drizzle-orm';
import type { Executor } from '../../db';
import { p, statement } from '../../db/statements';
import { AppError, conflict, invalidField, notFound, ruleViolation } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { emit } from '../../kernel/outbox';
import { getSkuForSale } from '../catalog';
import type { Coupon, FullReduction, Funder } from './engine';
import {
  coupons,
  couponTemplates,
  fullReductions,
  orderDiscounts,
  subsidies,
  timedDiscounts,
} from './schema';
import './messages';

export type CouponTemplate = typeof couponTemplates.$inferSelect;
export type FullReductionRow = typeof fullReductions.$inferSelect;
export type TimedDiscountRow = typeof timedDiscounts.$inferSelect;
export type SubsidyRow = typeof subsidies.$inferSelect;

function checkWindow(validFrom: Date, validUntil: Date, now: Date): void {
  if (validUntil.getTime() <= validFrom.getTime())
    throw invalidField('/validUntil', 'field.window_end_before_start');
  if (validUntil.getTime() <= now.getTime()) throw invalidField('/validUntil', 'field.not_in_past');
}

function checkFunding(funder: Funder, platformShareBp: number | undefined, shopScoped: boolean): number {
  // A shop cannot spend the platform's money: only operators' offers may be platform-funded or shared.
  if (shopScoped && funder !== 'merchant') throw invalidField('/funder', 'field.shop_funds_own');
  if (funder === 'shared') {
    if (platformShareBp === undefined || platformShareBp <= 0 || platformShareBp >= 10_000) {
      throw invalidField('/platformShareBp', 'field.shared_split');
    }
    return platformShareBp;
  }
  return 0;
}

export interface CouponTemplateInput {
  name: string;
  kind: 'amount' | 'percent';
  amount?: number;
  percentOffBp?: number;
  cap?: number;
  threshold?: number;
  categoryIds?: string[];
  validFrom: Date;
  validUntil: Date;
  totalLimit: number;
  perBuyerLimit: number;
  audience?: 'all' | 'new_buyers' | 'list' | 'segment';
  audienceBuyerIds?: string[];
  segmentId?: string;
  funder?: Funder;
  platformShareBp?: number;
}

/** A shop's coupon offer (shopId) or the platform's (null). */
export async function createCouponTemplate(
  tx: Executor,
  shopId: string | null,
  input: CouponTemplateInput,
  accountId: string,
  now: Date,
): Promise<CouponTemplate> {
  checkWindow(input.validFrom, input.validUntil, now);
  const funder = input.funder ?? (shopId ? 'merchant' : 'platform');
  const platformShareBp = checkFunding(funder, input.platformShareBp, shopId !== null);
  if (input.kind === 'amount') {
    if (!input.amount || input.amount <= 0) throw invalidField('/amount', 'field.required');
    if (input.threshold && input.amount > input.threshold)
      throw invalidField('/amount', 'field.coupon_above_threshold');
  } else if (!input.percentOffBp || input.percentOffBp <= 0 || input.percentOffBp >= 10_000) {
    throw invalidField('/percentOffBp', 'field.required');
  }
  if (input.perBuyerLimit > input.totalLimit)
    throw invalidField('/perBuyerLimit', 'field.maximum', { limit: input.totalLimit });
  if (input.audience === 'list' && !input.audienceBuyerIds?.length)
    throw invalidField('/audienceBuyerIds', 'field.required');
  if (input.audience === 'segment') {
    // Segments are a shop's own view of its consumers: only a shop's coupons can target one.
    if (!shopId) throw invalidField('/audience', 'field.segment_shop_only');
    if (!input.segmentId) throw invalidField('/segmentId', 'field.required');
    await segments().check(tx, shopId, input.segmentId);
  }
  const [row] = await tx
    .insert(couponTemplates)
    .values({
      id: newId('cpt'),
      shopId,
      name: input.name,
      kind: input.kind,
      amount: input.kind === 'amount' ? input.amount! : 0,
      percentOffBp: input.kind === 'percent' ? input.percentOffBp! : 0,
      cap: input.cap ?? 0,
      threshold: input.threshold ?? 0,
      categoryIds: input.categoryIds ?? [],
      validFrom: input.validFrom,
      validUntil: input.validUntil,
      totalLimit: input.totalLimit,
      perBuyerLimit: input.perBuyerLimit,
      audience: input.audience ?? 'all',
      audienceBuyerIds: input.audienceBuyerIds ?? [],
      segmentId: input.audience === 'segment' ? (input.segmentId ?? null) : null,
      funder,
      platformShareBp,
      createdBy: accountId,
      createdAt: now,
    })
    .returning();
  await emit(tx, 'promotion.coupon_created', { templateId: row!.id, shopId }, { key: row!.id, at: now });
  return row!;
}

/**
 * A buyer claims a coupon: within the offer's window, audience and limits. The total limit is a
 * guarded UPDATE of the claimed count and the per-buyer limit a unique (offer, buyer, claim number)
 * index, so concurrent claims never exceed either.
 */
export async function claimCoupon(
  tx: Executor,
  buyerId: string,
  templateId: string,
  input: { isNewBuyer: () => Promise<boolean> },
  now: Date,
) {
  const [t] = await tx.select().from(couponTemplates).where(eq(couponTemplates.id, templateId));
  if (!t) throw notFound('coupon_offer_not_found');
  if (t.status !== 'active' || now < t.validFrom || now >= t.validUntil)
    throw ruleViolation('coupon_offer_closed');
  if (t.audience === 'list' && !t.audienceBuyerIds.includes(buyerId))
    throw ruleViolation('coupon_not_for_you');
  if (t.audience === 'new_buyers' && !(await input.isNewBuyer()))
    throw ruleViolation('coupon_new_buyers_only');
  if (t.audience === 'segment') {
    const member = t.shopId && t.segmentId && (await segments().has(tx, t.shopId, t.segmentId, buyerId, now));
    if (!member) throw ruleViolation('coupon_not_for_you');
  }
  const mine = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(coupons)
    .where(and(eq(coupons.templateId, templateId), eq(coupons.buyerId, buyerId)));
  const claimNo = Number(mine[0]?.n ?? 0) + 1;
  if (claimNo > t.perBuyerLimit) throw ruleViolation('coupon_limit_reached', { limit: t.perBuyerLimit });
  const [counted] = await tx
    .update(couponTemplates)
    .set({ claimed: sql`${couponTemplates.claimed} + 1` })
    .where(
      and(
        eq(couponTemplates.id, templateId),
        sql`${couponTemplates.claimed} < ${couponTemplates.totalLimit}`,
      ),
    )
    .returning();
  if (!counted) throw conflict('coupon_offer_exhausted');
  const [c] = await tx
    .insert(coupons)
    .values({ id: newId('cpn'), templateId, buyerId, claimNo, claimedAt: now })
    .onConflictDoNothing()
    .returning();
  // A concurrent claim by the same buyer took this claim number: the transaction rolls back.
  if (!c) throw conflict('coupon_claim_raced');
  return c;
}

/** The coupons a buyer holds, with their offers. */
export async function buyerCoupons(tx: Executor, buyerId: string, now: Date) {
  const rows = await tx
    .select({ coupon: coupons, template: couponTemplates })
    .from(coupons)
    .innerJoin(couponTemplates, eq(couponTemplates.id, coupons.templateId))
    .where(eq(coupons.buyerId, buyerId))
    .orderBy(asc(couponTemplates.validUntil), asc(coupons.id));
  return rows.map(({ coupon, template }) => ({
    id: coupon.id,
    status:
      coupon.status === 'unused' && (template.validUntil <= now || template.status !== 'active')
        ? ('expired' as const)
        : coupon.status,
    offer: couponOfferView(template),
    claimedAt: coupon.claimedAt.toISOString(),
  }));
}

export function couponOfferView(t: CouponTemplate) {
  return {
    id: t.id,
    shopId: t.shopId,
    name: t.name,
    kind: t.kind,
    amount: t.amount,
    percentOffBp: t.percentOffBp,
    cap: t.cap,
    threshold: t.threshold,
    categoryIds: t.categoryIds,
    validFrom: t.validFrom.toISOString(),
    validUntil: t.validUntil.toISOString(),
    totalLimit: t.totalLimit,
    perBuyerLimit: t.perBuyerLimit,
    claimed: t.claimed,
    used: t.used,
    audience: t.audience,
    funder: t.funder,
    platformShareBp: t.platformShareBp,
    status: t.status,
  };
}

/** The offers a buyer could claim now: a shop's, or the platform's when shopId is null. */
export async function openCouponOffers(tx: Executor, shopId: string | null, now: Date) {
  const rows = await tx
    .select()
    .from(couponTemplates)
    .where(
      and(
        shopId ? eq(couponTemplates.shopId, shopId) : isNull(couponTemplates.shopId),
        eq(couponTemplates.status, 'active'),
        lte(couponTemplates.validFrom, now),
        gt(couponTemplates.validUntil, now),
        eq(couponTemplates.audience, 'all'),
        sql`${couponTemplates.claimed} < ${couponTemplates.totalLimit}`,
      ),
    )
    .orderBy(desc(couponTemplates.createdAt))
    .limit(100);
  return rows.map(couponOfferView);
}

/**
 * The buyer's chosen coupons for checkout, unused and valid now, as the engine sees them. An id
 * that is not the buyer's usable coupon answers 400 naming it.
 */
export async function usableCoupons(
  tx: Executor,
  buyerId: string,
  ids: string[],
  now: Date,
): Promise<Coupon[]> {
  if (ids.length === 0) return [];
  const rows = await tx
    .select({ coupon: coupons, template: couponTemplates })
    .from(coupons)
    .innerJoin(couponTemplates, eq(couponTemplates.id, coupons.templateId))
    .where(and(inArray(coupons.id, ids), eq(coupons.buyerId, buyerId)));
  return ids.map((id, i) => {
    const row = rows.find((r) => r.coupon.id === id);
    if (!row) throw invalidField(`/couponIds/${i}`, 'field.coupon_unknown');
    const { coupon, template: t } = row;
    if (coupon.status !== 'unused') throw invalidField(`/couponIds/${i}`, 'field.coupon_used');
    if (t.status !== 'active' || now < t.validFrom || now >= t.validUntil) {
      throw invalidField(`/couponIds/${i}`, 'field.coupon_not_valid_now');
    }
    return {
      id: coupon.id,
      templateId: t.id,
      shopId: t.shopId,
      kind: t.kind,
      amount: t.amount,
      percentOffBp: t.percentOffBp,
      cap: t.cap,
      threshold: t.threshold,
      funder: t.funder,
      platformShareBp: t.platformShareBp,
      categoryIds: t.categoryIds,
    };
  });
}

// ---- full reductions, timed discounts, subsidies ----------------------------------------------------

export interface FullReductionInput {
  name: string;
  mode: 'tiered' | 'every';
  tiers: { threshold: number; off: number }[];
  cap?: number;
  shopIds?: string[];
  validFrom: Date;
  validUntil: Date;
  funder?: Funder;
  platformShareBp?: number;
}

export async function createFullReduction(
  tx: Executor,
  shopId: string | null,
  input: FullReductionInput,
  accountId: string,
  now: Date,
): Promise<FullReductionRow> {
  checkWindow(input.validFrom, input.validUntil, now);
  const funder = input.funder ?? (shopId ? 'merchant' : 'platform');
  const platformShareBp = checkFunding(funder, input.platformShareBp, shopId !== null);
  if (input.mode === 'every' && input.tiers.length !== 1)
    throw invalidField('/tiers', 'field.every_one_tier');
  input.tiers.forEach((t, i) => {
    if (t.off >= t.threshold) throw invalidField(`/tiers/${i}/off`, 'field.off_below_threshold');
  });
  const thresholds = input.tiers.map((t) => t.threshold);
  if (new Set(thresholds).size !== thresholds.length) throw invalidField('/tiers', 'field.uniqueItems');
  const [row] = await tx
    .insert(fullReductions)
    .values({
      id: newId('frd'),
      shopId,
      name: input.name,
      mode: input.mode,
      tiers: [...input.tiers].sort((a, b) => a.threshold - b.threshold),
      cap: input.cap ?? 0,
      shopIds: shopId ? [] : (input.shopIds ?? []),
      funder,
      platformShareBp,
      validFrom: input.validFrom,
      validUntil: input.validUntil,
      createdBy: accountId,
      createdAt: now,
    })
    .returning();
  return row!;
}

/**
 * A lower price for a time window: for everyone, or (with `memberLevel`) a member-only price for
 * members of the shop's membership programme at that level or above.
 */
export async function createTimedDiscount(
  tx: Executor,
  shopId: string,
  input: { skuId: string; unitPrice: number; validFrom: Date; validUntil: Date; memberLevel?: string },
  accountId: string,
  now: Date,
): Promise<TimedDiscountRow> {
  checkWindow(input.validFrom, input.validUntil, now);
  const sku = await getSkuForSale(tx, input.skuId);
  if (!sku || sku.shopId !== shopId) throw invalidField('/skuId', 'field.sku_not_of_shop');
  if (input.unitPrice >= sku.price)
    throw invalidField('/unitPrice', 'field.maximum', { limit: sku.price - 1 });
  let memberLevelRank: number | null = null;
  if (input.memberLevel !== undefined) {
    const levels = await members().levelsOf(tx, shopId);
    if (!levels) throw invalidField('/memberLevel', 'field.no_membership_programme');
    memberLevelRank = levels.indexOf(input.memberLevel);
    if (memberLevelRank < 0) {
      throw invalidField('/memberLevel', 'field.member_level_unknown', { levels: levels.join(', ') });
    }
  }
  const [row] = await tx
    .insert(timedDiscounts)
    .values({
      id: newId('tdc'),
      shopId,
      skuId: input.skuId,
      unitPrice: input.unitPrice,
      validFrom: input.validFrom,
      validUntil: input.validUntil,
      memberLevel: input.memberLevel ?? null,
      memberLevelRank,
      createdBy: accountId,
      createdAt: now,
    })
    .returning();
  return row!;
}

/**
 * Where member-only prices learn who is a member: the data bank's membership programmes register
 * it. `levelOf` answers the buyer's level (its position in `levelsOf`), or undefined for a non-member.
 */
export interface MemberLevelSource {
  levelsOf(tx: Executor, shopId: string): Promise<string[] | undefined>;
  levelOf(tx: Executor, shopId: string, buyerId: string): Promise<number | undefined>;
}
let memberSource: MemberLevelSource | undefined;
export function setMemberLevelSource(source: MemberLevelSource): void {
  memberSource = source;
}
function members(): MemberLevelSource {
  if (!memberSource) throw new Error('the data bank has not registered its membership levels');
  return memberSource;
}

/** The timed price each SKU gets for this buyer: the lowest of those for everyone and, for members, theirs. */
export async function timedPricesFor(
  tx: Executor,
  rows: TimedDiscountRow[],
  buyerId: string | undefined,
): Promise<Map<string, { id: string; skuId: string; unitPrice: number; memberOnly: boolean }>> {
  const levels = new Map<string, number | undefined>();
  if (buyerId) {
    for (const shopId of new Set(rows.filter((r) => r.memberLevelRank !== null).map((r) => r.shopId))) {
      levels.set(shopId, await members().levelOf(tx, shopId, buyerId));
    }
  }
  const best = new Map<string, { id: string; skuId: string; unitPrice: number; memberOnly: boolean }>();
  for (const r of rows) {
    if (r.memberLevelRank !== null) {
      const level = levels.get(r.shopId);
      if (level === undefined || level < r.memberLevelRank) continue;
    }
    const current = best.get(r.skuId);
    if (!current || r.unitPrice < current.unitPrice) {
      best.set(r.skuId, {
        id: r.id,
        skuId: r.skuId,
        unitPrice: r.unitPrice,
        memberOnly: r.memberLevelRank !== null,
      });
    }
  }
  return best;
}

export async function createSubsidy(
  tx: Executor,
  input: { skuId: string; perUnit: number; budget: number; validFrom: Date; validUntil: Date },
  accountId: string,
  now: Date,
): Promise<SubsidyRow> {
  checkWindow(input.validFrom, input.validUntil, now);
  const sku = await getSkuForSale(tx, input.skuId);
  if (!sku) throw invalidField('/skuId', 'field.sku_unknown');
  if (input.perUnit >= sku.price) throw invalidField('/perUnit', 'field.maximum', { limit: sku.price - 1 });
  const [row] = await tx
    .insert(subsidies)
    .values({ id: newId('sbs'), ...input, createdBy: accountId, createdAt: now })
    .returning();
  return row!;
}

/** Pauses or resumes one of a shop's campaigns (or the platform's, shopId null). */
export async function setCampaignStatus(
  tx: Executor,
  scope: { shopId: string | null },
  kind: 'coupon' | 'full_reduction' | 'timed_discount' | 'subsidy',
  id: string,
  status: 'active' | 'paused',
) {
  const table = {
    coupon: couponTemplates,
    full_reduction: fullReductions,
    timed_discount: timedDiscounts,
    subsidy: subsidies,
  }[kind];
  const owner =
    kind === 'subsidy'
      ? undefined
      : scope.shopId
        ? eq((table as typeof couponTemplates).shopId, scope.shopId)
        : isNull((table as typeof couponTemplates).shopId);
  if (kind === 'subsidy' && scope.shopId) throw new AppError(404, 'campaign_not_found');
  const rows = await tx
    .update(table)
    .set({ status })
    .where(and(eq(table.id, id), owner))
    .returning({ id: table.id });
  if (rows.length === 0) throw notFound('campaign_not_found');
  return { id, status };
}

const reportColumns = {
  orders: sql<number>`count(distinct ${orderDiscounts.orderId})::int`,
  discount: sql<number>`coalesce(sum(${orderDiscounts.amount}), 0)::bigint`,
  merchantFunded: sql<number>`coalesce(sum(${orderDiscounts.merchantFunded}), 0)::bigint`,
  platformFunded: sql<number>`coalesce(sum(${orderDiscounts.platformFunded}), 0)::bigint`,
};

function toReport(
  row: { orders: number; discount: number; merchantFunded: number; platformFunded: number } | undefined,
) {
  return {
    orders: Number(row?.orders ?? 0),
    discount: Number(row?.discount ?? 0),
    merchantFunded: Number(row?.merchantFunded ?? 0),
    platformFunded: Number(row?.platformFunded ?? 0),
  };
}

/** What a campaign did: the orders it priced and the discount by funder (paid orders or not). */
export async function campaignReport(tx: Executor, promotionId: string) {
  const [row] = await tx
    .select(reportColumns)
    .from(orderDiscounts)
    .where(eq(orderDiscounts.promotionId, promotionId));
  return toReport(row);
}

// Every checkout reads the three (see statement()).
const live = <T extends typeof timedDiscounts | typeof subsidies | typeof fullReductions>(t: T) =>
  and(sql`${t.status} = 'active'`, lte(t.validFrom, p('now')), gt(t.validUntil, p('now')));
const liveTimedPrices = statement((db) =>
  db
    .select()
    .from(timedDiscounts)
    .where(and(sql`${timedDiscounts.skuId} = any(${p('skuIds')}::text[])`, live(timedDiscounts)))
    .orderBy(asc(timedDiscounts.unitPrice), asc(timedDiscounts.id)),
);
const liveSubsidies = statement((db) =>
  db
    .select()
    .from(subsidies)
    .where(and(sql`${subsidies.skuId} = any(${p('skuIds')}::text[])`, live(subsidies)))
    .orderBy(asc(subsidies.id)),
);
// Platform-wide reductions (no shop) and those of the cart's shops.
const liveReductions = statement((db) =>
  db
    .select()
    .from(fullReductions)
    .where(
      and(
        live(fullReductions),
        sql`(${fullReductions.shopId} is null or ${fullReductions.shopId} = any(${p('shopIds')}::text[]))`,
      ),
    )
    .orderBy(asc(fullReductions.id)),
);

/** Active campaigns of the given kinds that price a cart now. */
export async function activeCampaigns(
  tx: Executor,
  input: { skuIds: string[]; shopIds: string[] },
  now: Date,
) {
  const timed = input.skuIds.length ? await liveTimedPrices(tx, { skuIds: input.skuIds, now }) : [];
  const subs = input.skuIds.length ? await liveSubsidies(tx, { skuIds: input.skuIds, now }) : [];
  const reductions = await liveReductions(tx, { shopIds: input.shopIds, now });
  return {
    /** Every live timed price, member-only ones included: timedPricesFor picks the buyer's. */
    timed,
    subsidies: new Map(
      subs
        .reverse()
        .map((s) => [
          s.skuId,
          { id: s.id, skuId: s.skuId, perUnit: s.perUnit, budgetLeft: s.budget - s.committed },
        ]),
    ),
    reductions: reductions.map(
      (r): FullReduction => ({
        id: r.id,
        shopId: r.shopId,
        mode: r.mode,
        tiers: r.tiers,
        cap: r.cap,
        funder: r.funder,
        platformShareBp: r.platformShareBp,
        shopIds: r.shopIds,
      }),
    ),
  };
}

export async function listCampaigns(tx: Executor, shopId: string | null) {
  const own = <T extends typeof couponTemplates | typeof fullReductions>(t: T) =>
    shopId ? eq(t.shopId, shopId) : isNull(t.shopId);
  return {
    coupons: (
      await tx
        .select()
        .from(couponTemplates)
        .where(own(couponTemplates))
        .orderBy(desc(couponTemplates.createdAt))
    ).map(couponOfferView),
    fullReductions: await tx
      .select()
      .from(fullReductions)
      .where(own(fullReductions))
      .orderBy(desc(fullReductions.createdAt)),
    timedDiscounts: shopId
      ? await tx
          .select()
          .from(timedDiscounts)
          .where(eq(timedDiscounts.shopId, shopId))
          .orderBy(desc(timedDiscounts.createdAt))
      : [],
    subsidies: shopId ? [] : await tx.select().from(subsidies).orderBy(desc(subsidies.createdAt)),
  };
}

/** An offer's report: the discounts of every coupon claimed from it. */
export async function couponOfferReport(tx: Executor, templateId: string) {
  const [row] = await tx
    .select(reportColumns)
    .from(orderDiscounts)
    .innerJoin(coupons, eq(coupons.id, orderDiscounts.promotionId))
    .where(eq(coupons.templateId, templateId));
  return toReport(row);
}

/**
 * Whether a buyer counts as new (no paid order yet). Orders are trade's, and trade depends on this
 * module, so trade registers the question here when it loads.
 */
type PaidOrderCheck = (tx: Executor, buyerId: string) => Promise<boolean>;
let hasPaidOrder: PaidOrderCheck | undefined;
export function setPaidOrderCheck(fn: PaidOrderCheck): void {
  hasPaidOrder = fn;
}
export async function isNewBuyer(tx: Executor, buyerId: string): Promise<boolean> {
  if (!hasPaidOrder) throw new Error('trade has not registered the paid-order check');
  return !(await hasPaidOrder(tx, buyerId));
}

/**
 * Data-bank segments as coupon audiences. The data bank reads trade, which depends on this module,
 * so the data bank registers its segment lookups here when it loads.
 */
export interface SegmentSource {
  /** Throws a 4xx naming /segmentId when the shop has no such segment. */
  check(tx: Executor, shopId: string, segmentId: string): Promise<void>;
  has(tx: Executor, shopId: string, segmentId: string, buyerId: string, now: Date): Promise<boolean>;
}
let segmentSource: SegmentSource | undefined;
export function setSegmentSource(source: SegmentSource): void {
  segmentSource = source;
}
function segments(): SegmentSource {
  if (!segmentSource) throw new Error('the data bank has not registered its segments');
  return segmentSource;
}
