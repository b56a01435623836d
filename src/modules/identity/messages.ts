import { defineMessages } from '../../kernel/i18n';

defineMessages({
  login_taken: { 'zh-CN': '该登录名已被注册', en: 'This login is already registered' },
  bad_credentials: { 'zh-CN': '登录名或密码错误', en: 'Wrong login or password' },
  login_throttled: {
    'zh-CN': '密码错误次数过多，请 {minutes} 分钟后再试',
    en: 'Too many failed sign-ins; try again in {minutes} minutes',
  },
  wrong_password: { 'zh-CN': '当前密码不正确', en: 'The current password is wrong' },
  'field.control_characters': { 'zh-CN': '不能包含控制字符', en: 'must not contain control characters' },
  'field.password_same': { 'zh-CN': '新密码不能与当前密码相同', en: 'must differ from the current password' },
  account_disabled: { 'zh-CN': '账号已停用', en: 'This account is disabled' },
  operator_only: { 'zh-CN': '仅平台运营人员可操作', en: 'Only platform operators may do this' },
  'field.login': {
    'zh-CN': '需为 3 到 64 位字母、数字或 _.@+- 符号',
    en: 'must be 3 to 64 letters, digits or the symbols _.@+-',
  },
  'field.password_weak': {
    'zh-CN': '密码至少 8 位，且需同时包含字母和数字',
    en: 'must be at least 8 characters with both letters and digits',
  },
});
