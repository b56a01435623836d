import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' });
export const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** One row per (caller, Idempotency-Key): the request's fingerprint and, once done, its answer. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    statusCode: smallint('status_code'),
    responseBody: jsonb('response_body'),
    createdAt: tstz('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] })],
);

/**
 * Domain events written in the same transaction as the change they describe. `txId` lets consumers
 * read only events whose transactions have all finished, so none is skipped when commits interleave.
 */
export const outboxEvents = pgTable(
  'outbox_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    txId: xid8('tx_id').notNull().default(sql`pg_current_xact_id()`),
    topic: text('topic').notNull(),
    key: text('key'),
    payload: jsonb('payload').notNull(),
    occurredAt: tstz('occurred_at').notNull(),
  },
  (t) => [index('outbox_events_order').on(t.txId, t.id)],
);

/** Where each consumer has read up to in the outbox. */
export const outboxConsumers = pgTable('outbox_consumers', {
  name: text('name').primaryKey(),
  positionTx: xid8('position_tx').notNull().default(sql`'0'::xid8`),
  positionId: bigint('position_id', { mode: 'number' }).notNull().default(0),
  updatedAt: tstz('updated_at'),
});

/** Durable deadlines: a due time and a kind whose handler a module registered. */
export const deadlines = pgTable(
  'deadlines',
  {
    id: text('id').primaryKey(),
    kind: text('kind').notNull(),
    subjectId: text('subject_id').notNull(),
    dueAt: tstz('due_at').notNull(),
    payload: jsonb('payload').notNull().default({}),
    status: text('status', { enum: ['pending', 'done', 'cancelled', 'failed'] })
      .notNull()
      .default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    createdAt: tstz('created_at').notNull(),
    doneAt: tstz('done_at'),
  },
  (t) => [
    index('deadlines_due').on(t.dueAt).where(sql`status = 'pending'`),
    uniqueIndex('deadlines_one_pending').on(t.kind, t.subjectId).where(sql`status = 'pending'`),
  ],
);

/** The manual clock's time, shared by every process on the database. */
export const clockState = pgTable('clock_state', {
  id: smallint('id').primaryKey().default(1),
  now: tstz('now').notNull(),
});
