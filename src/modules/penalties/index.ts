// What other modules may call. After-sales adds points for upheld complaints with addPenaltyPoints;
// operators' findings come in through the routes. Penalties take effect through merchants (the
// shop's restriction, which catalog checks before listing) and catalog's search adjustments.
import './jobs';

export {
  type ActivePenalty,
  ANNUAL_RESET,
  addPenaltyPoints,
  carryOver,
  type FakeTradeInput,
  fakeTradePoints,
  heaviest,
  type NodeHit,
  nodesCrossed,
  PENALTY_END,
  type PenaltyPointsInput,
  type PenaltyResult,
  type PenaltyState,
  type PenaltyTotals,
  penaltyYear,
  penaltyYearEnd,
  recordFakeTrade,
  shopPenaltyState,
} from './penalties';
export { penaltiesRoutes } from './routes';
export { PENALTY_REASONS, PENALTY_TRACKS, type PenaltyTrack } from './schema';
