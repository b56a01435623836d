// Platform points: granted by other modules (compensation now, trade success and spending with the
// promotions), expiring at the end of the following year.
import './jobs';

export {
  clawBackTradePoints,
  earnTradePoints,
  grantPoints,
  POINTS_EXPIRED,
  POINTS_LIABILITY,
  POINTS_REWARDS,
  pointsBalance,
  pointsExpiryFor,
  returnPoints,
  spendPoints,
} from './points';
export { pointsRoutes } from './routes';
