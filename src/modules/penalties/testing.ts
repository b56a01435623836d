// Test fixtures for the penalties suites. Not used by production code.
import { and, asc, eq } from 'drizzle-orm';
import { expect } from 'vitest';
import type { Client, TestContext } from '../../../test/helpers';
import { deadlines, outboxEvents } from '../../kernel/schema';

/** An operator adds points through the API; answers the 201 body. */
export async function addPoints(
  operator: Client,
  shopId: string,
  track: 'general' | 'serious' | 'counterfeit',
  points: number,
  reason = 'other',
) {
  const r = await operator.post(`/admin/shops/${shopId}/penalties`, {
    track,
    points,
    reason,
    note: `${points} ${track} points`,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

/** The payloads of the outbox events of this topic about this shop, oldest first. */
export async function eventsFor(ctx: TestContext, topic: string, shopId: string) {
  const rows = await ctx.db
    .select({ payload: outboxEvents.payload })
    .from(outboxEvents)
    .where(and(eq(outboxEvents.topic, topic), eq(outboxEvents.key, shopId)))
    .orderBy(asc(outboxEvents.id));
  return rows.map((r) => r.payload as Record<string, unknown>);
}

export async function deadlinesFor(ctx: TestContext, kind: string, subjectId: string) {
  return ctx.db
    .select()
    .from(deadlines)
    .where(and(eq(deadlines.kind, kind), eq(deadlines.subjectId, subjectId)))
    .orderBy(asc(deadlines.createdAt), asc(deadlines.id));
}

/** Advances the clock to exactly `at` (which must not be in the past). */
export async function advanceTo(ctx: TestContext, at: Date) {
  const minutes = (at.getTime() - ctx.clock.now().getTime()) / 60_000;
  if (minutes < 0) throw new Error(`cannot go back to ${at.toISOString()}`);
  await ctx.advance({ minutes });
}
