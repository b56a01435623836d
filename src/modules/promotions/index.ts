// What other modules may call. Trade prices carts and checkouts with quoteLines/applyQuote, confirms
// them at payment and releases them when an order closes unpaid; after-sales gives points back.

export {
  type MemberLevelSource,
  type SegmentSource,
  setMemberLevelSource,
  setPaidOrderCheck,
  setSegmentSource,
} from './campaigns';
export {
  applyQuote,
  confirmPromotions,
  PROMOTION_EXPENSE,
  type PricingLine,
  pointsReturnCredits,
  type Quote,
  quoteLines,
  releaseOrderPromotions,
  returnCheckoutPoints,
} from './checkout';
export { type PriceResult, priceCart } from './engine';
export { flashSaleRoutes } from './flash-routes';
export {
  abandonFlashClaims,
  activeFlashSale,
  activeFlashSales,
  type ClaimInput,
  claimFlashQuota,
  claimForCheckout,
  confirmFlashClaims,
  type FlashSalesInForce,
  releaseFlashClaims,
  setOrderExistsCheck,
} from './flash-sales';
export { promotionsRoutes } from './routes';
