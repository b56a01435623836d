import { Type } from 'typebox';
import type { App } from '../../kernel/context';
import { PageQuery } from '../../kernel/pagination';
import { requireBuyer } from '../identity';
import { pointsAccount } from './points';

const PointsAccount = Type.Object({
  balance: Type.Integer({ description: 'points usable now; 100 points = 1 yuan' }),
  expiring: Type.Array(
    Type.Object({ points: Type.Integer(), expiresAt: Type.String({ format: 'date-time' }) }),
  ),
  history: Type.Object({
    items: Type.Array(
      Type.Object({
        id: Type.String(),
        delta: Type.Integer(),
        reason: Type.String(),
        ref: Type.Union([Type.String(), Type.Null()]),
        at: Type.String({ format: 'date-time' }),
      }),
    ),
    nextCursor: Type.Union([Type.String(), Type.Null()]),
  }),
});

export async function pointsRoutes(app: App): Promise<void> {
  const { clock, database } = app.jishi;
  app.get(
    '/me/points',
    {
      schema: {
        tags: ['points'],
        summary: 'My points: balance, what expires when, and the history',
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: PointsAccount },
      },
    },
    async (req) => {
      const { accountId } = requireBuyer(req);
      return pointsAccount(database.db, accountId, req.query, clock.now());
    },
  );
}
