// What other modules may call. The storefront shows a shop's badges with shopBadges; events
// `programme.member_admitted` and `programme.member_demoted` tell who joined or left a programme.
import './jobs';

export {
  type Criteria,
  type CriterionResult,
  DEFAULT_CRITERIA,
  evaluateCriteria,
  nextMonthlyReview,
  type ShopInputs,
} from './criteria';
export {
  type Badge,
  badgesByShop,
  createProgramme,
  evaluateProgramme,
  getProgramme,
  MONTHLY_REVIEW,
  type Programme,
  shopBadges,
  shopProgrammes,
} from './programmes';
export { type QualityCheck, recordQualityCheck } from './quality-checks';
export { programmesRoutes } from './routes';
