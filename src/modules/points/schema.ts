import { index, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { tstz } from '../../kernel/schema';

/**
 * Platform points a buyer holds, one row per grant: each grant expires on its own date (the end of
 * the year after it was earned), and spending takes the oldest first.
 */
export const pointsLots = pgTable(
  'points_lots',
  {
    id: text('id').primaryKey(),
    buyerId: text('buyer_id').notNull(),
    points: integer('points').notNull(),
    remaining: integer('remaining').notNull(),
    /** What a point was worth in fen when granted: the liability the platform carries for it. */
    fenPerPoint: integer('fen_per_point').notNull(),
    reason: text('reason').notNull(),
    ref: text('ref'),
    grantedAt: tstz('granted_at').notNull(),
    expiresAt: tstz('expires_at').notNull(),
  },
  (t) => [index('points_lots_buyer').on(t.buyerId, t.expiresAt)],
);

/** The buyer's points history: every grant, use and expiry. */
export const pointsEntries = pgTable(
  'points_entries',
  {
    id: text('id').primaryKey(),
    buyerId: text('buyer_id').notNull(),
    delta: integer('delta').notNull(),
    reason: text('reason').notNull(),
    ref: text('ref'),
    lotId: text('lot_id'),
    at: tstz('at').notNull(),
  },
  (t) => [index('points_entries_buyer').on(t.buyerId, t.at, t.id)],
);
