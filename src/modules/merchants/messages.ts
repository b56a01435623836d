import { defineMessages } from '../../kernel/i18n';

defineMessages({
  one_shop_per_identity: {
    'zh-CN': '每个实名身份只能开设一家集市店铺，该身份证号已有店铺',
    en: 'One real-name identity may open only one market shop, and this identity number already has one',
  },
  application_not_found: { 'zh-CN': '入驻申请不存在', en: 'Merchant application not found' },
  application_already_reviewed: {
    'zh-CN': '该申请已审核（当前状态：{status}）',
    en: 'This application was already reviewed (status: {status})',
  },
  shop_closed: { 'zh-CN': '店铺已关闭', en: 'The shop is closed' },
  listing_banned: {
    'zh-CN': '店铺处罚中（扣分节点：{reason}），{until} 前不能发布或上架商品',
    en: 'The shop is under a penalty ({reason} points) and may not list or publish products until {until}',
  },
  shop_suspended: {
    'zh-CN': '店铺因处罚被关闭（扣分节点：{reason}），{until} 前不能发布或上架商品',
    en: 'The shop is closed by a penalty ({reason} points) until {until} and may not list or publish products',
  },
  shop_sealed: {
    'zh-CN': '店铺因处罚被查封（扣分节点：{reason}），不能发布或上架商品',
    en: 'The shop is sealed by a penalty ({reason} points) and may not list or publish products',
  },
  deposit_not_short: {
    'zh-CN': '保证金足额，无需补缴',
    en: 'The deposit is whole; there is nothing to top up',
  },
  deposit_already_paid: {
    'zh-CN': '保证金已缴纳并冻结，无需重复缴纳',
    en: 'The deposit is already paid and frozen',
  },
  tiers_market_only: {
    'zh-CN': '店铺等级仅适用于集市店铺',
    en: 'Shop tiers apply to market shops only',
  },
  tier_unchanged: { 'zh-CN': '店铺已是该等级', en: 'The shop is already on this tier' },
  account_not_found: { 'zh-CN': '该登录名对应的账号不存在', en: 'No account has this login' },
  already_staff: { 'zh-CN': '该账号已是本店员工', en: 'This account already works for the shop' },
  invitation_pending: {
    'zh-CN': '已向该账号发出邀请，等待对方回应',
    en: 'This account already has a pending invitation',
  },
  invitation_not_found: { 'zh-CN': '邀请不存在', en: 'Invitation not found' },
  invitation_not_pending: {
    'zh-CN': '该邀请已处理（当前状态：{status}）',
    en: 'This invitation was already answered (status: {status})',
  },
  owner_not_removable: {
    'zh-CN': '不能移除店主',
    en: 'The shop owner cannot be removed',
  },
  staff_not_found: { 'zh-CN': '该账号不是本店员工', en: 'This account does not work for the shop' },
  api_key_not_found: { 'zh-CN': 'API 密钥不存在', en: 'API key not found' },
  api_key_already_revoked: { 'zh-CN': '该 API 密钥已吊销', en: 'This API key is already revoked' },
  'field.id_number': {
    'zh-CN': '不是有效的 18 位居民身份证号码',
    en: 'is not a valid 18-character resident identity number',
  },
  'field.required_for_mall': { 'zh-CN': '商城店铺必填', en: 'is required for a mall shop' },
  'field.mall_only': { 'zh-CN': '仅适用于商城店铺', en: 'applies to mall shops only' },
  'field.insurance_market_only': {
    'zh-CN': '保证金保险计划仅适用于集市店铺，商城店铺须缴纳保证金',
    en: 'the deposit-insurance plan is for market shops only; mall shops pay a deposit',
  },
  account_not_found_field: { 'zh-CN': '该登录名对应的账号不存在', en: 'no account has this login' },
});
