import { defineMessages } from '../../kernel/i18n';

defineMessages({
  presale_not_found: { 'zh-CN': '预售活动不存在', en: 'Presale not found' },
  presale_not_taking_deposits: {
    'zh-CN': '预售当前不在付定金时间内（{phase}）',
    en: 'This presale is not taking deposits now ({phase})',
  },
  presale_sold_out: { 'zh-CN': '预售名额已满', en: 'This presale has no units left' },
  presale_cancelled: { 'zh-CN': '预售已取消', en: 'This presale is cancelled' },
  'field.presale_sku_not_in_shop': { 'zh-CN': '不是本店的商品规格', en: 'is not a SKU of this shop' },
  'field.presale_sku_not_for_sale': { 'zh-CN': '该商品规格未在售', en: 'is not on sale' },
  'field.presale_price_over_list': {
    'zh-CN': '预售价不能高于售价 {listPrice} 分',
    en: 'must not exceed the list price ({listPrice} fen)',
  },
  'field.presale_deposit_value_below': {
    'zh-CN': '定金抵扣金额不能低于定金',
    en: 'must be at least the deposit',
  },
  'field.presale_deposit_value_over_price': {
    'zh-CN': '定金抵扣金额必须低于预售价',
    en: 'must be below the presale price',
  },
  'field.presale_deposit_over_share': {
    'zh-CN': '定金不能超过成交价的 20%（最多 {max} 分）',
    en: 'a deposit may be at most 20% of what the unit finally costs (at most {max} fen)',
  },
  'field.presale_quota_over_stock': {
    'zh-CN': '不能超过当前可售库存 {available}',
    en: 'must not exceed the units available now ({available})',
  },
  'field.presale_deposit_window': { 'zh-CN': '必须晚于 depositFrom', en: 'must be after depositFrom' },
  'field.presale_in_past': { 'zh-CN': '时间已过', en: 'is in the past' },
  'field.presale_balance_before_deposit': {
    'zh-CN': '尾款时间不能早于定金开始时间',
    en: 'must not be before depositFrom',
  },
  'field.presale_balance_window': { 'zh-CN': '必须晚于 balanceFrom', en: 'must be after balanceFrom' },
  'field.presale_too_long': {
    'zh-CN': '从付定金到尾款截止最长 {days} 天',
    en: 'at most {days} days from the first deposit to the end of the balance window',
  },
  'field.presale_ship_before_balance': {
    'zh-CN': '发货日期不能早于尾款截止时间',
    en: 'must not be before balanceUntil',
  },
});
