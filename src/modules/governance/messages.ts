import { defineMessages } from '../../kernel/i18n';

defineMessages({
  rule_set_version_taken: {
    'zh-CN': '另一个规则版本刚刚发布，请刷新后重试',
    en: 'Another version of these rules was just published; reload and try again',
  },
  'field.not_in_past': { 'zh-CN': '不能早于当前时间', en: 'must not be in the past' },
  'field.required_for_kind': {
    'zh-CN': '{kind} 店铺的规则必须包含此项',
    en: 'is required in the rules for {kind} shops',
  },
  'field.not_for_kind': {
    'zh-CN': '{kind} 店铺的规则不应包含此项',
    en: 'does not apply to {kind} shops',
  },
  'field.default_tier_free': {
    'zh-CN': '默认等级必须是列表中月费为 0 的等级',
    en: 'must name a listed tier whose monthly fee is 0',
  },
  'field.ascending_points': {
    'zh-CN': '扣分节点需按分数从低到高排列且不重复',
    en: 'nodes must be in strictly ascending order of points',
  },
});
