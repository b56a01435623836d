// What other modules may call. After-sales pauses and resumes the receipt clock of a shipped order.
import './jobs';

export {
  depositPaidOrdersOf,
  forfeitDeposit,
  refundDeposit,
  releaseShipHold,
  startBalancePayment,
} from './campaign-orders';
export { addToCart, removeFromCart, setCartQuantity, viewCart } from './cart';
export {
  abandonCheckout,
  type CheckoutInput,
  type CheckoutResult,
  checkout,
  checkoutNow,
  type OrderCampaign,
  type PreparedCheckout,
  prepareCheckout,
} from './checkout';
export {
  applyLogisticsEvent,
  closeUnpaid,
  createShipment,
  markShipLate,
  type Shipment,
  shipmentOf,
  shippingLabel,
} from './fulfilment';
export { onCampaignOrders } from './hooks';
export {
  type Actor,
  BALANCE_BY,
  CONFIRM_BY,
  getBuyerOrder,
  getOrder,
  getShopOrder,
  linesOf,
  maskPhone,
  type Order,
  type OrderLine,
  orderHistory,
  PAY_BY,
  SANDBOX_CALLBACK,
  SHIP_BY,
  shippedUnitsByShop,
  shippingStats,
  transition,
} from './orders';
export {
  applyNotification,
  type Notification,
  type PaymentProvider,
  receiveNotification,
  sandboxProvider,
  startPayment,
} from './payments';
export { confirmReceipt, extendReceipt, pauseReceiptClock, resumeReceiptClock } from './receipt';
export {
  applyRefundToOrder,
  lockOrder,
  planRefundLines,
  type RefundLineRequest,
  refundAmountOf,
  refundableOf,
} from './refunds';
export { Address as AddressSchema, tradeRoutes } from './routes';
export type { ShippingAddress } from './schema';
export { COMMISSION_ACCOUNT, commissionOf, orderCommissionRate, settleOrder, withdraw } from './settlement';
export { signPayload, verifySignature } from './signatures';
export { shopGmvByCategory, shopsWithSales } from './stats';
