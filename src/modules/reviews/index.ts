// What other modules may call: the shop rating (DSR), positive-review rates for rankings and the
// quality programme, and the shop's credit. Importing this module shows the DSR on the shop view.
import { setShopRatingSource } from '../merchants';
import { ratingOfShop } from './reviews';

setShopRatingSource(
  async (tx, shop, now) => (await ratingOfShop(tx, shop.id, shop.kind, now))?.overall ?? null,
);

export {
  creditScore,
  MAX_REVIEW_TEXT,
  positiveRate,
  type Rating,
  type Review,
  type ShopRating,
  shanghaiMonth,
  shopRating,
} from './reviews';
export { reviewsRoutes } from './routes';
