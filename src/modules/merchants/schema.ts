import { index, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { tstz } from '../../kernel/schema';

export const STAFF_ROLES = ['owner', 'operations', 'service', 'warehouse', 'finance'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export const shops = pgTable('shops', {
  id: text('id').primaryKey(),
  kind: text('kind', { enum: ['mall', 'market'] }).notNull(),
  name: text('name').notNull(),
  ownerAccountId: text('owner_account_id').notNull(),
  status: text('status', { enum: ['active', 'suspended', 'closed'] })
    .notNull()
    .default('active'),
  createdAt: tstz('created_at').notNull(),
});

/** Who works for which shop, in which role. Every seller route checks it (see access.ts). */
export const shopStaff = pgTable(
  'shop_staff',
  {
    shopId: text('shop_id')
      .notNull()
      .references(() => shops.id),
    accountId: text('account_id').notNull(),
    role: text('role', { enum: STAFF_ROLES }).notNull(),
    createdAt: tstz('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.shopId, t.accountId] }), index('shop_staff_account').on(t.accountId)],
);
