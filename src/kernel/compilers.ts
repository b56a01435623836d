import AjvCompiler from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

/**
 * Fastify compiles every route's schemas when an app starts (Ajv for requests, fast-json-stringify
 * for responses): about half a second for jishi's routes. An app built in a process that already
 * built one (the tests build hundreds) reuses the functions compiled from the same schema and
 * options. Both kinds are pure functions of their schema, so sharing them changes nothing else.
 */
const compiled = new Map<string, unknown>();

function reuse<R extends { schema: unknown; httpPart?: string; contentType?: string }>(
  scope: string,
  compile: (route: R) => unknown,
) {
  return (route: R) => {
    const key = `${scope}\u0000${route.httpPart ?? ''}\u0000${route.contentType ?? ''}\u0000${JSON.stringify(route.schema)}`;
    let fn = compiled.get(key);
    if (fn === undefined) {
      fn = compile(route);
      compiled.set(key, fn);
    }
    return fn;
  };
}

/**
 * Header names arrive in lower case. Fastify lower-cases a header schema's property names itself,
 * but not for a compiler of one's own, such as this one.
 */
function lowerCaseHeaders(schema: unknown): unknown {
  if (!schema || typeof schema !== 'object') return schema;
  const s = schema as { properties?: Record<string, unknown>; required?: string[] };
  return {
    ...s,
    ...(s.properties
      ? { properties: Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k.toLowerCase(), v])) }
      : {}),
    ...(s.required ? { required: s.required.map((k) => k.toLowerCase()) } : {}),
  };
}

const validators = AjvCompiler();
const serializers = SerializerSelector();

type Factories = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

export const sharedCompilers: Factories = {
  buildValidator: ((external: Record<string, unknown>, options?: { customOptions?: unknown }) => {
    const compile = validators(external as never, options as never) as unknown as (r: {
      schema: unknown;
      httpPart?: string;
    }) => unknown;
    return reuse(`v${JSON.stringify(external)}${JSON.stringify(options?.customOptions)}`, (r) =>
      compile(r.httpPart === 'headers' ? { ...r, schema: lowerCaseHeaders(r.schema) } : r),
    );
  }) as unknown as Factories['buildValidator'],
  buildSerializer: ((external: unknown, options?: unknown) => {
    const compile = serializers(external as never, options as never) as unknown as (r: {
      schema: unknown;
    }) => unknown;
    return reuse(`s${JSON.stringify(external)}${JSON.stringify(options)}`, compile);
  }) as unknown as Factories['buildSerializer'],
};
