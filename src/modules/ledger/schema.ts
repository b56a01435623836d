import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, check, index, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { tstz } from '../../kernel/schema';

export const ACCOUNT_KINDS = ['asset', 'liability', 'revenue', 'expense'] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

/**
 * One row per account of the chart (see accounts.ts for the codes). `balance` is kept in the
 * account's normal direction: debits raise assets and expenses, credits raise liabilities and
 * revenue, so a shop's frozen deposit of 1,000 yuan reads 100000 here.
 */
export const ledgerAccounts = pgTable(
  'ledger_accounts',
  {
    id: text('id').primaryKey(),
    code: text('code').notNull(),
    kind: text('kind', { enum: ACCOUNT_KINDS }).notNull(),
    shopId: text('shop_id'),
    currency: text('currency').notNull(),
    balance: bigint('balance', { mode: 'number' }).notNull().default(0),
    allowNegative: boolean('allow_negative').notNull(),
    createdAt: tstz('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('ledger_accounts_code').on(t.code),
    index('ledger_accounts_shop').on(t.shopId),
    // The database itself refuses an overdraft, should any code path skip postTransaction's guard.
    check('ledger_accounts_no_overdraft', sql`${t.allowNegative} or ${t.balance} >= 0`),
  ],
);

/** One money movement; its postings always add up to zero per currency. */
export const ledgerTransactions = pgTable(
  'ledger_transactions',
  {
    id: text('id').primaryKey(),
    /** What happened, e.g. `shop.deposit`, `shop.tier_fee`, `order.settlement`. */
    kind: text('kind').notNull(),
    memo: text('memo').notNull(),
    /** The business object it belongs to (an order, a shop, a refund id). */
    ref: text('ref'),
    shopId: text('shop_id'),
    createdAt: tstz('created_at').notNull(),
  },
  (t) => [index('ledger_transactions_ref').on(t.ref), index('ledger_transactions_shop').on(t.shopId)],
);

/**
 * The lines of a transaction. `amount` is signed: debit positive, credit negative. `balanceAfter`
 * is the account's balance (normal direction) right after this line, for statements.
 */
export const ledgerPostings = pgTable(
  'ledger_postings',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    transactionId: text('transaction_id')
      .notNull()
      .references(() => ledgerTransactions.id),
    accountId: text('account_id')
      .notNull()
      .references(() => ledgerAccounts.id),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    balanceAfter: bigint('balance_after', { mode: 'number' }).notNull(),
  },
  (t) => [
    index('ledger_postings_account').on(t.accountId, t.id),
    index('ledger_postings_transaction').on(t.transactionId),
  ],
);
