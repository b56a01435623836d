import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from './errors';
import { errorHandler } from './http';
import { pickLocale } from './i18n';
import { decodeCursor, encodeCursor, PageQuery, page, pageSchema } from './pagination';

describe('cursors', () => {
  it('round-trips a key, including non-ASCII text, as URL-safe text', () => {
    const key = { createdAt: '2026-11-01T02:00:00.000Z', id: 'prod_01jx', title: '连衣裙/夏 + 蓝' };
    const cursor = encodeCursor(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(key);
  });

  it('answers undefined for no cursor (the first page)', () => {
    expect(decodeCursor(undefined)).toBeUndefined();
    expect(decodeCursor('')).toBeUndefined();
  });

  it('refuses anything that is not an encoded object with a 400 bad_cursor on the cursor field', () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64url');
    for (const bad of [
      'not a cursor!',
      '%%%',
      b64('123'),
      b64('"x"'),
      b64('null'),
      b64('[1,2]'),
      b64('{"a":'),
    ]) {
      let error: unknown;
      try {
        decodeCursor(bad);
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(AppError);
      expect(error, bad).toMatchObject({
        status: 400,
        code: 'bad_cursor',
        fieldErrors: [{ path: '/cursor', in: 'query', code: 'field.invalid' }],
      });
    }
  });
});

describe('page', () => {
  const rows = Array.from({ length: 5 }, (_, i) => ({ id: `r${i}`, n: i }));

  it('returns limit items and a cursor for the last one when there is a next page', () => {
    const p = page(rows.slice(0, 3), 2, (r) => ({ id: r.id }));
    expect(p.items.map((r) => r.id)).toEqual(['r0', 'r1']);
    expect(decodeCursor(p.nextCursor ?? undefined)).toEqual({ id: 'r1' });
  });

  it('returns no cursor on the last page', () => {
    expect(page(rows.slice(0, 2), 2, (r) => ({ id: r.id })).nextCursor).toBeNull();
    expect(page([], 2, (r: { id: string }) => ({ id: r.id }))).toEqual({ items: [], nextCursor: null });
  });
});

describe('a paged route', () => {
  // A small app wired like the real one: the kernel's error handler and locale hook, PageQuery, page().
  const app = Fastify({
    logger: false,
    ajv: { customOptions: { allErrors: true, coerceTypes: 'array', removeAdditional: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  const data = Array.from({ length: 7 }, (_, i) => ({ id: i + 1 }));

  beforeAll(async () => {
    app.decorateRequest('locale', 'zh-CN');
    app.addHook('onRequest', async (req) => {
      req.locale = pickLocale(req.headers['accept-language']);
    });
    app.setErrorHandler(errorHandler);
    app.get(
      '/items',
      {
        schema: {
          querystring: Type.Object(PageQuery),
          response: { 200: pageSchema(Type.Object({ id: Type.Integer() })) },
        },
      },
      async (req) => {
        const limit = req.query.limit ?? 20;
        const after = decodeCursor<{ id: number }>(req.query.cursor);
        const rows = data.filter((d) => d.id > (after?.id ?? 0)).slice(0, limit + 1);
        return page(rows, limit, (r) => ({ id: r.id }));
      },
    );
    await app.ready();
  });
  afterAll(() => app.close());

  it('walks every item exactly once with nextCursor', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    for (let guard = 0; guard < 10; guard++) {
      const res = await app.inject({
        url: '/items',
        query: { limit: '3', ...(cursor ? { cursor } : {}) },
      });
      expect(res.statusCode).toBe(200);
      const body = res.json() as { items: { id: number }[]; nextCursor: string | null };
      seen.push(...body.items.map((i) => i.id));
      cursor = body.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('answers a bad cursor with a 400 problem naming the cursor, in the caller language', async () => {
    const en = await app.inject({
      url: '/items',
      query: { cursor: 'garbage' },
      headers: { 'accept-language': 'en' },
    });
    expect(en.statusCode).toBe(400);
    expect(en.headers['content-type']).toContain('application/problem+json');
    expect(en.json()).toEqual({
      type: 'urn:jishi:problem:bad-cursor',
      title: 'The page cursor is not valid',
      status: 400,
      detail: 'The page cursor is not valid: /cursor is not valid',
      code: 'bad_cursor',
      errors: [{ path: '/cursor', in: 'query', message: 'is not valid' }],
    });
    const zh = await app.inject({
      url: '/items',
      query: { cursor: Buffer.from('[]').toString('base64url') },
    });
    expect(zh.statusCode).toBe(400);
    expect(zh.json().title).toBe('分页游标无效');
  });

  it('validates limit against PageQuery', async () => {
    const res = await app.inject({
      url: '/items',
      query: { limit: '101' },
      headers: { 'accept-language': 'en' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: '/limit', in: 'query', message: 'must be at most 100' }]);
  });
});
