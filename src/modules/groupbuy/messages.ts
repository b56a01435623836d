import { defineMessages } from '../../kernel/i18n';

defineMessages({
  group_buy_not_found: { 'zh-CN': '拼团活动不存在', en: 'Group buy not found' },
  group_not_found: { 'zh-CN': '拼团不存在', en: 'Group not found' },
  group_buy_not_live: {
    'zh-CN': '拼团活动当前不能开团（{phase}）',
    en: 'This group buy is not open for new groups now ({phase})',
  },
  group_buy_sold_out: { 'zh-CN': '拼团库存已抢光', en: 'The group buy has no units left' },
  group_buy_ended: { 'zh-CN': '拼团活动已结束', en: 'This group buy has ended' },
  group_buy_already_paused: { 'zh-CN': '拼团活动已暂停', en: 'This group buy is already paused' },
  group_buy_not_paused: { 'zh-CN': '拼团活动未暂停', en: 'This group buy is not paused' },
  group_not_open: {
    'zh-CN': '该团当前不能参加（{status}）：团长付款后开团，成团或到期后关闭',
    en: 'This group cannot be joined now ({status}): it opens when its leader pays and closes when it fills or expires',
  },
  group_already_joined: {
    'zh-CN': '您已参加该团，每团每人限参加一次',
    en: 'You have already joined this group',
  },
  group_full: {
    'zh-CN': '该团名额已满（含待付款名额）',
    en: 'Every place in this group is taken (unpaid places included)',
  },
  'field.group_sku_not_in_shop': { 'zh-CN': '不是本店的商品规格', en: 'is not a SKU of this shop' },
  'field.group_sku_not_for_sale': { 'zh-CN': '该商品规格未在售', en: 'is not on sale' },
  'field.group_price_not_below_list': {
    'zh-CN': '拼团价必须低于售价 {listPrice} 分',
    en: 'must be below the list price ({listPrice} fen)',
  },
  'field.group_stock_over_available': {
    'zh-CN': '不能超过当前可售库存 {available}',
    en: 'must not exceed the units available now ({available})',
  },
  'field.group_stock_below_size': {
    'zh-CN': '活动库存至少要够一个团（{groupSize} 件）',
    en: 'must hold at least one full group ({groupSize} units)',
  },
  'field.group_ends_before_start': { 'zh-CN': '必须晚于开始时间', en: 'must be after startsAt' },
  'field.group_ends_in_past': { 'zh-CN': '结束时间已过', en: 'is in the past' },
  'field.group_window_too_long': {
    'zh-CN': '活动最长 {days} 天',
    en: 'a group buy lasts at most {days} days',
  },
});
