import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await makeTestApp();
});
afterAll(async () => ctx.close());

describe('identity', () => {
  it('registers, signs in with a bearer token and a cookie, and signs out', async () => {
    const anon = client(ctx.app);
    const reg = await anon.post('/auth/register', {
      login: 'Xiaoming',
      password: 'secret123',
      displayName: '小明',
    });
    expect(reg.status).toBe(201);
    expect(reg.body.account).toMatchObject({ login: 'xiaoming', displayName: '小明', roles: ['buyer'] });
    expect(reg.body.account).not.toHaveProperty('passwordHash');

    const login = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: 'XIAOMING', password: 'secret123' },
    });
    expect(login.statusCode).toBe(200);
    const { token, account } = login.json();
    expect(account.roles).toEqual(['buyer']);
    const cookie = login.cookies.find((c) => c.name === 'jishi_session');
    expect(cookie?.httpOnly).toBe(true);

    const me = await client(ctx.app, token).get('/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: account.id, displayName: '小明' });

    const byCookie = await ctx.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      cookies: { jishi_session: cookie!.value },
    });
    expect(byCookie.statusCode).toBe(200);

    expect((await client(ctx.app, token).post('/auth/logout')).status).toBe(204);
    expect((await client(ctx.app, token).get('/me')).status).toBe(401);
  });

  it('stores only a hash of the password and of the session token', async () => {
    const user = await signUp(ctx);
    const rows = await ctx.database.db.execute<{ password_hash: string }>(
      `select password_hash from accounts where login = '${user.login}'`,
    );
    const hash = (rows as any).rows?.[0]?.password_hash ?? (rows as any)[0]?.password_hash;
    expect(hash).toMatch(/^\$argon2id\$/);
    const sess = await ctx.database.db.execute(
      `select token_hash from sessions where account_id = '${user.accountId}'`,
    );
    const tokenHash = (sess as any).rows?.[0]?.token_hash;
    expect(tokenHash).toHaveLength(64);
    expect(tokenHash).not.toBe(user.token);
  });

  it('refuses a taken login with 409 naming the field, in both languages', async () => {
    await signUp(ctx, { login: 'taken_one' });
    const en = await client(ctx.app, undefined, 'en').post('/auth/register', {
      login: 'Taken_One',
      password: 'password123',
      displayName: 'x',
    });
    expect(en.status).toBe(409);
    expect(en.headers['content-type']).toContain('application/problem+json');
    expect(en.body.errors[0]).toMatchObject({ path: '/login', message: 'This login is already registered' });
    const zh = await client(ctx.app, undefined, 'zh-CN').post('/auth/register', {
      login: 'taken_one',
      password: 'password123',
      displayName: 'x',
    });
    expect(zh.body.title).toBe('该登录名已被注册');
  });

  it('answers 400 with field-level problems for bad input and writes nothing', async () => {
    const r = await client(ctx.app, undefined, 'en').post('/auth/register', {
      login: 'ab',
      password: 'short',
    });
    expect(r.status).toBe(400);
    expect(r.body.type).toBe('urn:jishi:problem:validation-failed');
    const paths = r.body.errors.map((e: any) => e.path).sort();
    expect(paths).toEqual(['/displayName', '/login', '/password']);
    const zh = await client(ctx.app, undefined, 'zh-CN').post('/auth/register', {
      login: 'abc',
      password: 'allletters',
      displayName: 'x',
    });
    expect(zh.status).toBe(400);
    expect(zh.body.errors).toEqual([
      { path: '/password', in: 'body', message: '密码至少 8 位，且需同时包含字母和数字' },
    ]);
    const count = await ctx.database.db.execute(
      `select count(*)::int as n from accounts where login in ('ab','abc')`,
    );
    expect((count as any).rows[0].n).toBe(0);
  });

  it('throttles password guessing per login and lets the owner in after the window', async () => {
    const user = await signUp(ctx, { login: 'guessme' });
    const anon = client(ctx.app);
    for (let i = 0; i < 5; i++) {
      expect((await anon.post('/auth/login', { login: 'guessme', password: `wrong${i}xx` })).status).toBe(
        401,
      );
    }
    const blocked = await anon.post('/auth/login', { login: 'guessme', password: 'password123' });
    expect(blocked.status).toBe(429);
    await ctx.advance({ minutes: 16 });
    const ok = await anon.post('/auth/login', { login: user.login, password: 'password123' });
    expect(ok.status).toBe(200);
  });

  it('answers 401 without a session and 403 for admin routes to a buyer', async () => {
    expect((await client(ctx.app).get('/me')).status).toBe(401);
    const buyer = await signUp(ctx);
    const r = await buyer.get('/admin/clock');
    expect(r.status).toBe(403);
    const op = await signUp(ctx, { operator: true });
    const clock = await op.get('/admin/clock');
    expect(clock.status).toBe(200);
    expect(clock.body.now).toBe('2026-11-01T02:00:00.000Z'.replace('02:00', clock.body.now.slice(11, 16)));
  });
});
