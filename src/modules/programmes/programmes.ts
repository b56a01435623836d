import { and, asc, desc, eq, gt, inArray, lte, sql } from 'drizzle-orm';
import type { Executor } from '../../db';
import { invalidField, notFound } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { emit } from '../../kernel/outbox';
import { decodeCursor, page } from '../../kernel/pagination';
import { scheduleDeadline } from '../../kernel/scheduler';
import { type CategoryNode, categoryTree } from '../catalog';
import { shopsWithSales } from '../trade';
import {
  type Criteria,
  type CriterionResult,
  DEFAULT_CRITERIA,
  evaluateCriteria,
  nextMonthlyReview,
} from './criteria';
import { boostMember, categoryReturnRates, shopInputs, unboostMember } from './inputs';
import {
  type MemberStatus,
  type Outcome,
  programmeEvaluations,
  programmeMembers,
  programmeRuns,
  programmes,
  type RunTrigger,
} from './schema';
import './messages';

export type Programme = typeof programmes.$inferSelect;
export type ProgrammeRun = typeof programmeRuns.$inferSelect;
export type ProgrammeMember = typeof programmeMembers.$inferSelect;

/** The durable monthly review of one programme (subject: the programme id). */
export const MONTHLY_REVIEW = 'programme.monthly_review';

const DAY_MS = 86_400_000;

/** The operator's thresholds over the platform's defaults; only known criteria are kept. */
function criteriaWithDefaults(given: Partial<Criteria> = {}): Criteria {
  const out = { ...DEFAULT_CRITERIA };
  for (const key of Object.keys(DEFAULT_CRITERIA) as (keyof Criteria)[]) {
    const value = given[key];
    if (typeof value === 'number') out[key] = value;
  }
  return out;
}

export async function createProgramme(
  tx: Executor,
  input: { name: string; categoryId: string; criteria?: Partial<Criteria>; createdBy: string },
  now: Date,
): Promise<Programme> {
  const node = findNode(await categoryTree(tx), input.categoryId);
  if (!node) throw invalidField('/categoryId', 'field.category_not_found');
  // Return rates (after-sales) are kept per leaf category, so a programme is judged on one.
  if (node.children.length > 0) throw invalidField('/categoryId', 'field.programme_category_not_leaf');
  const [row] = await tx
    .insert(programmes)
    .values({
      id: newId('qp'),
      name: input.name,
      categoryId: input.categoryId,
      criteria: criteriaWithDefaults(input.criteria),
      createdBy: input.createdBy,
      createdAt: now,
    })
    .returning();
  await scheduleDeadline(tx, {
    kind: MONTHLY_REVIEW,
    subjectId: row!.id,
    dueAt: nextMonthlyReview(now),
    now,
  });
  return row!;
}

export async function getProgramme(tx: Executor, id: string): Promise<Programme> {
  const [row] = await tx.select().from(programmes).where(eq(programmes.id, id));
  if (!row) throw notFound('programme_not_found');
  return row;
}

export async function listProgrammes(tx: Executor, q: { cursor?: string; limit: number }) {
  const c = decodeCursor<{ t: string; id: string }>(q.cursor);
  const rows = await tx
    .select()
    .from(programmes)
    .where(c ? sql`(${programmes.createdAt}, ${programmes.id}) > (${c.t}::timestamptz, ${c.id})` : undefined)
    .orderBy(asc(programmes.createdAt), asc(programmes.id))
    .limit(q.limit + 1);
  return page(rows, q.limit, (r) => ({ t: r.createdAt.toISOString(), id: r.id }));
}

function findNode(nodes: CategoryNode[], id: string): CategoryNode | undefined {
  for (const n of nodes) {
    const found = n.id === id ? n : findNode(n.children, id);
    if (found) return found;
  }
  return undefined;
}

/** The category and every category beneath it: sales anywhere in the subtree count for the programme. */
async function subtree(tx: Executor, categoryId: string): Promise<Set<string>> {
  const ids = new Set<string>();
  const collect = (node: CategoryNode) => {
    ids.add(node.id);
    for (const child of node.children) collect(child);
  };
  const node = findNode(await categoryTree(tx), categoryId);
  if (node) collect(node);
  return ids;
}

export interface ShopEvaluation {
  shopId: string;
  qualified: boolean;
  outcome: Outcome;
  results: CriterionResult[];
}

/**
 * Evaluates a programme now. Candidates are every shop that sold in the category over the sales
 * window plus every current member; those that meet every criterion are admitted (badge and search
 * boost), members that no longer do are demoted with their reasons. Admission is automatic because
 * every criterion is measured by the platform itself: an operator's approval would add delay, not
 * judgement (the operator's lever is the quality inspections). Runs hold the programme row, so two
 * evaluations of one programme never interleave.
 */
export async function evaluateProgramme(
  tx: Executor,
  programmeId: string,
  by: { trigger: RunTrigger; actorId?: string | null },
  now: Date,
): Promise<{ run: ProgrammeRun; shops: ShopEvaluation[] }> {
  const [programme] = await tx.select().from(programmes).where(eq(programmes.id, programmeId)).for('update');
  if (!programme) throw notFound('programme_not_found');
  const criteria = programme.criteria;
  const categories = await subtree(tx, programme.categoryId);
  const since = new Date(now.getTime() - criteria.salesWindowDays * DAY_MS);

  const members = new Map(
    (await tx.select().from(programmeMembers).where(eq(programmeMembers.programmeId, programmeId))).map(
      (m) => [m.shopId, m],
    ),
  );
  const sellers = await shopsWithSales(tx, { categoryIds: [...categories], since, until: now });
  const candidates = new Set(sellers);
  for (const m of members.values()) if (m.status === 'member') candidates.add(m.shopId);

  const returns = await categoryReturnRates(tx, programme.categoryId, since, now);
  const runId = newId('qpr');
  const shops: ShopEvaluation[] = [];
  let admitted = 0;
  let demoted = 0;
  for (const shopId of [...candidates].sort()) {
    const inputs = await shopInputs(tx, { shopId, programme, categories, returns }, now);
    const verdict = evaluateCriteria(inputs, criteria);
    const member = members.get(shopId);
    const isMember = member?.status === 'member';
    let outcome: Outcome;
    if (verdict.qualified && isMember) outcome = 'kept';
    else if (verdict.qualified) {
      outcome = 'admitted';
      admitted++;
      await tx
        .insert(programmeMembers)
        .values({ programmeId, shopId, status: 'member', admittedAt: now, updatedAt: now })
        .onConflictDoUpdate({
          target: [programmeMembers.programmeId, programmeMembers.shopId],
          set: { status: 'member', admittedAt: now, demotedAt: null, updatedAt: now },
        });
      await boostMember(tx, { shopId, programme }, now);
      await emit(
        tx,
        'programme.member_admitted',
        { programmeId, shopId, categoryId: programme.categoryId, runId },
        { key: shopId, at: now },
      );
    } else if (isMember) {
      outcome = 'demoted';
      demoted++;
      await tx
        .update(programmeMembers)
        .set({ status: 'demoted', demotedAt: now, updatedAt: now })
        .where(and(eq(programmeMembers.programmeId, programmeId), eq(programmeMembers.shopId, shopId)));
      await unboostMember(tx, { shopId, programme }, now);
      await emit(
        tx,
        'programme.member_demoted',
        {
          programmeId,
          shopId,
          categoryId: programme.categoryId,
          runId,
          failed: verdict.results
            .filter((r) => !r.passed)
            .map((r) => ({
              criterion: r.criterion,
              value: r.value,
              threshold: r.threshold,
              reason: r.reason,
            })),
        },
        { key: shopId, at: now },
      );
    } else outcome = 'not_admitted';
    shops.push({ shopId, qualified: verdict.qualified, outcome, results: verdict.results });
  }

  if (shops.length) {
    await tx.insert(programmeEvaluations).values(
      shops.map((s) => ({
        id: newId('qpe'),
        runId,
        programmeId,
        shopId: s.shopId,
        at: now,
        qualified: s.qualified,
        outcome: s.outcome,
        results: s.results,
      })),
    );
  }
  const [run] = await tx
    .insert(programmeRuns)
    .values({
      id: runId,
      programmeId,
      trigger: by.trigger,
      actorId: by.actorId ?? null,
      at: now,
      shopsEvaluated: shops.length,
      admitted,
      demoted,
    })
    .returning();
  await tx.update(programmes).set({ lastEvaluatedAt: now }).where(eq(programmes.id, programmeId));
  return { run: run!, shops };
}

/** The monthly review: evaluates the programme, then books the next month's review. */
export async function monthlyReview(tx: Executor, programmeId: string, now: Date): Promise<void> {
  const [programme] = await tx.select().from(programmes).where(eq(programmes.id, programmeId));
  if (!programme) return;
  await evaluateProgramme(tx, programmeId, { trigger: 'monthly' }, now);
  await scheduleDeadline(tx, {
    kind: MONTHLY_REVIEW,
    subjectId: programmeId,
    dueAt: nextMonthlyReview(now),
    now,
  });
}

export async function listRuns(tx: Executor, programmeId: string) {
  return tx
    .select()
    .from(programmeRuns)
    .where(eq(programmeRuns.programmeId, programmeId))
    .orderBy(asc(programmeRuns.at), asc(programmeRuns.id));
}

export async function listMembers(
  tx: Executor,
  programmeId: string,
  q: { status?: MemberStatus; cursor?: string; limit: number },
) {
  await getProgramme(tx, programmeId);
  const c = decodeCursor<{ s: string }>(q.cursor);
  const rows = await tx
    .select()
    .from(programmeMembers)
    .where(
      and(
        eq(programmeMembers.programmeId, programmeId),
        q.status ? eq(programmeMembers.status, q.status) : undefined,
        c ? gt(programmeMembers.shopId, String(c.s)) : undefined,
      ),
    )
    .orderBy(asc(programmeMembers.shopId))
    .limit(q.limit + 1);
  return page(rows, q.limit, (r) => ({ s: r.shopId }));
}

export interface ShopProgrammeStatus {
  programme: Programme;
  status: MemberStatus | 'not_member';
  admittedAt: Date | null;
  demotedAt: Date | null;
  lastEvaluation: { at: Date; qualified: boolean; outcome: Outcome; results: CriterionResult[] } | null;
}

/** Where a shop stands in every programme: membership and its latest evaluation, criterion by criterion. */
export async function shopProgrammes(tx: Executor, shopId: string): Promise<ShopProgrammeStatus[]> {
  const all = await tx.select().from(programmes).orderBy(asc(programmes.createdAt), asc(programmes.id));
  if (all.length === 0) return [];
  const members = new Map(
    (await tx.select().from(programmeMembers).where(eq(programmeMembers.shopId, shopId))).map((m) => [
      m.programmeId,
      m,
    ]),
  );
  const latest = new Map(
    (
      await tx
        .selectDistinctOn([programmeEvaluations.programmeId])
        .from(programmeEvaluations)
        .where(eq(programmeEvaluations.shopId, shopId))
        .orderBy(
          programmeEvaluations.programmeId,
          desc(programmeEvaluations.at),
          desc(programmeEvaluations.id),
        )
    ).map((e) => [e.programmeId, e]),
  );
  return all.map((programme) => {
    const m = members.get(programme.id);
    const e = latest.get(programme.id);
    return {
      programme,
      status: m?.status ?? 'not_member',
      admittedAt: m?.admittedAt ?? null,
      demotedAt: m?.demotedAt ?? null,
      lastEvaluation: e ? { at: e.at, qualified: e.qualified, outcome: e.outcome, results: e.results } : null,
    };
  });
}

export interface Badge {
  programmeId: string;
  name: string;
  categoryId: string;
  since: Date;
}

/** The programme badges a shop wears now (for its public page and its products in search). */
export async function shopBadges(tx: Executor, shopId: string, now: Date): Promise<Badge[]> {
  return (await badgesByShop(tx, [shopId], now)).get(shopId) ?? [];
}

/** Badges of many shops in one query (a page of search results); shops without any are absent. */
export async function badgesByShop(
  tx: Executor,
  shopIds: string[],
  now: Date,
): Promise<Map<string, Badge[]>> {
  const out = new Map<string, Badge[]>();
  if (shopIds.length === 0) return out;
  const rows = await tx
    .select({
      shopId: programmeMembers.shopId,
      programmeId: programmes.id,
      name: programmes.name,
      categoryId: programmes.categoryId,
      since: programmeMembers.admittedAt,
    })
    .from(programmeMembers)
    .innerJoin(programmes, eq(programmes.id, programmeMembers.programmeId))
    .where(
      and(
        inArray(programmeMembers.shopId, [...new Set(shopIds)]),
        eq(programmeMembers.status, 'member'),
        lte(programmeMembers.admittedAt, now),
      ),
    )
    .orderBy(asc(programmeMembers.admittedAt), asc(programmes.id));
  for (const { shopId, ...badge } of rows) {
    const list = out.get(shopId) ?? [];
    list.push(badge);
    out.set(shopId, list);
  }
  return out;
}
