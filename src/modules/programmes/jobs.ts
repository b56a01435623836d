import { registerDeadlineHandler } from '../../kernel/scheduler';
import { MONTHLY_REVIEW, monthlyReview } from './programmes';

// The scheduler marks the deadline done in the same transaction as the review, so each month's
// review runs once; the review books the next one itself.
registerDeadlineHandler(MONTHLY_REVIEW, (tx, deadline, now) => monthlyReview(tx, deadline.subjectId, now));
