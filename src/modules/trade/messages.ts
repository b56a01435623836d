import { defineMessages } from '../../kernel/i18n';

defineMessages({
  sku_not_for_sale: {
    'zh-CN': '商品规格 {skuId} 已下架或停售，不能购买',
    en: 'SKU {skuId} is not on sale (its product is unpublished or the SKU is inactive)',
  },
  cart_line_not_found: { 'zh-CN': '购物车中没有该商品', en: 'This SKU is not in your cart' },
  cart_empty: { 'zh-CN': '购物车中没有可结算的商品', en: 'There is nothing in your cart to check out' },
  shop_not_trading: { 'zh-CN': '店铺 {shopId} 已关闭，不能下单', en: 'Shop {shopId} is closed for orders' },
  order_not_found: { 'zh-CN': '订单不存在', en: 'Order not found' },
  payment_not_found: { 'zh-CN': '支付单不存在', en: 'Payment not found' },
  payment_not_payable: {
    'zh-CN': '支付单当前状态（{status}）不能支付',
    en: 'This payment cannot be paid in its current state ({status})',
  },
  payment_amount_mismatch: {
    'zh-CN': '通知金额 {amount} 与支付单金额 {expected} 不符',
    en: 'The notified amount {amount} does not match the payment amount {expected}',
  },
  payment_charge_mismatch: {
    'zh-CN': '通知中的支付流水与支付单不符',
    en: 'The notification names a charge that does not belong to this payment',
  },
  unknown_provider: { 'zh-CN': '未知的支付渠道 {provider}', en: 'Unknown payment provider {provider}' },
  signature_invalid: {
    'zh-CN': '签名无效或已过期',
    en: 'The signature is missing, invalid or outside the 5-minute window',
  },
  order_not_paid: {
    'zh-CN': '只有已付款、待发货的订单可以发货（当前：{status}）',
    en: 'Only a paid order awaiting shipment can be shipped (now: {status})',
  },
  shipment_exists: { 'zh-CN': '该订单已有发货记录', en: 'This order has already been shipped' },
  tracking_no_taken: {
    'zh-CN': '该运单号已用于其他订单',
    en: 'This tracking number is already used for another order',
  },
  shipment_not_found: { 'zh-CN': '没有该运单号的发货记录', en: 'No shipment with this tracking number' },
  order_not_shipped: {
    'zh-CN': '只有已发货的订单可以确认收货或延长收货（当前：{status}）',
    en: 'Only a shipped order can have its receipt confirmed or extended (now: {status})',
  },
  receipt_extension_used: {
    'zh-CN': '延长收货次数已用完（最多 {times} 次）',
    en: 'Receipt has already been extended the allowed {times} time(s)',
  },
  receipt_extension_too_early: {
    'zh-CN': '距自动确认收货不足 {days} 天时才能延长',
    en: 'Receipt can be extended only when {days} days or fewer remain',
  },
  receipt_clock_paused: {
    'zh-CN': '售后处理中，收货倒计时已暂停',
    en: 'The receipt clock is paused while after-sales is in progress',
  },
  seller_extend_receipt_not_shipped: {
    'zh-CN': '只有已发货、待确认收货的订单可以延长收货时间（当前：{status}）',
    en: 'Only a shipped order awaiting receipt can have its receipt time extended (now: {status})',
  },
  seller_extend_receipt_clock_paused: {
    'zh-CN': '售后处理中，收货倒计时已暂停，不能延长收货时间',
    en: 'The receipt clock is paused while after-sales is in progress; it cannot be extended',
  },
  order_fully_refunded: { 'zh-CN': '该订单已全部退款', en: 'Everything in this order has been refunded' },
  'field.order_line_unknown': { 'zh-CN': '不是该订单的商品行', en: 'is not a line of this order' },
  'field.order_line_twice': { 'zh-CN': '同一商品行只能出现一次', en: 'names the same order line twice' },
  'field.refund_quantity_max': {
    'zh-CN': '最多还能退 {limit} 件',
    en: 'at most {limit} unit(s) of this line can still be refunded',
  },
  order_changed: {
    'zh-CN': '订单刚刚发生了变化，请刷新后重试',
    en: 'The order changed meanwhile; reload it and try again',
  },
  'field.campaign_paid_until_not_after_from': {
    'zh-CN': '必须晚于付款开始时间 paidFrom',
    en: 'must be later than paidFrom',
  },
  'field.campaign_ship_by_before_paid_until': {
    'zh-CN': '不能早于付款截止时间 paidUntil',
    en: 'must not be earlier than paidUntil',
  },
  'field.sku_unknown': { 'zh-CN': '不存在的商品规格', en: 'is not a known SKU' },
  'field.cart_quantity_max': {
    'zh-CN': '购物车中同一商品最多 {limit} 件',
    en: 'at most {limit} of one SKU may be in the cart',
  },
  'field.campaign_no_coupons': {
    'zh-CN': '拼团和预售订单不能使用优惠券或积分',
    en: 'group-buy and presale orders take no coupons or points',
  },
  deposit_exceeds_price: {
    'zh-CN': '定金不能高于订单金额',
    en: 'The deposit cannot exceed the order amount',
  },
  order_not_awaiting_balance: {
    'zh-CN': '订单当前状态（{status}）不能支付尾款',
    en: 'This order is not awaiting its balance (status {status})',
  },
  balance_window_not_open: {
    'zh-CN': '尾款支付时间为 {from} 至 {until}',
    en: 'The balance can be paid from {from} until {until}',
  },
  order_shipping_on_hold: {
    'zh-CN': '拼团尚未成团，订单暂不能发货',
    en: 'The group buy has not filled yet: the order cannot ship',
  },
});
