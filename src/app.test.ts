import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, makeTestApp, type TestContext } from '../test/helpers';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await makeTestApp();
});
afterAll(async () => ctx.close());

// The stable core of API.md that the foundation covers: clients rely on these paths.
const API_MD_ROUTES = [
  'post /auth/register',
  'post /auth/login',
  'post /auth/logout',
  'get /me',
  'post /merchant/applications',
  'post /admin/merchant/applications/{id}/approve',
  'post /admin/merchant/applications/{id}/reject',
  'post /seller/shops/{shopId}/deposit',
  'get /seller/shops/{shopId}',
  'post /seller/shops/{shopId}/staff',
  'get /categories',
  'post /seller/shops/{shopId}/products',
  'post /seller/shops/{shopId}/products/{id}/publish',
  'get /products',
  'get /products/{id}',
  'post /seller/shops/{shopId}/warehouses',
  'get /seller/shops/{shopId}/ledger',
];

describe('the public API document', () => {
  it('serves OpenAPI 3.1 with every core route of API.md, each with a response schema', async () => {
    const r = await client(ctx.app).get('/api/v1/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    const paths = r.body.paths as Record<string, Record<string, { responses?: Record<string, unknown> }>>;
    for (const route of API_MD_ROUTES) {
      const [method, path] = route.split(' ') as [string, string];
      const op = paths[`/api/v1${path}`]?.[method];
      expect(op, route).toBeDefined();
      expect(
        Object.keys(op?.responses ?? {}).some((code) => code.startsWith('2')),
        route,
      ).toBe(true);
    }
  });

  it('documents the Idempotency-Key header on every mutating route', async () => {
    const r = await client(ctx.app).get('/api/v1/openapi.json');
    const missing: string[] = [];
    for (const [path, ops] of Object.entries<Record<string, { parameters?: { in: string; name: string }[] }>>(
      r.body.paths,
    )) {
      for (const [method, op] of Object.entries(ops)) {
        if (!['post', 'put', 'patch', 'delete'].includes(method)) continue;
        if (!op.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key')) {
          missing.push(`${method} ${path}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('serves the browsable docs, the health check and the home page', async () => {
    const docs = await ctx.app.inject({ method: 'GET', url: '/api/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
    const health = await client(ctx.app).get('/health');
    expect(health.body).toEqual({ status: 'ok', database: ctx.database.kind });
    const home = await ctx.app.inject({ method: 'GET', url: '/' });
    expect(home.body).toContain('/api/docs');
  });

  it('never stores a session token: sign-in answers are not kept for replay', async () => {
    const anon = client(ctx.app);
    await anon.post('/auth/register', { login: 'replayer', password: 'password123', displayName: 'r' });
    const headers = { 'idempotency-key': 'login-1' };
    const a = await anon.post('/auth/login', { login: 'replayer', password: 'password123' }, headers);
    const b = await anon.post('/auth/login', { login: 'replayer', password: 'password123' }, headers);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(b.body.token).not.toBe(a.body.token);
    const stored = await ctx.db.execute(`select response_body::text as body from idempotency_keys`);
    const bodies = (stored as unknown as { rows: { body: string | null }[] }).rows.map(
      (row) => row.body ?? '',
    );
    expect(bodies.some((body) => body.includes(a.body.token) || body.includes(b.body.token))).toBe(false);
  });

  it('reports unavailable while the database lacks a committed migration', async () => {
    const { openDatabase } = await import('./db');
    const { buildApp } = await import('./app');
    const empty = await openDatabase({ dataDir: 'memory://' });
    const app = await buildApp({ config: ctx.config, database: empty, clock: ctx.clock, logger: false });
    const r = await app.inject({ method: 'GET', url: '/health' });
    expect(r.statusCode).toBe(503);
    expect(r.json()).toMatchObject({ status: 'unavailable' });
    expect(r.json().reason).toMatch(/^0 of [1-9]\d* migrations applied$/);
    await app.close();
    await empty.close();
  });
});
