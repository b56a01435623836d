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
  depositAmount,
  MALL_TYPES,
  type MallType,
  type Rules,
  RulesSchema,
  returnInsuranceRules,
  ruleProblems,
  SHOP_KINDS,
  type ShopKind,
  ShopKindSchema,
  TRADEMARK_STATUSES,
  type TrademarkStatus,
} from './rules';
