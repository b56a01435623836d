import { registerDeadlineHandler } from '../../kernel/scheduler';
import {
  DEPOSIT_RELEASE,
  expireTier,
  INSURANCE_EXPIRY,
  lapseInsurance,
  releaseDeposit,
  TIER_EXPIRY,
} from './shops';

// Each handler re-reads the shop under a lock and does nothing when a payment or a closure got
// there first, so a deadline that fires late or twice is harmless.
registerDeadlineHandler(INSURANCE_EXPIRY, (tx, deadline, now) => lapseInsurance(tx, deadline.subjectId, now));
registerDeadlineHandler(TIER_EXPIRY, (tx, deadline, now) => expireTier(tx, deadline.subjectId, now));
registerDeadlineHandler(DEPOSIT_RELEASE, (tx, deadline, now) => releaseDeposit(tx, deadline.subjectId, now));
