import { eq } from 'drizzle-orm';
import type { Executor } from '../../db';
import { p, statement } from '../../db/statements';
import { DAY } from '../../kernel/clock';
import { conflict, invalidField, notFound, ruleViolation } from '../../kernel/errors';
import { emit } from '../../kernel/outbox';
import { cancelDeadline, scheduleDeadline } from '../../kernel/scheduler';
import {
  depositAmount,
  type MallType,
  type Rules,
  rulesFor,
  type ShopKind,
  type TrademarkStatus,
} from '../governance';
import { balanceOf, PLATFORM_CASH, platformAccount, postTransaction, shopAccount } from '../ledger';
import { type DepositPlan, type ShopRestriction, shopStaff, shops } from './schema';
import './messages';

export type Shop = typeof shops.$inferSelect;

export const INSURANCE_EXPIRY = 'shop.insurance_expiry';
export const TIER_EXPIRY = 'shop.tier_expiry';
export const DEPOSIT_RELEASE = 'shop.deposit_release';

// Every add to cart and checkout reads its shops: built once (see statement()).
const shopById = statement((db) =>
  db
    .select()
    .from(shops)
    .where(eq(shops.id, p('shopId'))),
);

export async function getShop(tx: Executor, shopId: string): Promise<Shop | undefined> {
  const [row] = await shopById(tx, { shopId });
  return row;
}

/** The shop row, locked for the rest of the transaction so concurrent changes queue behind us. */
async function lockShop(tx: Executor, shopId: string): Promise<Shop> {
  const [row] = await tx.select().from(shops).where(eq(shops.id, shopId)).for('update');
  if (!row) throw notFound('shop_not_found');
  return row;
}

function assertOpen(shop: Shop): void {
  if (shop.status === 'closed') throw conflict('shop_closed');
}

/**
 * For other modules' seller commands (listing products, shipping...): the shop, unless it is
 * closed (409 `shop_closed`). Staff may still read a closed shop, but nothing in it changes.
 */
export async function requireOpenShop(tx: Executor, shopId: string): Promise<Shop> {
  const shop = await getShop(tx, shopId);
  if (!shop) throw notFound('shop_not_found');
  assertOpen(shop);
  return shop;
}

/** Calendar months later, kept on the month's last day when it is shorter (Jan 31 + 1 -> Feb 28). */
export function addMonths(at: Date, months: number): Date {
  const d = new Date(at.getTime());
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, lastDay));
  return d;
}

export interface OpenShopInput {
  id: string;
  kind: ShopKind;
  name: string;
  ownerAccountId: string;
  applicationId: string;
  identityHmac: string;
  depositPlan: DepositPlan;
  mallType?: MallType | null;
  trademarkStatus?: TrademarkStatus | null;
  brandName?: string | null;
}

/**
 * Opens a shop with its applicant as owner. A market shop starts on the default tier of the rules
 * in force. The partial unique index on the owner's identity refuses a second open market shop for
 * the same person, even when both applications run at the same moment.
 */
export async function openShop(tx: Executor, input: OpenShopInput, now: Date): Promise<Shop> {
  const tier =
    input.kind === 'market' ? (await rulesFor(tx, 'market', now)).rules.shopTiers?.defaultTier : null;
  const [shop] = await tx
    .insert(shops)
    .values({
      id: input.id,
      kind: input.kind,
      name: input.name,
      ownerAccountId: input.ownerAccountId,
      applicationId: input.applicationId,
      identityHmac: input.identityHmac,
      mallType: input.mallType ?? null,
      trademarkStatus: input.trademarkStatus ?? null,
      brandName: input.brandName ?? null,
      depositPlan: input.depositPlan,
      tier: tier ?? null,
      createdAt: now,
    })
    .onConflictDoNothing()
    .returning();
  if (!shop) throw ruleViolation('one_shop_per_identity');
  await tx.insert(shopStaff).values({
    shopId: shop.id,
    accountId: input.ownerAccountId,
    role: 'owner',
    createdAt: now,
  });
  await emit(
    tx,
    'shop.opened',
    {
      shopId: shop.id,
      kind: shop.kind,
      name: shop.name,
      ownerAccountId: shop.ownerAccountId,
      tier: shop.tier,
    },
    { key: shop.id, at: now },
  );
  return shop;
}

/** What the shop's current plan costs under these rules: the deposit to freeze or the insurance fee. */
function planPrice(rules: Rules, shop: Shop): number | undefined {
  if (shop.depositPlan === 'insurance') return rules.deposit.consumerProtection?.insurance.fee;
  return depositAmount(rules, shop);
}

export interface ShopView {
  id: string;
  name: string;
  kind: ShopKind;
  status: Shop['status'];
  mallType: MallType | null;
  brandName: string | null;
  tier: string | null;
  tierPaidUntil: string | null;
  deposit: { plan: DepositPlan; status: Shop['depositStatus']; amount: number; insuredUntil: string | null };
  /** This penalty year's points, all tracks together; `penalty` has the breakdown. */
  penaltyPoints: number;
  penalty: {
    general: number;
    serious: number;
    counterfeit: number;
    restriction: { kind: ShopRestriction; until: string | null; reason: string } | null;
  };
  rating: number | null;
  createdAt: string;
  closedAt: string | null;
}

/**
 * Where the shop rating comes from. Reviews rate shops, but merchants cannot import reviews (reviews
 * depends on trade, which depends on merchants), so the reviews module registers itself here.
 */
export type ShopRatingSource = (tx: Executor, shop: Shop, now: Date) => Promise<number | null>;
let ratingSource: ShopRatingSource | undefined;
export function setShopRatingSource(fn: ShopRatingSource): void {
  ratingSource = fn;
}

/**
 * The shop as its staff see it. `deposit.amount` is what is held or was last paid; while nothing
 * is paid (or the cover lapsed) it is what the rules in force would charge.
 */
export async function describeShop(tx: Executor, shop: Shop, now: Date): Promise<ShopView> {
  let amount = shop.depositAmount;
  if (shop.depositStatus === 'unpaid' || shop.depositStatus === 'lapsed') {
    amount = planPrice((await rulesFor(tx, shop.kind, now)).rules, shop) ?? 0;
  }
  return {
    id: shop.id,
    name: shop.name,
    kind: shop.kind,
    status: shop.status,
    mallType: shop.mallType,
    brandName: shop.brandName,
    tier: shop.tier,
    tierPaidUntil: shop.tierPaidUntil?.toISOString() ?? null,
    deposit: {
      plan: shop.depositPlan,
      status: shop.depositStatus,
      amount,
      insuredUntil: shop.insuredUntil?.toISOString() ?? null,
    },
    penaltyPoints: shop.penaltyPoints,
    penalty: penaltyDetail(shop, now),
    rating: ratingSource ? await ratingSource(tx, shop, now) : null,
    createdAt: shop.createdAt.toISOString(),
    closedAt: shop.closedAt?.toISOString() ?? null,
  };
}

/**
 * Pays the shop's deposit plan at the amounts of the rules in force. The deposit is frozen in the
 * shop's deposit account (owed back to it on release); the insurance fee is platform revenue and
 * buys one more term of cover, counted from the end of the current one when still insured.
 */
export async function payDeposit(tx: Executor, shopId: string, now: Date) {
  const shop = await lockShop(tx, shopId);
  assertOpen(shop);
  const { rules } = await rulesFor(tx, shop.kind, now);
  if (shop.depositPlan === 'deposit') {
    if (shop.depositStatus !== 'unpaid') throw conflict('deposit_already_paid');
    const amount = depositAmount(rules, shop);
    if (amount === undefined) throw new Error(`the ${shop.kind} rules set no deposit for shop ${shop.id}`);
    if (amount > 0) {
      await postTransaction(tx, {
        kind: 'shop.deposit_frozen',
        memo: 'Deposit paid in and frozen',
        ref: shop.id,
        shopId: shop.id,
        postings: [
          { account: PLATFORM_CASH, amount },
          { account: shopAccount(shop.id, 'deposit'), amount: -amount },
        ],
        now,
      });
    }
    await tx
      .update(shops)
      .set({ depositStatus: 'frozen', depositAmount: amount })
      .where(eq(shops.id, shop.id));
    await emit(
      tx,
      'shop.deposit_paid',
      { shopId: shop.id, plan: 'deposit', amount },
      { key: shop.id, at: now },
    );
    return { depositStatus: 'frozen' as const, plan: shop.depositPlan, amount, insuredUntil: null };
  }

  const insurance = rules.deposit.consumerProtection?.insurance;
  if (!insurance) throw new Error(`the ${shop.kind} rules offer no deposit insurance (shop ${shop.id})`);
  const stillCovered = shop.depositStatus === 'insured' && shop.insuredUntil && shop.insuredUntil > now;
  const insuredUntil = addMonths(
    stillCovered && shop.insuredUntil ? shop.insuredUntil : now,
    insurance.termMonths,
  );
  if (insurance.fee > 0) {
    await postTransaction(tx, {
      kind: 'shop.deposit_insurance',
      memo: 'Deposit-insurance premium',
      ref: shop.id,
      shopId: shop.id,
      postings: [
        { account: PLATFORM_CASH, amount: insurance.fee },
        { account: platformAccount('revenue', 'insurance'), amount: -insurance.fee },
      ],
      now,
    });
  }
  await tx
    .update(shops)
    .set({ depositStatus: 'insured', depositAmount: insurance.fee, insuredUntil })
    .where(eq(shops.id, shop.id));
  // The durable deadline lapses the cover unless another payment moves it first.
  await scheduleDeadline(tx, { kind: INSURANCE_EXPIRY, subjectId: shop.id, dueAt: insuredUntil, now });
  await emit(
    tx,
    'shop.deposit_paid',
    { shopId: shop.id, plan: 'insurance', amount: insurance.fee, insuredUntil: insuredUntil.toISOString() },
    { key: shop.id, at: now },
  );
  return {
    depositStatus: 'insured' as const,
    plan: shop.depositPlan,
    amount: insurance.fee,
    insuredUntil: insuredUntil.toISOString(),
  };
}

/** Deadline handler: the insurance term ran out without a renewal. */
export async function lapseInsurance(tx: Executor, shopId: string, now: Date): Promise<void> {
  const shop = await lockShop(tx, shopId);
  if (shop.depositStatus !== 'insured' || !shop.insuredUntil || shop.insuredUntil > now) return;
  await tx.update(shops).set({ depositStatus: 'lapsed' }).where(eq(shops.id, shop.id));
  await emit(tx, 'shop.deposit_lapsed', { shopId: shop.id }, { key: shop.id, at: now });
}

/**
 * Moves a market shop to another tier. A paid tier costs one billing period in advance: paying for
 * the tier the shop is on extends it from the end of the paid period; switching to another paid
 * tier starts a new period now (what was left of the old one is not refunded). Choosing the free
 * default tier takes effect at once. When a paid period ends unrenewed, the shop falls back to free.
 */
export async function changeTier(tx: Executor, shopId: string, tierCode: string, now: Date) {
  const shop = await lockShop(tx, shopId);
  if (shop.kind !== 'market') throw ruleViolation('tiers_market_only');
  assertOpen(shop);
  const plan = (await rulesFor(tx, 'market', now)).rules.shopTiers;
  if (!plan) throw new Error('the market rules define no shop tiers');
  const tier = plan.tiers.find((t) => t.code === tierCode);
  if (!tier) {
    throw invalidField('/tier', 'field.enum', { allowed: plan.tiers.map((t) => t.code).join(', ') });
  }
  let paidUntil: Date | null = null;
  if (tier.monthlyFee === 0) {
    if (shop.tier === tier.code) throw conflict('tier_unchanged');
    await cancelDeadline(tx, TIER_EXPIRY, shop.id, now);
  } else {
    const renewing = shop.tier === tier.code && shop.tierPaidUntil && shop.tierPaidUntil > now;
    const from = renewing && shop.tierPaidUntil ? shop.tierPaidUntil : now;
    paidUntil = new Date(from.getTime() + plan.billingDays * DAY);
    await postTransaction(tx, {
      kind: 'shop.tier_fee',
      memo: `Shop tier ${tier.code}, ${plan.billingDays} days`,
      ref: shop.id,
      shopId: shop.id,
      postings: [
        { account: PLATFORM_CASH, amount: tier.monthlyFee },
        { account: platformAccount('revenue', 'tier_fees'), amount: -tier.monthlyFee },
      ],
      now,
    });
    await scheduleDeadline(tx, { kind: TIER_EXPIRY, subjectId: shop.id, dueAt: paidUntil, now });
  }
  await tx.update(shops).set({ tier: tier.code, tierPaidUntil: paidUntil }).where(eq(shops.id, shop.id));
  await emit(
    tx,
    'shop.tier_changed',
    {
      shopId: shop.id,
      from: shop.tier,
      to: tier.code,
      charged: tier.monthlyFee,
      paidUntil: paidUntil?.toISOString() ?? null,
    },
    { key: shop.id, at: now },
  );
  return { tier: tier.code, tierPaidUntil: paidUntil?.toISOString() ?? null, charged: tier.monthlyFee };
}

/** Deadline handler: a paid tier's period ended without renewal, so the shop returns to the default. */
export async function expireTier(tx: Executor, shopId: string, now: Date): Promise<void> {
  const shop = await lockShop(tx, shopId);
  if (shop.status === 'closed' || !shop.tierPaidUntil || shop.tierPaidUntil > now) return;
  const fallback = (await rulesFor(tx, 'market', now)).rules.shopTiers?.defaultTier;
  if (!fallback) throw new Error('the market rules define no default tier');
  await tx.update(shops).set({ tier: fallback, tierPaidUntil: null }).where(eq(shops.id, shop.id));
  await emit(
    tx,
    'shop.tier_changed',
    { shopId: shop.id, from: shop.tier, to: fallback, charged: 0, paidUntil: null, reason: 'expired' },
    { key: shop.id, at: now },
  );
}

/**
 * Closes the shop for good. A frozen deposit starts its cooling period (the rules' release days),
 * during which claims against the shop can still be paid from it; it is paid back afterwards.
 * Insurance cover runs to its end, since it protects buyers of orders already placed.
 */
export async function closeShop(tx: Executor, shopId: string, now: Date) {
  const shop = await lockShop(tx, shopId);
  assertOpen(shop);
  let releaseAt: Date | null = null;
  if (shop.depositStatus === 'frozen') {
    const { rules } = await rulesFor(tx, shop.kind, now);
    releaseAt = new Date(now.getTime() + rules.deposit.releaseCoolingDays * DAY);
    await scheduleDeadline(tx, { kind: DEPOSIT_RELEASE, subjectId: shop.id, dueAt: releaseAt, now });
  }
  await cancelDeadline(tx, TIER_EXPIRY, shop.id, now);
  const depositStatus = shop.depositStatus === 'frozen' ? ('releasing' as const) : shop.depositStatus;
  await tx
    .update(shops)
    .set({ status: 'closed', closedAt: now, tierPaidUntil: null, depositStatus })
    .where(eq(shops.id, shop.id));
  await emit(
    tx,
    'shop.closed',
    { shopId: shop.id, kind: shop.kind, depositReleaseAt: releaseAt?.toISOString() ?? null },
    { key: shop.id, at: now },
  );
  return {
    status: 'closed' as const,
    closedAt: now.toISOString(),
    depositStatus,
    depositReleaseAt: releaseAt?.toISOString() ?? null,
  };
}

/** Deadline handler: the cooling period is over; whatever is left of the deposit goes back out. */
export async function releaseDeposit(tx: Executor, shopId: string, now: Date): Promise<void> {
  const shop = await lockShop(tx, shopId);
  if (shop.status !== 'closed' || shop.depositStatus !== 'releasing') return;
  const held = await balanceOf(tx, shopAccount(shop.id, 'deposit'));
  if (held > 0) {
    await postTransaction(tx, {
      kind: 'shop.deposit_released',
      memo: 'Deposit returned after closure',
      ref: shop.id,
      shopId: shop.id,
      postings: [
        { account: shopAccount(shop.id, 'deposit'), amount: held },
        { account: PLATFORM_CASH, amount: -held },
      ],
      now,
    });
  }
  await tx.update(shops).set({ depositStatus: 'released' }).where(eq(shops.id, shop.id));
  await emit(tx, 'shop.deposit_released', { shopId: shop.id, amount: held }, { key: shop.id, at: now });
}

// ---- penalties ---------------------------------------------------------------------------------
// The penalties module decides; the shop row records the outcome so that every module asking
// "may this shop list / sell?" asks merchants, and merchants never depends on penalties.

/** Whether the shop's listings may be bought: not closed, not suspended by a penalty. */
export function shopTrading(shop: Pick<Shop, 'status'>): boolean {
  return shop.status === 'active';
}

/** The node penalty in force at `now`, as recorded on the shop; null when none or ended. */
export function shopRestriction(
  shop: Shop,
  now: Date,
): { kind: ShopRestriction; until: Date | null; reason: string } | null {
  if (!shop.restriction) return null;
  if (shop.restrictedUntil && shop.restrictedUntil <= now) return null;
  return { kind: shop.restriction, until: shop.restrictedUntil, reason: shop.restrictedReason ?? '' };
}

/**
 * For catalog's listing commands (create, publish): refuses them while a penalty is in force, with
 * a 422 naming the penalty and its end (`listing_banned`, `shop_suspended`, `shop_sealed`); a
 * closed shop answers 409 `shop_closed`.
 */
export async function requireListingAllowed(tx: Executor, shopId: string, now: Date): Promise<Shop> {
  const shop = await requireOpenShop(tx, shopId);
  const restriction = shopRestriction(shop, now);
  if (!restriction) return shop;
  const until = restriction.until?.toISOString() ?? null;
  if (restriction.kind === 'sealed') throw ruleViolation('shop_sealed', { reason: restriction.reason });
  throw ruleViolation(restriction.kind === 'closed' ? 'shop_suspended' : 'listing_banned', {
    until,
    reason: restriction.reason,
  });
}

/**
 * Records a node penalty on the shop (replacing any earlier one): a listing ban leaves it trading;
 * `closed` and `sealed` suspend it, so its listings cannot be bought. A closed shop stays closed.
 */
export async function restrictShop(
  tx: Executor,
  shopId: string,
  input: { kind: ShopRestriction; until: Date | null; reason: string },
  _now: Date,
): Promise<void> {
  const shop = await lockShop(tx, shopId);
  const suspend = input.kind !== 'listing_ban';
  await tx
    .update(shops)
    .set({
      restriction: input.kind,
      restrictedUntil: input.until,
      restrictedReason: input.reason,
      status: shop.status === 'closed' ? 'closed' : suspend ? 'suspended' : 'active',
    })
    .where(eq(shops.id, shopId));
}

/** The penalty ended: the shop may list and trade again (unless it was closed meanwhile). */
export async function liftShopRestriction(tx: Executor, shopId: string, _now: Date): Promise<void> {
  const shop = await lockShop(tx, shopId);
  await tx
    .update(shops)
    .set({
      restriction: null,
      restrictedUntil: null,
      restrictedReason: null,
      status: shop.status === 'suspended' ? 'active' : shop.status,
    })
    .where(eq(shops.id, shopId));
}

/** The penalty year's points as the shop view shows them (the penalties module keeps the records). */
export async function recordShopPenaltyPoints(
  tx: Executor,
  shopId: string,
  totals: { general: number; serious: number; counterfeit: number },
): Promise<void> {
  await tx
    .update(shops)
    .set({
      penaltyPoints: totals.general + totals.serious + totals.counterfeit,
      penaltyGeneral: totals.general,
      penaltySerious: totals.serious,
      penaltyCounterfeit: totals.counterfeit,
    })
    .where(eq(shops.id, shopId));
}

function penaltyDetail(shop: Shop, now: Date): ShopView['penalty'] {
  const restriction = shopRestriction(shop, now);
  return {
    general: shop.penaltyGeneral,
    serious: shop.penaltySerious,
    counterfeit: shop.penaltyCounterfeit,
    restriction: restriction && { ...restriction, until: restriction.until?.toISOString() ?? null },
  };
}
