import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { command } from '../../kernel/command';
import type { App } from '../../kernel/context';
import { AppError, unauthenticated } from '../../kernel/errors';
import {
  changePassword,
  createAccount,
  describeAccount,
  getAccount,
  logout,
  openSession,
  requireAccount,
  SESSION_COOKIE,
  verifyCredentials,
} from './identity';

const AccountView = Type.Object(
  {
    id: Type.String(),
    login: Type.String(),
    displayName: Type.String(),
    locale: Type.String(),
    roles: Type.Array(Type.String()),
    shops: Type.Optional(
      Type.Array(
        Type.Object({ id: Type.String(), name: Type.String(), kind: Type.String(), role: Type.String() }),
      ),
    ),
  },
  { additionalProperties: true },
);

/** A throttled sign-in says when to come back (RFC 9110 Retry-After, in seconds). */
function withRetryAfter(reply: FastifyReply, err: unknown): unknown {
  if (err instanceof AppError && err.status === 429 && typeof err.params.retryAfter === 'number') {
    reply.header('retry-after', String(err.params.retryAfter));
  }
  return err;
}

export async function identityRoutes(app: App) {
  const { clock, config, database } = app.jishi;
  const tags = ['identity'];

  app.post(
    '/auth/register',
    {
      schema: {
        tags,
        summary: 'Create a buyer account',
        body: Type.Object({
          login: Type.String({ minLength: 3, maxLength: 64 }),
          password: Type.String({ minLength: 8, maxLength: 200 }),
          displayName: Type.String({ minLength: 1, maxLength: 60 }),
          locale: Type.Optional(Type.Union([Type.Literal('zh-CN'), Type.Literal('en')])),
        }),
        response: { 201: Type.Object({ account: AccountView }) },
      },
    },
    (req, reply) =>
      command(req, reply, async (tx) => {
        const account = await createAccount(tx, req.body, clock.now());
        return { status: 201, body: { account: await describeAccount(tx, account) } };
      }),
  );

  app.post(
    '/auth/login',
    {
      schema: {
        tags,
        summary: 'Sign in; answers a bearer token and sets the session cookie',
        body: Type.Object({
          login: Type.String({ minLength: 1, maxLength: 64 }),
          password: Type.String({ minLength: 1, maxLength: 200 }),
        }),
        response: {
          200: Type.Object({
            token: Type.String(),
            expiresAt: Type.String({ format: 'date-time' }),
            account: AccountView,
          }),
        },
      },
    },
    async (req, reply) => {
      const account = await verifyCredentials(database.db, { ...req.body, ip: req.ip }, clock.now()).catch(
        (err) => {
          throw withRetryAfter(reply, err);
        },
      );
      // Not through command(): a stored answer would keep a usable token in the database. Signing in
      // twice is harmless (two sessions), so an Idempotency-Key is accepted and simply not needed.
      return database.db.transaction(async (tx) => {
        const session = await openSession(
          tx,
          account,
          { userAgent: req.headers['user-agent'], sessionDays: config.sessionDays },
          clock.now(),
        );
        reply.setCookie(SESSION_COOKIE, session.token, {
          path: '/',
          httpOnly: true,
          sameSite: 'lax',
          secure: config.production,
          expires: session.expiresAt,
        });
        return {
          token: session.token,
          expiresAt: session.expiresAt.toISOString(),
          account: await describeAccount(tx, account),
        };
      });
    },
  );

  app.post(
    '/auth/logout',
    { schema: { tags, summary: 'End this session', response: { 204: Type.Null() } } },
    (req, reply) =>
      command(req, reply, async (tx) => {
        const auth = requireAccount(req);
        if (auth.sessionId) await logout(tx, auth.sessionId);
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return { status: 204 };
      }),
  );

  app.post(
    '/auth/password',
    {
      schema: {
        tags,
        summary: 'Change the password; every other session of the account is signed out',
        body: Type.Object({
          currentPassword: Type.String({ minLength: 1, maxLength: 200 }),
          newPassword: Type.String({ minLength: 8, maxLength: 200 }),
        }),
        response: { 200: Type.Object({ sessionsRevoked: Type.Integer() }) },
      },
    },
    async (req, reply) => {
      const auth = requireAccount(req);
      // A merchant API key is not the account holder: it may not change the password.
      if (auth.apiKey || !auth.sessionId) throw new AppError(403, 'forbidden');
      // Not through command(): a failed attempt must stay recorded (the throttle), and replaying a
      // stored answer would let a retry skip the current-password check.
      return changePassword(
        database.db,
        { ...req.body, accountId: auth.accountId, sessionId: auth.sessionId, ip: req.ip },
        clock.now(),
      ).catch((err) => {
        throw withRetryAfter(reply, err);
      });
    },
  );

  app.get('/me', { schema: { tags, summary: 'Who am I', response: { 200: AccountView } } }, async (req) => {
    const auth = requireAccount(req);
    const account = await getAccount(database.db, auth.accountId);
    if (!account) throw unauthenticated();
    return describeAccount(database.db, account);
  });
}
