import { registerDeadlineHandler } from '../../kernel/scheduler';
import { expireLot, POINTS_EXPIRY } from './points';

registerDeadlineHandler(POINTS_EXPIRY, async (tx, d, now) => {
  await expireLot(tx, d.subjectId, now);
});
