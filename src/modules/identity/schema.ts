import { boolean, index, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { tstz } from '../../kernel/schema';

export const accounts = pgTable(
  'accounts',
  {
    id: text('id').primaryKey(),
    /** Lower-cased sign-in name: a user name, an e-mail address or a phone number. */
    login: text('login').notNull(),
    displayName: text('display_name').notNull(),
    passwordHash: text('password_hash').notNull(),
    locale: text('locale', { enum: ['zh-CN', 'en'] })
      .notNull()
      .default('zh-CN'),
    isOperator: boolean('is_operator').notNull().default(false),
    status: text('status', { enum: ['active', 'disabled'] })
      .notNull()
      .default('active'),
    createdAt: tstz('created_at').notNull(),
  },
  (t) => [uniqueIndex('accounts_login').on(t.login)],
);

/** Opaque session tokens; only their SHA-256 is stored, so a database leak yields no usable token. */
export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    tokenHash: text('token_hash').notNull(),
    createdAt: tstz('created_at').notNull(),
    expiresAt: tstz('expires_at').notNull(),
    userAgent: text('user_agent'),
  },
  (t) => [uniqueIndex('sessions_token').on(t.tokenHash), index('sessions_account').on(t.accountId)],
);

/** Failed sign-ins, counted per login over a window to throttle password guessing across processes. */
export const loginFailures = pgTable(
  'login_failures',
  {
    id: text('id').primaryKey(),
    login: text('login').notNull(),
    ip: text('ip'),
    at: tstz('at').notNull(),
  },
  (t) => [index('login_failures_login_at').on(t.login, t.at.desc())],
);
