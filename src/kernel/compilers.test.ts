import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { sharedCompilers } from './compilers';

// Apps built in one process share the functions compiled from their route schemas: each app must
// still validate and serialize exactly as Fastify's own compilers would.
async function tinyApp() {
  const app = Fastify({
    ajv: { customOptions: { allErrors: true, coerceTypes: 'array', removeAdditional: true } },
    schemaController: { compilersFactory: sharedCompilers },
  });
  app.post(
    '/things',
    {
      schema: {
        headers: {
          type: 'object',
          properties: { 'Idempotency-Key': { type: 'string', minLength: 8 } },
          required: ['Idempotency-Key'],
        },
        body: {
          type: 'object',
          properties: { quantity: { type: 'integer', minimum: 1 } },
          required: ['quantity'],
          additionalProperties: false,
        },
        response: {
          200: { type: 'object', properties: { quantity: { type: 'integer' }, keys: { type: 'array' } } },
        },
      },
    },
    async (req) => ({
      ...(req.body as object),
      keys: Object.keys(req.body as object),
      secret: 'never serialized',
    }),
  );
  await app.ready();
  return app;
}

describe('route schemas compiled once per process', () => {
  it('validates and serializes the same in a second app as in the first', async () => {
    for (const app of [await tinyApp(), await tinyApp()]) {
      const post = (headers: Record<string, string>, body: unknown) =>
        app.inject({ method: 'POST', url: '/things', headers, payload: body as object });
      // Header names arrive in lower case; the schema names it in mixed case.
      const ok = await post({ 'idempotency-key': 'k-12345678' }, { quantity: '2', extra: 'dropped' });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual({ quantity: 2, keys: ['quantity'] });
      expect((await post({}, { quantity: 2 })).statusCode).toBe(400);
      expect((await post({ 'idempotency-key': 'short' }, { quantity: 2 })).statusCode).toBe(400);
      const bad = await post({ 'idempotency-key': 'k-12345678' }, { quantity: 0 });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().message).toContain('quantity');
      await app.close();
    }
  });
});
