import { index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { tstz } from '../../kernel/schema';

/**
 * Versioned platform rules, one series per shop kind. A version applies from its effective time
 * until a higher version takes effect; rows are never changed once written, so any past decision
 * can be explained by the version that was in force.
 */
export const ruleSets = pgTable(
  'rule_sets',
  {
    id: text('id').primaryKey(),
    shopKind: text('shop_kind', { enum: ['mall', 'market'] }).notNull(),
    version: integer('version').notNull(),
    effectiveFrom: tstz('effective_from').notNull(),
    /** A document matching RulesSchema (rules.ts). */
    rules: jsonb('rules').notNull(),
    /** The operator who published it; null for the built-in defaults. */
    publishedBy: text('published_by'),
    createdAt: tstz('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('rule_sets_kind_version').on(t.shopKind, t.version),
    index('rule_sets_kind_effective').on(t.shopKind, t.effectiveFrom),
  ],
);
