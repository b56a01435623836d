import { createHmac } from 'node:crypto';
import { and, desc, eq, type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../../db';
import { notFound } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { categoryScope, stageSql } from './aipl';
import type { AiplWindows, Stage } from './aipl-rules';
import { type Layer, layerSql } from './crm';
import { aiplFacts, crmRelations, segments } from './schema';

/** A saved audience's filter. Every part is optional; all given parts must hold. */
export interface SegmentFilter {
  stages?: Stage[];
  /** The AIPL scope the stages are read in (`brand:<id>` or `category:<id>`); any of the shop's when absent. */
  scope?: string;
  layers?: Layer[];
  /** Consumers in any AIPL stage for these categories (categories of interest). */
  categoryIds?: string[];
  /** Seen at the shop within this many days. */
  recencyDays?: number;
  /** Spend at the shop, fen. */
  minSpend?: number;
  maxSpend?: number;
  regions?: string[];
}

export type Segment = typeof segments.$inferSelect;

function conditions(shopId: string, f: SegmentFilter, today: number, w: AiplWindows, now: Date): SQL[] {
  const where: SQL[] = [eq(crmRelations.shopId, shopId)];
  if (f.layers?.length)
    where.push(
      sql`${layerSql(shopId)} in (${sql.join(
        f.layers.map((l) => sql`${l}`),
        sql`, `,
      )})`,
    );
  if (f.stages?.length) {
    where.push(sql`exists (select 1 from ${aiplFacts} where aipl_facts.shop_id = ${shopId}
      and aipl_facts.consumer_id = ${crmRelations.consumerId}
      ${f.scope ? sql`and aipl_facts.scope = ${f.scope}` : sql``}
      and ${stageSql(today, w)} in (${sql.join(
        f.stages.map((s) => sql`${s}`),
        sql`, `,
      )}))`);
  }
  if (f.categoryIds?.length) {
    where.push(sql`exists (select 1 from ${aiplFacts} where aipl_facts.shop_id = ${shopId}
      and aipl_facts.consumer_id = ${crmRelations.consumerId}
      and aipl_facts.scope in (${sql.join(
        f.categoryIds.map((c) => sql`${categoryScope(c)}`),
        sql`, `,
      )})
      and ${stageSql(today, w)} <> 'none')`);
  }
  if (f.recencyDays !== undefined) {
    where.push(
      sql`${crmRelations.lastSeenAt} >= ${new Date(now.getTime() - f.recencyDays * 86_400_000).toISOString()}::timestamptz`,
    );
  }
  if (f.minSpend !== undefined) where.push(sql`${crmRelations.spend} >= ${f.minSpend}`);
  if (f.maxSpend !== undefined) where.push(sql`${crmRelations.spend} <= ${f.maxSpend}`);
  if (f.regions?.length)
    where.push(
      sql`${crmRelations.region} in (${sql.join(
        f.regions.map((r) => sql`${r}`),
        sql`, `,
      )})`,
    );
  return where;
}

/** How many of the shop's consumers match a filter now (counts follow the data: nothing is cached). */
export async function countMatching(
  tx: Executor,
  shopId: string,
  f: SegmentFilter,
  today: number,
  w: AiplWindows,
  now: Date,
): Promise<number> {
  const [row] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(crmRelations)
    .where(and(...conditions(shopId, f, today, w, now)));
  return Number(row?.n ?? 0);
}

/** The consumer ids that match, in id order (for coupon audiences: they stay inside the platform). */
export async function matchingConsumers(
  tx: Executor,
  shopId: string,
  f: SegmentFilter,
  today: number,
  w: AiplWindows,
  now: Date,
): Promise<string[]> {
  const rows = await tx
    .select({ id: crmRelations.consumerId })
    .from(crmRelations)
    .where(and(...conditions(shopId, f, today, w, now)))
    .orderBy(crmRelations.consumerId);
  return rows.map((r) => r.id);
}

export async function createSegment(
  tx: Executor,
  shopId: string,
  input: { name: string; filter: SegmentFilter },
  now: Date,
): Promise<Segment> {
  const [row] = await tx
    .insert(segments)
    .values({
      id: newId('seg'),
      shopId,
      name: input.name,
      filter: input.filter as Record<string, unknown>,
      createdAt: now,
    })
    .returning();
  return row!;
}

export async function getSegment(tx: Executor, shopId: string, id: string): Promise<Segment> {
  const [row] = await tx
    .select()
    .from(segments)
    .where(and(eq(segments.id, id), eq(segments.shopId, shopId)));
  if (!row) throw notFound('segment_not_found');
  return row;
}

export async function listSegments(tx: Executor, shopId: string): Promise<Segment[]> {
  return tx
    .select()
    .from(segments)
    .where(eq(segments.shopId, shopId))
    .orderBy(desc(segments.createdAt), segments.id);
}

export async function deleteSegment(tx: Executor, shopId: string, id: string): Promise<void> {
  const [row] = await tx
    .delete(segments)
    .where(and(eq(segments.id, id), eq(segments.shopId, shopId)))
    .returning();
  if (!row) throw notFound('segment_not_found');
}

/**
 * A consumer's id as one shop's exports show it: an HMAC of the shop and the id, so one shop's file
 * cannot be joined with another's, and nothing personal leaves the platform.
 */
export function pseudonym(secret: string, shopId: string, consumerId: string): string {
  return createHmac('sha256', secret).update(`${shopId}\u0000${consumerId}`).digest('hex').slice(0, 24);
}

/** The segment as CSV: one pseudonymised id per line, under a header. */
export function segmentCsv(secret: string, shopId: string, consumerIds: string[]): string {
  return `consumer\n${consumerIds.map((id) => pseudonym(secret, shopId, id)).join('\n')}${consumerIds.length ? '\n' : ''}`;
}
