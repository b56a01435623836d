// Issue 8 part 5: the authorisation matrix, generated from the OpenAPI document, and what must never
// reach a log or a merchant: credentials and buyers' contact details.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app';
import { makeCategories } from '../src/modules/catalog/testing';
import { ADDRESS, buyAndCheckout, makeSeller, makeSku, type Seller } from '../src/modules/trade/testing';
import { type Client, client, makeTestApp, signUp, type TestContext } from './helpers';
import { exampleOf, fillPath, openApiRoutes, type Route } from './soak/openapi';

describe('authorisation matrix from the OpenAPI document', () => {
  let ctx: TestContext;
  let routes: Route[];
  let victim: Seller;
  let stranger: Seller;
  let buyer: Client;
  let operator: Client;

  beforeAll(async () => {
    ctx = await makeTestApp({ sessionDays: 3650 });
    routes = await openApiRoutes(ctx);
    victim = await makeSeller(ctx, 'market');
    stranger = await makeSeller(ctx, 'mall');
    buyer = await signUp(ctx);
    operator = await signUp(ctx, { operator: true });
  });
  afterAll(async () => ctx.close());

  const call = async (as: Client, route: Route) => {
    const query = route.query
      .filter((q) => q.required)
      .map((q) => `${q.name}=${encodeURIComponent(String(exampleOf(q.schema)))}`)
      .join('&');
    const url = fillPath(route, { shopId: victim.shopId }) + (query ? `?${query}` : '');
    const body = route.body ? exampleOf(route.body) : undefined;
    const m = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    const r = m === 'get' || m === 'delete' ? await as[m](url) : await as[m](url, body ?? {});
    return { ...r, what: `${route.method} ${url}` };
  };
  const expectStatus = (
    r: { status: number; what: string; body: unknown; headers: Record<string, unknown> },
    status: number,
  ) => {
    expect(r.status, `${r.what}: ${JSON.stringify(r.body)}`).toBe(status);
    expect(String(r.headers['content-type']), r.what).toContain('application/problem+json');
  };

  it('covers the shop and admin routes', () => {
    const shopRoutes = routes.filter((r) => r.pathParams.includes('shopId') && r.path.includes('/seller/'));
    const adminRoutes = routes.filter((r) => r.path.startsWith('/api/v1/admin/'));
    expect(shopRoutes.length).toBeGreaterThan(40);
    expect(adminRoutes.length).toBeGreaterThan(15);
  });

  it('every seller route of a shop: another shop’s staff 404, a buyer 403, no token 401', async () => {
    const shopRoutes = routes.filter((r) => r.pathParams.includes('shopId') && r.path.includes('/seller/'));
    for (const route of shopRoutes) {
      expectStatus(await call(client(ctx.app), route), 401);
      expectStatus(await call(buyer, route), 403);
      expectStatus(await call(stranger.owner, route), 404);
    }
  });

  it('every admin route: a buyer 403, a merchant 403, no token 401', async () => {
    for (const route of routes.filter((r) => r.path.startsWith('/api/v1/admin/'))) {
      expectStatus(await call(client(ctx.app), route), 401);
      expectStatus(await call(buyer, route), 403);
      expectStatus(await call(victim.owner, route), 403);
    }
  });

  it('the same calls succeed for the rightful caller (the matrix is not refusing everyone)', async () => {
    const lists = routes.filter(
      (r) =>
        r.method === 'GET' &&
        r.pathParams.length === 1 &&
        r.pathParams[0] === 'shopId' &&
        r.path.includes('/seller/'),
    );
    for (const route of lists) {
      // Past the gate: an answer about the request itself (200, or a 4xx about its values), never a refusal.
      const r = await call(victim.owner, route);
      expect([401, 403, 404], `${r.what}: ${JSON.stringify(r.body)}`).not.toContain(r.status);
      expect(r.status, r.what).toBeLessThan(500);
    }
    const adminLists = routes.filter(
      (r) => r.method === 'GET' && r.pathParams.length === 0 && r.path.startsWith('/api/v1/admin/'),
    );
    for (const route of adminLists) expect((await call(operator, route)).status, route.path).toBe(200);
  });
});

describe('secrets and buyers’ contact details', () => {
  let base: TestContext;
  let ctx: TestContext;
  const lines: string[] = [];

  beforeAll(async () => {
    base = await makeTestApp({ sessionDays: 3650 });
    // The app's own logging at its most talkative, with the request headers added to every request
    // line (as an operator chasing a problem might): buildApp's redaction must still censor them.
    const app = await buildApp({
      config: base.config,
      database: base.database,
      clock: base.clock,
      logger: {
        level: 'trace',
        stream: new Writable({
          write(chunk, _enc, done) {
            lines.push(String(chunk));
            done();
          },
        }),
        serializers: {
          req: (req: { method: string; url: string; headers: Record<string, unknown>; body?: unknown }) => ({
            method: req.method,
            url: req.url,
            headers: req.headers,
          }),
        },
      },
    });
    await app.ready();
    ctx = { ...base, app };
  });
  afterAll(async () => {
    await ctx.app.close();
    await base.close();
  });

  it('a sign-in, a checkout, a password change and a merchant’s order pages leave no secret and no contact detail in the log', async () => {
    const cats = await makeCategories(ctx);
    const seller = await makeSeller(ctx, 'market');
    const { skuId } = await makeSku(seller, cats.headphones.id, { price: 5_000, stock: 5 });
    const buyer = await signUp(ctx);
    const login = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: buyer.login, password: 'password123' },
    });
    const cookie = login.cookies.find((c) => c.name === 'jishi_session')!.value;
    const co = await buyAndCheckout(buyer, [{ skuId, quantity: 1 }]);
    await buyer.post(`/payments/${co.payment.id}/pay`);
    await ctx.advance({ minutes: 1 });
    // Log lines from inside a handler that carry a body: redaction by field name covers them.
    ctx.app.log.info({ body: { password: 'password123', token: buyer.token, address: ADDRESS } }, 'debug');
    ctx.app.log.info({ req: { headers: { authorization: `Bearer ${buyer.token}` } } }, 'debug');

    const list = await seller.owner.get(`/seller/shops/${seller.shopId}/orders`);
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    const detail = await seller.owner.get(`/seller/shops/${seller.shopId}/orders/${co.orders[0]!.id}`);
    expect(detail.status).toBe(200);
    const stats = await seller.owner.get(`/seller/shops/${seller.shopId}/orders/stats`);
    for (const page of [list.body, detail.body, stats.body]) {
      const text = JSON.stringify(page);
      expect(text).not.toContain(ADDRESS.phone);
      expect(text).not.toContain(ADDRESS.line);
    }
    const changed = await buyer.post('/auth/password', {
      currentPassword: 'password123',
      newPassword: 'n3wsecret!',
    });
    expect(changed.status).toBe(200);

    const log = lines.join('');
    expect(log).toContain('/api/v1/checkout');
    expect(log).toContain('[redacted]');
    for (const secret of [buyer.token!, cookie, 'password123', 'n3wsecret!', ADDRESS.phone, ADDRESS.line]) {
      expect(log.includes(secret), `log contains ${secret.slice(0, 8)}…`).toBe(false);
    }
  });
});
