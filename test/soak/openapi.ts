// The routes of the OpenAPI document, and a valid example for a JSON schema: the authorisation
// matrix (test/authz.test.ts) and the hostile-input fuzzing (test/fuzz.test.ts) are generated from
// them, so a new route is covered the day it is added.
import fc from 'fast-check';
import type { TestContext } from '../helpers';

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  additionalProperties?: boolean | JsonSchema;
  patternProperties?: Record<string, JsonSchema>;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** OpenAPI form, e.g. /api/v1/seller/shops/{shopId}/orders/{id}. */
  path: string;
  pathParams: string[];
  pathSchemas: Record<string, JsonSchema>;
  query: { name: string; schema: JsonSchema; required: boolean }[];
  body?: JsonSchema;
  /** Signed by a provider or carrier, not called with a session. */
  signed: boolean;
}

export async function openApiRoutes(ctx: TestContext): Promise<Route[]> {
  const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
  const doc = res.json() as {
    paths: Record<
      string,
      Record<
        string,
        {
          parameters?: { in: string; name: string; schema: JsonSchema; required?: boolean }[];
          requestBody?: { content: Record<string, { schema: JsonSchema }> };
        }
      >
    >;
  };
  const routes: Route[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    if (!path.startsWith('/api/v1/')) continue;
    for (const [method, op] of Object.entries(ops)) {
      const params = op.parameters ?? [];
      routes.push({
        method: method.toUpperCase() as Route['method'],
        path,
        pathParams: [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!),
        pathSchemas: Object.fromEntries(params.filter((p) => p.in === 'path').map((p) => [p.name, p.schema])),
        query: params
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, schema: p.schema, required: !!p.required })),
        body: op.requestBody?.content['application/json']?.schema,
        signed: path.includes('/callbacks/') || path.endsWith('/logistics/events'),
      });
    }
  }
  return routes;
}

export function fillPath(route: Route, values: Record<string, string>): string {
  return route.path.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(values[name] ?? String(exampleOf(route.pathSchemas[name]) ?? 'x')),
  );
}

const STRING_CANDIDATES = [
  'abc',
  'abc123',
  '13812345678',
  'ABC-123',
  'a',
  'https://img.example.com/a.jpg',
  'x@y.cn',
];

/** A value the schema accepts (as far as a short walk can tell): passes validation to reach the handler. */
export function exampleOf(schema: JsonSchema | undefined, now = new Date('2026-11-01T02:00:00Z')): unknown {
  if (!schema) return undefined;
  if ('const' in schema) return schema.const;
  if (schema.enum) return schema.enum[0];
  const union = schema.anyOf ?? schema.oneOf;
  if (union) {
    const branch = union.find((b) => b.type !== 'null') ?? union[0];
    return exampleOf(branch, now);
  }
  if (schema.allOf) return Object.assign({}, ...schema.allOf.map((s) => exampleOf(s, now) as object));
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const name of schema.required ?? []) out[name] = exampleOf(schema.properties?.[name], now);
      return out;
    }
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => exampleOf(schema.items, now));
    case 'integer':
    case 'number': {
      let n = Math.max(
        schema.minimum ?? 1,
        schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 1,
      );
      if (schema.maximum !== undefined) n = Math.min(n, schema.maximum);
      return n;
    }
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'string': {
      if (schema.format === 'date-time') return new Date(now.getTime() + 86_400_000).toISOString();
      if (schema.format === 'date') return now.toISOString().slice(0, 10);
      if (schema.format === 'uri') return 'https://img.example.com/a.jpg';
      if (schema.format === 'email') return 'x@y.cn';
      const fits = (s: string) =>
        s.length >= (schema.minLength ?? 0) &&
        s.length <= (schema.maxLength ?? Number.POSITIVE_INFINITY) &&
        (!schema.pattern || new RegExp(schema.pattern, 'u').test(s));
      const found = STRING_CANDIDATES.find(fits);
      if (found) return found;
      if (schema.pattern) {
        // fast-check writes strings for a regular expression; keep the first that fits the lengths.
        const sample = fc.sample(fc.stringMatching(new RegExp(schema.pattern, 'u')), {
          numRuns: 200,
          seed: 42,
        });
        const fit = sample.find(fits);
        if (fit !== undefined) return fit;
      }
      const padded = 'a'.repeat(Math.max(schema.minLength ?? 1, 1));
      return fits(padded) ? padded : 'abc';
    }
    default:
      return {};
  }
}
