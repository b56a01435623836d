// Platform points: granted by other modules (compensation now, trade success and spending with the
// promotions), expiring at the end of the following year.
import './jobs';

export { grantPoints, POINTS_LIABILITY, pointsBalance, pointsExpiryFor } from './points';
export { pointsRoutes } from './routes';
