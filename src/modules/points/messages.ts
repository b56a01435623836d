import { defineMessages } from '../../kernel/i18n';

defineMessages({
  points_insufficient: {
    'zh-CN': '积分不足（需要 {points} 分）',
    en: 'Not enough points ({points} needed)',
  },
});
