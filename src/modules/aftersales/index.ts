// What other modules may call. The quality programme reads return rates; the web app and outside
// integrations use the routes.
import './jobs';

export { MERCHANT_RECEIVABLES, splitShopCharge } from './charges';
export { type Complaint, lateShipmentCompensation } from './complaints';
export { noReasonWindow, type Refund, refundOrderBySystem } from './refunds';
export { aftersalesRoutes } from './routes';
export { returnRates } from './stats';
