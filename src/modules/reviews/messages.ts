import { defineMessages, type MessageText } from '../../kernel/i18n';

export const REVIEW_MESSAGES: Record<string, MessageText> = {
  review_not_found: { 'zh-CN': '评价不存在', en: 'Review not found' },
  review_trade_not_succeeded: {
    'zh-CN': '交易成功后才能评价（当前订单状态：{status}）',
    en: 'Only a successful trade can be reviewed (the order is {status})',
  },
  review_window_closed: {
    'zh-CN': '评价期已过：交易成功后 {days} 天内可以评价（截止 {deadline}）',
    en: 'The review window has closed: reviews are possible for {days} days after trade success (until {deadline})',
  },
  review_exists: { 'zh-CN': '该订单已评价', en: 'This order has already been reviewed' },
  review_positive_final: {
    'zh-CN': '好评不能修改',
    en: 'A positive review cannot be changed',
  },
  review_revision_not_upward: {
    'zh-CN': '中评或差评只能改为更好的评价',
    en: 'A neutral or negative review can only be changed to a better rating',
  },
  review_already_revised: {
    'zh-CN': '评价只能修改一次',
    en: 'A review can be changed only once',
  },
  review_edit_window_closed: {
    'zh-CN': '修改期已过：评价后 {days} 天内可以修改（截止 {deadline}）',
    en: 'The change window has closed: a review can be changed for {days} days after it was written (until {deadline})',
  },
  review_follow_up_exists: {
    'zh-CN': '每个评价只能追评一次',
    en: 'A review can have only one follow-up',
  },
  review_follow_up_window_closed: {
    'zh-CN': '追评期已过：交易成功后 {days} 天内可以追评（截止 {deadline}）',
    en: 'The follow-up window has closed: a follow-up is possible for {days} days after trade success (until {deadline})',
  },
  review_reply_exists: {
    'zh-CN': '商家对每个评价只能回复一次',
    en: 'The shop can reply to a review only once',
  },
};

defineMessages(REVIEW_MESSAGES);
