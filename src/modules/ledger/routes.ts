import { Type } from 'typebox';
import type { App } from '../../kernel/context';
import { PageQuery, pageSchema } from '../../kernel/pagination';
import { requireOperator } from '../identity';
// The tenancy gate itself, not the merchants index: merchants posts to the ledger, so importing its
// index here would make the two modules import each other.
import { requireShopRole } from '../merchants/access';
import { platformSummary, shopBalances, shopStatement } from './ledger';
import { ACCOUNT_KINDS } from './schema';

const StatementLine = Type.Object({
  id: Type.Integer(),
  transactionId: Type.String(),
  kind: Type.String({ description: 'what moved the money, e.g. shop.deposit' }),
  memo: Type.String(),
  ref: Type.Union([Type.String(), Type.Null()]),
  account: Type.Enum(['deposit', 'balance']),
  amount: Type.Integer({ description: 'fen; positive when credited to the shop' }),
  balanceAfter: Type.Integer({ description: 'the account’s balance after this line' }),
  currency: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});

export async function ledgerRoutes(app: App): Promise<void> {
  const { database } = app.jishi;
  const tags = ['ledger'];

  app.get(
    '/seller/shops/:shopId/ledger',
    {
      schema: {
        tags,
        summary: 'The shop’s balance, frozen deposit and statement lines (newest first)',
        params: Type.Object({ shopId: Type.String({ maxLength: 64 }) }),
        querystring: Type.Object(PageQuery),
        response: {
          200: Type.Object({
            balance: Type.Integer(),
            frozenDeposit: Type.Integer(),
            currency: Type.String(),
            lines: pageSchema(StatementLine),
          }),
        },
      },
    },
    async (req) => {
      const { shopId } = await requireShopRole(req, req.params.shopId, ['finance']);
      const balances = await shopBalances(database.db, shopId);
      const lines = await shopStatement(database.db, shopId, req.query);
      return {
        ...balances,
        lines: {
          items: lines.items.map((l) => ({ ...l, createdAt: l.createdAt.toISOString() })),
          nextCursor: lines.nextCursor,
        },
      };
    },
  );

  app.get(
    '/admin/ledger',
    {
      schema: {
        tags,
        summary: 'Platform account balances, shop accounts in total, and the ledger total (always 0)',
        querystring: Type.Object({ currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })) }),
        response: {
          200: Type.Object({
            currency: Type.String(),
            accounts: Type.Array(
              Type.Object({
                code: Type.String(),
                kind: Type.Enum([...ACCOUNT_KINDS]),
                balance: Type.Integer({ description: 'in the account’s normal direction' }),
              }),
            ),
            shops: Type.Object({ deposit: Type.Integer(), balance: Type.Integer() }),
            total: Type.Integer({ description: 'debits minus credits over every account: 0' }),
          }),
        },
      },
    },
    async (req) => {
      requireOperator(req);
      return platformSummary(database.db, req.query.currency);
    },
  );
}
