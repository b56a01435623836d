import { and, eq, gte, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../../db';
import { categorySubtreeIds } from '../catalog';
import { positiveRate } from '../reviews';
import type { OrderLine } from '../trade';
import { rankingFlags, rankingProducts, rankingSales } from './schema';

// Rankings (天猫榜单) from trade and review data only: sales, positive-review rate, repurchase, and a
// combined list; nothing a shop can pay for enters any figure.

export const LISTS = [
  'sales_units_7d',
  'sales_units_30d',
  'sales_amount_7d',
  'sales_amount_30d',
  'positive_rate',
  'repurchase_rate',
  'combined',
  'new_products',
] as const;
export type RankingList = (typeof LISTS)[number];

const DAY = 86_400_000;
/** A rate needs this many reviews (or buyers) before it is ranked: one happy buyer is not 100%. */
export const MIN_REVIEWS = 5;
export const MIN_BUYERS = 5;
/** Combined score weights: 30-day units against the category's best, positive rate, repurchase rate. */
export const WEIGHTS = { sales: 0.5, positive: 0.3, repurchase: 0.2 } as const;
/** New-product launch tracking. */
export const LAUNCH_DAYS = 90;
export const SURVIVAL_UNITS = 10;
export const SUPER_NEW_DAYS = 30;
export const SUPER_NEW_TOP = 50;
export const BESTSELLER_TOP = 10;
/** How long a fake-trade finding keeps a shop's sales out. */
export const FLAG_DAYS = 365;

/** Records each line of these paid orders (idempotent), in one statement. */
export async function recordPaidLines(
  tx: Executor,
  orders: { orderId: string; shopId: string; buyerId: string; paidAt: Date; lines: OrderLine[] }[],
): Promise<void> {
  const rows = orders.flatMap((order) =>
    order.lines.map((l) => ({
      lineId: l.id,
      orderId: order.orderId,
      shopId: order.shopId,
      productId: l.productId,
      categoryId: l.categoryId,
      buyerId: order.buyerId,
      units: l.quantity,
      amount: l.paidAmount,
      refundedUnits: l.refundedQuantity,
      refundedAmount: l.refundedAmount,
      paidAt: order.paidAt,
    })),
  );
  if (rows.length === 0) return;
  await tx.insert(rankingSales).values(rows).onConflictDoNothing();
}

/** Brings the refunded units and fen of an order's lines up to what trade says now. */
export async function recordRefunds(tx: Executor, lines: OrderLine[]): Promise<void> {
  for (const l of lines) {
    await tx
      .update(rankingSales)
      .set({ refundedUnits: l.refundedQuantity, refundedAmount: l.refundedAmount })
      .where(eq(rankingSales.lineId, l.id));
  }
}

export async function recordProduct(
  tx: Executor,
  p: { productId: string; shopId: string; categoryId: string; launchedAt: Date | null },
): Promise<void> {
  await tx
    .insert(rankingProducts)
    .values(p)
    .onConflictDoUpdate({
      target: rankingProducts.productId,
      set: {
        categoryId: p.categoryId,
        // The launch is the first time on sale; publishing again later does not make it new.
        launchedAt: sql`coalesce(${rankingProducts.launchedAt}, excluded.launched_at)`,
      },
    });
}

export async function recordFakeTradeFinding(tx: Executor, recordId: string, shopId: string, at: Date) {
  await tx.insert(rankingFlags).values({ recordId, shopId, foundAt: at }).onConflictDoNothing();
}

export interface Figures {
  units7d: number;
  units30d: number;
  amount7d: number;
  amount30d: number;
  refundedUnits30d: number;
  reviews: { positive: number; total: number; rate: number | null };
  repurchase: { repeatBuyers: number; buyers: number; rate: number | null };
  launchedAt: string | null;
  unitsInLaunchPeriod: number | null;
}

export interface RankingEntry {
  rank: number;
  productId: string;
  shopId: string;
  value: number;
  figures: Figures;
  badges: string[];
  explanation: string;
}

interface Candidate {
  productId: string;
  shopId: string;
  units7: number;
  units30: number;
  amount7: number;
  amount30: number;
  refunded30: number;
}

const rowsOf = <T>(r: unknown): T[] => (r as { rows: T[] }).rows;
const inList = (ids: string[]) =>
  sql`(${sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  )})`;

/** Net sales of the category's products over 30 and 7 days, shops with a brushing finding left out. */
async function candidates(tx: Executor, categoryIds: string[], now: Date): Promise<Candidate[]> {
  const d30 = new Date(now.getTime() - 30 * DAY).toISOString();
  const d7 = new Date(now.getTime() - 7 * DAY).toISOString();
  const flagged = new Date(now.getTime() - FLAG_DAYS * DAY).toISOString();
  const rows = rowsOf<{
    product_id: string;
    shop_id: string;
    u7: number;
    u30: number;
    a7: number;
    a30: number;
    r30: number;
  }>(
    await tx.execute(sql`
      select product_id, shop_id,
        coalesce(sum(units - refunded_units) filter (where paid_at >= ${d7}::timestamptz), 0)::int as u7,
        coalesce(sum(units - refunded_units), 0)::int as u30,
        coalesce(sum(amount - refunded_amount) filter (where paid_at >= ${d7}::timestamptz), 0)::bigint as a7,
        coalesce(sum(amount - refunded_amount), 0)::bigint as a30,
        coalesce(sum(refunded_units), 0)::int as r30
      from ${rankingSales}
      where category_id in ${inList(categoryIds)} and paid_at >= ${d30}::timestamptz and paid_at < ${now.toISOString()}::timestamptz
        and not exists (select 1 from ${rankingFlags} f where f.shop_id = ranking_sales.shop_id
          and f.found_at >= ${flagged}::timestamptz and f.found_at <= ${now.toISOString()}::timestamptz)
      group by product_id, shop_id`),
  );
  return rows
    .map((r) => ({
      productId: r.product_id,
      shopId: r.shop_id,
      units7: Number(r.u7),
      units30: Number(r.u30),
      amount7: Number(r.a7),
      amount30: Number(r.a30),
      refunded30: Number(r.r30),
    }))
    .filter((c) => c.units30 > 0);
}

/**
 * Products launched in the last 90 days that sold nothing in the last 30 (but may have sold early
 * in their launch period): the new-product list tracks them too.
 */
async function quietLaunches(
  tx: Executor,
  categoryIds: string[],
  known: Candidate[],
  now: Date,
): Promise<Candidate[]> {
  const since = new Date(now.getTime() - LAUNCH_DAYS * DAY).toISOString();
  const flagged = new Date(now.getTime() - FLAG_DAYS * DAY).toISOString();
  const have = new Set(known.map((c) => c.productId));
  const rows = rowsOf<{ product_id: string; shop_id: string }>(
    await tx.execute(sql`
      select product_id, shop_id from ${rankingProducts} p
      where category_id in ${inList(categoryIds)} and launched_at >= ${since}::timestamptz and launched_at <= ${now.toISOString()}::timestamptz
        and not exists (select 1 from ${rankingFlags} f where f.shop_id = p.shop_id
          and f.found_at >= ${flagged}::timestamptz and f.found_at <= ${now.toISOString()}::timestamptz)`),
  );
  return rows
    .filter((r) => !have.has(r.product_id))
    .map((r) => ({
      productId: r.product_id,
      shopId: r.shop_id,
      units7: 0,
      units30: 0,
      amount7: 0,
      amount30: 0,
      refunded30: 0,
    }));
}

/** Buyers of each product over a year, and how many bought it in two or more orders (net of refunds). */
async function repurchase(tx: Executor, productIds: string[], now: Date) {
  const out = new Map<string, { repeatBuyers: number; buyers: number }>();
  if (productIds.length === 0) return out;
  const since = new Date(now.getTime() - 365 * DAY).toISOString();
  const rows = rowsOf<{ product_id: string; buyers: number; repeat: number }>(
    await tx.execute(sql`
      select product_id, count(*)::int as buyers, (count(*) filter (where orders >= 2))::int as repeat
      from (
        select product_id, buyer_id, count(distinct order_id) filter (where units > refunded_units) as orders
        from ${rankingSales}
        where product_id in (${sql.join(
          productIds.map((id) => sql`${id}`),
          sql`, `,
        )})
          and paid_at >= ${since}::timestamptz and paid_at < ${now.toISOString()}::timestamptz
        group by product_id, buyer_id) pb
      where orders >= 1
      group by product_id`),
  );
  for (const r of rows) out.set(r.product_id, { repeatBuyers: Number(r.repeat), buyers: Number(r.buyers) });
  return out;
}

const rate = (a: number, b: number, min: number) => (b >= min ? a / b : null);
const round4 = (x: number) => Math.round(x * 10_000) / 10_000;
const yuan = (fen: number) => (fen / 100).toFixed(2);

/**
 * One category's list. Ties break on 30-day units, then 30-day amount, then product id, so the
 * same data always gives the same order.
 */
export async function ranking(
  tx: Executor,
  categoryId: string,
  list: RankingList,
  now: Date,
  limit = 50,
): Promise<RankingEntry[]> {
  // A parent category's lists roll up every product of its subtree.
  const subtree = await categorySubtreeIds(tx, categoryId);
  if (subtree.length === 0) return [];
  const cands = await candidates(tx, subtree, now);
  if (list === 'new_products') cands.push(...(await quietLaunches(tx, subtree, cands, now)));
  const ids = cands.map((c) => c.productId);
  const launches = new Map(
    (ids.length
      ? await tx.select().from(rankingProducts).where(inArray(rankingProducts.productId, ids))
      : []
    ).map((p) => [p.productId, p.launchedAt]),
  );
  const repeat = await repurchase(tx, ids, now);
  const since = new Date(now.getTime() - 365 * DAY);
  const figures = new Map<string, Figures>();
  for (const c of cands) {
    const reviews = await positiveRate(tx, { productId: c.productId, since, until: now });
    const rp = repeat.get(c.productId) ?? { repeatBuyers: 0, buyers: 0 };
    const launchedAt = launches.get(c.productId) ?? null;
    figures.set(c.productId, {
      units7d: c.units7,
      units30d: c.units30,
      amount7d: c.amount7,
      amount30d: c.amount30,
      refundedUnits30d: c.refunded30,
      reviews: {
        positive: reviews.positive,
        total: reviews.total,
        rate: rate(reviews.positive, reviews.total, MIN_REVIEWS),
      },
      repurchase: { ...rp, rate: rate(rp.repeatBuyers, rp.buyers, MIN_BUYERS) },
      launchedAt: launchedAt?.toISOString() ?? null,
      unitsInLaunchPeriod: launchedAt ? await unitsInLaunch(tx, c.productId, launchedAt, now) : null,
    });
  }
  const maxUnits = Math.max(1, ...cands.map((c) => c.units30));
  const listValue = (c: Candidate): number | null => {
    const f = figures.get(c.productId)!;
    switch (list) {
      case 'sales_units_7d':
        return c.units7 > 0 ? c.units7 : null;
      case 'sales_units_30d':
        return c.units30;
      case 'sales_amount_7d':
        return c.amount7 > 0 ? c.amount7 : null;
      case 'sales_amount_30d':
        return c.amount30;
      case 'positive_rate':
        return f.reviews.rate;
      case 'repurchase_rate':
        return f.repurchase.rate;
      case 'combined':
        return round4(
          WEIGHTS.sales * (c.units30 / maxUnits) +
            WEIGHTS.positive * (f.reviews.rate ?? 0) +
            WEIGHTS.repurchase * (f.repurchase.rate ?? 0),
        );
      case 'new_products': {
        const launched = launches.get(c.productId);
        if (!launched || now.getTime() - launched.getTime() > LAUNCH_DAYS * DAY) return null;
        return f.unitsInLaunchPeriod || null;
      }
    }
  };
  const ordered = cands
    .map((c) => ({ c, value: listValue(c) }))
    .filter((x): x is { c: Candidate; value: number } => x.value !== null)
    .sort(
      (a, b) =>
        b.value - a.value ||
        b.c.units30 - a.c.units30 ||
        b.c.amount30 - a.c.amount30 ||
        (a.c.productId < b.c.productId ? -1 : a.c.productId > b.c.productId ? 1 : 0),
    );
  // Sales rank over 30 days decides the bestseller and super-new-product badges.
  const salesRank = new Map(
    [...cands]
      .sort(
        (a, b) =>
          b.units30 - a.units30 ||
          b.amount30 - a.amount30 ||
          (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0),
      )
      .map((c, i) => [c.productId, i + 1]),
  );
  return ordered.slice(0, limit).map(({ c, value }, i) => {
    const f = figures.get(c.productId)!;
    // Only products that sold in the last 30 days hold a sales rank.
    const badges = badgesOf(f, c.units30 > 0 ? salesRank.get(c.productId)! : Number.POSITIVE_INFINITY, now);
    return {
      rank: i + 1,
      productId: c.productId,
      shopId: c.shopId,
      value,
      figures: f,
      badges,
      explanation: explain(list, c, f, maxUnits, value),
    };
  });
}

async function unitsInLaunch(tx: Executor, productId: string, launchedAt: Date, now: Date): Promise<number> {
  const end = new Date(Math.min(now.getTime(), launchedAt.getTime() + LAUNCH_DAYS * DAY));
  const [row] = await tx
    .select({ n: sql<number>`coalesce(sum(${rankingSales.units} - ${rankingSales.refundedUnits}), 0)::int` })
    .from(rankingSales)
    .where(
      and(
        eq(rankingSales.productId, productId),
        gte(rankingSales.paidAt, launchedAt),
        sql`${rankingSales.paidAt} < ${end.toISOString()}::timestamptz`,
      ),
    );
  return Number(row?.n ?? 0);
}

function badgesOf(f: Figures, salesRank: number, now: Date): string[] {
  const badges: string[] = [];
  if (salesRank <= BESTSELLER_TOP) badges.push('bestseller');
  if (f.launchedAt) {
    const age = now.getTime() - Date.parse(f.launchedAt);
    if ((f.unitsInLaunchPeriod ?? 0) >= SURVIVAL_UNITS) badges.push('survived');
    if (age <= SUPER_NEW_DAYS * DAY && salesRank <= SUPER_NEW_TOP) badges.push('super_new');
  }
  return badges;
}

function explain(list: RankingList, c: Candidate, f: Figures, maxUnits: number, value: number): string {
  const refunds = c.refunded30 ? `; ${c.refunded30} refunded units not counted` : '';
  switch (list) {
    case 'sales_units_7d':
      return `${c.units7} units sold in 7 days, net of refunds${refunds}`;
    case 'sales_units_30d':
      return `${c.units30} units sold in 30 days, net of refunds${refunds}`;
    case 'sales_amount_7d':
      return `¥${yuan(c.amount7)} paid in 7 days, net of refunds${refunds}`;
    case 'sales_amount_30d':
      return `¥${yuan(c.amount30)} paid in 30 days, net of refunds${refunds}`;
    case 'positive_rate':
      return `${f.reviews.positive} of ${f.reviews.total} reviews in a year positive`;
    case 'repurchase_rate':
      return `${f.repurchase.repeatBuyers} of ${f.repurchase.buyers} buyers in a year bought again`;
    case 'combined':
      return `${WEIGHTS.sales} × ${c.units30}/${maxUnits} units + ${WEIGHTS.positive} × positive rate ${f.reviews.rate ?? 0} + ${WEIGHTS.repurchase} × repurchase rate ${f.repurchase.rate ?? 0} = ${value}`;
    case 'new_products':
      return `${value} units in the first ${LAUNCH_DAYS} days since launch (${SURVIVAL_UNITS} to survive)`;
  }
}

/** Where a shop's products stand in each of a category's lists. */
export async function shopStanding(tx: Executor, shopId: string, categoryId: string, now: Date) {
  const out: { list: RankingList; entries: RankingEntry[] }[] = [];
  for (const list of LISTS) {
    const all = await ranking(tx, categoryId, list, now, 10_000);
    out.push({ list, entries: all.filter((e) => e.shopId === shopId) });
  }
  return out;
}
