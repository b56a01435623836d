import { defineMessages } from '../../kernel/i18n';

defineMessages({
  flash_sale_not_found: { 'zh-CN': '秒杀活动不存在', en: 'Flash sale not found' },
  flash_sold_out: { 'zh-CN': '秒杀商品已抢光', en: 'This flash sale is sold out' },
  flash_buyer_limit: {
    'zh-CN': '该秒杀商品每人限购 {limit} 件',
    en: 'This flash sale allows at most {limit} unit(s) per buyer',
  },
  flash_sale_not_active: {
    'zh-CN': '秒杀活动当前不在进行中',
    en: 'This flash sale is not selling now (not started, ended or paused)',
  },
  flash_claim_duplicate: {
    'zh-CN': '该订单已占用本次秒杀名额',
    en: 'This order already holds units of this flash sale',
  },
  flash_claim_missing: {
    'zh-CN': '秒杀名额未能保留，请重新下单',
    en: 'The flash-sale units of this checkout are no longer held; please check out again',
  },
  flash_sale_overlap: {
    'zh-CN': '该商品规格在 {startsAt} 至 {endsAt} 已有秒杀活动（{id}），时间不能重叠',
    en: 'This SKU already has a flash sale ({id}) from {startsAt} to {endsAt}; windows may not overlap',
  },
  flash_sale_ended: { 'zh-CN': '秒杀活动已结束', en: 'This flash sale has ended' },
  flash_sale_not_paused: { 'zh-CN': '秒杀活动未暂停', en: 'This flash sale is not paused' },
  flash_sale_already_paused: { 'zh-CN': '秒杀活动已暂停', en: 'This flash sale is already paused' },
  'field.flash_sku_not_in_shop': {
    'zh-CN': '不是本店的商品规格',
    en: 'is not a SKU of this shop',
  },
  'field.flash_sku_not_for_sale': {
    'zh-CN': '商品规格未在售',
    en: 'is not on sale (its product is unpublished or the SKU is inactive)',
  },
  'field.flash_price_not_below_list': {
    'zh-CN': '秒杀价须低于商品原价 {listPrice} 分',
    en: 'must be below the SKU price ({listPrice} fen)',
  },
  'field.flash_quota_over_stock': {
    'zh-CN': '不能超过当前可售库存 {available} 件',
    en: 'must not exceed the units available now ({available})',
  },
  'field.flash_limit_over_quota': {
    'zh-CN': '不能超过活动名额 {quota}',
    en: 'must not exceed the quota ({quota})',
  },
  'field.flash_starts_in_past': {
    'zh-CN': '开始时间须晚于当前时间',
    en: 'must be in the future',
  },
  'field.flash_ends_before_start': {
    'zh-CN': '结束时间须晚于开始时间',
    en: 'must be after startsAt',
  },
  'field.flash_window_too_long': {
    'zh-CN': '活动时长不能超过 {days} 天',
    en: 'the sale may last at most {days} days',
  },
});
