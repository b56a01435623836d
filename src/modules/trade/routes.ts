import { type TSchema, Type } from 'typebox';
import { command } from '../../kernel/command';
import type { App } from '../../kernel/context';
import { AppError } from '../../kernel/errors';
import { t } from '../../kernel/i18n';
import { Amount, formatMoney } from '../../kernel/money';
import { PageQuery, pageSchema } from '../../kernel/pagination';
import { DISCOUNT_KINDS, ShopKindSchema } from '../governance';
import { requireBuyer, requireOperator } from '../identity';
import { requireShopRole } from '../merchants';
import { startBalancePayment } from './campaign-orders';
import { createCampaign, listCampaigns, type ShipDeadlineCampaign } from './campaigns';
import { addToCart, MAX_LINE_QUANTITY, removeFromCart, setCartQuantity, viewCart } from './cart';
import { abandonCheckout, checkout, type PreparedCheckout, prepareCheckout } from './checkout';
import {
  applyLogisticsEvent,
  createShipment,
  type LogisticsEvent,
  shippingLabel,
  verifyCarrier,
} from './fulfilment';
import { getBuyerOrder, getShopOrder, linesOf, listOrders, orderView, shippingStats } from './orders';
import { configureSecrets, receiveNotification, startPayment } from './payments';
import { confirmReceipt, extendReceipt, sellerExtendReceipt } from './receipt';
import { ORDER_STATUSES } from './schema';
import { withdraw } from './settlement';
import './messages';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Id = Type.String({ minLength: 1, maxLength: 64 });
const DateTime = Type.String({ format: 'date-time' });
const Quantity = Type.Integer({ minimum: 1, maximum: MAX_LINE_QUANTITY });
const OrderStatus = Type.Enum([...ORDER_STATUSES]);

const CartLine = Type.Object({
  skuId: Type.String(),
  productId: Nullable(Type.String()),
  title: Type.String(),
  attributes: Type.Record(Type.String(), Type.String()),
  image: Nullable(Type.String()),
  unitPrice: Amount,
  quantity: Type.Integer(),
  lineTotal: Amount,
  available: Type.Integer({ description: 'sellable units now, over every warehouse' }),
  problem: Nullable(
    Type.Enum(['not_for_sale', 'insufficient_stock'], {
      description: 'why this line cannot be bought now; such lines count in no subtotal',
    }),
  ),
});
const Discount = Type.Object({
  kind: Type.Enum([...DISCOUNT_KINDS]),
  promotionId: Type.String(),
  amount: Amount,
  merchantFunded: Amount,
  platformFunded: Amount,
});
const Pricing = Type.Object(
  {
    lines: Type.Array(
      Type.Object({
        skuId: Type.String(),
        shopId: Type.String(),
        quantity: Type.Integer(),
        listTotal: Amount,
        discounts: Type.Array(Discount),
        paid: Type.Integer({ description: 'what the line costs after every discount, points included' }),
        pointsAmount: Type.Integer(),
      }),
    ),
    listTotal: Amount,
    discountTotal: Amount,
    total: Amount,
    pointsUsed: Type.Integer(),
    coupons: Type.Array(
      Type.Object({
        couponId: Type.String(),
        applied: Type.Boolean(),
        reason: Type.Optional(Type.String()),
        missing: Type.Optional(Type.Integer({ description: 'fen still to spend to reach the threshold' })),
        explanation: Type.Optional(Type.String()),
      }),
    ),
  },
  { description: 'the price engine: list price, each discount in stacking order, what is paid' },
);
const CartView = Type.Object({
  shops: Type.Array(
    Type.Object({
      shopId: Type.String(),
      shopName: Type.String(),
      lines: Type.Array(CartLine),
      subtotal: Amount,
    }),
  ),
  total: Amount,
  currency: Type.String(),
  pricing: Type.Optional(Type.Union([Pricing, Type.Null()])),
});

export const Address = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 40 }),
    phone: Type.String({ pattern: '^\\+?[0-9-]{5,20}$' }),
    region: Type.String({ minLength: 1, maxLength: 100 }),
    line: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);

const OrderView = Type.Object({
  id: Type.String(),
  shopId: Type.String(),
  shopKind: Type.String(),
  rulesVersion: Type.Integer(),
  paymentId: Type.String(),
  status: OrderStatus,
  total: Amount,
  pointsAmount: Type.Integer({ description: 'the part of total paid with points' }),
  currency: Type.String(),
  address: Type.Object({
    name: Type.String(),
    phone: Type.String(),
    region: Type.String(),
    line: Type.String(),
  }),
  lines: Type.Array(
    Type.Object({
      id: Type.String(),
      skuId: Type.String(),
      productId: Type.String(),
      title: Type.String(),
      attributes: Type.Record(Type.String(), Type.String()),
      image: Nullable(Type.String()),
      unitPrice: Amount,
      quantity: Type.Integer(),
      lineTotal: Amount,
      paidAmount: Type.Integer({ description: 'what the buyer paid for the line after discounts, in fen' }),
      pointsAmount: Type.Integer({ description: 'the part of paidAmount paid with points' }),
      refundedQuantity: Type.Integer(),
      refundedAmount: Type.Integer(),
    }),
  ),
  returnInsurance: Type.Object({
    providedBy: Type.Enum(['none', 'buyer', 'shop']),
    premium: Amount,
  }),
  deadlines: Type.Object({
    payBy: Type.Optional(DateTime),
    balanceBy: Type.Optional(DateTime),
    shipBy: Type.Optional(DateTime),
    confirmBy: Type.Optional(DateTime),
  }),
  campaign: Nullable(
    Type.Object(
      { kind: Type.Enum(['group_buy', 'presale']), id: Type.String() },
      { description: 'the group buy (its group id) or presale the order was placed through' },
    ),
  ),
  shipHold: Nullable(
    Type.Enum(['group_forming'], { description: 'paid, but the ship-by clock waits for the group to fill' }),
  ),
  presale: Nullable(
    Type.Object({
      deposit: Amount,
      balance: Amount,
      depositPaidAt: Nullable(DateTime),
      balanceFrom: Nullable(DateTime),
      balanceBy: Nullable(DateTime),
      balancePaymentId: Nullable(Type.String()),
      announcedShipBy: Nullable(DateTime),
    }),
  ),
  shipByCampaignId: Nullable(
    Type.String({ description: 'the ship-deadline campaign that set the ship-by at payment' }),
  ),
  shipLate: Type.Boolean(),
  receiptPaused: Type.Boolean(),
  createdAt: DateTime,
  paidAt: Nullable(DateTime),
  shippedAt: Nullable(DateTime),
  succeededAt: Nullable(DateTime),
  closedAt: Nullable(DateTime),
  closeReason: Nullable(Type.String()),
});

const CampaignView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  shopKind: Nullable(ShopKindSchema),
  paidFrom: DateTime,
  paidUntil: DateTime,
  shipBy: DateTime,
  createdBy: Type.String(),
  createdAt: DateTime,
});

function campaignView(c: ShipDeadlineCampaign) {
  return {
    id: c.id,
    name: c.name,
    shopKind: c.shopKind,
    paidFrom: c.paidFrom.toISOString(),
    paidUntil: c.paidUntil.toISOString(),
    shipBy: c.shipBy.toISOString(),
    createdBy: c.createdBy,
    createdAt: c.createdAt.toISOString(),
  };
}

const OrderParams = Type.Object({ id: Id });
const ShopParams = Type.Object({ shopId: Id });
const ShopOrderParams = Type.Object({ shopId: Id, id: Id });
const SignatureHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      description: 'optional: the notification itself is idempotent (one row per provider charge)',
    }),
  ),
  'x-jishi-signature': Type.Optional(
    Type.String({ description: 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">' }),
  ),
});

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** Order desk: warehouse and operations staff (owners may do everything). */
const DESK_ROLES = ['warehouse', 'operations'] as const;
/** Who may give a buyer more time to confirm receipt. */
const EXTEND_ROLES = ['service', 'operations'] as const;

export async function tradeRoutes(app: App): Promise<void> {
  const { clock, database, config } = app.jishi;
  const db = database.db;
  const tags = ['trade'];
  configureSecrets({ sandboxSecret: config.sandboxSecret });

  // ---- cart -------------------------------------------------------------------------------
  app.get(
    '/cart',
    {
      schema: {
        tags,
        summary: 'The cart grouped by shop, priced as it would be charged with the chosen coupons and points',
        querystring: Type.Object(
          {
            couponIds: Type.Optional(
              Type.String({ maxLength: 1000, description: 'comma-separated ids of my coupons to try' }),
            ),
            usePoints: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: CartView },
      },
    },
    async (req) => {
      const { accountId } = requireBuyer(req);
      const couponIds = req.query.couponIds?.split(',').filter(Boolean);
      const view = await viewCart(db, accountId, {
        couponIds,
        usePoints: req.query.usePoints,
        now: clock.now(),
      });
      const locale = req.locale ?? 'zh-CN';
      if (view.pricing) {
        // Say why a coupon does not apply, in the buyer's language ("spend ¥23.50 more").
        for (const c of view.pricing.coupons as {
          reason?: string;
          missing?: number;
          explanation?: string;
        }[]) {
          if (c.reason) {
            c.explanation = t(`coupon_note.${c.reason}`, locale, {
              missing: formatMoney({ amount: c.missing ?? 0, currency: 'CNY' }, locale),
            });
          }
        }
      }
      return view;
    },
  );

  app.post(
    '/cart/items',
    {
      schema: {
        tags,
        summary: 'Add units of a SKU to the cart (adds to the line already there)',
        body: Type.Object({ skuId: Id, quantity: Quantity }, { additionalProperties: false }),
        response: { 200: CartView },
      },
    },
    async (req, reply) => {
      const { accountId } = requireBuyer(req);
      return command(req, reply, async (tx) => {
        const { sku, lines } = await addToCart(tx, accountId, req.body, clock.now());
        return { status: 200, body: await viewCart(tx, accountId, { known: [sku], lines }) };
      });
    },
  );

  app.patch(
    '/cart/items/:skuId',
    {
      schema: {
        tags,
        summary: 'Set the quantity of a cart line',
        params: Type.Object({ skuId: Id }),
        body: Type.Object({ quantity: Quantity }, { additionalProperties: false }),
        response: { 200: CartView },
      },
    },
    async (req, reply) => {
      const { accountId } = requireBuyer(req);
      return command(req, reply, async (tx) => {
        await setCartQuantity(tx, accountId, req.params.skuId, req.body.quantity, clock.now());
        return { status: 200, body: await viewCart(tx, accountId) };
      });
    },
  );

  app.delete(
    '/cart/items/:skuId',
    {
      schema: {
        tags,
        summary: 'Remove a line from the cart',
        params: Type.Object({ skuId: Id }),
        response: { 200: CartView },
      },
    },
    async (req, reply) => {
      const { accountId } = requireBuyer(req);
      return command(req, reply, async (tx) => {
        await removeFromCart(tx, accountId, req.params.skuId);
        return { status: 200, body: await viewCart(tx, accountId) };
      });
    },
  );

  // ---- checkout and payment ---------------------------------------------------------------
  app.post(
    '/checkout',
    {
      schema: {
        tags,
        summary: 'One order per shop and one payment for all of them; the units are reserved',
        body: Type.Object(
          {
            address: Address,
            skuIds: Type.Optional(Type.Array(Id, { minItems: 1, maxItems: 200, uniqueItems: true })),
            couponIds: Type.Optional(Type.Array(Id, { maxItems: 20, uniqueItems: true })),
            usePoints: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000 })),
            returnInsurance: Type.Optional(
              Type.Boolean({
                description: 'buy return-shipping insurance for each order whose shop does not give it',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            orders: Type.Array(
              Type.Object({
                id: Type.String(),
                shopId: Type.String(),
                total: Amount,
                pointsAmount: Amount,
                returnInsurance: Type.Enum(['none', 'buyer', 'shop']),
                returnInsurancePremium: Amount,
              }),
            ),
            payment: Type.Object({ id: Type.String(), amount: Amount }),
            pricing: Type.Object({
              listTotal: Amount,
              discountTotal: Amount,
              pointsUsed: Type.Integer(),
              couponsApplied: Type.Array(Type.String()),
            }),
          }),
        },
      },
    },
    async (req, reply) => {
      const { accountId } = requireBuyer(req);
      const now = clock.now();
      // Flash-sale units are claimed before the transaction (see prepareCheckout) and go back at once
      // unless it placed the orders (it may fail, or answer from an earlier idempotent request).
      // A refusal there waits for the command when the request has an idempotency key: a retry of
      // a checkout that took the last unit must replay its answer, not be told it is sold out.
      let prepared: PreparedCheckout | undefined;
      let refusal: unknown;
      try {
        prepared = await prepareCheckout(req.server.jishi.database.db, accountId, req.body, now);
      } catch (err) {
        if (req.headers['idempotency-key'] === undefined) throw err;
        refusal = err;
      }
      let placed = false;
      try {
        await command(req, reply, async (tx) => {
          if (refusal) throw refusal;
          const body = await checkout(tx, accountId, req.body, now, prepared);
          placed = true;
          return { status: 201, body };
        });
      } catch (err) {
        await abandonCheckout(req.server.jishi.database.db, prepared, now);
        throw err;
      }
      if (!placed) await abandonCheckout(req.server.jishi.database.db, prepared, now);
    },
  );

  app.post(
    '/payments/:id/pay',
    {
      schema: {
        tags,
        summary: 'Pay with the sandbox provider; its signed callback follows',
        params: OrderParams,
        response: { 200: Type.Object({ id: Type.String(), status: Type.String() }) },
      },
    },
    async (req, reply) => {
      const { accountId } = requireBuyer(req);
      return command(req, reply, async (tx) => {
        const p = await startPayment(tx, accountId, req.params.id, 'sandbox', clock.now());
        return { status: 200, body: { id: p.id, status: p.status } };
      });
    },
  );

  app.post(
    '/orders/:id/balance-payment',
    {
      schema: {
        tags,
        summary: "Pay a presale order's balance",
        description:
          'Inside the balance window of a deposit-paid presale order: creates (once) the payment of the balance, then pay it with POST /payments/{id}/pay. Unpaid when the window closes, the order closes and the deposit is forfeited.',
        params: OrderParams,
        response: { 201: Type.Object({ paymentId: Type.String(), amount: Amount }) },
      },
    },
    async (req, reply) => {
      const { accountId } = requireBuyer(req);
      return command(req, reply, async (tx) => ({
        status: 201,
        body: await startBalancePayment(tx, accountId, req.params.id, clock.now()),
      }));
    },
  );

  // Signed notifications: the HMAC covers the raw body, so this scope keeps it as received.
  await app.register(async (scope) => {
    const signed = scope as unknown as App;
    const rawBodies = new WeakMap<object, string>();
    signed.removeContentTypeParser('application/json');
    signed.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
      try {
        const text = String(body);
        rawBodies.set(req, text);
        done(null, JSON.parse(text));
      } catch {
        done(new AppError(400, 'bad_json'), undefined);
      }
    });
    const rawOf = (req: object) => rawBodies.get(req) ?? '';
    const refuse = (req: { log: App['log'] }, what: string, reason: string) => {
      req.log.warn({ what, reason }, 'signed notification refused');
      return new AppError(401, 'signature_invalid');
    };

    signed.post(
      '/payments/callbacks/:provider',
      {
        schema: {
          tags,
          summary: 'A payment provider notification (signed, idempotent)',
          params: Type.Object({ provider: Type.String({ minLength: 1, maxLength: 32 }) }),
          headers: SignatureHeaders,
          body: Type.Object({
            provider: Type.String(),
            paymentId: Type.String(),
            chargeId: Type.String(),
            amount: Type.Integer(),
            status: Type.Enum(['succeeded', 'failed']),
            at: Type.Optional(Type.String()),
          }),
          response: { 200: Type.Object({ paymentId: Type.String(), outcome: Type.String() }) },
        },
      },
      async (req, reply) => {
        const now = clock.now();
        const rawBody = rawOf(req);
        try {
          return await command(req, reply, async (tx) => ({
            status: 200,
            body: await receiveNotification(
              tx,
              { provider: req.params.provider, rawBody, signature: one(req.headers['x-jishi-signature']) },
              now,
            ),
          }));
        } catch (err) {
          if (err instanceof AppError && err.status === 401) throw refuse(req, 'payment', err.code);
          throw err;
        }
      },
    );

    signed.post(
      '/logistics/events',
      {
        schema: {
          tags,
          summary: 'A carrier scan (signed): picked_up ships the order; repeats are harmless',
          headers: SignatureHeaders,
          body: Type.Object({
            carrier: Type.String({ minLength: 1, maxLength: 32 }),
            trackingNo: Type.String({ minLength: 1, maxLength: 64 }),
            event: Type.Enum(['picked_up', 'delivered']),
            at: DateTime,
          }),
          response: { 200: Type.Object({ orderId: Type.String(), status: OrderStatus }) },
        },
      },
      async (req, reply) => {
        const now = clock.now();
        try {
          verifyCarrier(req.body.carrier, rawOf(req), one(req.headers['x-jishi-signature']), now);
        } catch {
          throw refuse(req, 'logistics', 'signature');
        }
        return command(req, reply, async (tx) => ({
          status: 200,
          body: await applyLogisticsEvent(tx, req.body as LogisticsEvent, now),
        }));
      },
    );
  });

  // ---- buyer orders -----------------------------------------------------------------------
  app.get(
    '/orders',
    {
      schema: {
        tags,
        summary: 'My orders, newest first',
        querystring: Type.Object({ status: Type.Optional(OrderStatus), ...PageQuery }),
        response: { 200: pageSchema(OrderView) },
      },
    },
    async (req) => {
      const { accountId } = requireBuyer(req);
      const p = await listOrders(db, { buyerId: accountId }, req.query);
      const lines = await linesOf(
        db,
        p.items.map((o) => o.id),
      );
      return { items: p.items.map((o) => orderView(o, lines.get(o.id) ?? [])), nextCursor: p.nextCursor };
    },
  );

  app.get(
    '/orders/:id',
    { schema: { tags, summary: 'One of my orders', params: OrderParams, response: { 200: OrderView } } },
    async (req) => {
      const { accountId } = requireBuyer(req);
      const order = await getBuyerOrder(db, accountId, req.params.id);
      return orderView(order, (await linesOf(db, [order.id])).get(order.id) ?? []);
    },
  );

  app.post(
    '/orders/:id/confirm-receipt',
    {
      schema: {
        tags,
        summary: 'Confirm receipt: the trade succeeds and the shop is paid',
        params: OrderParams,
        response: { 200: Type.Object({ id: Type.String(), status: OrderStatus }) },
      },
    },
    async (req, reply) => {
      const { accountId } = requireBuyer(req);
      return command(req, reply, async (tx) => {
        const o = await confirmReceipt(tx, accountId, req.params.id, clock.now());
        return { status: 200, body: { id: o.id, status: o.status } };
      });
    },
  );

  app.post(
    '/orders/:id/extend-receipt',
    {
      schema: {
        tags,
        summary: 'Extend the receipt deadline (as the rules allow)',
        params: OrderParams,
        response: { 200: Type.Object({ id: Type.String(), confirmBy: DateTime }) },
      },
    },
    async (req, reply) => {
      const { accountId } = requireBuyer(req);
      return command(req, reply, async (tx) => {
        const o = await extendReceipt(tx, accountId, req.params.id, clock.now());
        return { status: 200, body: { id: o.id, confirmBy: o.confirmBy!.toISOString() } };
      });
    },
  );

  // ---- seller order desk ------------------------------------------------------------------
  app.get(
    '/seller/shops/:shopId/orders',
    {
      schema: {
        tags,
        summary: "The shop's orders, buyer contact masked",
        params: ShopParams,
        querystring: Type.Object({
          status: Type.Optional(OrderStatus),
          shipWithinHours: Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: 24 * 30,
              description: 'paid orders due to ship within this many hours',
            }),
          ),
          ...PageQuery,
        }),
        response: { 200: pageSchema(OrderView) },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId);
      const { shipWithinHours, ...query } = req.query;
      const shipByBefore =
        shipWithinHours === undefined
          ? undefined
          : new Date(clock.now().getTime() + shipWithinHours * 3_600_000);
      const p = await listOrders(db, { shopId }, { ...query, shipByBefore });
      const lines = await linesOf(
        db,
        p.items.map((o) => o.id),
      );
      return {
        items: p.items.map((o) => orderView(o, lines.get(o.id) ?? [], { masked: true })),
        nextCursor: p.nextCursor,
      };
    },
  );

  app.get(
    '/seller/shops/:shopId/orders/stats',
    {
      schema: {
        tags,
        summary: 'On-time shipping over the last 30 days',
        params: ShopParams,
        response: {
          200: Type.Object({
            days: Type.Integer(),
            due: Type.Integer({ description: 'orders whose ship-by deadline fell in the window' }),
            onTime: Type.Integer(),
            late: Type.Integer(),
            onTimeRate: Nullable(Type.Number()),
          }),
        },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId);
      return shippingStats(db, shopId, clock.now());
    },
  );

  app.get(
    '/seller/shops/:shopId/orders/:id',
    {
      schema: {
        tags,
        summary: "One of the shop's orders",
        params: ShopOrderParams,
        response: { 200: OrderView },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId);
      const order = await getShopOrder(db, shopId, req.params.id);
      return orderView(order, (await linesOf(db, [order.id])).get(order.id) ?? [], { masked: true });
    },
  );

  app.get(
    '/seller/shops/:shopId/orders/:id/shipping-label',
    {
      schema: {
        tags,
        summary: 'The full address for the parcel label (each access is recorded)',
        params: ShopOrderParams,
        response: {
          200: Type.Object({
            orderId: Type.String(),
            address: Type.Object({
              name: Type.String(),
              phone: Type.String(),
              region: Type.String(),
              line: Type.String(),
            }),
            carrier: Nullable(Type.String()),
            trackingNo: Nullable(Type.String()),
          }),
        },
      },
    },
    async (req) => {
      const { shopId, auth } = await requireShopRole(req, req.params.shopId, ['warehouse']);
      return db.transaction((tx) => shippingLabel(tx, shopId, req.params.id, auth.accountId, clock.now()));
    },
  );

  app.post(
    '/seller/shops/:shopId/orders/:id/shipments',
    {
      schema: {
        tags,
        summary: 'Hand the parcel to a carrier (the order stays paid until the pick-up scan)',
        params: ShopOrderParams,
        body: Type.Object(
          {
            carrier: Type.String({ minLength: 1, maxLength: 32 }),
            trackingNo: Type.String({ minLength: 1, maxLength: 64 }),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            id: Type.String(),
            orderId: Type.String(),
            carrier: Type.String(),
            trackingNo: Type.String(),
            createdAt: DateTime,
          }),
        },
      },
    },
    async (req, reply) => {
      const { shopId, auth } = await requireShopRole(req, req.params.shopId, DESK_ROLES);
      return command(req, reply, async (tx) => {
        const s = await createShipment(
          tx,
          shopId,
          req.params.id,
          { ...req.body, accountId: auth.accountId },
          clock.now(),
        );
        return {
          status: 201,
          body: {
            id: s.id,
            orderId: s.orderId,
            carrier: s.carrier,
            trackingNo: s.trackingNo,
            createdAt: s.createdAt.toISOString(),
          },
        };
      });
    },
  );

  app.post(
    '/seller/shops/:shopId/orders/:id/extend-receipt',
    {
      schema: {
        tags,
        summary: 'Give the buyer more days to confirm receipt (shipped orders, clock running; repeatable)',
        params: ShopOrderParams,
        body: Type.Object(
          {
            days: Type.Integer({
              minimum: 1,
              maximum: 60,
              description:
                "days added to the confirm-by: one of the rule set's seller extensions (3, 5, 7, 10)",
            }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ id: Type.String(), confirmBy: DateTime }) },
      },
    },
    async (req, reply) => {
      const { shopId, auth } = await requireShopRole(req, req.params.shopId, EXTEND_ROLES);
      return command(req, reply, async (tx) => {
        const o = await sellerExtendReceipt(
          tx,
          shopId,
          req.params.id,
          { days: req.body.days, accountId: auth.accountId },
          clock.now(),
        );
        return { status: 200, body: { id: o.id, confirmBy: o.confirmBy!.toISOString() } };
      });
    },
  );

  app.post(
    '/seller/shops/:shopId/withdrawals',
    {
      schema: {
        tags,
        summary: "Pay part of the shop's balance out to its bank account",
        params: ShopParams,
        body: Type.Object(
          {
            amount: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
            bankAccount: Type.String({ minLength: 4, maxLength: 64 }),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            id: Type.String(),
            shopId: Type.String(),
            amount: Amount,
            bankAccount: Type.String(),
            status: Type.String(),
            createdAt: DateTime,
          }),
        },
      },
    },
    async (req, reply) => {
      const { shopId, auth } = await requireShopRole(req, req.params.shopId, ['finance']);
      return command(req, reply, async (tx) => {
        const w = await withdraw(tx, shopId, { ...req.body, accountId: auth.accountId }, clock.now());
        return {
          status: 201,
          body: {
            id: w.id,
            shopId: w.shopId,
            amount: w.amount,
            bankAccount: w.bankAccount,
            status: w.status,
            createdAt: w.createdAt.toISOString(),
          },
        };
      });
    },
  );

  // ---- operator: ship-deadline campaigns --------------------------------------------------
  app.post(
    '/admin/ship-deadline-campaigns',
    {
      schema: {
        tags,
        summary: 'A fixed ship-by for orders paid in a sales period (e.g. Double 11)',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            shopKind: Type.Optional(
              Type.Union([ShopKindSchema, Type.Null()], { description: 'absent or null: both kinds' }),
            ),
            paidFrom: DateTime,
            paidUntil: Type.String({ format: 'date-time', description: 'exclusive' }),
            shipBy: DateTime,
          },
          { additionalProperties: false },
        ),
        response: { 201: CampaignView },
      },
    },
    async (req, reply) => {
      const operator = requireOperator(req);
      return command(req, reply, async (tx) => {
        const c = await createCampaign(
          tx,
          {
            name: req.body.name,
            shopKind: req.body.shopKind ?? null,
            paidFrom: new Date(req.body.paidFrom),
            paidUntil: new Date(req.body.paidUntil),
            shipBy: new Date(req.body.shipBy),
            createdBy: operator.accountId,
          },
          clock.now(),
        );
        return { status: 201, body: campaignView(c) };
      });
    },
  );

  app.get(
    '/admin/ship-deadline-campaigns',
    {
      schema: {
        tags,
        summary: 'Ship-deadline campaigns, newest first',
        querystring: Type.Object({ ...PageQuery }),
        response: { 200: pageSchema(CampaignView) },
      },
    },
    async (req) => {
      requireOperator(req);
      const p = await listCampaigns(db, req.query);
      return { items: p.items.map(campaignView), nextCursor: p.nextCursor };
    },
  );
}
