import { registerDeadlineHandler } from '../../kernel/scheduler';
import {
  CONFIRM_RETURN_BY,
  ESCALATE_BY,
  onConfirmReturnBy,
  onEscalateBy,
  onRespondBy,
  onReturnShipBy,
  RESPOND_BY,
  RETURN_SHIP_BY,
} from './refunds';

registerDeadlineHandler(RESPOND_BY, (tx, d, now) => onRespondBy(tx, d.subjectId, now));
registerDeadlineHandler(ESCALATE_BY, (tx, d, now) => onEscalateBy(tx, d.subjectId, now));
registerDeadlineHandler(RETURN_SHIP_BY, (tx, d, now) => onReturnShipBy(tx, d.subjectId, now));
registerDeadlineHandler(CONFIRM_RETURN_BY, (tx, d, now) => onConfirmReturnBy(tx, d.subjectId, now));
