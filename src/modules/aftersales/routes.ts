import { type TSchema, Type } from 'typebox';
import { command } from '../../kernel/command';
import type { App } from '../../kernel/context';
import { Amount } from '../../kernel/money';
import { PageQuery, pageSchema } from '../../kernel/pagination';
import { requireBuyer, requireOperator } from '../identity';
import { requireShopRole } from '../merchants';
import { PENALTY_TRACKS } from '../penalties';
import { getBuyerOrder } from '../trade';
import {
  compensateVoluntarily,
  complaintView,
  dismissComplaint,
  fileComplaint,
  listComplaints,
  upholdComplaint,
} from './complaints';
import {
  approveRefund,
  confirmReturn,
  decideRefund,
  escalateRefund,
  getBuyerRefund,
  getShopRefund,
  linesOfRefunds,
  listRefunds,
  type Refund,
  refundHistory,
  refundLinesOf,
  refundView,
  refuseRefund,
  requestRefund,
  shipReturn,
  withdrawRefund,
} from './refunds';
import {
  COMPLAINT_REASONS,
  REFUND_KINDS,
  REFUND_REASONS,
  REFUND_STATUSES,
  SYSTEM_REFUND_REASONS,
} from './schema';
import './messages';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Id = Type.String({ minLength: 1, maxLength: 64 });
const DateTime = Type.String({ format: 'date-time' });
const Note = Type.String({ minLength: 1, maxLength: 1000 });
const IdParams = Type.Object({ id: Id });
const ShopParams = Type.Object({ shopId: Id });
const ShopIdParams = Type.Object({ shopId: Id, id: Id });
/** Staff who handle after-sales: customer service; the owner may do everything. */
const SERVICE_ROLES = ['service', 'operations'] as const;

const RefundView = Type.Object({
  id: Type.String(),
  orderId: Type.String(),
  shopId: Type.String(),
  kind: Type.Enum([...REFUND_KINDS]),
  reason: Type.Enum([...REFUND_REASONS, ...SYSTEM_REFUND_REASONS]),
  detail: Nullable(Type.String()),
  stage: Type.Enum(['unshipped', 'shipped', 'succeeded'], {
    description: 'where the order stood when asked',
  }),
  status: Type.Enum([...REFUND_STATUSES]),
  amount: Amount,
  lines: Type.Array(
    Type.Object({
      orderLineId: Type.String(),
      skuId: Type.String(),
      quantity: Type.Integer(),
      amount: Amount,
    }),
  ),
  actBy: Nullable(DateTime),
  refusalReason: Nullable(Type.String()),
  returnShipment: Nullable(
    Type.Object({ carrier: Type.String(), trackingNo: Type.String(), postage: Amount }),
  ),
  postagePaidBy: Nullable(Type.Enum(['seller', 'insurance', 'buyer'])),
  postageRefund: Amount,
  fundedFrom: Nullable(Type.Enum(['escrow', 'shop'])),
  decisionNote: Nullable(Type.String()),
  createdAt: DateTime,
  refundedAt: Nullable(DateTime),
  closedAt: Nullable(DateTime),
  closeReason: Nullable(Type.String()),
});
const RefundDetail = Type.Object({
  ...RefundView.properties,
  history: Type.Array(
    Type.Object({
      from: Nullable(Type.String()),
      to: Type.String(),
      actor: Type.String(),
      note: Nullable(Type.String()),
      at: DateTime,
    }),
  ),
});
const ComplaintView = Type.Object({
  id: Type.String(),
  orderId: Type.String(),
  shopId: Type.String(),
  reason: Type.Enum([...COMPLAINT_REASONS]),
  detail: Nullable(Type.String()),
  status: Type.Enum(['open', 'upheld', 'dismissed']),
  compensation: Amount,
  compensationPayout: Nullable(Type.Enum(['cash', 'points'])),
  compensatedAt: Nullable(DateTime),
  compensatedVoluntarily: Type.Boolean(),
  penaltyPoints: Type.Integer(),
  decisionNote: Nullable(Type.String()),
  decidedAt: Nullable(DateTime),
  createdAt: DateTime,
});
const RefundListQuery = Type.Object(
  {
    ...PageQuery,
    status: Type.Optional(Type.Enum([...REFUND_STATUSES])),
    open: Type.Optional(Type.Boolean({ description: 'only requests still in progress' })),
  },
  { additionalProperties: false },
);
const ComplaintListQuery = Type.Object(
  { ...PageQuery, status: Type.Optional(Type.Enum(['open', 'upheld', 'dismissed'])) },
  { additionalProperties: false },
);

export async function aftersalesRoutes(app: App): Promise<void> {
  const { clock, database } = app.jishi;
  const tags = ['after-sales'];

  const one = async (tx: Parameters<typeof refundLinesOf>[0], r: Refund) =>
    refundView(r, await refundLinesOf(tx, r.id));
  const many = async (result: { items: Refund[]; nextCursor: string | null }) => {
    const lines = await linesOfRefunds(
      database.db,
      result.items.map((r) => r.id),
    );
    return {
      items: result.items.map((r) => refundView(r, lines.get(r.id) ?? [])),
      nextCursor: result.nextCursor,
    };
  };

  // ---- buyer ------------------------------------------------------------------------------------
  app.post(
    '/orders/:id/refunds',
    {
      schema: {
        tags,
        summary: 'Ask for a refund (refund only, or return and refund), for the whole order or some lines',
        description:
          'After the ship-by deadline with no carrier pick-up, reason `not_shipped_on_time` refunds the whole order at once and closes it.',
        params: IdParams,
        body: Type.Object(
          {
            kind: Type.Enum([...REFUND_KINDS]),
            reason: Type.Enum([...REFUND_REASONS]),
            detail: Type.Optional(Type.String({ maxLength: 1000 })),
            lines: Type.Optional(
              Type.Array(
                Type.Object(
                  { orderLineId: Id, quantity: Type.Integer({ minimum: 1, maximum: 100_000 }) },
                  { additionalProperties: false },
                ),
                { minItems: 1, maxItems: 200 },
              ),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: RefundView },
      },
    },
    async (req, reply) => {
      const { accountId } = requireBuyer(req);
      return command(req, reply, async (tx) => {
        const r = await requestRefund(tx, accountId, req.params.id, req.body, clock.now());
        return { status: 201, body: await one(tx, r) };
      });
    },
  );

  app.get(
    '/orders/:id/refunds',
    {
      schema: {
        tags,
        summary: "An order's refund requests",
        params: IdParams,
        response: { 200: pageSchema(RefundView) },
      },
    },
    async (req) => {
      const { accountId } = requireBuyer(req);
      await getBuyerOrder(database.db, accountId, req.params.id);
      return many(
        await listRefunds(database.db, { buyerId: accountId, orderId: req.params.id }, { limit: 100 }),
      );
    },
  );

  app.get(
    '/refunds',
    {
      schema: {
        tags,
        summary: 'My refund requests, newest first',
        querystring: RefundListQuery,
        response: { 200: pageSchema(RefundView) },
      },
    },
    async (req) => {
      const { accountId } = requireBuyer(req);
      return many(await listRefunds(database.db, { buyerId: accountId }, req.query));
    },
  );

  const detail = async (r: Refund) => {
    const history = await refundHistory(database.db, r.id);
    return {
      ...(await one(database.db, r)),
      history: history.map((h) => ({
        from: h.fromStatus,
        to: h.toStatus,
        actor: h.actorType,
        note: h.note,
        at: h.at.toISOString(),
      })),
    };
  };

  app.get(
    '/refunds/:id',
    {
      schema: {
        tags,
        summary: 'One of my refund requests with its history',
        params: IdParams,
        response: { 200: RefundDetail },
      },
    },
    async (req) => {
      const { accountId } = requireBuyer(req);
      return detail(await getBuyerRefund(database.db, accountId, req.params.id));
    },
  );

  app.post(
    '/refunds/:id/return-shipment',
    {
      schema: {
        tags,
        summary: 'Send the goods back: carrier, tracking number and the postage paid',
        params: IdParams,
        body: Type.Object(
          {
            carrier: Type.String({ minLength: 1, maxLength: 32 }),
            trackingNo: Type.String({ minLength: 1, maxLength: 64 }),
            postage: Type.Optional(
              Type.Integer({
                minimum: 0,
                maximum: 100_000,
                description: 'what the buyer paid the carrier, in fen',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: RefundView },
      },
    },
    async (req, reply) => {
      const { accountId } = requireBuyer(req);
      return command(req, reply, async (tx) => ({
        status: 200,
        body: await one(tx, await shipReturn(tx, accountId, req.params.id, req.body, clock.now())),
      }));
    },
  );

  app.post(
    '/refunds/:id/escalate',
    {
      schema: {
        tags,
        summary: 'After a refusal, ask the platform to decide',
        params: IdParams,
        body: Type.Optional(
          Type.Object(
            { detail: Type.Optional(Type.String({ maxLength: 1000 })) },
            { additionalProperties: false },
          ),
        ),
        response: { 200: RefundView },
      },
    },
    async (req, reply) => {
      const { accountId } = requireBuyer(req);
      return command(req, reply, async (tx) => ({
        status: 200,
        body: await one(tx, await escalateRefund(tx, accountId, req.params.id, req.body ?? {}, clock.now())),
      }));
    },
  );

  app.post(
    '/refunds/:id/withdraw',
    { schema: { tags, summary: 'Withdraw my request', params: IdParams, response: { 200: RefundView } } },
    async (req, reply) => {
      const { accountId } = requireBuyer(req);
      return command(req, reply, async (tx) => ({
        status: 200,
        body: await one(tx, await withdrawRefund(tx, accountId, req.params.id, clock.now())),
      }));
    },
  );

  app.post(
    '/orders/:id/complaints',
    {
      schema: {
        tags,
        summary: "Complain about the merchant (within the rules' days after the trade or a refund succeeded)",
        params: IdParams,
        body: Type.Object(
          {
            reason: Type.Enum([...COMPLAINT_REASONS]),
            detail: Type.Optional(Type.String({ maxLength: 2000 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: ComplaintView },
      },
    },
    async (req, reply) => {
      const { accountId } = requireBuyer(req);
      return command(req, reply, async (tx) => ({
        status: 201,
        body: complaintView(await fileComplaint(tx, accountId, req.params.id, req.body, clock.now())),
      }));
    },
  );

  app.get(
    '/complaints',
    {
      schema: {
        tags,
        summary: 'My complaints',
        querystring: ComplaintListQuery,
        response: { 200: pageSchema(ComplaintView) },
      },
    },
    async (req) => {
      const { accountId } = requireBuyer(req);
      const result = await listComplaints(database.db, { buyerId: accountId }, req.query);
      return { items: result.items.map(complaintView), nextCursor: result.nextCursor };
    },
  );

  // ---- seller -----------------------------------------------------------------------------------
  app.get(
    '/seller/shops/:shopId/refunds',
    {
      schema: {
        tags,
        summary: "The after-sales queue, newest first, with each request's timer (actBy)",
        params: ShopParams,
        querystring: RefundListQuery,
        response: { 200: pageSchema(RefundView) },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, SERVICE_ROLES);
      return many(await listRefunds(database.db, { shopId }, req.query));
    },
  );

  app.get(
    '/seller/shops/:shopId/refunds/:id',
    {
      schema: {
        tags,
        summary: 'One request with its history',
        params: ShopIdParams,
        response: { 200: RefundDetail },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, SERVICE_ROLES);
      return detail(await getShopRefund(database.db, shopId, req.params.id));
    },
  );

  app.post(
    '/seller/shops/:shopId/refunds/:id/approve',
    {
      schema: {
        tags,
        summary: 'Agree: money back for a refund only, or the buyer sends the goods back',
        params: ShopIdParams,
        response: { 200: RefundView },
      },
    },
    async (req, reply) => {
      const { shopId, auth } = await requireShopRole(req, req.params.shopId, SERVICE_ROLES);
      return command(req, reply, async (tx) => ({
        status: 200,
        body: await one(
          tx,
          await approveRefund(tx, shopId, req.params.id, { type: 'staff', id: auth.accountId }, clock.now()),
        ),
      }));
    },
  );

  app.post(
    '/seller/shops/:shopId/refunds/:id/refuse',
    {
      schema: {
        tags,
        summary: 'Refuse the request or the returned parcel, with a reason; the buyer may escalate',
        params: ShopIdParams,
        body: Type.Object({ reason: Note }, { additionalProperties: false }),
        response: { 200: RefundView },
      },
    },
    async (req, reply) => {
      const { shopId, auth } = await requireShopRole(req, req.params.shopId, SERVICE_ROLES);
      return command(req, reply, async (tx) => ({
        status: 200,
        body: await one(
          tx,
          await refuseRefund(
            tx,
            shopId,
            req.params.id,
            req.body,
            { type: 'staff', id: auth.accountId },
            clock.now(),
          ),
        ),
      }));
    },
  );

  app.post(
    '/seller/shops/:shopId/refunds/:id/confirm-return',
    {
      schema: {
        tags,
        summary: 'The returned parcel arrived: refund the buyer',
        params: ShopIdParams,
        response: { 200: RefundView },
      },
    },
    async (req, reply) => {
      const { shopId, auth } = await requireShopRole(req, req.params.shopId, SERVICE_ROLES);
      return command(req, reply, async (tx) => ({
        status: 200,
        body: await one(
          tx,
          await confirmReturn(tx, shopId, req.params.id, { type: 'staff', id: auth.accountId }, clock.now()),
        ),
      }));
    },
  );

  app.get(
    '/seller/shops/:shopId/complaints',
    {
      schema: {
        tags,
        summary: 'Complaints about the shop',
        params: ShopParams,
        querystring: ComplaintListQuery,
        response: { 200: pageSchema(ComplaintView) },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, SERVICE_ROLES);
      const result = await listComplaints(database.db, { shopId }, req.query);
      return { items: result.items.map(complaintView), nextCursor: result.nextCursor };
    },
  );

  app.post(
    '/seller/shops/:shopId/complaints/:id/compensate',
    {
      schema: {
        tags,
        summary: 'Pay the compensation before the platform rules (no penalty points then)',
        params: ShopIdParams,
        response: { 200: ComplaintView },
      },
    },
    async (req, reply) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, ['service', 'finance']);
      return command(req, reply, async (tx) => ({
        status: 200,
        body: complaintView(await compensateVoluntarily(tx, shopId, req.params.id, clock.now())),
      }));
    },
  );

  // ---- operator ---------------------------------------------------------------------------------
  app.get(
    '/admin/refunds',
    {
      schema: {
        tags,
        summary: 'Refund requests across shops (e.g. status=escalated for arbitration)',
        querystring: RefundListQuery,
        response: { 200: pageSchema(RefundView) },
      },
    },
    async (req) => {
      requireOperator(req);
      return many(await listRefunds(database.db, {}, req.query));
    },
  );

  app.post(
    '/admin/refunds/:id/decide',
    {
      schema: {
        tags,
        summary: 'Arbitrate an escalated request: for the buyer (refund) or the seller (reject)',
        params: IdParams,
        body: Type.Object(
          { outcome: Type.Enum(['refund', 'reject']), note: Note },
          { additionalProperties: false },
        ),
        response: { 200: RefundView },
      },
    },
    async (req, reply) => {
      const { accountId } = requireOperator(req);
      return command(req, reply, async (tx) => ({
        status: 200,
        body: await one(tx, await decideRefund(tx, accountId, req.params.id, req.body, clock.now())),
      }));
    },
  );

  app.get(
    '/admin/complaints',
    {
      schema: {
        tags,
        summary: 'Complaints to arbitrate',
        querystring: ComplaintListQuery,
        response: { 200: pageSchema(ComplaintView) },
      },
    },
    async (req) => {
      requireOperator(req);
      const result = await listComplaints(database.db, {}, req.query);
      return { items: result.items.map(complaintView), nextCursor: result.nextCursor };
    },
  );

  app.post(
    '/admin/complaints/:id/uphold',
    {
      schema: {
        tags,
        summary: 'Uphold: compensation due is paid (with penalty points when not paid voluntarily)',
        params: IdParams,
        body: Type.Object(
          {
            note: Note,
            penalty: Type.Optional(
              Type.Object(
                { track: Type.Enum([...PENALTY_TRACKS]), points: Type.Integer({ minimum: 1, maximum: 48 }) },
                { additionalProperties: false },
              ),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: ComplaintView },
      },
    },
    async (req, reply) => {
      const { accountId } = requireOperator(req);
      return command(req, reply, async (tx) => ({
        status: 200,
        body: complaintView(await upholdComplaint(tx, accountId, req.params.id, req.body, clock.now())),
      }));
    },
  );

  app.post(
    '/admin/complaints/:id/dismiss',
    {
      schema: {
        tags,
        summary: 'Dismiss with a note',
        params: IdParams,
        body: Type.Object({ note: Note }, { additionalProperties: false }),
        response: { 200: ComplaintView },
      },
    },
    async (req, reply) => {
      const { accountId } = requireOperator(req);
      return command(req, reply, async (tx) => ({
        status: 200,
        body: complaintView(await dismissComplaint(tx, accountId, req.params.id, req.body, clock.now())),
      }));
    },
  );
}
