import { Type } from 'typebox';
import { command } from '../../kernel/command';
import type { App } from '../../kernel/context';
import { PageQuery, pageSchema } from '../../kernel/pagination';
import { requireOperator } from '../identity';
import { listRuleSets, publishRuleSet, type RuleSet, rulesFor } from './rule-sets';
import { RulesSchema, ShopKindSchema } from './rules';

const RuleSetView = Type.Object({
  id: Type.String(),
  kind: ShopKindSchema,
  version: Type.Integer(),
  effectiveFrom: Type.String({ format: 'date-time' }),
  rules: RulesSchema,
  publishedBy: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});

function view(r: RuleSet) {
  return {
    ...r,
    effectiveFrom: r.effectiveFrom.toISOString(),
    createdAt: r.createdAt.toISOString(),
  };
}

export async function governanceRoutes(app: App): Promise<void> {
  const { clock, database } = app.jishi;
  const tags = ['governance'];

  app.get(
    '/rules',
    {
      schema: {
        tags,
        summary: 'The platform rules in force now for a kind of shop',
        security: [],
        querystring: Type.Object({ kind: ShopKindSchema }),
        response: { 200: RuleSetView },
      },
    },
    async (req) => view(await rulesFor(database.db, req.query.kind, clock.now())),
  );

  app.get(
    '/admin/rule-sets',
    {
      schema: {
        tags,
        summary: 'Every version of the rules, newest first per kind (including scheduled ones)',
        querystring: Type.Object({ kind: Type.Optional(ShopKindSchema), ...PageQuery }),
        response: { 200: pageSchema(RuleSetView) },
      },
    },
    async (req) => {
      requireOperator(req);
      const result = await listRuleSets(database.db, req.query);
      return { items: result.items.map(view), nextCursor: result.nextCursor };
    },
  );

  app.post(
    '/admin/rule-sets',
    {
      schema: {
        tags,
        summary: 'Publish the next version of a kind of shop’s rules, effective now or later',
        body: Type.Object({
          kind: ShopKindSchema,
          effectiveFrom: Type.String({ format: 'date-time' }),
          rules: RulesSchema,
        }),
        response: { 201: RuleSetView },
      },
    },
    (req, reply) =>
      command(req, reply, async (tx) => {
        const operator = requireOperator(req);
        const published = await publishRuleSet(
          tx,
          {
            kind: req.body.kind,
            effectiveFrom: new Date(req.body.effectiveFrom),
            rules: req.body.rules,
            publishedBy: operator.accountId,
          },
          clock.now(),
        );
        return { status: 201, body: view(published) };
      }),
  );
}
