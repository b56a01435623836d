import { defineMessages } from '../../kernel/i18n';

defineMessages({
  refund_not_found: { 'zh-CN': '售后申请不存在', en: 'Refund request not found' },
  order_not_refundable: {
    'zh-CN': '该订单当前状态（{status}）不能申请售后',
    en: 'This order cannot have a refund in its current state ({status})',
  },
  refund_already_open: {
    'zh-CN': '该订单已有进行中的售后申请',
    en: 'This order already has a refund request in progress',
  },
  after_sales_window_closed: {
    'zh-CN': '交易成功超过 {days} 天，已不能申请售后（截止 {until}）',
    en: 'After-sales closed {days} days after trade success (at {until})',
  },
  group_buy_forming: {
    'zh-CN': '拼团进行中，成团前不能申请售后；未成团将自动全额退款',
    en: 'The group buy is still forming: after-sales opens once it fills, and a group that fails is refunded in full',
  },
  not_late_yet: {
    'zh-CN': '订单尚未超过发货时限（{shipBy}）或已发货，不能以"未按时发货"退款',
    en: 'The order is not past its ship-by time ({shipBy}) unshipped, so "not shipped on time" does not apply',
  },
  return_needs_shipment: {
    'zh-CN': '订单尚未发货，只能申请仅退款',
    en: 'The order has not shipped: only a refund without return is possible',
  },
  no_reason_not_eligible: {
    'zh-CN': '商品"{title}"所在类目不支持七天无理由退货',
    en: 'The category of "{title}" is not eligible for seven-day no-reason returns',
  },
  no_reason_window_closed: {
    'zh-CN': '七天无理由退货期已过（截止 {until}）',
    en: 'The seven-day no-reason return period has ended (at {until})',
  },
  refund_not_awaiting_seller: {
    'zh-CN': '该售后申请当前（{status}）不需要商家处理',
    en: 'This refund request is not waiting for the seller (now: {status})',
  },
  refund_not_refused: {
    'zh-CN': '只有被商家拒绝的售后申请可以申请平台介入（当前：{status}）',
    en: 'Only a request the seller refused can be escalated (now: {status})',
  },
  refund_not_escalated: {
    'zh-CN': '该售后申请没有申请平台介入（当前：{status}）',
    en: 'This request is not escalated to the platform (now: {status})',
  },
  refund_not_awaiting_return: {
    'zh-CN': '该售后申请当前（{status}）不需要寄回商品',
    en: 'This request is not waiting for the goods to be sent back (now: {status})',
  },
  refund_return_not_shipped: {
    'zh-CN': '买家尚未寄回商品（当前：{status}）',
    en: 'The buyer has not sent the goods back (now: {status})',
  },
  refund_not_withdrawable: {
    'zh-CN': '该售后申请当前（{status}）不能撤销',
    en: 'This request cannot be withdrawn now ({status})',
  },
  complaint_not_found: { 'zh-CN': '投诉不存在', en: 'Complaint not found' },
  complaint_not_open: {
    'zh-CN': '交易成功或退款成功后才能投诉商家',
    en: 'A complaint about the merchant opens when the trade or a refund succeeds',
  },
  complaint_window_closed: {
    'zh-CN': '已超过投诉期限（交易成功或退款成功后 {days} 天，截止 {until}）',
    en: 'The complaint period ended {days} days after the trade or refund succeeded (at {until})',
  },
  complaint_not_late: {
    'zh-CN': '该订单没有超时发货，不能以"延迟发货"投诉',
    en: 'This order was not shipped late, so it cannot be a late-shipment complaint',
  },
  complaint_exists: {
    'zh-CN': '该订单已有同样原因的投诉',
    en: 'This order already has a complaint for this reason',
  },
  complaint_not_open_for_decision: {
    'zh-CN': '该投诉已处理（{status}）',
    en: 'This complaint has already been decided ({status})',
  },
  complaint_no_compensation: {
    'zh-CN': '该投诉没有需要赔付的金额，或已赔付',
    en: 'This complaint has no compensation due, or it was already paid',
  },
  'field.late_refund_only': {
    'zh-CN': '"未按时发货"只能申请仅退款',
    en: '"not shipped on time" is a refund without return',
  },
  'field.late_refund_whole_order': {
    'zh-CN': '"未按时发货"退款针对整笔订单，不能选择商品',
    en: '"not shipped on time" refunds the whole order; lines cannot be chosen',
  },
  'field.no_reason_is_return': {
    'zh-CN': '七天无理由需要退货退款',
    en: 'a seven-day no-reason return is a return and refund',
  },
});
