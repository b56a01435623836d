import { defineMessages } from '../../kernel/i18n';

defineMessages({
  programme_not_found: { 'zh-CN': '质量计划不存在', en: 'Quality programme not found' },
  'field.programme_category_not_leaf': {
    'zh-CN': '需为末级类目（退货率按末级类目统计）',
    en: 'must be a leaf category (return rates are kept per leaf category)',
  },
  'field.shop_not_found': { 'zh-CN': '店铺不存在', en: 'no such shop' },
  'field.product_not_in_shop': {
    'zh-CN': '该店铺没有在售的此商品',
    en: 'is not a product this shop has on sale',
  },
  'field.not_in_future': { 'zh-CN': '不能晚于当前时间', en: 'must not be in the future' },

  // The criteria, as the merchant reads them.
  'criterion.rating': { 'zh-CN': '店铺评分', en: 'Shop rating' },
  'criterion.category_share': { 'zh-CN': '类目成交占比', en: 'Share of sales in the category' },
  'criterion.on_time_shipping': { 'zh-CN': '按时发货率', en: 'On-time shipping' },
  'criterion.return_rate': { 'zh-CN': '退货率', en: 'Return rate' },
  'criterion.quality_checks': { 'zh-CN': '质检合格率', en: 'Quality inspections passed' },

  'programme.rating_none': { 'zh-CN': '暂无店铺评分', en: 'No rating yet' },
  'programme.rating_ok': {
    'zh-CN': '店铺评分 {value} 星，不低于 {threshold} 星',
    en: 'Rated {value} stars, at least {threshold}',
  },
  'programme.rating_low': {
    'zh-CN': '店铺评分 {value} 星，低于 {threshold} 星',
    en: 'Rated {value} stars, below {threshold}',
  },
  'programme.no_sales': {
    'zh-CN': '近 {days} 天没有成交',
    en: 'No sales in the last {days} days',
  },
  'programme.category_share_ok': {
    'zh-CN': '近 {days} 天本类目成交占比 {value}%，不低于 {threshold}%',
    en: '{value}% of the last {days} days’ sales in this category, at least {threshold}%',
  },
  'programme.category_share_low': {
    'zh-CN': '近 {days} 天本类目成交占比 {value}%，低于 {threshold}%',
    en: 'Only {value}% of the last {days} days’ sales in this category, below {threshold}%',
  },
  'programme.no_shipments_due': {
    'zh-CN': '近 {days} 天没有到期需发货的订单',
    en: 'No order was due to ship in the last {days} days',
  },
  'programme.on_time_ok': {
    'zh-CN': '近 {days} 天按时发货率 {value}%，不低于 {threshold}%',
    en: '{value}% shipped on time in the last {days} days, at least {threshold}%',
  },
  'programme.on_time_low': {
    'zh-CN': '近 {days} 天按时发货率 {value}%（{due} 单中 {late} 单延迟发货），低于 {threshold}%',
    en: '{value}% shipped on time in the last {days} days ({late} of {due} late), below {threshold}%',
  },
  'programme.return_rate_unknown': {
    'zh-CN': '近 {days} 天本类目无可计算的退货率',
    en: 'No return rate in this category for the last {days} days',
  },
  'programme.return_rate_none': { 'zh-CN': '本类目无退货', en: 'No returns in this category' },
  'programme.return_rate_ok': {
    'zh-CN': '近 {days} 天退货率 {value}%，低于类目平均 {threshold}%',
    en: 'Return rate {value}% over the last {days} days, below the category average of {threshold}%',
  },
  'programme.return_rate_high': {
    'zh-CN': '近 {days} 天退货率 {value}%，不低于类目平均 {threshold}%',
    en: 'Return rate {value}% over the last {days} days, not below the category average of {threshold}%',
  },
  'programme.no_quality_check': {
    'zh-CN': '近 {days} 天没有质检记录',
    en: 'No quality inspection in the last {days} days',
  },
  'programme.quality_checks_ok': {
    'zh-CN': '近 {days} 天 {total} 次质检全部合格',
    en: 'All {total} quality inspections of the last {days} days passed',
  },
  'programme.quality_check_failed': {
    'zh-CN': '近 {days} 天 {total} 次质检中 {failed} 次不合格',
    en: '{failed} of {total} quality inspections in the last {days} days failed',
  },
});
