import { type TSchema, Type } from 'typebox';
import { command } from '../../kernel/command';
import type { App } from '../../kernel/context';
import { notFound } from '../../kernel/errors';
import { PageQuery, pageSchema } from '../../kernel/pagination';
import { MALL_TYPES, ShopKindSchema, TRADEMARK_STATUSES } from '../governance';
import { requireBuyer, requireOperator } from '../identity';
import { requireShopRole } from './access';
import { createApiKey, listApiKeys, revokeApiKey } from './api-keys';
import {
  applicationView,
  approveApplication,
  listApplications,
  rejectApplication,
  submitApplication,
} from './applications';
import { topUpDeposit } from './deposit-top-up';
import {
  APPLICATION_STATUSES,
  DELEGABLE_ROLES,
  DEPOSIT_PLANS,
  DEPOSIT_STATUSES,
  STAFF_ROLES,
  type StaffRole,
} from './schema';
import { changeTier, closeShop, describeShop, getShop, payDeposit } from './shops';
import {
  cancelInvitation,
  inviteStaff,
  listStaff,
  myInvitations,
  removeStaff,
  respondToInvitation,
} from './staff';

const nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const DateTime = Type.String({ format: 'date-time' });
const Id = Type.String({ minLength: 1, maxLength: 64 });
/** Only the owner passes requireShopRole with no other role allowed. */
const OWNER_ONLY: readonly StaffRole[] = [];

const ApplicationView = Type.Object({
  id: Type.String(),
  kind: ShopKindSchema,
  status: Type.Enum([...APPLICATION_STATUSES]),
  shopName: Type.String(),
  realName: Type.String(),
  idNumberMasked: Type.String({ description: 'first 3 and last 4 characters; the number is never stored' }),
  brandName: nullable(Type.String()),
  trademarkNo: nullable(Type.String()),
  depositPlan: Type.Enum([...DEPOSIT_PLANS]),
  mallType: nullable(Type.Enum([...MALL_TYPES])),
  trademarkStatus: nullable(Type.Enum([...TRADEMARK_STATUSES])),
  shopId: nullable(Type.String()),
  rejectReason: nullable(Type.String()),
  createdAt: DateTime,
  reviewedAt: nullable(DateTime),
});

const DepositView = Type.Object({
  plan: Type.Enum([...DEPOSIT_PLANS]),
  status: Type.Enum([...DEPOSIT_STATUSES]),
  amount: Type.Integer({ description: 'fen held or last paid; while unpaid, what the rules charge' }),
  insuredUntil: nullable(DateTime),
});

const ShopView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: ShopKindSchema,
  status: Type.Enum(['active', 'suspended', 'closed']),
  mallType: nullable(Type.Enum([...MALL_TYPES])),
  brandName: nullable(Type.String()),
  tier: nullable(Type.String()),
  tierPaidUntil: nullable(DateTime),
  deposit: DepositView,
  penaltyPoints: Type.Integer({ description: "this penalty year's points, every track together" }),
  penalty: Type.Object({
    general: Type.Integer(),
    serious: Type.Integer(),
    counterfeit: Type.Integer(),
    restriction: nullable(
      Type.Object({
        kind: Type.String({ description: 'what the penalty in force restricts' }),
        until: nullable(DateTime),
        reason: nullable(Type.String()),
      }),
    ),
  }),
  rating: nullable(Type.Number({ description: 'the shop rating (DSR) over the last 6 months, 1 to 5' })),
  createdAt: DateTime,
  closedAt: nullable(DateTime),
  role: Type.Enum([...STAFF_ROLES], { description: 'the caller’s role in this shop' }),
});

const PublicShopView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: ShopKindSchema,
  status: Type.Enum(['active', 'suspended', 'closed']),
  tier: nullable(Type.String()),
  rating: nullable(Type.Number()),
  createdAt: DateTime,
});

const InvitationView = Type.Object({
  id: Type.String(),
  shopId: Type.String(),
  login: Type.String(),
  role: Type.Enum([...DELEGABLE_ROLES]),
  status: Type.Enum(['pending', 'accepted', 'declined', 'cancelled']),
  createdAt: DateTime,
  respondedAt: nullable(DateTime),
});

const ApiKeyView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Type.Enum([...DELEGABLE_ROLES]),
  prefix: Type.String({ description: 'the first characters of the key, to tell keys apart' }),
  createdAt: DateTime,
  revokedAt: nullable(DateTime),
});

const ShopParams = Type.Object({ shopId: Id });

export async function merchantsRoutes(app: App): Promise<void> {
  const { clock, config, database } = app.jishi;
  const tags = ['merchants'];

  // ---- applications ----

  app.post(
    '/merchant/applications',
    {
      schema: {
        tags,
        summary: 'Apply to open a shop: market shops open at once, mall shops after review',
        body: Type.Object({
          kind: ShopKindSchema,
          shopName: Type.String({ minLength: 2, maxLength: 60 }),
          realName: Type.String({ minLength: 1, maxLength: 60 }),
          idNumber: Type.String({
            minLength: 1,
            maxLength: 32,
            description: '18-character PRC resident identity number',
          }),
          brandName: Type.Optional(Type.String({ minLength: 1, maxLength: 60 })),
          trademarkNo: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
          depositPlan: Type.Enum([...DEPOSIT_PLANS], {
            description: 'deposit (frozen, returned after closure) or insurance (market only, yearly fee)',
          }),
          mallType: Type.Optional(Type.Enum([...MALL_TYPES], { description: 'mall shops' })),
          trademarkStatus: Type.Optional(
            Type.Enum([...TRADEMARK_STATUSES], { description: 'mall shops: R registered, TM applied for' }),
          ),
        }),
        response: { 201: ApplicationView },
      },
    },
    (req, reply) =>
      command(req, reply, async (tx) => {
        const auth = requireBuyer(req);
        const application = await submitApplication(
          tx,
          { ...req.body, applicantAccountId: auth.accountId, identitySecret: config.identitySecret },
          clock.now(),
        );
        return { status: 201, body: applicationView(application) };
      }),
  );

  app.get(
    '/merchant/applications',
    {
      schema: {
        tags,
        summary: 'My applications, newest first',
        querystring: Type.Object(PageQuery),
        response: { 200: pageSchema(ApplicationView) },
      },
    },
    async (req) => {
      const auth = requireBuyer(req);
      const result = await listApplications(database.db, {
        ...req.query,
        applicantAccountId: auth.accountId,
      });
      return { items: result.items.map(applicationView), nextCursor: result.nextCursor };
    },
  );

  app.get(
    '/admin/merchant/applications',
    {
      schema: {
        tags,
        summary: 'Applications for review, newest first',
        querystring: Type.Object({
          status: Type.Optional(Type.Enum([...APPLICATION_STATUSES])),
          ...PageQuery,
        }),
        response: { 200: pageSchema(ApplicationView) },
      },
    },
    async (req) => {
      requireOperator(req);
      const result = await listApplications(database.db, req.query);
      return { items: result.items.map(applicationView), nextCursor: result.nextCursor };
    },
  );

  app.post(
    '/admin/merchant/applications/:id/approve',
    {
      schema: {
        tags,
        summary: 'Admit a mall applicant: opens the shop',
        params: Type.Object({ id: Id }),
        response: { 200: ApplicationView },
      },
    },
    (req, reply) =>
      command(req, reply, async (tx) => {
        const operator = requireOperator(req);
        const application = await approveApplication(
          tx,
          { id: req.params.id, operatorAccountId: operator.accountId },
          clock.now(),
        );
        return { status: 200, body: applicationView(application) };
      }),
  );

  app.post(
    '/admin/merchant/applications/:id/reject',
    {
      schema: {
        tags,
        summary: 'Turn an applicant down, with the reason they will read',
        params: Type.Object({ id: Id }),
        body: Type.Object({ reason: Type.String({ minLength: 2, maxLength: 500 }) }),
        response: { 200: ApplicationView },
      },
    },
    (req, reply) =>
      command(req, reply, async (tx) => {
        const operator = requireOperator(req);
        const application = await rejectApplication(
          tx,
          { id: req.params.id, operatorAccountId: operator.accountId, reason: req.body.reason },
          clock.now(),
        );
        return { status: 200, body: applicationView(application) };
      }),
  );

  // ---- shops ----

  app.get(
    '/seller/shops/:shopId',
    {
      schema: {
        tags,
        summary: 'The shop as its staff see it: kind, tier, deposit, penalty points, rating',
        params: ShopParams,
        response: { 200: ShopView },
      },
    },
    async (req) => {
      const { shopId, role } = await requireShopRole(req, req.params.shopId);
      const shop = await getShop(database.db, shopId);
      if (!shop) throw notFound('shop_not_found');
      return { ...(await describeShop(database.db, shop, clock.now())), role };
    },
  );

  app.get(
    '/shops/:shopId',
    {
      schema: {
        tags,
        summary: 'A shop’s public page',
        security: [],
        params: ShopParams,
        response: { 200: PublicShopView },
      },
    },
    async (req) => {
      const shop = await getShop(database.db, req.params.shopId);
      if (!shop) throw notFound('shop_not_found');
      return {
        id: shop.id,
        name: shop.name,
        kind: shop.kind,
        status: shop.status,
        tier: shop.tier,
        rating: (await describeShop(database.db, shop, clock.now())).rating,
        createdAt: shop.createdAt.toISOString(),
      };
    },
  );

  app.post(
    '/seller/shops/:shopId/deposit',
    {
      schema: {
        tags,
        summary: 'Pay the deposit (frozen) or the deposit-insurance premium, at the rules’ amounts',
        params: ShopParams,
        response: {
          200: Type.Object({
            depositStatus: Type.Enum([...DEPOSIT_STATUSES]),
            plan: Type.Enum([...DEPOSIT_PLANS]),
            amount: Type.Integer({ description: 'fen paid' }),
            insuredUntil: nullable(DateTime),
          }),
        },
      },
    },
    async (req, reply) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, OWNER_ONLY);
      return command(req, reply, async (tx) => ({
        status: 200,
        body: await payDeposit(tx, shopId, clock.now()),
      }));
    },
  );

  app.post(
    '/seller/shops/:shopId/deposit/top-up',
    {
      schema: {
        tags,
        summary: 'Pay back what claims (compensation, refunds) took from the frozen deposit',
        params: ShopParams,
        response: {
          200: Type.Object({
            paid: Type.Integer({ description: 'fen paid in now' }),
            deposit: Type.Integer({ description: 'the deposit held again, in fen' }),
          }),
        },
      },
    },
    async (req, reply) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, ['finance']);
      return command(req, reply, async (tx) => ({
        status: 200,
        body: await topUpDeposit(tx, shopId, clock.now()),
      }));
    },
  );

  app.post(
    '/seller/shops/:shopId/tier',
    {
      schema: {
        tags,
        summary: 'Move a market shop to a tier, paying one billing period; paying the same tier renews it',
        params: ShopParams,
        body: Type.Object({ tier: Type.String({ minLength: 1, maxLength: 32 }) }),
        response: {
          200: Type.Object({
            tier: Type.String(),
            tierPaidUntil: nullable(DateTime),
            charged: Type.Integer({ description: 'fen' }),
          }),
        },
      },
    },
    async (req, reply) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, OWNER_ONLY);
      return command(req, reply, async (tx) => ({
        status: 200,
        body: await changeTier(tx, shopId, req.body.tier, clock.now()),
      }));
    },
  );

  app.post(
    '/seller/shops/:shopId/close',
    {
      schema: {
        tags,
        summary: 'Close the shop; a frozen deposit is returned after the cooling period',
        params: ShopParams,
        response: {
          200: Type.Object({
            status: Type.Literal('closed'),
            closedAt: DateTime,
            depositStatus: Type.Enum([...DEPOSIT_STATUSES]),
            depositReleaseAt: nullable(DateTime),
          }),
        },
      },
    },
    async (req, reply) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, OWNER_ONLY);
      return command(req, reply, async (tx) => ({
        status: 200,
        body: await closeShop(tx, shopId, clock.now()),
      }));
    },
  );

  // ---- staff ----

  app.post(
    '/seller/shops/:shopId/staff',
    {
      schema: {
        tags,
        summary: 'Invite an account to work for the shop in a role',
        params: ShopParams,
        body: Type.Object({
          login: Type.String({ minLength: 1, maxLength: 64 }),
          role: Type.Enum([...DELEGABLE_ROLES]),
        }),
        response: { 201: InvitationView },
      },
    },
    async (req, reply) => {
      const { shopId, auth } = await requireShopRole(req, req.params.shopId, OWNER_ONLY);
      return command(req, reply, async (tx) => ({
        status: 201,
        body: await inviteStaff(tx, { shopId, ...req.body, invitedBy: auth.accountId }, clock.now()),
      }));
    },
  );

  app.get(
    '/seller/shops/:shopId/staff',
    {
      schema: {
        tags,
        summary: 'The shop’s staff and the invitations still waiting for an answer',
        params: ShopParams,
        response: {
          200: Type.Object({
            members: Type.Array(
              Type.Object({
                accountId: Type.String(),
                login: Type.String(),
                displayName: Type.String(),
                role: Type.Enum([...STAFF_ROLES]),
                since: DateTime,
              }),
            ),
            invitations: Type.Array(InvitationView),
          }),
        },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId);
      return listStaff(database.db, shopId);
    },
  );

  app.delete(
    '/seller/shops/:shopId/staff/:accountId',
    {
      schema: {
        tags,
        summary: 'Remove a member of staff (never the owner)',
        params: Type.Object({ shopId: Id, accountId: Id }),
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, OWNER_ONLY);
      return command(req, reply, async (tx) => {
        await removeStaff(tx, { shopId, accountId: req.params.accountId }, clock.now());
        return { status: 204 };
      });
    },
  );

  app.post(
    '/seller/shops/:shopId/staff-invitations/:id/cancel',
    {
      schema: {
        tags,
        summary: 'Withdraw an unanswered invitation',
        params: Type.Object({ shopId: Id, id: Id }),
        response: { 200: Type.Object({ id: Type.String(), status: Type.Literal('cancelled') }) },
      },
    },
    async (req, reply) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, OWNER_ONLY);
      return command(req, reply, async (tx) => {
        await cancelInvitation(tx, { shopId, id: req.params.id }, clock.now());
        return { status: 200, body: { id: req.params.id, status: 'cancelled' as const } };
      });
    },
  );

  app.get(
    '/me/staff-invitations',
    {
      schema: {
        tags,
        summary: 'Invitations to work for a shop, waiting for my answer',
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                id: Type.String(),
                shop: Type.Object({ id: Type.String(), name: Type.String(), kind: ShopKindSchema }),
                role: Type.Enum([...DELEGABLE_ROLES]),
                createdAt: DateTime,
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const auth = requireBuyer(req);
      return { items: await myInvitations(database.db, auth.accountId) };
    },
  );

  const InvitationAnswer = Type.Object({
    id: Type.String(),
    shopId: Type.String(),
    role: Type.Enum([...DELEGABLE_ROLES]),
    status: Type.Enum(['accepted', 'declined']),
  });
  for (const [action, accept] of [
    ['accept', true],
    ['decline', false],
  ] as const) {
    app.post(
      `/staff-invitations/:id/${action}`,
      {
        schema: {
          tags,
          summary: accept ? 'Accept an invitation: join the shop’s staff' : 'Decline an invitation',
          params: Type.Object({ id: Id }),
          response: { 200: InvitationAnswer },
        },
      },
      (req, reply) =>
        command(req, reply, async (tx) => {
          const auth = requireBuyer(req);
          return {
            status: 200,
            body: await respondToInvitation(
              tx,
              { id: req.params.id, accountId: auth.accountId, accept },
              clock.now(),
            ),
          };
        }),
    );
  }

  // ---- API keys ----

  app.post(
    '/seller/shops/:shopId/api-keys',
    {
      schema: {
        tags,
        summary: 'Create an API key for the shop’s own systems; the key is shown only in this answer',
        params: ShopParams,
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 60 }),
          role: Type.Enum([...DELEGABLE_ROLES], { description: 'what the key may do, as a staff role' }),
        }),
        response: {
          201: Type.Object({ ...ApiKeyView.properties, key: Type.String({ description: 'shown once' }) }),
        },
      },
    },
    async (req, reply) => {
      const { shopId, auth } = await requireShopRole(req, req.params.shopId, OWNER_ONLY);
      return command(req, reply, async (tx) => ({
        status: 201,
        body: await createApiKey(tx, { shopId, ...req.body, createdBy: auth.accountId }, clock.now()),
      }));
    },
  );

  app.get(
    '/seller/shops/:shopId/api-keys',
    {
      schema: {
        tags,
        summary: 'The shop’s API keys (never the keys themselves)',
        params: ShopParams,
        response: { 200: Type.Object({ items: Type.Array(ApiKeyView) }) },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, OWNER_ONLY);
      return { items: await listApiKeys(database.db, shopId) };
    },
  );

  app.post(
    '/seller/shops/:shopId/api-keys/:id/revoke',
    {
      schema: {
        tags,
        summary: 'Revoke an API key: it stops working at once',
        params: Type.Object({ shopId: Id, id: Id }),
        response: { 200: ApiKeyView },
      },
    },
    async (req, reply) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, OWNER_ONLY);
      return command(req, reply, async (tx) => ({
        status: 200,
        body: await revokeApiKey(tx, { shopId, id: req.params.id }, clock.now()),
      }));
    },
  );
}
