import { defineMessages } from '../../kernel/i18n';

defineMessages({
  coupon_offer_not_found: { 'zh-CN': '优惠券活动不存在', en: 'Coupon offer not found' },
  coupon_offer_closed: { 'zh-CN': '优惠券不在领取时间内或已暂停', en: 'This coupon offer is not open now' },
  coupon_not_for_you: { 'zh-CN': '该优惠券仅限指定买家领取', en: 'This coupon is for selected buyers only' },
  coupon_new_buyers_only: { 'zh-CN': '该优惠券仅限新客领取', en: 'This coupon is for new buyers only' },
  coupon_limit_reached: {
    'zh-CN': '每人限领 {limit} 张，已领完',
    en: 'You have claimed the most allowed ({limit} per buyer)',
  },
  coupon_offer_exhausted: { 'zh-CN': '优惠券已被领完', en: 'All coupons of this offer have been claimed' },
  coupon_claim_raced: {
    'zh-CN': '领取过于频繁，请重试',
    en: 'Another claim of yours was in progress; try again',
  },
  subsidy_budget_spent: {
    'zh-CN': '补贴预算刚刚用完，请重新结算',
    en: 'The subsidy budget ran out meanwhile; check out again to see the new price',
  },
  'coupon_note.below_threshold': { 'zh-CN': '再买 {missing} 可用', en: 'spend {missing} more to use it' },
  'coupon_note.no_lines': { 'zh-CN': '购物车中没有适用的商品', en: 'nothing in the cart qualifies' },
  'coupon_note.excluded': { 'zh-CN': '不能与其他优惠同享', en: 'does not combine with another discount' },
  'coupon_note.one_per_shop': { 'zh-CN': '每个店铺只能用一张店铺券', en: 'one shop coupon per shop' },
  'coupon_note.one_platform_coupon': {
    'zh-CN': '每笔订单只能用一张平台券',
    en: 'one platform coupon per checkout',
  },
  campaign_not_found: { 'zh-CN': '活动不存在', en: 'Campaign not found' },
  'field.window_end_before_start': { 'zh-CN': '结束时间须晚于开始时间', en: 'must be later than the start' },
  'field.shop_funds_own': {
    'zh-CN': '店铺活动只能由商家出资',
    en: 'a shop campaign is funded by the merchant',
  },
  'field.shared_split': {
    'zh-CN': '共同出资需给出平台承担比例（1 到 9999 个基点）',
    en: "a shared campaign needs the platform's share (1 to 9999 basis points)",
  },
  'field.coupon_above_threshold': { 'zh-CN': '面额不能高于使用门槛', en: 'must not exceed the threshold' },
  'field.every_one_tier': {
    'zh-CN': '"每满减"只能有一档',
    en: 'an "every N off M" reduction has exactly one tier',
  },
  'field.off_below_threshold': { 'zh-CN': '减免须低于门槛', en: 'must be below its threshold' },
  'field.sku_not_of_shop': { 'zh-CN': '不是本店的商品规格', en: 'is not a SKU of this shop' },
  'field.no_membership_programme': {
    'zh-CN': '店铺还没有会员体系，不能设置会员价',
    en: 'the shop has no membership programme, so it cannot set a member price',
  },
  'field.member_level_unknown': {
    'zh-CN': '不是本店会员体系的等级（可选：{levels}）',
    en: 'is not a level of the shop’s membership programme ({levels})',
  },
  'field.sku_unknown': { 'zh-CN': '不存在的商品规格', en: 'is not a known SKU' },
  'field.segment_shop_only': {
    'zh-CN': '只有店铺券可以面向数据银行人群',
    en: 'only a shop coupon can target a data-bank segment',
  },
  'field.coupon_unknown': { 'zh-CN': '不是您的优惠券', en: 'is not one of your coupons' },
  'field.coupon_used': { 'zh-CN': '优惠券已使用', en: 'this coupon has been used' },
  'field.coupon_not_valid_now': { 'zh-CN': '优惠券不在有效期内', en: 'this coupon is not valid now' },
});
