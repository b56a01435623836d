// What other modules may call. The data bank takes purchases from trade (order.paid), reviews
// (review.created / review.revised) and the catalogue's products through the outbox (see jobs.ts);
// promotions may use a segment as a coupon audience through segmentAudience.
import './jobs';
import './messages';

export { flows, funnel, rebuildAllFacts, recomputeFacts, takeSnapshot } from './aipl';
export { type AiplWindows, EVENT_KINDS, type EventKind, STAGES, type Stage, stageOf } from './aipl-rules';
export { segmentAudience } from './audience';
export { runImportEvents } from './cli';
export { LAYERS, type Layer, membershipOf } from './crm';
export {
  type BehaviourEvent,
  copyEvents,
  ensurePartitions,
  insertEvents,
  recordItem,
  storeEvents,
} from './events';
export { importUserBehavior } from './import';
export { databankRoutes } from './routes';
