export { governanceRoutes } from './routes';
export {
  DEFAULTS_EFFECTIVE_FROM,
  ensureDefaultRuleSets,
  listRuleSets,
  publishRuleSet,
  type RuleSet,
  rulesFor,
} from './rule-sets';
export {
  commissionRateBp,
  DEFAULT_RULES,
  DISCOUNT_KINDS,
  type DiscountKindName,
  depositAmount,
  MALL_TYPES,
  type MallType,
  promotionRules,
  type Rules,
  RulesSchema,
  returnInsuranceRules,
  ruleProblems,
  SHOP_KINDS,
  type ShopKind,
  ShopKindSchema,
  sellerExtendDays,
  TRADEMARK_STATUSES,
  type TrademarkStatus,
} from './rules';
