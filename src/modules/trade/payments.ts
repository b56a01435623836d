import { and, desc, eq, gt, isNull, lte, or, sql } from 'drizzle-orm';
import type { Executor } from '../../db';
import { p, statement } from '../../db/statements';
import { AppError, conflict, notFound } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { emit, eventsInsert, eventValues } from '../../kernel/outbox';
import { deadlinesUpsert, deadlineValues } from '../../kernel/scheduler';
import { rulesFor } from '../governance';
import { PLATFORM_CASH, PLATFORM_ESCROW, platformAccount, postTransaction } from '../ledger';
import { confirmPromotions } from '../promotions';
import { orderPaidHooks } from './hooks';
import {
  BALANCE_BY,
  type Order,
  ordersOfPayment,
  PAY_BY,
  SANDBOX_CALLBACK,
  SHIP_BY,
  transition,
} from './orders';
import { orderLines, orders, paymentNotifications, payments, shipDeadlineCampaigns } from './schema';
import { signPayload, verifySignature } from './signatures';
import './messages';

/** Premiums of return-shipping insurance, bought by buyers or given by shops. */
export const RETURN_INSURANCE_REVENUE = platformAccount('revenue', 'return_insurance');

export type Payment = typeof payments.$inferSelect;

/**
 * A payment provider. `startCharge` records nothing itself: it answers the provider's charge id and
 * arranges, the provider's way, for the signed notification that will follow. A provider whose
 * notification is a durable deadline of this database (the sandbox) answers it as `callback`, and
 * startPayment schedules it with the payment's move to `processing`, in the same statement.
 */
export interface PaymentProvider {
  name: string;
  startCharge(
    tx: Executor,
    payment: Payment,
    now: Date,
  ): Promise<{
    chargeId: string;
    callback?: { kind: string; dueAt: Date; payload: Record<string, unknown> };
  }>;
}

/** Shared secrets of providers and carriers, set from configuration when the routes register. */
const secrets = new Map<string, string>();

export function configureSecrets(input: { sandboxSecret: string }): void {
  secrets.set('sandbox', input.sandboxSecret);
}

export function providerSecret(provider: string): string | undefined {
  return secrets.get(provider);
}

/** The built-in sandbox: the charge succeeds at once and its callback is a durable deadline due now. */
export const sandboxProvider: PaymentProvider = {
  name: 'sandbox',
  async startCharge(_tx, _payment, now) {
    const chargeId = newId('ch');
    return { chargeId, callback: { kind: SANDBOX_CALLBACK, dueAt: now, payload: { chargeId } } };
  },
};

const providers = new Map<string, PaymentProvider>([[sandboxProvider.name, sandboxProvider]]);

export function getProvider(name: string): PaymentProvider | undefined {
  return providers.get(name);
}

/** The body the sandbox provider sends for a successful charge. */
export function sandboxNotification(payment: { id: string; amount: number }, chargeId: string, at: Date) {
  return {
    provider: 'sandbox',
    paymentId: payment.id,
    chargeId,
    amount: payment.amount,
    status: 'succeeded' as const,
    at: at.toISOString(),
  };
}

export async function getBuyerPayment(tx: Executor, buyerId: string, paymentId: string): Promise<Payment> {
  const [row] = await buyerPayment(tx, { paymentId, buyerId });
  if (!row) throw notFound('payment_not_found');
  return row;
}

// The statements of the pay and callback paths are built once (see statement()).
const buyerPayment = statement((db) =>
  db
    .select()
    .from(payments)
    .where(and(eq(payments.id, p('paymentId')), eq(payments.buyerId, p('buyerId')))),
);
const lockedPayment = statement((db) =>
  db
    .select()
    .from(payments)
    .where(eq(payments.id, p('paymentId')))
    .for('update'),
);
// With its `payment.processing` event, and the provider's callback deadline when it has one (the
// sandbox's, scheduled as scheduleDeadline would): a payment that is no longer pending answers no
// row, and the caller's 409 rolls the event and the deadline back.
const markProcessingStatements = [false, true].map((withCallback) =>
  statement((db) =>
    db
      .with(
        ...(withCallback ? [db.$with('callback').as(deadlinesUpsert(db, ['dl_']))] : []),
        db.$with('processing_event').as(eventsInsert(db, ['ev_'])),
      )
      .update(payments)
      .set({ status: 'processing', provider: p('provider'), chargeId: p('chargeId') } as never)
      .where(and(eq(payments.id, p('paymentId')), eq(payments.status, 'pending')))
      .returning(),
  ),
) as [MarkProcessing, MarkProcessing];
type MarkProcessing = (ex: Executor, values: Record<string, unknown>) => Promise<Payment[]>;
const insertNotification = statement((db) =>
  db
    .insert(paymentNotifications)
    .values({
      id: p('id'),
      provider: p('provider'),
      chargeId: p('chargeId'),
      paymentId: p('paymentId'),
      amount: p('amount'),
      status: p('status'),
      outcome: p('outcome'),
      body: p('body'),
      receivedAt: p('at'),
    })
    .onConflictDoNothing()
    .returning({ id: paymentNotifications.id }),
);
// With its `payment.succeeded` event.
const settlePayment = statement((db) =>
  db
    .with(db.$with('settled_event').as(eventsInsert(db, ['ev_'])))
    .update(payments)
    .set({ status: p('status'), paidAt: p('at'), refundedAt: p('refundedAt') } as never)
    .where(eq(payments.id, p('paymentId'))),
);

/**
 * The buyer pays: a pending charge is opened with the provider and the payment is `processing` until
 * the provider's notification arrives. Paying again while processing answers the same.
 */
export async function startPayment(
  tx: Executor,
  buyerId: string,
  paymentId: string,
  providerName: string,
  now: Date,
): Promise<Payment> {
  const payment = await getBuyerPayment(tx, buyerId, paymentId);
  if (payment.status === 'processing') return payment;
  if (payment.status !== 'pending') throw conflict('payment_not_payable', { status: payment.status });
  const provider = getProvider(providerName);
  if (!provider) throw new AppError(422, 'unknown_provider', { provider: providerName });
  const { chargeId, callback } = await provider.startCharge(tx, payment, now);
  const [row] = await markProcessingStatements[callback ? 1 : 0](tx, {
    ...(callback ? deadlineValues('dl_', { ...callback, subjectId: paymentId, now }) : {}),
    provider: provider.name,
    chargeId,
    paymentId,
    ...eventValues(
      'ev_',
      'payment.processing',
      { paymentId, chargeId, amount: payment.amount },
      { key: paymentId, at: now },
    ),
  });
  if (!row) throw conflict('payment_not_payable', { status: 'changed' });
  return row;
}

export interface Notification {
  provider: string;
  paymentId: string;
  chargeId: string;
  amount: number;
  status: 'succeeded' | 'failed';
  at?: string;
}

export type NotificationOutcome = 'paid' | 'refunded' | 'partially_refunded' | 'failed' | 'duplicate';

const signatureInvalid = () => new AppError(401, 'signature_invalid');

/** Parses a notification body; a body that is not one answers 400. */
export function parseNotification(rawBody: string): Notification {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw new AppError(400, 'bad_json');
  }
  const b = body as Partial<Notification>;
  const fields: { path: string; in: 'body'; code: string }[] = [];
  for (const k of ['provider', 'paymentId', 'chargeId'] as const) {
    if (typeof b?.[k] !== 'string' || !b[k])
      fields.push({ path: `/${k}`, in: 'body', code: 'field.required' });
  }
  if (!Number.isSafeInteger(b?.amount)) fields.push({ path: '/amount', in: 'body', code: 'field.required' });
  if (b?.status !== 'succeeded' && b?.status !== 'failed') {
    fields.push({ path: '/status', in: 'body', code: 'field.required' });
  }
  if (fields.length) throw new AppError(400, 'validation_failed', {}, fields, 'validation_failed_detail');
  return b as Notification;
}

/**
 * The one door for provider notifications, used by the HTTP callback route and by the sandbox's own
 * delivery: checks the signature (401 and no change when it fails), then applies the notification.
 */
export async function receiveNotification(
  tx: Executor,
  input: { provider: string; rawBody: string; signature: string | undefined },
  now: Date,
  locked?: Payment,
): Promise<{ paymentId: string; outcome: NotificationOutcome }> {
  const secret = providerSecret(input.provider);
  if (!secret) throw new AppError(404, 'unknown_provider', { provider: input.provider });
  if (!verifySignature(secret, input.rawBody, input.signature, now).ok) throw signatureInvalid();
  const n = parseNotification(input.rawBody);
  if (n.provider !== input.provider) throw signatureInvalid();
  return applyNotification(tx, n, input.rawBody, now, locked);
}

/**
 * The ship-by moment of a paid order: a ship-deadline campaign whose window holds the payment wins
 * (the latest ship-by when several do); else the smallest promise when every line makes one, else
 * the kind's rule. `campaignId` names the campaign that decided it.
 */
export async function shipByFor(
  tx: Executor,
  order: Order,
  paidAt: Date,
  known?: ShipFacts,
): Promise<{ shipBy: Date; campaignId: string | null }> {
  const facts = known ?? (await shipFactsOf(tx, [order.id], paidAt)).get(order.id);
  if (facts?.campaignId && facts.campaignShipBy)
    return { shipBy: facts.campaignShipBy, campaignId: facts.campaignId };
  let hours: number;
  if (facts && facts.lines > 0 && facts.promised === facts.lines && facts.minHours !== null)
    hours = facts.minHours;
  else hours = (await rulesFor(tx, order.shopKind, order.createdAt)).rules.shipping.deadlineHours;
  return { shipBy: new Date(paidAt.getTime() + hours * 3_600_000), campaignId: null };
}

/** What decides an order's ship-by besides the rules: its campaign and its lines' promises. */
interface ShipFacts {
  orderId: string;
  campaignId: string | null;
  campaignShipBy: Date | null;
  lines: number;
  /** Lines that make a ship-within promise. */
  promised: number;
  /** The smallest promise, in hours. */
  minHours: number | null;
}

/**
 * The ship-by facts of orders paid at `paidAt`, in one read for the whole payment: the campaign that
 * decides (among those whose window holds the moment and that cover the order's shop kind, the one
 * with the latest ship-by), and the count and smallest of the lines' ship-within promises.
 */
async function shipFactsOf(tx: Executor, orderIds: string[], paidAt: Date): Promise<Map<string, ShipFacts>> {
  if (orderIds.length === 0) return new Map();
  const rows = (await shipFactsStatement(tx, { orderIds, paidAt })) as ShipFacts[];
  return new Map(rows.map((r) => [r.orderId, r]));
}

const shipFactsStatement = statement((db) => {
  const c = shipDeadlineCampaigns;
  // The deciding campaign, for each order's shop kind.
  const campaign = db
    .select({ id: c.id, shipBy: c.shipBy })
    .from(c)
    .where(
      and(
        lte(c.paidFrom, p('paidAt')),
        gt(c.paidUntil, p('paidAt')),
        or(isNull(c.shopKind), eq(c.shopKind, orders.shopKind)),
      ),
    )
    .orderBy(desc(c.shipBy), desc(c.createdAt))
    .limit(1)
    .as('campaign');
  const l = orderLines;
  return db
    .select({
      orderId: orders.id,
      campaignId: campaign.id,
      campaignShipBy: campaign.shipBy,
      lines: sql<number>`(select count(*)::int from ${l} where ${l.orderId} = ${orders.id})`,
      promised: sql<number>`(select count(${l.shipWithinHours})::int from ${l} where ${l.orderId} = ${orders.id})`,
      minHours: sql<
        number | null
      >`(select min(${l.shipWithinHours})::int from ${l} where ${l.orderId} = ${orders.id})`,
    })
    .from(orders)
    .leftJoinLateral(campaign, sql`true`)
    .where(sql`${orders.id} = any(${p('orderIds')}::text[])`);
});

/**
 * Applies a verified notification exactly once (the unique (provider, charge) row makes a replay a
 * no-op). A success moves the money into escrow and every order of the payment to `paid`, in one
 * transaction. Orders that already closed unpaid are not revived: their share goes straight back
 * to the buyer through the ledger and the notification is recorded as `refunded`. `locked`: the
 * payment, when the caller has already locked it in this transaction (lockPayment).
 */
export async function applyNotification(
  tx: Executor,
  n: Notification,
  rawBody: string,
  now: Date,
  locked?: Payment,
): Promise<{ paymentId: string; outcome: NotificationOutcome }> {
  const payment = locked?.id === n.paymentId ? locked : await lockPayment(tx, n.paymentId);
  if (!payment) throw notFound('payment_not_found');
  if (payment.provider !== n.provider || payment.chargeId !== n.chargeId) {
    throw conflict('payment_charge_mismatch');
  }
  if (n.amount !== payment.amount) {
    throw conflict('payment_amount_mismatch', { amount: n.amount, expected: payment.amount });
  }
  const record = async (outcome: NotificationOutcome) =>
    insertNotification(tx, {
      id: newId('pnt'),
      provider: n.provider,
      chargeId: n.chargeId,
      paymentId: n.paymentId,
      amount: n.amount,
      status: n.status,
      outcome,
      body: JSON.parse(rawBody) as object,
      at: now,
    });
  if (payment.status !== 'processing') return { paymentId: payment.id, outcome: 'duplicate' };

  if (n.status === 'failed') {
    if ((await record('failed')).length === 0) return { paymentId: payment.id, outcome: 'duplicate' };
    await tx
      .update(payments)
      .set({ status: 'pending', provider: null, chargeId: null })
      .where(eq(payments.id, payment.id));
    await emit(tx, 'payment.failed', { paymentId: payment.id }, { key: payment.id, at: now });
    return { paymentId: payment.id, outcome: 'failed' };
  }

  const orderRows = await ordersOfPayment(tx, payment.id);
  // A presale order is paid twice: its deposit through `paymentId`, its balance through
  // `balancePaymentId`. Each leg finds the order in the status it expects, or it is lost.
  const isBalance = (o: (typeof orderRows)[number]) => o.balancePaymentId === payment.id;
  const payable = orderRows.filter((o) => o.status === (isBalance(o) ? 'deposit_paid' : 'awaiting_payment'));
  const lost = orderRows.filter((o) => !payable.includes(o));
  const boughtCover = (o: (typeof orderRows)[number]) =>
    o.returnInsurance === 'buyer' ? o.returnInsurancePremium : 0;
  // Closed orders get back everything this payment paid for them, the insurance bought with them
  // included. Their points went back when they closed: only the cash part is owed.
  const shareOf = (o: (typeof orderRows)[number]) =>
    isBalance(o)
      ? o.total - o.depositAmount
      : o.depositAmount > 0
        ? o.depositAmount
        : o.total - o.pointsAmount + boughtCover(o);
  const refund = lost.reduce((s, o) => s + shareOf(o), 0);
  const premiums = payable.reduce((s, o) => s + (isBalance(o) ? 0 : boughtCover(o)), 0);
  const outcome: NotificationOutcome =
    payable.length === 0 ? 'refunded' : refund > 0 ? 'partially_refunded' : 'paid';
  if ((await record(outcome)).length === 0) return { paymentId: payment.id, outcome: 'duplicate' };

  const actor = { type: 'provider', id: n.provider } as const;
  // The ship-by facts of the orders that start their ship-by clock now, read at once.
  const isDeposit = (o: Order) => !isBalance(o) && o.depositAmount > 0;
  const shipFacts = await shipFactsOf(
    tx,
    payable.filter((o) => !isDeposit(o) && !o.shipHold).map((o) => o.id),
    now,
  );
  for (const order of payable) {
    let moved: Order | undefined;
    if (isDeposit(order)) {
      // A presale deposit: the order now waits for its balance, and closes if that never comes.
      moved = await transition(tx, {
        orderId: order.id,
        from: 'awaiting_payment',
        to: 'deposit_paid',
        actor,
        reason: 'deposit_paid',
        set: { depositPaidAt: now },
        now,
        deadlines: { cancel: PAY_BY, schedule: { kind: BALANCE_BY, dueAt: order.balanceBy! } },
      });
      if (!moved) continue; // cannot happen: the rows are locked
    } else if (order.shipHold) {
      // A group-buy order: paid, but its ship-by starts when the group fills (releaseShipHold).
      moved = await transition(tx, {
        orderId: order.id,
        from: 'awaiting_payment',
        to: 'paid',
        actor,
        reason: 'payment_succeeded',
        set: { paidAt: now },
        now,
        deadlines: { cancel: PAY_BY },
      });
      if (!moved) continue;
    } else {
      const balance = isBalance(order);
      const ruled = await shipByFor(tx, order, now, shipFacts.get(order.id));
      // A presale ships by the announced date when there is one, else from the balance payment.
      const shipBy = balance && order.announcedShipBy ? order.announcedShipBy : ruled.shipBy;
      moved = await transition(tx, {
        orderId: order.id,
        from: balance ? 'deposit_paid' : 'awaiting_payment',
        to: 'paid',
        actor,
        reason: balance ? 'balance_paid' : 'payment_succeeded',
        set: {
          paidAt: now,
          shipBy,
          shipByCampaignId: balance && order.announcedShipBy ? null : ruled.campaignId,
        },
        now,
        deadlines: { cancel: balance ? BALANCE_BY : PAY_BY, schedule: { kind: SHIP_BY, dueAt: shipBy } },
      });
      if (!moved) continue;
    }
    await orderPaidHooks(tx, moved, now);
  }
  if (payable.length) {
    await confirmPromotions(
      tx,
      payment.id,
      payable.map((o) => o.id),
      now,
    );
  }
  // The platform's cash and escrow rows are every payment's: moved last, so concurrent callbacks
  // wait on them for the end of the transaction only.
  await postTransaction(tx, {
    kind: 'payment',
    memo: `payment ${payment.id} (${n.provider} ${n.chargeId})`,
    ref: payment.id,
    postings: [
      { account: PLATFORM_CASH, amount: payment.amount },
      { account: PLATFORM_ESCROW, amount: -(payment.amount - premiums) },
      ...(premiums > 0 ? [{ account: RETURN_INSURANCE_REVENUE, amount: -premiums }] : []),
    ],
    now,
  });
  if (refund > 0) {
    await postTransaction(tx, {
      kind: 'payment_refund',
      memo: `late payment ${payment.id} for closed orders returned to the buyer`,
      ref: payment.id,
      postings: [
        { account: PLATFORM_ESCROW, amount: refund },
        { account: PLATFORM_CASH, amount: -refund },
      ],
      now,
    });
  }
  await settlePayment(tx, {
    status: outcome === 'refunded' ? 'refunded' : 'succeeded',
    at: now,
    refundedAt: refund > 0 ? now : null,
    paymentId: payment.id,
    ...eventValues(
      'ev_',
      'payment.succeeded',
      { paymentId: payment.id, amount: payment.amount, refunded: refund, outcome },
      { key: payment.id, at: now },
    ),
  });
  return { paymentId: payment.id, outcome };
}

/** The sandbox provider delivering its callback: signed like any other, through the same door. */
export async function deliverSandboxCallback(
  tx: Executor,
  paymentId: string,
  chargeId: string,
  now: Date,
): Promise<void> {
  // Locked here rather than read: the notification is applied to this very row just below.
  const payment = await lockPayment(tx, paymentId);
  if (!payment || payment.chargeId !== chargeId) return; // the charge was superseded
  const secret = providerSecret('sandbox');
  if (!secret) throw new Error('the sandbox secret is not configured');
  const rawBody = JSON.stringify(sandboxNotification(payment, chargeId, now));
  await receiveNotification(
    tx,
    { provider: 'sandbox', rawBody, signature: signPayload(secret, rawBody, now) },
    now,
    payment,
  );
}

export async function lockPayment(tx: Executor, paymentId: string): Promise<Payment | undefined> {
  const [row] = await lockedPayment(tx, { paymentId });
  return row;
}

/** When every order of a pending payment has closed, the payment closes too (it can no longer be paid). */
export async function closePaymentIfAbandoned(tx: Executor, paymentId: string): Promise<void> {
  const rows = await ordersOfPayment(tx, paymentId);
  if (rows.every((o) => o.status === 'closed')) {
    await tx
      .update(payments)
      .set({ status: 'closed' })
      .where(and(eq(payments.id, paymentId), eq(payments.status, 'pending')));
  }
}
