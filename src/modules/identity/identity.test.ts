import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { buildApp } from '../../app';
import { registerTokenResolver } from './identity';

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
    // A session token never looks like a merchant API key (`jk_…`), which once in 262,144 bare
    // random tokens it did, and was then refused.
    expect(token).toMatch(/^js_[A-Za-z0-9_-]{43}$/);
    expect(() => registerTokenResolver('js_x', async () => null)).toThrow(/overlaps/);
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

describe('identity hardening', () => {
  it('locks a login after 5 failures in 15 minutes with Retry-After, in every process, until the window passes', async () => {
    const user = await signUp(ctx, { login: 'lockme' });
    const anon = client(ctx.app);
    const start = ctx.clock.now().getTime();
    for (let i = 0; i < 5; i++) {
      expect((await anon.post('/auth/login', { login: 'LockMe', password: `nope${i}abc` })).status).toBe(401);
      await ctx.advance({ minutes: 1 });
    }
    // A second app on the same database stands for another process: the count is in the database.
    const other = await buildApp({
      config: ctx.config,
      database: ctx.database,
      clock: ctx.clock,
      logger: false,
    });
    await other.ready();
    try {
      const blocked = await client(other).post('/auth/login', { login: 'lockme', password: 'password123' });
      expect(blocked.status).toBe(429);
      expect(blocked.headers['content-type']).toContain('application/problem+json');
      expect(blocked.body.type).toBe('urn:jishi:problem:login-throttled');
      // The first failure (at start) leaves the window at start + 15 min; it is now start + 5 min.
      const retryAfter = Number(blocked.headers['retry-after']);
      expect(retryAfter).toBe((start + 15 * 60_000 - ctx.clock.now().getTime()) / 1000);
      // Even the right password does not add to the count or open the lock early.
      await ctx.advance({ minutes: retryAfter / 60 - 1 });
      expect((await anon.post('/auth/login', { login: 'lockme', password: 'password123' })).status).toBe(429);
      await ctx.advance({ minutes: 1 });
      const ok = await client(other).post('/auth/login', { login: user.login, password: 'password123' });
      expect(ok.status).toBe(200);
    } finally {
      await other.close();
    }
  });

  it('changes the password, signing out every other session; the old password and tokens stop working', async () => {
    const user = await signUp(ctx, { login: 'changer' });
    const second = await client(ctx.app).post('/auth/login', { login: 'changer', password: 'password123' });
    const other = client(ctx.app, second.body.token);
    expect((await other.get('/me')).status).toBe(200);

    const wrong = await user.post('/auth/password', {
      currentPassword: 'guess1234',
      newPassword: 'newpass456',
    });
    expect(wrong.status).toBe(403);
    expect(wrong.body.errors[0].path).toBe('/currentPassword');
    const weak = await user.post('/auth/password', {
      currentPassword: 'password123',
      newPassword: 'onlyletters',
    });
    expect(weak.status).toBe(400);
    expect(weak.body.errors[0].path).toBe('/newPassword');
    expect(
      (await client(ctx.app).post('/auth/password', { currentPassword: 'x', newPassword: 'y1234567' }))
        .status,
    ).toBe(401);

    const ok = await user.post('/auth/password', {
      currentPassword: 'password123',
      newPassword: 'newpass456',
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ sessionsRevoked: 1 });
    expect((await user.get('/me')).status).toBe(200);
    expect((await other.get('/me')).status).toBe(401);
    expect(
      (await client(ctx.app).post('/auth/login', { login: 'changer', password: 'password123' })).status,
    ).toBe(401);
    const fresh = await client(ctx.app).post('/auth/login', { login: 'changer', password: 'newpass456' });
    expect(fresh.status).toBe(200);
  });

  it('counts wrong current passwords as failed sign-ins', async () => {
    const user = await signUp(ctx, { login: 'sidedoor' });
    for (let i = 0; i < 5; i++) {
      expect(
        (await user.post('/auth/password', { currentPassword: `bad${i}xyz`, newPassword: 'newpass456' }))
          .status,
      ).toBe(403);
    }
    const r = await user.post('/auth/password', {
      currentPassword: 'password123',
      newPassword: 'newpass456',
    });
    expect(r.status).toBe(429);
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    expect(
      (await client(ctx.app).post('/auth/login', { login: 'sidedoor', password: 'password123' })).status,
    ).toBe(429);
  });

  it('ends the session at logout: the token and the cookie stop working at once', async () => {
    const user = await signUp(ctx);
    const login = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: user.login, password: 'password123' },
    });
    const cookie = login.cookies.find((c) => c.name === 'jishi_session')!.value;
    expect((await user.post('/auth/logout')).status).toBe(204);
    expect((await user.get('/me')).status).toBe(401);
    // Only the session logged out ends; the cookie session from the other sign-in still works.
    const byCookie = () =>
      ctx.app.inject({ method: 'GET', url: '/api/v1/me', cookies: { jishi_session: cookie } });
    expect((await byCookie()).statusCode).toBe(200);
    await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/logout', cookies: { jishi_session: cookie } });
    expect((await byCookie()).statusCode).toBe(401);
  });
});
