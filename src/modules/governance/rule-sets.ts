import { and, desc, eq, lt, lte, or, type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../../db';
import { p, statement } from '../../db/statements';
import { AppError, conflict, type FieldError, invalidField } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { emit } from '../../kernel/outbox';
import { decodeCursor, page } from '../../kernel/pagination';
import { DEFAULT_RULES, type Rules, ruleProblems, SHOP_KINDS, type ShopKind } from './rules';
import { ruleSets } from './schema';
import './messages';

export interface RuleSet {
  id: string;
  kind: ShopKind;
  version: number;
  effectiveFrom: Date;
  rules: Rules;
  publishedBy: string | null;
  createdAt: Date;
}

/**
 * The built-in defaults count as in force since long before any shop existed, so every moment a
 * module may ask about (an order's payment time, a seeded history) has a rule set.
 */
export const DEFAULTS_EFFECTIVE_FROM = new Date('2000-01-01T00:00:00.000Z');

const badCursor = () =>
  new AppError(400, 'bad_cursor', {}, [{ path: '/cursor', in: 'query', code: 'field.invalid' }]);

function toRuleSet(row: typeof ruleSets.$inferSelect): RuleSet {
  return {
    id: row.id,
    kind: row.shopKind,
    version: row.version,
    effectiveFrom: row.effectiveFrom,
    rules: row.rules as Rules,
    publishedBy: row.publishedBy,
    createdAt: row.createdAt,
  };
}

/**
 * Installs version 1 of each kind from DEFAULT_RULES where it is missing. Idempotent, and safe when
 * several processes start at once: the unique (kind, version) index lets exactly one insert win.
 */
export async function ensureDefaultRuleSets(db: Executor, now: Date): Promise<void> {
  await db
    .insert(ruleSets)
    .values(
      SHOP_KINDS.map((kind) => ({
        id: newId('rules'),
        shopKind: kind,
        version: 1,
        effectiveFrom: DEFAULTS_EFFECTIVE_FROM,
        rules: DEFAULT_RULES[kind],
        publishedBy: null,
        createdAt: now,
      })),
    )
    .onConflictDoNothing({ target: [ruleSets.shopKind, ruleSets.version] });
}

/**
 * The rules in force for a kind of shop at a moment: the highest version whose effective time has
 * come. A newer version therefore replaces an older one that was scheduled later.
 */
export async function rulesFor(tx: Executor, kind: ShopKind, at: Date): Promise<RuleSet> {
  const [row] = await ruleSetInForce(tx, { kind, at });
  // Only a database that skipped ensureDefaultRuleSets can get here: a deployment fault, not a request's.
  if (!row) throw new Error(`no ${kind} rule set in force at ${at.toISOString()}`);
  return toRuleSet(row);
}

// Checkout and every paid order ask: its SQL is built once (see statement()).
const ruleSetInForce = statement((db) =>
  db
    .select()
    .from(ruleSets)
    .where(and(eq(ruleSets.shopKind, p('kind')), lte(ruleSets.effectiveFrom, p('at'))))
    .orderBy(desc(ruleSets.version))
    .limit(1),
);

export async function listRuleSets(
  tx: Executor,
  query: { kind?: ShopKind; cursor?: string; limit?: number },
) {
  const limit = query.limit ?? 20;
  const after = decodeCursor<{ k?: unknown; v?: unknown }>(query.cursor);
  const where: SQL[] = [];
  if (query.kind) where.push(eq(ruleSets.shopKind, query.kind));
  if (after) {
    const kind = SHOP_KINDS.find((k) => k === after.k);
    if (!kind || !Number.isSafeInteger(after.v)) throw badCursor();
    where.push(
      or(
        sql`${ruleSets.shopKind} > ${kind}`,
        and(eq(ruleSets.shopKind, kind), lt(ruleSets.version, after.v as number)),
      ) as SQL,
    );
  }
  const rows = await tx
    .select()
    .from(ruleSets)
    .where(and(...where))
    .orderBy(ruleSets.shopKind, desc(ruleSets.version))
    .limit(limit + 1);
  return page(rows.map(toRuleSet), limit, (r) => ({ k: r.kind, v: r.version }));
}

/**
 * Publishes the next version of a kind's rules. It cannot take effect in the past (decisions already
 * made stay explained by the rules they were made under). Two operators publishing at once: the
 * unique (kind, version) index lets one win and the other gets 409 and may retry.
 */
export async function publishRuleSet(
  tx: Executor,
  input: { kind: ShopKind; effectiveFrom: Date; rules: Rules; publishedBy: string },
  now: Date,
): Promise<RuleSet> {
  if (input.effectiveFrom.getTime() < now.getTime()) {
    throw invalidField('/effectiveFrom', 'field.not_in_past');
  }
  const problems = ruleProblems(input.kind, input.rules);
  if (problems.length) {
    const fields: FieldError[] = problems.map((p) => ({
      path: `/rules${p.path}`,
      in: 'body',
      code: p.code,
      params: p.params,
    }));
    throw new AppError(400, 'validation_failed', {}, fields, 'validation_failed_detail');
  }
  const [latest] = await tx
    .select({ version: ruleSets.version })
    .from(ruleSets)
    .where(eq(ruleSets.shopKind, input.kind))
    .orderBy(desc(ruleSets.version))
    .limit(1);
  const version = (latest?.version ?? 0) + 1;
  const [row] = await tx
    .insert(ruleSets)
    .values({
      id: newId('rules'),
      shopKind: input.kind,
      version,
      effectiveFrom: input.effectiveFrom,
      rules: input.rules,
      publishedBy: input.publishedBy,
      createdAt: now,
    })
    .onConflictDoNothing({ target: [ruleSets.shopKind, ruleSets.version] })
    .returning();
  if (!row) throw conflict('rule_set_version_taken');
  await emit(
    tx,
    'governance.rule_set_published',
    { kind: input.kind, version, effectiveFrom: input.effectiveFrom.toISOString() },
    { key: `${input.kind}:${version}`, at: now },
  );
  return toRuleSet(row);
}
