import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, makeTestApp, type TestContext } from '../../test/helpers';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await makeTestApp();
});
afterAll(async () => ctx.close());

async function accountCount(): Promise<number> {
  const r = await ctx.db.execute(`select count(*)::int as n from accounts`);
  return (r as unknown as { rows: { n: number }[] }).rows[0]!.n;
}

describe('problem answers from the real app', () => {
  it('answers an unknown route with a 404 problem in the caller language (zh-CN by default)', async () => {
    const en = await client(ctx.app, undefined, 'en').get('/api/v1/no/such/route?x=1');
    expect(en.status).toBe(404);
    expect(en.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(en.headers['content-language']).toBe('en');
    expect(en.body).toEqual({
      type: 'urn:jishi:problem:route-not-found',
      title: 'No such route: GET /api/v1/no/such/route',
      status: 404,
      detail: 'No such route: GET /api/v1/no/such/route',
      code: 'route_not_found',
    });

    const zh = await client(ctx.app, undefined, 'zh-CN').post('/api/v1/no/such/route', {});
    expect(zh.status).toBe(404);
    expect(zh.headers['content-language']).toBe('zh-CN');
    expect(zh.body.title).toBe('接口不存在：POST /api/v1/no/such/route');

    const none = await ctx.app.inject({ method: 'DELETE', url: '/api/v1/nothing' });
    expect(none.statusCode).toBe(404);
    expect(none.headers['content-language']).toBe('zh-CN');
    expect(none.json().title).toBe('接口不存在：DELETE /api/v1/nothing');
  });

  it('answers malformed or empty JSON with 400 bad_json', async () => {
    for (const payload of ['{"login": "abc", ', '{login: abc}', 'null,']) {
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        headers: { 'content-type': 'application/json', 'accept-language': 'en' },
        payload,
      });
      expect(res.statusCode, payload).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json(), payload).toMatchObject({
        type: 'urn:jishi:problem:bad-json',
        code: 'bad_json',
        title: 'The request body is not valid JSON',
        status: 400,
      });
    }
    const empty = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ code: 'bad_json', title: '请求体不是有效的 JSON' });
    expect(await accountCount()).toBe(0);
  });

  it('answers a body in an unsupported content type with 415', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data']) {
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        headers: { 'content-type': type, 'accept-language': 'en' },
        payload: 'login=abc&password=password123&displayName=x',
      });
      expect(res.statusCode, type).toBe(415);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({
        type: 'urn:jishi:problem:unsupported-media-type',
        code: 'unsupported_media_type',
        title: 'Unsupported content type',
        status: 415,
      });
    }
    expect(await accountCount()).toBe(0);
  });

  it('answers a body over the limit with 413', async () => {
    const res = await client(ctx.app).post('/auth/register', {
      login: 'big',
      password: 'password123',
      displayName: 'x'.repeat(1_100_000),
    });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('body_too_large');
  });

  it('lists every invalid field with its path and a message in the caller language', async () => {
    // (password: Ajv coerces scalars to strings, so an object is what really has the wrong type)
    const body = { login: 'ab', password: { secret: 1 }, locale: 'fr' };
    const en = await client(ctx.app, undefined, 'en').post('/auth/register', body);
    expect(en.status).toBe(400);
    expect(en.headers['content-type']).toContain('application/problem+json');
    expect(en.body).toMatchObject({
      type: 'urn:jishi:problem:validation-failed',
      title: 'The request has invalid fields',
      status: 400,
      code: 'validation_failed',
    });
    const byPath = (errors: { path: string; in: string; message: string }[]) =>
      [...errors].sort((a, b) => a.path.localeCompare(b.path));
    expect(byPath(en.body.errors)).toEqual([
      { path: '/displayName', in: 'body', message: 'is required' },
      { path: '/locale', in: 'body', message: 'must be one of: zh-CN, en' },
      { path: '/login', in: 'body', message: 'must be at least 3 characters' },
      { path: '/password', in: 'body', message: 'must be of type string' },
    ]);
    expect(en.body.detail).toMatch(/^4 field\(s\) did not pass validation: /);
    for (const e of en.body.errors) expect(en.body.detail).toContain(`${e.path} ${e.message}`);

    const zh = await client(ctx.app, undefined, 'zh-CN').post('/auth/register', body);
    expect(zh.status).toBe(400);
    expect(zh.body.title).toBe('请求参数有误');
    expect(byPath(zh.body.errors)).toEqual([
      { path: '/displayName', in: 'body', message: '必填' },
      { path: '/locale', in: 'body', message: '取值应为：zh-CN, en' },
      { path: '/login', in: 'body', message: '长度至少为 3' },
      { path: '/password', in: 'body', message: '类型应为 string' },
    ]);
    expect(zh.body.detail).toMatch(/^共有 4 处参数不符合要求: /);
    expect(await accountCount()).toBe(0);
  });

  it('reports a missing body as every required field', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: { 'content-type': 'application/json', 'accept-language': 'en' },
      payload: '{}',
    });
    expect(res.statusCode).toBe(400);
    expect(
      res
        .json()
        .errors.map((e: { path: string }) => e.path)
        .sort(),
    ).toEqual(['/displayName', '/login', '/password']);
  });
});
