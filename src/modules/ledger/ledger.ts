import { and, desc, eq, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import type { Executor } from '../../db';
import { byShape, p, placeholders, statement } from '../../db/statements';
import { AppError } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { CNY } from '../../kernel/money';
import { decodeCursor, page } from '../../kernel/pagination';
import { accountSpec, normalSign, type ShopAccount, shopAccount } from './accounts';
import { ledgerAccounts, ledgerPostings, ledgerTransactions } from './schema';
import './messages';

/**
 * One line of a transaction. Sign convention (double entry): a DEBIT is a positive amount, a
 * CREDIT a negative one. Money coming into the platform's cash is a debit to `platform:cash`;
 * money the platform comes to owe a shop is a credit to the shop's account. The lines of one
 * transaction add up to zero in each currency.
 */
export interface PostingInput {
  account: string;
  amount: number;
  currency?: string;
}

export interface TransactionInput {
  kind: string;
  memo: string;
  ref?: string | null;
  shopId?: string | null;
  postings: PostingInput[];
  now: Date;
}

/**
 * The rules every transaction obeys before it touches the database: amounts are non-zero safe
 * integers (fen), every account is in the chart, an account has one currency, and the lines add
 * up to zero per currency. Throws a RangeError naming what is wrong: these are programming faults.
 */
export function checkPostings(postings: PostingInput[]): void {
  if (postings.length < 2) throw new RangeError('a transaction needs at least two postings');
  const sums = new Map<string, bigint>();
  const currencyOf = new Map<string, string>();
  for (const p of postings) {
    if (!Number.isSafeInteger(p.amount) || p.amount === 0) {
      throw new RangeError(`posting to ${p.account}: amount must be a non-zero integer, got ${p.amount}`);
    }
    accountSpec(p.account);
    const currency = p.currency ?? CNY;
    if ((currencyOf.get(p.account) ?? currency) !== currency) {
      throw new RangeError(`account ${p.account} posted in two currencies`);
    }
    currencyOf.set(p.account, currency);
    sums.set(currency, (sums.get(currency) ?? 0n) + BigInt(p.amount));
  }
  for (const [currency, sum] of sums) {
    if (sum !== 0n) throw new RangeError(`postings do not balance: ${currency} ${sum}`);
  }
}

/**
 * Records one balanced money movement in the caller's transaction, in two statements when no
 * account that may not go negative is debited (the accounts, created on first use or moved, in one
 * upsert; the transaction with its lines in another). A debit of such an account (every shop
 * account) moves it with a conditional UPDATE that refuses with 409 `insufficient_funds`, which
 * rolls the whole business operation back. Accounts are moved in code order so that concurrent
 * transactions touching the same accounts lock them in the same order and cannot deadlock.
 */
export async function postTransaction(tx: Executor, input: TransactionInput): Promise<{ id: string }> {
  checkPostings(input.postings);
  if (!input.kind || !input.memo) throw new RangeError('a transaction needs a kind and a memo');

  const net = new Map<string, { amount: number; currency: string }>();
  for (const p of input.postings) {
    const prior = net.get(p.account);
    net.set(p.account, { amount: (prior?.amount ?? 0) + p.amount, currency: p.currency ?? CNY });
  }
  const codes = [...net.keys()].sort();

  const delta = (code: string) => normalSign(accountSpec(code).kind) * (net.get(code)?.amount ?? 0);
  const currencyOf = (code: string) => net.get(code)?.currency ?? CNY;
  // A debit of a shop account must be checked against its balance (movedChecked); everything else
  // (platform accounts, credits to shops: the payment path) moves in one statement.
  const checked = codes.some((code) => !accountSpec(code).allowNegative && delta(code) < 0);
  const moved = checked
    ? await movedChecked(tx, codes, delta, currencyOf, input.now)
    : ((await accountsUpsert(codes.length)(
        tx,
        Object.assign(
          {},
          ...codes.map((code, i) => {
            const spec = accountSpec(code);
            return {
              [`a${i}_id`]: newId('lacct'),
              [`a${i}_code`]: code,
              [`a${i}_kind`]: spec.kind,
              [`a${i}_shopId`]: spec.shopId,
              [`a${i}_currency`]: currencyOf(code),
              [`a${i}_balance`]: delta(code),
              [`a${i}_allowNegative`]: spec.allowNegative,
              [`a${i}_createdAt`]: input.now,
            };
          }),
        ),
      )) as { id: string; code: string; balance: number; currency: string }[]);
  const accounts = new Map<string, { id: string; balance: number }>();
  for (const code of codes) {
    const row = moved.find((r) => r.code === code);
    if (!row) throw new AppError(409, 'insufficient_funds', { account: code });
    if (row.currency !== currencyOf(code)) {
      throw new RangeError(`account ${code} is kept in ${row.currency}, not ${currencyOf(code)}`);
    }
    accounts.set(code, { id: row.id, balance: row.balance });
  }

  const id = newId('ltx');
  // Walk the lines backwards from each account's new balance, so every line carries the balance
  // right after it even when one account appears twice in a transaction.
  const after = new Map([...accounts].map(([code, a]) => [code, a.balance]));
  const rows = [...input.postings].reverse().map((p) => {
    const balance = after.get(p.account) ?? 0;
    after.set(p.account, balance - normalSign(accountSpec(p.account).kind) * p.amount);
    return {
      accountId: accounts.get(p.account)?.id ?? '',
      amount: p.amount,
      currency: p.currency ?? CNY,
      balanceAfter: balance,
    };
  });
  // The transaction and its lines in one statement.
  await entriesInsert(rows.length)(
    tx,
    Object.assign(
      {
        t_id: id,
        t_kind: input.kind,
        t_memo: input.memo,
        t_ref: input.ref ?? null,
        t_shopId: input.shopId ?? null,
        t_createdAt: input.now,
      },
      ...rows.reverse().map((r, i) => ({
        [`p${i}_accountId`]: r.accountId,
        [`p${i}_amount`]: r.amount,
        [`p${i}_currency`]: r.currency,
        [`p${i}_balanceAfter`]: r.balanceAfter,
      })),
    ),
  );
  return { id };
}

/**
 * Moves accounts of which at least one may not go negative and is debited: each is created at zero
 * on first use, then moved by one conditional UPDATE that does not overdraw it (no row answered).
 */
async function movedChecked(
  tx: Executor,
  codes: string[],
  delta: (code: string) => number,
  currencyOf: (code: string) => string,
  now: Date,
): Promise<{ id: string; code: string; balance: number; currency: string }[]> {
  await tx
    .insert(ledgerAccounts)
    .values(
      codes.map((code) => {
        const spec = accountSpec(code);
        return {
          id: newId('lacct'),
          code,
          kind: spec.kind,
          shopId: spec.shopId,
          currency: currencyOf(code),
          balance: 0,
          allowNegative: spec.allowNegative,
          createdAt: now,
        };
      }),
    )
    .onConflictDoNothing({ target: ledgerAccounts.code });
  const moved: { id: string; code: string; balance: number; currency: string }[] = [];
  for (const code of codes) {
    const d = delta(code);
    const where = accountSpec(code).allowNegative
      ? eq(ledgerAccounts.code, code)
      : and(eq(ledgerAccounts.code, code), sql`${ledgerAccounts.balance} + ${d} >= 0`);
    const [row] = await tx
      .update(ledgerAccounts)
      .set({ balance: sql`${ledgerAccounts.balance} + ${d}` })
      .where(where)
      .returning({
        id: ledgerAccounts.id,
        code: ledgerAccounts.code,
        balance: ledgerAccounts.balance,
        currency: ledgerAccounts.currency,
      });
    if (!row) break; // refused: postTransaction throws 409 for the missing account
    moved.push(row);
  }
  return moved;
}

const accountsUpsert = byShape((n: number) =>
  statement((db) =>
    db
      .insert(ledgerAccounts)
      .values(
        Array.from({ length: n }, (_, i) =>
          placeholders(`a${i}_`, [
            'id',
            'code',
            'kind',
            'shopId',
            'currency',
            'balance',
            'allowNegative',
            'createdAt',
          ]),
        ) as never,
      )
      // Rows in code order: concurrent transactions lock the accounts they share in the same order.
      .onConflictDoUpdate({
        target: ledgerAccounts.code,
        set: { balance: sql`${ledgerAccounts.balance} + excluded.balance` },
      })
      .returning({
        id: ledgerAccounts.id,
        code: ledgerAccounts.code,
        balance: ledgerAccounts.balance,
        currency: ledgerAccounts.currency,
      }),
  ),
);

const entriesInsert = byShape((n: number) =>
  statement((db) =>
    db
      .with(
        db
          .$with('ltx')
          .as(
            db
              .insert(ledgerTransactions)
              .values(placeholders('t_', ['id', 'kind', 'memo', 'ref', 'shopId', 'createdAt'])),
          ),
      )
      .insert(ledgerPostings)
      .values(
        Array.from({ length: n }, (_, i) => ({
          ...(placeholders(`p${i}_`, ['accountId', 'amount', 'currency', 'balanceAfter']) as Record<
            string,
            unknown
          >),
          transactionId: p('t_id'),
        })) as never,
      ),
  ),
);

/** An account's balance in its normal direction; 0 for an account never used. */
export async function balanceOf(tx: Executor, code: string): Promise<number> {
  const [row] = await tx
    .select({ balance: ledgerAccounts.balance })
    .from(ledgerAccounts)
    .where(eq(ledgerAccounts.code, code));
  return row?.balance ?? 0;
}

/** What the platform owes a shop: its available balance and its frozen deposit. */
export async function shopBalances(tx: Executor, shopId: string) {
  const rows = await tx
    .select({ code: ledgerAccounts.code, balance: ledgerAccounts.balance })
    .from(ledgerAccounts)
    .where(eq(ledgerAccounts.shopId, shopId));
  const of = (which: ShopAccount) => rows.find((r) => r.code === shopAccount(shopId, which))?.balance ?? 0;
  return { balance: of('balance'), frozenDeposit: of('deposit'), currency: CNY };
}

export interface StatementLine {
  id: number;
  transactionId: string;
  kind: string;
  memo: string;
  ref: string | null;
  account: ShopAccount;
  /** From the shop's point of view: positive when the platform came to owe it more. */
  amount: number;
  balanceAfter: number;
  currency: string;
  createdAt: Date;
}

/** The postings to a shop's accounts, newest first. */
export async function shopStatement(
  tx: Executor,
  shopId: string,
  query: { cursor?: string; limit?: number },
) {
  const limit = query.limit ?? 20;
  const after = decodeCursor<{ id?: unknown }>(query.cursor);
  if (after && !Number.isSafeInteger(after.id)) {
    throw new AppError(400, 'bad_cursor', {}, [{ path: '/cursor', in: 'query', code: 'field.invalid' }]);
  }
  const rows = await tx
    .select({
      id: ledgerPostings.id,
      transactionId: ledgerPostings.transactionId,
      kind: ledgerTransactions.kind,
      memo: ledgerTransactions.memo,
      ref: ledgerTransactions.ref,
      code: ledgerAccounts.code,
      amount: ledgerPostings.amount,
      balanceAfter: ledgerPostings.balanceAfter,
      currency: ledgerPostings.currency,
      createdAt: ledgerTransactions.createdAt,
    })
    .from(ledgerPostings)
    .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerPostings.accountId))
    .innerJoin(ledgerTransactions, eq(ledgerTransactions.id, ledgerPostings.transactionId))
    .where(
      and(eq(ledgerAccounts.shopId, shopId), after ? lt(ledgerPostings.id, after.id as number) : undefined),
    )
    .orderBy(desc(ledgerPostings.id))
    .limit(limit + 1);
  const lines: StatementLine[] = rows.map(({ code, ...r }) => ({
    ...r,
    account: code.split(':')[2] as ShopAccount,
    // Shop accounts are liabilities: a credit (negative posting) is money the shop gains.
    amount: -r.amount,
  }));
  return page(lines, limit, (l) => ({ id: l.id }));
}

/**
 * The platform's own accounts, the shops' accounts in total, and the sum of every account in
 * debit-positive terms, which double entry keeps at exactly zero.
 */
export async function platformSummary(tx: Executor, currency = CNY) {
  const own = await tx
    .select({ code: ledgerAccounts.code, kind: ledgerAccounts.kind, balance: ledgerAccounts.balance })
    .from(ledgerAccounts)
    .where(and(isNull(ledgerAccounts.shopId), eq(ledgerAccounts.currency, currency)))
    .orderBy(ledgerAccounts.code);
  const shops = await tx
    .select({
      which: sql<string>`split_part(${ledgerAccounts.code}, ':', 3)`,
      total: sql<string>`coalesce(sum(${ledgerAccounts.balance}), 0)::text`,
    })
    .from(ledgerAccounts)
    .where(and(isNotNull(ledgerAccounts.shopId), eq(ledgerAccounts.currency, currency)))
    .groupBy(sql`split_part(${ledgerAccounts.code}, ':', 3)`);
  const [sum] = await tx
    .select({
      total: sql<string>`coalesce(sum(case when ${ledgerAccounts.kind} in ('asset', 'expense') then ${ledgerAccounts.balance} else -${ledgerAccounts.balance} end), 0)::text`,
    })
    .from(ledgerAccounts)
    .where(eq(ledgerAccounts.currency, currency));
  const shopTotal = (which: ShopAccount) => Number(shops.find((s) => s.which === which)?.total ?? 0);
  return {
    currency,
    accounts: own,
    shops: { deposit: shopTotal('deposit'), balance: shopTotal('balance') },
    total: Number(sum?.total ?? 0),
  };
}

export interface LedgerProblem {
  code: 'unbalanced_transaction' | 'balance_mismatch' | 'nonzero_total' | 'overdrawn' | 'empty_transaction';
  detail: string;
}

/**
 * Audits the whole ledger against the double-entry invariants: each transaction sums to zero per
 * currency, each account's balance equals its postings, all postings sum to zero, and no account
 * that must not go negative is negative. Returns the problems found (none in a healthy ledger).
 */
export async function checkLedger(db: Executor): Promise<LedgerProblem[]> {
  const problems: LedgerProblem[] = [];
  const unbalanced = await db
    .select({
      id: ledgerPostings.transactionId,
      currency: ledgerPostings.currency,
      sum: sql<string>`sum(${ledgerPostings.amount})::text`,
    })
    .from(ledgerPostings)
    .groupBy(ledgerPostings.transactionId, ledgerPostings.currency)
    .having(sql`sum(${ledgerPostings.amount}) <> 0`);
  for (const u of unbalanced) {
    problems.push({
      code: 'unbalanced_transaction',
      detail: `transaction ${u.id} sums to ${u.sum} ${u.currency}`,
    });
  }
  const empty = await db
    .select({ id: ledgerTransactions.id })
    .from(ledgerTransactions)
    .where(
      sql`not exists (select 1 from ${ledgerPostings} where ${ledgerPostings.transactionId} = ${ledgerTransactions.id})`,
    );
  for (const e of empty)
    problems.push({ code: 'empty_transaction', detail: `transaction ${e.id} has no postings` });

  const sign = sql`case when ${ledgerAccounts.kind} in ('asset', 'expense') then 1 else -1 end`;
  const mismatched = await db
    .select({
      code: ledgerAccounts.code,
      balance: ledgerAccounts.balance,
      posted: sql<string>`(${sign} * coalesce(sum(${ledgerPostings.amount}), 0))::text`,
    })
    .from(ledgerAccounts)
    .leftJoin(ledgerPostings, eq(ledgerPostings.accountId, ledgerAccounts.id))
    .groupBy(ledgerAccounts.id)
    .having(sql`${ledgerAccounts.balance} <> ${sign} * coalesce(sum(${ledgerPostings.amount}), 0)`);
  for (const m of mismatched) {
    problems.push({
      code: 'balance_mismatch',
      detail: `account ${m.code} shows ${m.balance} but its postings add up to ${m.posted}`,
    });
  }
  const totals = await db
    .select({ currency: ledgerPostings.currency, sum: sql<string>`sum(${ledgerPostings.amount})::text` })
    .from(ledgerPostings)
    .groupBy(ledgerPostings.currency)
    .having(sql`sum(${ledgerPostings.amount}) <> 0`);
  for (const t of totals) {
    problems.push({ code: 'nonzero_total', detail: `all ${t.currency} postings sum to ${t.sum}, not 0` });
  }
  const overdrawn = await db
    .select({ code: ledgerAccounts.code, balance: ledgerAccounts.balance })
    .from(ledgerAccounts)
    .where(and(eq(ledgerAccounts.allowNegative, false), lt(ledgerAccounts.balance, 0)));
  for (const o of overdrawn) {
    problems.push({ code: 'overdrawn', detail: `account ${o.code} is at ${o.balance}` });
  }
  return problems;
}
