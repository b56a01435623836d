import { defineMessages } from '../../kernel/i18n';

defineMessages({
  'field.segment_unknown': { 'zh-CN': '不是本店的人群', en: 'is not a segment of this shop' },
  databank_unknown_kind: { 'zh-CN': '未知的行为类型', en: 'Unknown behaviour kind' },
  databank_duplicate_id: {
    'zh-CN': '同一批次中事件编号重复',
    en: 'This event id appears twice in the batch',
  },
  databank_event_in_future: { 'zh-CN': '事件时间晚于当前时间', en: 'The event happened in the future' },
  databank_event_expired: {
    'zh-CN': '事件早于保留期（{days} 天）',
    en: 'The event is older than the retention period ({days} days)',
  },
  databank_consumer_required: {
    'zh-CN': '需要消费者编号或设备编号，且只能二选一',
    en: 'Give either consumerId or deviceId, not both',
  },
  databank_unknown_product: { 'zh-CN': '商品不存在', en: 'Unknown product' },
  databank_unknown_shop: { 'zh-CN': '店铺不存在', en: 'Unknown shop' },
  databank_shop_mismatch: { 'zh-CN': '店铺与商品不符', en: 'The shop is not the product’s shop' },
  databank_amount_required: { 'zh-CN': '购买事件需要金额', en: 'A purchase needs its amount' },
  databank_rating_required: { 'zh-CN': '评价事件需要评分', en: 'A review needs its rating' },
  databank_device_taken: {
    'zh-CN': '该设备已归属其他买家',
    en: 'This device already belongs to another buyer',
  },
  databank_bad_day: { 'zh-CN': '日期格式应为 YYYY-MM-DD', en: 'Dates are YYYY-MM-DD' },
  databank_days_order: { 'zh-CN': '结束日期不能早于开始日期', en: 'The end date is before the start date' },
  databank_bad_scope: {
    'zh-CN': '范围应为 brand:<品牌编号> 或 category:<类目编号>',
    en: 'A scope is brand:<brand id> or category:<category id>',
  },
  databank_snapshot_missing: {
    'zh-CN': '{day} 没有快照，流转只能在已快照的日期之间计算',
    en: 'There is no snapshot of {day}: flows are between snapshot days',
  },
  crm_fan_not_found: {
    'zh-CN': '该消费者不是本店粉丝',
    en: 'This consumer does not follow the shop',
  },
  membership_programme_exists: {
    'zh-CN': '店铺已有会员体系',
    en: 'The shop already has a membership programme',
  },
  membership_programme_not_found: { 'zh-CN': '会员体系不存在', en: 'Membership programme not found' },
  membership_first_level_zero: {
    'zh-CN': '第一个会员等级的消费门槛应为 0',
    en: 'The first level starts at a spend of 0',
  },
  membership_levels_ascending: {
    'zh-CN': '会员等级的消费门槛应逐级递增',
    en: 'Each level needs a higher spend than the one before',
  },
  membership_not_member: { 'zh-CN': '您还不是本店会员', en: 'You are not a member of this shop' },
  segment_not_found: { 'zh-CN': '人群不存在', en: 'Segment not found' },
  databank_callers_only: {
    'zh-CN': '仅平台运营或商家可上报行为事件',
    en: 'Only the platform’s apps and merchants may send behaviour events',
  },
});
