import { existsSync } from 'node:fs';
import { join } from 'node:path';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Config } from './config';
import { type Database, migrationStatus } from './db';
import { type Clock, ManualClock } from './kernel/clock';
import { sharedCompilers } from './kernel/compilers';
import type { App } from './kernel/context';
import { AppError, type FieldError } from './kernel/errors';
import { errorHandler } from './kernel/http';
import { defineMessages, pickLocale } from './kernel/i18n';
import { advanceManualClock, loadManualClock } from './kernel/scheduler';
import { moduleRoutes } from './modules';
import { authenticate, LOG_REDACT_PATHS, requireOperator } from './modules/identity';
import { webDist } from './web';

export interface BuildOptions {
  config: Config;
  database: Database;
  clock: Clock;
  logger?: boolean | object;
}

defineMessages({
  'field.nul_character': {
    'zh-CN': '不能包含空字符（U+0000）',
    en: 'must not contain the NUL character (U+0000)',
  },
});

/** The JSON pointer of the first string holding U+0000 (which PostgreSQL text cannot store), if any. */
function findNul(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path || '/' : undefined;
  if (value === null || typeof value !== 'object' || depth > 64) return undefined;
  for (const [key, v] of Object.entries(value)) {
    const found = key.includes('\u0000')
      ? `${path}/${key.split('\u0000').join('\\u0000')}`
      : findNul(v, `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * Refuses a NUL character anywhere in the path, query or body with 400 naming the field: otherwise
 * it reaches PostgreSQL, which refuses it with an error that would surface as a 500.
 */
async function rejectNulCharacters(req: FastifyRequest) {
  for (const [part, value] of [
    ['params', req.params],
    ['query', req.query],
    ['body', req.body],
  ] as const) {
    const path = findNul(value, '');
    if (path) {
      const field: FieldError = { path, in: part, code: 'field.nul_character' };
      throw new AppError(400, 'validation_failed', {}, [field], 'validation_failed_detail');
    }
  }
}

const LOG_REDACTION = { paths: LOG_REDACT_PATHS, censor: '[redacted]' };

export async function buildApp(opts: BuildOptions): Promise<App> {
  const app = Fastify({
    // Whatever logger is asked for, credentials and buyers' contact details come out censored.
    logger:
      typeof opts.logger === 'object'
        ? { redact: LOG_REDACTION, ...opts.logger }
        : (opts.logger ?? {
            level: opts.config.logLevel,
            redact: LOG_REDACTION,
            // Readable lines for a person at a terminal; JSON lines for log collectors.
            ...(process.stdout.isTTY && !opts.config.production
              ? {
                  transport: {
                    target: 'pino-pretty',
                    options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' },
                  },
                }
              : {}),
          }),
    bodyLimit: 1_048_576,
    ajv: { customOptions: { allErrors: true, coerceTypes: 'array', removeAdditional: true } },
    schemaController: { compilersFactory: sharedCompilers },
    trustProxy: true,
    // The router's own refusals (a path id over 100 characters, malformed %-encoding) answer
    // problem+json like every other error, not Fastify's plain JSON.
    frameworkErrors: (error, req, reply) => errorHandler(error, req, reply),
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;

  // JSON only: a text/plain body is an unsupported media type (415), not a malformed request.
  app.removeContentTypeParser('text/plain');
  app.decorate('jishi', { config: opts.config, database: opts.database, clock: opts.clock });
  app.decorateRequest('auth', null);
  app.decorateRequest('locale', 'zh-CN');
  app.setErrorHandler(errorHandler);
  // Every mutating route takes an Idempotency-Key (kernel/command.ts); say so in the OpenAPI document.
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    if (!methods.some((m) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(m)) || route.schema?.hide) return;
    route.schema ??= {};
    route.schema.headers ??= Type.Object({
      'idempotency-key': Type.Optional(
        // Checked by command() itself (1 to 255 visible ASCII characters), so the problem names the rule.
        Type.String({
          description:
            'Retry-safe key of 1 to 255 visible ASCII characters: the same key and body replay the first answer; another body answers 409.',
        }),
      ),
    });
  });
  // The web app (web/dist, built by `npm start`) is served beside the API; its routes live in the
  // browser, so a GET for a page path that is no file answers index.html (SPA fallback).
  const webApp = existsSync(join(webDist, 'index.html'));
  app.setNotFoundHandler((req, reply) =>
    webApp &&
    req.method === 'GET' &&
    !/^\/(api|health)(\/|$|\?)/.test(req.url) &&
    !/\.\w+(\?|$)/.test(req.url)
      ? reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').sendFile('index.html')
      : errorHandler(
          new AppError(404, 'route_not_found', { method: req.method, url: req.url.split('?')[0] }),
          req,
          reply,
        ),
  );
  app.addHook('onRequest', async (req) => {
    req.locale = pickLocale(req.headers['accept-language']);
  });

  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'jishi API',
        version: '1',
        description:
          'REST API of jishi (集市), a marketplace platform. Amounts are integers in fen. Errors are application/problem+json in the language of Accept-Language (zh-CN default, en).',
      },
      servers: [{ url: '/' }],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'session token from /auth/login, or a merchant API key',
          },
          cookie: { type: 'apiKey', in: 'cookie', name: 'jishi_session' },
        },
      },
      security: [{ bearer: [] }, { cookie: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get(
    '/health',
    {
      schema: {
        tags: ['system'],
        summary: 'Ready when the database answers and every committed migration is applied',
        response: {
          200: Type.Object({ status: Type.Literal('ok'), database: Type.String() }),
          503: Type.Object({
            status: Type.Literal('unavailable'),
            database: Type.String(),
            reason: Type.String(),
          }),
        },
      },
    },
    async (_req, reply) => {
      const database = opts.database.kind;
      try {
        const { applied, expected } = await migrationStatus(opts.database);
        if (applied < expected) {
          return reply.code(503).send({
            status: 'unavailable' as const,
            database,
            reason: `${applied} of ${expected} migrations applied`,
          });
        }
      } catch (err) {
        return reply
          .code(503)
          .send({ status: 'unavailable' as const, database, reason: (err as Error).message });
      }
      return { status: 'ok' as const, database };
    },
  );

  if (webApp) {
    await app.register(fastifyStatic, {
      root: webDist,
      // Vite names assets by content hash: they never change under the same name.
      setHeaders: (reply, path) =>
        reply.header(
          'cache-control',
          path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        ),
    });
  } else
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>jishi 集市</title>' +
            '<body style="font-family:sans-serif;max-width:40rem;margin:3rem auto">' +
            '<h1>jishi 集市</h1><p>开源电商平台 · an open-source marketplace platform.</p>' +
            '<p><a href="/api/docs">API 文档 / API docs</a> · <a href="/api/v1/openapi.json">OpenAPI</a></p></body></html>',
        ),
    );

  await app.register(
    async (api) => {
      const typed = api as unknown as App;
      if (opts.clock instanceof ManualClock) {
        const clock = opts.clock;
        // Other processes may have moved the shared manual clock; never step back, though: another
        // request of this process may be half-way through advancing it. Before authentication, so a
        // session's expiry is judged by the shared time.
        typed.addHook('onRequest', async () => {
          const before = clock.now();
          await loadManualClock(opts.database.db, clock);
          if (clock.now() < before) clock.set(before);
        });
      }
      typed.addHook('onRequest', authenticate);
      typed.addHook('preValidation', rejectNulCharacters);
      if (opts.clock instanceof ManualClock) {
        const clock = opts.clock;
        const Now = Type.Object({ now: Type.String({ format: 'date-time' }) });
        typed.get('/admin/clock', { schema: { tags: ['sandbox'], response: { 200: Now } } }, async (req) => {
          requireOperator(req);
          return { now: clock.now().toISOString() };
        });
        typed.post(
          '/admin/clock/advance',
          {
            schema: {
              tags: ['sandbox'],
              body: Type.Object({
                days: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650 })),
                hours: Type.Optional(Type.Integer({ minimum: 0, maximum: 87600 })),
                minutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 5_256_000 })),
              }),
              response: { 200: Now },
            },
          },
          async (req) => {
            requireOperator(req);
            const { days = 0, hours = 0, minutes = 0 } = req.body;
            const target = new Date(clock.now().getTime() + ((days * 24 + hours) * 60 + minutes) * 60_000);
            const now = await advanceManualClock(opts.database.db, clock, target);
            return { now: now.toISOString() };
          },
        );
      }
      for (const m of moduleRoutes) await m.routes(typed);
    },
    { prefix: '/api/v1' },
  );

  return app;
}
