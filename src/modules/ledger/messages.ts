import { defineMessages } from '../../kernel/i18n';

defineMessages({
  insufficient_funds: {
    'zh-CN': '账户余额不足（{account}）',
    en: 'Not enough funds in {account}',
  },
});
