import { registerDeadlineHandler } from '../../kernel/scheduler';
import { setOrderExistsCheck, setPaidOrderCheck } from '../promotions';
import { forfeitDeposit } from './campaign-orders';
import { closeUnpaid, markShipLate } from './fulfilment';
import { BALANCE_BY, CONFIRM_BY, getOrder, hasPaidOrder, PAY_BY, SANDBOX_CALLBACK, SHIP_BY } from './orders';
import { deliverSandboxCallback } from './payments';
import { autoConfirm } from './receipt';

registerDeadlineHandler(PAY_BY, async (tx, d, now) => {
  await closeUnpaid(tx, d.subjectId, now);
});

registerDeadlineHandler(BALANCE_BY, async (tx, d, now) => {
  await forfeitDeposit(tx, d.subjectId, now);
});

registerDeadlineHandler(SHIP_BY, async (tx, d, now) => {
  await markShipLate(tx, d.subjectId, now);
});

registerDeadlineHandler(CONFIRM_BY, async (tx, d, now) => {
  await autoConfirm(tx, d.subjectId, now);
});

registerDeadlineHandler(SANDBOX_CALLBACK, async (tx, d, now) => {
  await deliverSandboxCallback(tx, d.subjectId, String(d.payload.chargeId), now);
});

setPaidOrderCheck(hasPaidOrder);
// A flash-sale claim whose order never appeared is released (see releaseUnplacedClaims).
setOrderExistsCheck(async (tx, orderId) => (await getOrder(tx, orderId)) !== undefined);
