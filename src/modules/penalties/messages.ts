import { defineMessages } from '../../kernel/i18n';

// Reason labels (penalty.reason.<code>) and penalty descriptions shown to merchants and operators.
defineMessages({
  'penalty.reason.late_shipment_not_compensated': {
    'zh-CN': '延迟发货且未主动赔付',
    en: 'Late shipment not compensated',
  },
  'penalty.reason.refusal_to_ship': { 'zh-CN': '拒绝发货', en: 'Refusal to ship' },
  'penalty.reason.fake_trade': { 'zh-CN': '虚假交易', en: 'Fake transactions (brushing)' },
  'penalty.reason.counterfeit': { 'zh-CN': '出售假冒商品', en: 'Selling counterfeit goods' },
  'penalty.reason.description_mismatch': { 'zh-CN': '描述不符', en: 'Goods not as described' },
  'penalty.reason.refused_after_sales': { 'zh-CN': '违背售后承诺', en: 'Refused after-sales service' },
  'penalty.reason.other': { 'zh-CN': '其他违规', en: 'Other violation' },
  'penalty.action.restrict': {
    'zh-CN': '店铺屏蔽、禁止发布商品',
    en: 'Hidden from search, no new listings',
  },
  'penalty.action.close_shop': { 'zh-CN': '关闭店铺', en: 'Shop closed' },
  'penalty.action.seal_account': { 'zh-CN': '查封账户', en: 'Account sealed' },
});
