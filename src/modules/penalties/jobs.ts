import { registerDeadlineHandler } from '../../kernel/scheduler';
import { ANNUAL_RESET, endPenalty, PENALTY_END, penaltyYear, resetPenaltyYear } from './penalties';

// Both handlers re-read under a lock and do nothing when the work is already done, so a deadline
// that fires late or twice is harmless.
registerDeadlineHandler(PENALTY_END, (tx, deadline, now) => endPenalty(tx, deadline.subjectId, now));
registerDeadlineHandler(ANNUAL_RESET, (tx, deadline, now) => {
  // Due at the first moment of the new year: the year before it is the one that ended.
  return resetPenaltyYear(tx, deadline.subjectId, penaltyYear(deadline.dueAt) - 1, now);
});
