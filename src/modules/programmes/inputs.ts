// What the criteria are measured from, asked of the modules that own each figure, and the search
// boost members get. Nothing here reads another module's tables.
import type { Executor } from '../../db';
import { returnRates } from '../aftersales';
import { clearSearchAdjustment, setSearchAdjustment } from '../catalog';
import { shopRating } from '../reviews';
import { shippingStats, shopGmvByCategory } from '../trade';
import type { ShopInputs } from './criteria';
import { qualityCheckTally } from './quality-checks';
import type { programmes } from './schema';

type Programme = typeof programmes.$inferSelect;

const DAY_MS = 86_400_000;

export interface CategoryReturns {
  byShop: Map<string, number>;
  categoryAverage: number | null;
}

/** Every shop's return rate in the programme's category over the window, and the category's average. */
export function categoryReturnRates(
  tx: Executor,
  categoryId: string,
  since: Date,
  until: Date,
): Promise<CategoryReturns> {
  return returnRates(tx, { categoryId, since, until });
}

export async function shopInputs(
  tx: Executor,
  input: { shopId: string; programme: Programme; categories: Set<string>; returns: CategoryReturns },
  now: Date,
): Promise<ShopInputs> {
  const { shopId, programme, categories, returns } = input;
  const c = programme.criteria;
  const since = new Date(now.getTime() - c.salesWindowDays * DAY_MS);
  const rating = await shopRating(tx, shopId, now);
  const gmv = await shopGmvByCategory(tx, shopId, since, now);
  let categoryGmv = 0;
  let totalGmv = 0;
  for (const [categoryId, amount] of gmv) {
    totalGmv += amount;
    if (categories.has(categoryId)) categoryGmv += amount;
  }
  const shipping = await shippingStats(tx, shopId, now, c.salesWindowDays);
  const qualityChecks = await qualityCheckTally(tx, {
    shopId,
    categoryIds: [...categories],
    since: new Date(now.getTime() - c.qualityCheckDays * DAY_MS),
    until: now,
  });
  return {
    rating: rating?.overall ?? null,
    categoryGmv,
    totalGmv,
    shipping: { due: shipping.due, onTime: shipping.onTime },
    // After-sales gives no rate to a shop that shipped nothing in the category over the window.
    returnRate: returns.byShop.get(shopId) ?? null,
    categoryAverageReturnRate: returns.categoryAverage,
    qualityChecks,
  };
}

const source = (programme: Programme) => `programme:${programme.id}`;

/** Members rank higher in their programme's category while they stay members. */
export async function boostMember(
  tx: Executor,
  input: { shopId: string; programme: Programme },
  now: Date,
): Promise<void> {
  await setSearchAdjustment(
    tx,
    {
      shopId: input.shopId,
      source: source(input.programme),
      categoryId: input.programme.categoryId,
      effect: 'boosted',
      until: null,
    },
    now,
  );
}

export async function unboostMember(
  tx: Executor,
  input: { shopId: string; programme: Programme },
  now: Date,
): Promise<void> {
  await clearSearchAdjustment(
    tx,
    { shopId: input.shopId, source: source(input.programme), categoryId: input.programme.categoryId },
    now,
  );
}
