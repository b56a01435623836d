import { boolean, index, integer, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { tstz } from '../../kernel/schema';
import type { Criteria, CriterionResult } from './criteria';

/** A quality programme an operator runs for one category (and everything beneath it). */
export const programmes = pgTable(
  'quality_programmes',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    categoryId: text('category_id').notNull(),
    criteria: jsonb('criteria').$type<Criteria>().notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: tstz('created_at').notNull(),
    lastEvaluatedAt: tstz('last_evaluated_at'),
  },
  (t) => [index('quality_programmes_created').on(t.createdAt, t.id)],
);

export const MEMBER_STATUSES = ['member', 'demoted'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

/** A shop that has been admitted to a programme; it stays here (as demoted) after it leaves. */
export const programmeMembers = pgTable(
  'quality_programme_members',
  {
    programmeId: text('programme_id').notNull(),
    shopId: text('shop_id').notNull(),
    status: text('status', { enum: MEMBER_STATUSES }).notNull(),
    admittedAt: tstz('admitted_at').notNull(),
    demotedAt: tstz('demoted_at'),
    updatedAt: tstz('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.programmeId, t.shopId] }),
    index('quality_programme_members_shop').on(t.shopId),
  ],
);

export const RUN_TRIGGERS = ['operator', 'monthly'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

/** One evaluation of a programme: when, why, and what it changed. */
export const programmeRuns = pgTable(
  'quality_programme_runs',
  {
    id: text('id').primaryKey(),
    programmeId: text('programme_id').notNull(),
    trigger: text('trigger', { enum: RUN_TRIGGERS }).notNull(),
    actorId: text('actor_id'),
    at: tstz('at').notNull(),
    shopsEvaluated: integer('shops_evaluated').notNull(),
    admitted: integer('admitted').notNull(),
    demoted: integer('demoted').notNull(),
  },
  (t) => [index('quality_programme_runs_programme').on(t.programmeId, t.at)],
);

export const OUTCOMES = ['admitted', 'kept', 'demoted', 'not_admitted'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** One shop's result in one run: every criterion's value, threshold and verdict. */
export const programmeEvaluations = pgTable(
  'quality_programme_evaluations',
  {
    id: text('id').primaryKey(),
    runId: text('run_id').notNull(),
    programmeId: text('programme_id').notNull(),
    shopId: text('shop_id').notNull(),
    at: tstz('at').notNull(),
    qualified: boolean('qualified').notNull(),
    outcome: text('outcome', { enum: OUTCOMES }).notNull(),
    results: jsonb('results').$type<CriterionResult[]>().notNull(),
  },
  (t) => [
    index('quality_programme_evaluations_shop').on(t.shopId, t.programmeId, t.at),
    index('quality_programme_evaluations_run').on(t.runId),
  ],
);

/** A quality inspection the platform made of a shop's goods in a category. */
export const qualityChecks = pgTable(
  'quality_checks',
  {
    id: text('id').primaryKey(),
    shopId: text('shop_id').notNull(),
    categoryId: text('category_id').notNull(),
    productId: text('product_id'),
    passed: boolean('passed').notNull(),
    note: text('note'),
    inspectedAt: tstz('inspected_at').notNull(),
    recordedBy: text('recorded_by').notNull(),
    createdAt: tstz('created_at').notNull(),
  },
  (t) => [index('quality_checks_shop').on(t.shopId, t.inspectedAt)],
);
