import { and, asc, desc, eq, isNotNull, lt, or, sql, type WithSubquery } from 'drizzle-orm';
import type { Db, Executor } from '../../db';
import { byShape, p, placeholders, statement } from '../../db/statements';
import { AppError, notFound } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { eventsInsert, eventValues } from '../../kernel/outbox';
import { decodeCursor, page } from '../../kernel/pagination';
import { cancelValues, deadlineCancel, deadlinesUpsert, deadlineValues } from '../../kernel/scheduler';
import { type OrderStatus, orderEvents, orderLines, orders } from './schema';
import './messages';

export type Order = typeof orders.$inferSelect;
export type OrderLine = typeof orderLines.$inferSelect;

export const PAY_BY = 'order.pay_by';
export const SHIP_BY = 'order.ship_by';
export const CONFIRM_BY = 'order.confirm_by';
/** A presale order's balance window closes: unpaid, the order closes and the deposit is forfeited. */
export const BALANCE_BY = 'order.balance_by';
export const SANDBOX_CALLBACK = 'payment.sandbox_callback';

export interface Actor {
  type: 'buyer' | 'staff' | 'system' | 'provider' | 'carrier';
  id?: string | null;
}

/** The only moves an order can make. */
const ALLOWED: Record<OrderStatus, OrderStatus[]> = {
  awaiting_payment: ['paid', 'deposit_paid', 'closed'],
  deposit_paid: ['paid', 'closed'],
  paid: ['shipped', 'closed'],
  shipped: ['succeeded', 'closed'],
  succeeded: [],
  closed: [],
};

export function canMove(from: OrderStatus, to: OrderStatus): boolean {
  return ALLOWED[from].includes(to);
}

/**
 * Moves an order from `from` to `to` with one conditional UPDATE (so of two concurrent moves only
 * one happens), records the move in order_events and emits `order.<to>`. Answers the updated order,
 * or undefined when the order was not in `from` any more.
 */
export async function transition(
  tx: Executor,
  input: {
    orderId: string;
    from: OrderStatus;
    to: OrderStatus;
    actor: Actor;
    reason?: string;
    set?: Partial<Order>;
    now: Date;
    /**
     * Deadlines of the order that move with it (of two different kinds): written in the same
     * statement as the move's event, as cancelDeadline and scheduleDeadline would.
     */
    deadlines?: { cancel?: string; schedule?: { kind: string; dueAt: Date } };
  },
): Promise<Order | undefined> {
  if (!canMove(input.from, input.to)) throw new RangeError(`order cannot move ${input.from} -> ${input.to}`);
  const set: Record<string, unknown> = { ...input.set, status: input.to };
  for (const k of Object.keys(set)) if (set[k] === undefined) delete set[k];
  const [row] = await moveStatement(Object.keys(set))(tx, {
    ...set,
    orderId: input.orderId,
    from: input.from,
  });
  if (!row) return undefined;
  // The move's event, its outbox event and its deadlines in one statement.
  const cancel = input.deadlines?.cancel;
  const schedule = input.deadlines?.schedule;
  if (cancel && cancel === schedule?.kind)
    throw new RangeError('cancel and schedule one deadline kind apart');
  await movedStatement(`${cancel ? 1 : 0}${schedule ? 1 : 0}`)(tx, {
    e_id: newId('oev'),
    e_orderId: row.id,
    e_fromStatus: input.from,
    e_toStatus: input.to,
    e_actorType: input.actor.type,
    e_actorId: input.actor.id ?? null,
    e_reason: input.reason ?? null,
    e_at: input.now,
    ...eventValues(
      'ob_',
      `order.${input.to}`,
      {
        orderId: row.id,
        shopId: row.shopId,
        buyerId: row.buyerId,
        from: input.from,
        to: input.to,
        total: row.total,
        reason: input.reason ?? null,
      },
      { key: row.id, at: input.now },
    ),
    ...(cancel ? cancelValues('c_', cancel, row.id, input.now) : {}),
    ...(schedule
      ? deadlineValues('d_', {
          kind: schedule.kind,
          subjectId: row.id,
          dueAt: schedule.dueAt,
          now: input.now,
        })
      : {}),
  });
  return row;
}

// What follows a move, by shape (cancel? schedule?), each built once (see statement()).
const movedStatement = byShape((shape: string) =>
  statement((db) => {
    const ctes: WithSubquery[] = [db.$with('moved_event').as(orderEventsInsert(db, ['e_']))];
    if (shape === '00') return eventsInsert(db, ['ob_'], ctes);
    ctes.push(db.$with('moved_outbox').as(eventsInsert(db, ['ob_'])));
    if (shape === '10') return deadlineCancel(db, 'c_', ctes);
    if (shape === '11') ctes.push(db.$with('moved_cancel').as(deadlineCancel(db, 'c_')));
    return deadlinesUpsert(db, ['d_'], ctes);
  }),
);

// The order moves are the trade paths' most frequent statements: built once per set of changed
// columns (a handful of shapes), see statement().
const moves = byShape((key: string) => {
  const columns = key.split(',');
  return statement((db) =>
    db
      .update(orders)
      .set(placeholders('', columns))
      .where(and(eq(orders.id, p('orderId')), eq(orders.status, p('from'))))
      .returning(),
  );
});
const moveStatement = (columns: string[]) => moves(columns.join(','));

/**
 * For the statement that records orders' creation along with other writes (see checkout): their
 * order_events rows (no previous status), one per prefix; their outbox events are eventsInsert() with
 * `<prefix>ob_`, and createdValues() gives the values of both.
 */
export function orderEventsInsert(db: Db, prefixes: string[]) {
  return db.insert(orderEvents).values(
    prefixes.map((x) => ({
      id: p(`${x}id`),
      orderId: p(`${x}orderId`),
      fromStatus: p(`${x}fromStatus`),
      toStatus: p(`${x}toStatus`),
      actorType: p(`${x}actorType`),
      actorId: p(`${x}actorId`),
      reason: p(`${x}reason`),
      at: p(`${x}at`),
    })),
  );
}

/** An order's creation, as the values of orderEventsInsert() and eventsInsert(). */
export function createdValues(
  prefix: string,
  order: Order,
  actor: Actor,
  now: Date,
): Record<string, unknown> {
  return {
    [`${prefix}id`]: newId('oev'),
    [`${prefix}orderId`]: order.id,
    [`${prefix}fromStatus`]: null,
    [`${prefix}toStatus`]: order.status,
    [`${prefix}actorType`]: actor.type,
    [`${prefix}actorId`]: actor.id ?? null,
    [`${prefix}reason`]: 'checkout',
    [`${prefix}at`]: now,
    ...eventValues(
      `${prefix}ob_`,
      'order.created',
      { orderId: order.id, shopId: order.shopId, buyerId: order.buyerId, total: order.total },
      { key: order.id, at: now },
    ),
  };
}

export async function getOrder(tx: Executor, orderId: string): Promise<Order | undefined> {
  const [row] = await tx.select().from(orders).where(eq(orders.id, orderId));
  return row;
}

/** The buyer's own order, or 404 (another buyer's order does not exist for them). */
export async function getBuyerOrder(tx: Executor, buyerId: string, orderId: string): Promise<Order> {
  const [row] = await tx
    .select()
    .from(orders)
    .where(and(eq(orders.id, orderId), eq(orders.buyerId, buyerId)));
  if (!row) throw notFound('order_not_found');
  return row;
}

/** The shop's order, or 404 (another shop's order does not exist for its staff). */
export async function getShopOrder(tx: Executor, shopId: string, orderId: string): Promise<Order> {
  const [row] = await tx
    .select()
    .from(orders)
    .where(and(eq(orders.id, orderId), eq(orders.shopId, shopId)));
  if (!row) throw notFound('order_not_found');
  return row;
}

export async function linesOf(tx: Executor, orderIds: string[]): Promise<Map<string, OrderLine[]>> {
  const result = new Map<string, OrderLine[]>(orderIds.map((id) => [id, []]));
  if (orderIds.length === 0) return result;
  const rows = await linesOfOrders(tx, { orderIds });
  for (const r of rows) result.get(r.orderId)?.push(r);
  return result;
}

export async function orderHistory(tx: Executor, orderId: string) {
  return tx
    .select()
    .from(orderEvents)
    .where(eq(orderEvents.orderId, orderId))
    .orderBy(asc(orderEvents.at), asc(orderEvents.id));
}

const badCursor = () =>
  new AppError(400, 'bad_cursor', {}, [{ path: '/cursor', in: 'query', code: 'field.invalid' }]);

/** Newest first, paged by (createdAt, id). */
export async function listOrders(
  tx: Executor,
  scope: { buyerId?: string; shopId?: string },
  query: { status?: OrderStatus; shipByBefore?: Date; cursor?: string; limit?: number },
) {
  const limit = query.limit ?? 20;
  const after = decodeCursor<{ c?: unknown; i?: unknown }>(query.cursor);
  const where = [
    scope.buyerId ? eq(orders.buyerId, scope.buyerId) : undefined,
    scope.shopId ? eq(orders.shopId, scope.shopId) : undefined,
    query.status ? eq(orders.status, query.status) : undefined,
    query.shipByBefore ? and(eq(orders.status, 'paid'), lt(orders.shipBy, query.shipByBefore)) : undefined,
  ];
  if (after) {
    if (typeof after.c !== 'string' || typeof after.i !== 'string' || Number.isNaN(Date.parse(after.c))) {
      throw badCursor();
    }
    const c = new Date(after.c);
    where.push(or(lt(orders.createdAt, c), and(eq(orders.createdAt, c), lt(orders.id, after.i))));
  }
  const rows = await tx
    .select()
    .from(orders)
    .where(and(...where))
    .orderBy(desc(orders.createdAt), desc(orders.id))
    .limit(limit + 1);
  return page(rows, limit, (o) => ({ c: o.createdAt.toISOString(), i: o.id }));
}

/** Orders of one payment, locked for the rest of the transaction. */
/** The orders a payment pays: those of its checkout, or the presale order whose balance it is. */
export async function ordersOfPayment(tx: Executor, paymentId: string): Promise<Order[]> {
  return lockedOrdersOfPayment(tx, { paymentId });
}

const lockedOrdersOfPayment = statement((db) =>
  db
    .select()
    .from(orders)
    .where(or(eq(orders.paymentId, p('paymentId')), eq(orders.balancePaymentId, p('paymentId'))))
    .orderBy(asc(orders.id))
    .for('update'),
);
const linesOfOrders = statement((db) =>
  db
    .select()
    .from(orderLines)
    .where(sql`${orderLines.orderId} = any(${p('orderIds')}::text[])`)
    .orderBy(asc(orderLines.id)),
);

/** 13812345678 -> 138****5678; shorter numbers keep only their last two digits. */
export function maskPhone(phone: string): string {
  if (phone.length >= 11) return `${phone.slice(0, 3)}****${phone.slice(-4)}`;
  return `${'*'.repeat(Math.max(0, phone.length - 2))}${phone.slice(-2)}`;
}

/** 张三丰 -> 张**. */
export function maskName(name: string): string {
  const chars = [...name];
  return `${chars[0] ?? ''}${'*'.repeat(Math.max(1, chars.length - 1))}`;
}

export function deadlinesOf(o: Order) {
  return {
    payBy: o.status === 'awaiting_payment' && o.payBy ? o.payBy.toISOString() : undefined,
    balanceBy: o.status === 'deposit_paid' && o.balanceBy ? o.balanceBy.toISOString() : undefined,
    shipBy: o.status === 'paid' && o.shipBy && !o.shipHold ? o.shipBy.toISOString() : undefined,
    confirmBy: o.status === 'shipped' && o.confirmBy ? o.confirmBy.toISOString() : undefined,
  };
}

export function orderView(o: Order, lines: OrderLine[], opts: { masked?: boolean } = {}) {
  const address = opts.masked
    ? {
        name: maskName(o.address.name),
        phone: maskPhone(o.address.phone),
        region: o.address.region,
        line: '****',
      }
    : o.address;
  return {
    id: o.id,
    shopId: o.shopId,
    shopKind: o.shopKind,
    rulesVersion: o.rulesVersion,
    paymentId: o.paymentId,
    status: o.status,
    total: o.total,
    pointsAmount: o.pointsAmount,
    currency: o.currency,
    address,
    lines: lines.map((l) => ({
      id: l.id,
      skuId: l.skuId,
      productId: l.productId,
      title: l.title,
      attributes: l.attributes,
      image: l.image,
      unitPrice: l.unitPrice,
      quantity: l.quantity,
      lineTotal: l.lineTotal,
      paidAmount: l.paidAmount,
      pointsAmount: l.pointsAmount,
      refundedQuantity: l.refundedQuantity,
      refundedAmount: l.refundedAmount,
    })),
    returnInsurance: { providedBy: o.returnInsurance, premium: o.returnInsurancePremium },
    deadlines: deadlinesOf(o),
    campaign: o.campaignKind ? { kind: o.campaignKind, id: o.campaignId! } : null,
    shipHold: o.shipHold,
    presale:
      o.depositAmount > 0
        ? {
            deposit: o.depositAmount,
            balance: o.total - o.depositAmount,
            depositPaidAt: o.depositPaidAt?.toISOString() ?? null,
            balanceFrom: o.balanceFrom?.toISOString() ?? null,
            balanceBy: o.balanceBy?.toISOString() ?? null,
            balancePaymentId: o.balancePaymentId,
            announcedShipBy: o.announcedShipBy?.toISOString() ?? null,
          }
        : null,
    shipByCampaignId: o.shipByCampaignId,
    shipLate: o.shipLate,
    receiptPaused: o.receiptPausedMs !== null,
    createdAt: o.createdAt.toISOString(),
    paidAt: o.paidAt?.toISOString() ?? null,
    shippedAt: o.shippedAt?.toISOString() ?? null,
    succeededAt: o.succeededAt?.toISOString() ?? null,
    closedAt: o.closedAt?.toISOString() ?? null,
    closeReason: o.closeReason,
  };
}

/** On-time shipping over the last `days`: orders whose ship-by fell due in that window. */
export async function shippingStats(tx: Executor, shopId: string, now: Date, days = 30) {
  const since = new Date(now.getTime() - days * 86_400_000);
  const [row] = await tx
    .select({
      due: sql<number>`count(*)::int`,
      late: sql<number>`count(*) filter (where ${orders.shipLate})::int`,
    })
    .from(orders)
    .where(
      and(
        eq(orders.shopId, shopId),
        sql`${orders.shipBy} > ${since.toISOString()}::timestamptz`,
        sql`${orders.shipBy} <= ${now.toISOString()}::timestamptz`,
      ),
    );
  const due = Number(row?.due ?? 0);
  const late = Number(row?.late ?? 0);
  return { days, due, onTime: due - late, late, onTimeRate: due === 0 ? null : (due - late) / due };
}

/** Units of a category picked up by carriers in [since, until), per shop: what return rates divide by. */
export async function shippedUnitsByShop(
  tx: Executor,
  input: { categoryId: string; since: Date; until: Date },
): Promise<Map<string, number>> {
  const rows = await tx
    .select({ shopId: orders.shopId, units: sql<number>`sum(${orderLines.quantity})::int` })
    .from(orderLines)
    .innerJoin(orders, eq(orders.id, orderLines.orderId))
    .where(
      and(
        eq(orderLines.categoryId, input.categoryId),
        sql`${orders.shippedAt} >= ${input.since.toISOString()}::timestamptz`,
        sql`${orders.shippedAt} < ${input.until.toISOString()}::timestamptz`,
      ),
    )
    .groupBy(orders.shopId);
  return new Map(rows.map((r) => [r.shopId, Number(r.units)]));
}

/** Whether the buyer has ever paid for an order (new-buyer coupons go to those who have not). */
export async function hasPaidOrder(tx: Executor, buyerId: string): Promise<boolean> {
  const [row] = await tx
    .select({ id: orders.id })
    .from(orders)
    .where(and(eq(orders.buyerId, buyerId), isNotNull(orders.paidAt)))
    .limit(1);
  return !!row;
}
