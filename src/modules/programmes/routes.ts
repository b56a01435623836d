import { type TSchema, Type } from 'typebox';
import type { Executor } from '../../db';
import { command } from '../../kernel/command';
import type { App } from '../../kernel/context';
import { notFound } from '../../kernel/errors';
import { type Locale, t } from '../../kernel/i18n';
import { PageQuery, pageSchema } from '../../kernel/pagination';
import { pendingDeadline } from '../../kernel/scheduler';
import { requireOperator } from '../identity';
import { getShop, requireShopRole } from '../merchants';
import { CRITERIA, type CriterionResult } from './criteria';
import {
  createProgramme,
  evaluateProgramme,
  listMembers,
  listProgrammes,
  MONTHLY_REVIEW,
  type Programme,
  type ProgrammeRun,
  shopBadges,
  shopProgrammes,
} from './programmes';
import { type QualityCheck, recordQualityCheck } from './quality-checks';
import { MEMBER_STATUSES, OUTCOMES, RUN_TRIGGERS } from './schema';
import './messages';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Id = Type.String({ minLength: 1, maxLength: 64 });
const DateTime = Type.String({ format: 'date-time' });

const CriteriaFields = {
  minRating: Type.Number({ minimum: 0, maximum: 5, description: 'overall shop rating, stars' }),
  minCategorySharePercent: Type.Number({
    minimum: 0,
    maximum: 100,
    description: 'share of the sales window’s GMV in the category, percent',
  }),
  minOnTimePercent: Type.Number({
    minimum: 0,
    maximum: 100,
    description: 'orders shipped by their deadline among those due in the sales window, percent',
  }),
  salesWindowDays: Type.Integer({ minimum: 1, maximum: 365 }),
  qualityCheckDays: Type.Integer({ minimum: 1, maximum: 365 }),
};

const ProgrammeView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  categoryId: Type.String(),
  criteria: Type.Object(CriteriaFields),
  createdAt: DateTime,
  lastEvaluatedAt: Nullable(DateTime),
  nextReviewAt: Nullable(DateTime),
});

const CriterionView = Type.Object({
  criterion: Type.Enum([...CRITERIA]),
  label: Type.String(),
  value: Nullable(Type.Number()),
  threshold: Nullable(Type.Number()),
  passed: Type.Boolean(),
  reasonCode: Type.String(),
  reason: Type.String(),
});

const Outcome = Type.Enum([...OUTCOMES]);

const ShopEvaluationView = Type.Object({
  shopId: Type.String(),
  qualified: Type.Boolean(),
  outcome: Outcome,
  criteria: Type.Array(CriterionView),
});

const RunView = Type.Object({
  id: Type.String(),
  programmeId: Type.String(),
  trigger: Type.Enum([...RUN_TRIGGERS]),
  at: DateTime,
  shopsEvaluated: Type.Integer(),
  admitted: Type.Integer(),
  demoted: Type.Integer(),
});

const MemberView = Type.Object({
  shopId: Type.String(),
  status: Type.Enum([...MEMBER_STATUSES]),
  admittedAt: DateTime,
  demotedAt: Nullable(DateTime),
});

const BadgeView = Type.Object({
  programmeId: Type.String(),
  name: Type.String(),
  categoryId: Type.String(),
  since: DateTime,
});

const QualityCheckView = Type.Object({
  id: Type.String(),
  shopId: Type.String(),
  categoryId: Type.String(),
  productId: Nullable(Type.String()),
  passed: Type.Boolean(),
  note: Nullable(Type.String()),
  inspectedAt: DateTime,
  recordedBy: Type.String(),
  createdAt: DateTime,
});

async function programmeView(tx: Executor, p: Programme) {
  const next = await pendingDeadline(tx, MONTHLY_REVIEW, p.id);
  return {
    id: p.id,
    name: p.name,
    categoryId: p.categoryId,
    criteria: p.criteria,
    createdAt: p.createdAt.toISOString(),
    lastEvaluatedAt: p.lastEvaluatedAt?.toISOString() ?? null,
    nextReviewAt: next?.dueAt.toISOString() ?? null,
  };
}

function criterionView(r: CriterionResult, locale: Locale) {
  return {
    criterion: r.criterion,
    label: t(`criterion.${r.criterion}`, locale),
    value: r.value,
    threshold: r.threshold,
    passed: r.passed,
    reasonCode: r.reason,
    reason: t(r.reason, locale, r.params),
  };
}

const runView = (r: ProgrammeRun) => ({
  id: r.id,
  programmeId: r.programmeId,
  trigger: r.trigger,
  at: r.at.toISOString(),
  shopsEvaluated: r.shopsEvaluated,
  admitted: r.admitted,
  demoted: r.demoted,
});

const qualityCheckView = (q: QualityCheck) => ({
  id: q.id,
  shopId: q.shopId,
  categoryId: q.categoryId,
  productId: q.productId,
  passed: q.passed,
  note: q.note,
  inspectedAt: q.inspectedAt.toISOString(),
  recordedBy: q.recordedBy,
  createdAt: q.createdAt.toISOString(),
});

export async function programmesRoutes(app: App): Promise<void> {
  const { clock, database } = app.jishi;
  const db = database.db;
  const adminTags = ['programmes', 'admin'];

  // ---- operator -------------------------------------------------------------------------------

  app.post(
    '/admin/programmes',
    {
      schema: {
        tags: adminTags,
        summary: 'Define a quality programme for a category (criteria default to the platform’s)',
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 60 }),
          categoryId: Id,
          criteria: Type.Optional(Type.Partial(Type.Object(CriteriaFields))),
        }),
        response: { 201: ProgrammeView },
      },
    },
    (req, reply) => {
      const operator = requireOperator(req);
      return command(req, reply, async (tx) => {
        const programme = await createProgramme(
          tx,
          { ...req.body, createdBy: operator.accountId },
          clock.now(),
        );
        return { status: 201, body: await programmeView(tx, programme) };
      });
    },
  );

  app.get(
    '/admin/programmes',
    {
      schema: {
        tags: adminTags,
        summary: 'Every quality programme, oldest first',
        querystring: Type.Object({ ...PageQuery }),
        response: { 200: pageSchema(ProgrammeView) },
      },
    },
    async (req) => {
      requireOperator(req);
      const result = await listProgrammes(db, { ...req.query, limit: req.query.limit ?? 20 });
      const items = [];
      for (const p of result.items) items.push(await programmeView(db, p));
      return { items, nextCursor: result.nextCursor };
    },
  );

  app.post(
    '/admin/programmes/:id/evaluate',
    {
      schema: {
        tags: adminTags,
        summary: 'Evaluate a programme now: admits qualifying shops, demotes members that fail',
        params: Type.Object({ id: Id }),
        response: { 200: Type.Object({ run: RunView, shops: Type.Array(ShopEvaluationView) }) },
      },
    },
    (req, reply) => {
      const operator = requireOperator(req);
      return command(req, reply, async (tx) => {
        const { run, shops } = await evaluateProgramme(
          tx,
          req.params.id,
          { trigger: 'operator', actorId: operator.accountId },
          clock.now(),
        );
        return {
          status: 200,
          body: {
            run: runView(run),
            shops: shops.map((s) => ({
              shopId: s.shopId,
              qualified: s.qualified,
              outcome: s.outcome,
              criteria: s.results.map((r) => criterionView(r, req.locale)),
            })),
          },
        };
      });
    },
  );

  app.get(
    '/admin/programmes/:id/members',
    {
      schema: {
        tags: adminTags,
        summary: 'A programme’s members (and former members, demoted)',
        params: Type.Object({ id: Id }),
        querystring: Type.Object({ status: Type.Optional(Type.Enum([...MEMBER_STATUSES])), ...PageQuery }),
        response: { 200: pageSchema(MemberView) },
      },
    },
    async (req) => {
      requireOperator(req);
      const result = await listMembers(db, req.params.id, {
        ...req.query,
        limit: req.query.limit ?? 20,
      });
      return {
        items: result.items.map((m) => ({
          shopId: m.shopId,
          status: m.status,
          admittedAt: m.admittedAt.toISOString(),
          demotedAt: m.demotedAt?.toISOString() ?? null,
        })),
        nextCursor: result.nextCursor,
      };
    },
  );

  app.post(
    '/admin/quality-checks',
    {
      schema: {
        tags: adminTags,
        summary: 'Record a quality inspection of a shop’s goods in a category',
        body: Type.Object({
          shopId: Id,
          categoryId: Id,
          productId: Type.Optional(Nullable(Id)),
          passed: Type.Boolean(),
          note: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
          inspectedAt: Type.Optional(DateTime),
        }),
        response: { 201: QualityCheckView },
      },
    },
    (req, reply) => {
      const operator = requireOperator(req);
      return command(req, reply, async (tx) => {
        const check = await recordQualityCheck(
          tx,
          {
            ...req.body,
            inspectedAt: req.body.inspectedAt ? new Date(req.body.inspectedAt) : undefined,
            recordedBy: operator.accountId,
          },
          clock.now(),
        );
        return { status: 201, body: qualityCheckView(check) };
      });
    },
  );

  // ---- merchant -------------------------------------------------------------------------------

  app.get(
    '/seller/shops/:shopId/programmes',
    {
      schema: {
        tags: ['programmes', 'seller'],
        summary: 'The shop’s standing in every quality programme, criterion by criterion',
        params: Type.Object({ shopId: Id }),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                programme: Type.Object({ id: Type.String(), name: Type.String(), categoryId: Type.String() }),
                status: Type.Enum([...MEMBER_STATUSES, 'not_member']),
                admittedAt: Nullable(DateTime),
                demotedAt: Nullable(DateTime),
                lastEvaluation: Nullable(
                  Type.Object({
                    at: DateTime,
                    qualified: Type.Boolean(),
                    outcome: Outcome,
                    criteria: Type.Array(CriterionView),
                  }),
                ),
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId);
      const items = await shopProgrammes(db, shopId);
      return {
        items: items.map((s) => ({
          programme: { id: s.programme.id, name: s.programme.name, categoryId: s.programme.categoryId },
          status: s.status,
          admittedAt: s.admittedAt?.toISOString() ?? null,
          demotedAt: s.demotedAt?.toISOString() ?? null,
          lastEvaluation: s.lastEvaluation
            ? {
                at: s.lastEvaluation.at.toISOString(),
                qualified: s.lastEvaluation.qualified,
                outcome: s.lastEvaluation.outcome,
                criteria: s.lastEvaluation.results.map((r) => criterionView(r, req.locale)),
              }
            : null,
        })),
      };
    },
  );

  // ---- storefront -----------------------------------------------------------------------------

  app.get(
    '/shops/:shopId/badges',
    {
      schema: {
        tags: ['programmes'],
        summary: 'The quality-programme badges a shop wears',
        security: [],
        params: Type.Object({ shopId: Id }),
        response: { 200: Type.Object({ items: Type.Array(BadgeView) }) },
      },
    },
    async (req) => {
      if (!(await getShop(db, req.params.shopId))) throw notFound('shop_not_found');
      const badges = await shopBadges(db, req.params.shopId, clock.now());
      return { items: badges.map((b) => ({ ...b, since: b.since.toISOString() })) };
    },
  );
}
