import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { and, desc, eq, gt, ne } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import type { Db, Executor } from '../../db';
import { p, statement } from '../../db/statements';
import { DAY } from '../../kernel/clock';
import type { Auth } from '../../kernel/context';
import { AppError, forbidden, invalidField, unauthenticated } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { accounts, loginFailures, sessions } from './schema';
import './messages';

export const LOGIN_PATTERN = /^[\p{L}\p{N}_.@+-]{3,64}$/u;
/** Control characters (C0, DEL, C1): never part of a name, and PostgreSQL text refuses NUL outright. */
const CONTROL_CHARACTERS = /\p{Cc}/u;
export const SESSION_COOKIE = 'jishi_session';
/**
 * Password guessing: 5 failures on one login within 15 minutes lock that login until the oldest of
 * them leaves the window. Counted from durable rows, so every process sees the same count, and
 * against the injectable clock, so tests move time instead of waiting. Not per address: carrier-grade
 * NAT puts whole cities of mobile users behind a few addresses.
 */
export const LOGIN_THROTTLE = { failures: 5, windowMinutes: 15 };

/**
 * Log paths pino must never print: credentials in headers and bodies, and buyers' contact details.
 * For the logger options of the app: `redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' }`.
 */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-jishi-signature"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.token',
  '*.passwordHash',
  '*.body.password',
  '*.body.currentPassword',
  '*.body.newPassword',
  '*.body.token',
  '*.address',
  '*.phone',
  '*.body.address',
];

export type Account = typeof accounts.$inferSelect;

export function normaliseLogin(login: string): string {
  return login.trim().toLowerCase();
}

export function checkPassword(password: string, path = '/password'): void {
  if (password.length < 8 || !/\p{L}/u.test(password) || !/\p{N}/u.test(password)) {
    throw invalidField(path, 'field.password_weak');
  }
}

export async function hashPassword(password: string): Promise<string> {
  return hash(password);
}

export async function createAccount(
  tx: Executor,
  input: {
    login: string;
    password: string;
    displayName: string;
    locale?: 'zh-CN' | 'en';
    isOperator?: boolean;
  },
  now: Date,
): Promise<Account> {
  const login = normaliseLogin(input.login);
  if (!LOGIN_PATTERN.test(login)) throw invalidField('/login', 'field.login');
  checkPassword(input.password);
  if (CONTROL_CHARACTERS.test(input.displayName))
    throw invalidField('/displayName', 'field.control_characters');
  const passwordHash = await hashPassword(input.password);
  const [row] = await tx
    .insert(accounts)
    .values({
      id: newId('acct'),
      login,
      displayName: input.displayName.trim(),
      passwordHash,
      locale: input.locale ?? 'zh-CN',
      isOperator: input.isOperator ?? false,
      createdAt: now,
    })
    .onConflictDoNothing()
    .returning();
  if (!row) throw new AppError(409, 'login_taken', {}, [{ path: '/login', in: 'body', code: 'login_taken' }]);
  return row;
}

export async function findAccountByLogin(tx: Executor, login: string): Promise<Account | undefined> {
  const [row] = await tx
    .select()
    .from(accounts)
    .where(eq(accounts.login, normaliseLogin(login)));
  return row;
}

export async function getAccount(tx: Executor, id: string): Promise<Account | undefined> {
  const [row] = await tx.select().from(accounts).where(eq(accounts.id, id));
  return row;
}

const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

/** When a throttled login may try again, or undefined when it may try now. */
export async function loginRetryAt(db: Executor, login: string, now: Date): Promise<Date | undefined> {
  const since = new Date(now.getTime() - LOGIN_THROTTLE.windowMinutes * 60_000);
  const recent = await db
    .select({ at: loginFailures.at })
    .from(loginFailures)
    .where(and(eq(loginFailures.login, normaliseLogin(login)), gt(loginFailures.at, since)))
    .orderBy(desc(loginFailures.at))
    .limit(LOGIN_THROTTLE.failures);
  if (recent.length < LOGIN_THROTTLE.failures) return undefined;
  // The lock lifts when the oldest of the last `failures` attempts leaves the window.
  return new Date(recent[LOGIN_THROTTLE.failures - 1]!.at.getTime() + LOGIN_THROTTLE.windowMinutes * 60_000);
}

function throttled(retryAt: Date, now: Date): AppError {
  const seconds = Math.max(1, Math.ceil((retryAt.getTime() - now.getTime()) / 1000));
  return new AppError(429, 'login_throttled', { minutes: Math.ceil(seconds / 60), retryAfter: seconds });
}

async function recordFailure(db: Db, login: string, ip: string | undefined, now: Date) {
  await db.insert(loginFailures).values({ id: newId('lf'), login, ip: ip ?? null, at: now });
}

/**
 * Checks a login and password. Failed attempts are recorded on `db` directly (they must stay even
 * though the request fails) and throttle further attempts on that login across every process.
 * A throttled attempt answers 429 with `retryAfter` (seconds) in the error's params.
 */
export async function verifyCredentials(
  db: Db,
  input: { login: string; password: string; ip?: string },
  now: Date,
): Promise<Account> {
  const loginName = normaliseLogin(input.login);
  // No account has such a login (registration enforces the pattern), and a NUL byte or the like
  // must not reach PostgreSQL text columns: wrong credentials, without a recorded failure.
  if (!LOGIN_PATTERN.test(loginName)) throw new AppError(401, 'bad_credentials');
  const retryAt = await loginRetryAt(db, loginName, now);
  if (retryAt) throw throttled(retryAt, now);
  const account = await findAccountByLogin(db, loginName);
  // Verify against a real hash even for unknown logins, so timing does not reveal which exist.
  dummyHash ??= hash('timing-equaliser-1');
  const ok = await verify(account?.passwordHash ?? (await dummyHash), input.password).catch(() => false);
  if (!account || !ok) {
    await recordFailure(db, loginName, input.ip, now);
    throw new AppError(401, 'bad_credentials');
  }
  if (account.status !== 'active') throw new AppError(403, 'account_disabled');
  return account;
}

/**
 * Changes a signed-in account's password. A wrong current password counts as a failed sign-in (the
 * same throttle applies, so this is no side door for guessing). Every other session of the account
 * ends: whoever may have had the old password is signed out everywhere.
 */
export async function changePassword(
  db: Db,
  input: { accountId: string; sessionId?: string; currentPassword: string; newPassword: string; ip?: string },
  now: Date,
): Promise<{ sessionsRevoked: number }> {
  const account = await getAccount(db, input.accountId);
  if (!account) throw unauthenticated();
  const retryAt = await loginRetryAt(db, account.login, now);
  if (retryAt) throw throttled(retryAt, now);
  if (!(await verify(account.passwordHash, input.currentPassword).catch(() => false))) {
    await recordFailure(db, account.login, input.ip, now);
    throw new AppError(403, 'wrong_password', {}, [
      { path: '/currentPassword', in: 'body', code: 'wrong_password' },
    ]);
  }
  checkPassword(input.newPassword, '/newPassword');
  if (input.newPassword === input.currentPassword) throw invalidField('/newPassword', 'field.password_same');
  const passwordHash = await hashPassword(input.newPassword);
  return db.transaction(async (tx) => {
    await tx.update(accounts).set({ passwordHash }).where(eq(accounts.id, account.id));
    const revoked = await tx
      .delete(sessions)
      .where(
        input.sessionId
          ? and(eq(sessions.accountId, account.id), ne(sessions.id, input.sessionId))
          : eq(sessions.accountId, account.id),
      )
      .returning({ id: sessions.id });
    return { sessionsRevoked: revoked.length };
  });
}

/** Every session token begins with this; other token kinds register prefixes of their own. */
export const SESSION_TOKEN_PREFIX = 'js_';

export async function openSession(
  tx: Executor,
  account: Account,
  opts: { userAgent?: string; sessionDays: number },
  now: Date,
): Promise<{ token: string; expiresAt: Date }> {
  // Its own prefix: a bare random token starts with a merchant API key's `jk_` once in 262,144 and
  // would then be read as a key and refused.
  const token = `${SESSION_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const expiresAt = new Date(now.getTime() + opts.sessionDays * DAY);
  await tx.insert(sessions).values({
    id: newId('sess'),
    accountId: account.id,
    tokenHash: tokenHash(token),
    createdAt: now,
    expiresAt,
    userAgent: opts.userAgent?.slice(0, 300) ?? null,
  });
  await tx.delete(loginFailures).where(eq(loginFailures.login, account.login));
  return { token, expiresAt };
}
let dummyHash: Promise<string> | undefined;

export async function logout(tx: Executor, sessionId: string): Promise<void> {
  await tx.delete(sessions).where(eq(sessions.id, sessionId));
}

/** Resolvers for tokens that are not sessions (merchant API keys register one for their prefix). */
type TokenResolver = (db: Db, token: string, now: Date) => Promise<Auth | null>;
const tokenResolvers = new Map<string, TokenResolver>();
export function registerTokenResolver(prefix: string, resolver: TokenResolver): void {
  if (prefix.startsWith(SESSION_TOKEN_PREFIX) || SESSION_TOKEN_PREFIX.startsWith(prefix)) {
    throw new Error(`token prefix ${prefix} overlaps the session tokens' ${SESSION_TOKEN_PREFIX}`);
  }
  tokenResolvers.set(prefix, resolver);
}

// Every authenticated request runs this: its SQL is built once (see statement()).
const sessionByTokenHash = statement((db) =>
  db
    .select({
      sessionId: sessions.id,
      accountId: sessions.accountId,
      expiresAt: sessions.expiresAt,
      isOperator: accounts.isOperator,
      status: accounts.status,
    })
    .from(sessions)
    .innerJoin(accounts, eq(accounts.id, sessions.accountId))
    .where(eq(sessions.tokenHash, p('hash'))),
);

export async function resolveToken(db: Db, token: string, now: Date): Promise<Auth | null> {
  for (const [prefix, resolver] of tokenResolvers) {
    if (token.startsWith(prefix)) return resolver(db, token, now);
  }
  const [row] = await sessionByTokenHash(db, { hash: tokenHash(token) });
  if (!row || row.expiresAt <= now || row.status !== 'active') return null;
  return { accountId: row.accountId, isOperator: row.isOperator, via: 'session', sessionId: row.sessionId };
}

/** onRequest hook: Bearer token or session cookie -> req.auth (null when absent or no longer valid). */
export async function authenticate(req: FastifyRequest): Promise<void> {
  const header = req.headers.authorization;
  let token: string | undefined;
  if (header?.startsWith('Bearer ')) token = header.slice(7).trim();
  else if (req.cookies?.[SESSION_COOKIE]) token = req.cookies[SESSION_COOKIE];
  if (!token || token.length > 200) return;
  const { database, clock } = req.server.jishi;
  req.auth = await resolveToken(database.db, token, clock.now());
}

export function requireAccount(req: FastifyRequest): Auth {
  if (!req.auth) throw unauthenticated();
  return req.auth;
}

/** Buyers act as themselves: an API key (a shop acting) may not. */
export function requireBuyer(req: FastifyRequest): Auth {
  const auth = requireAccount(req);
  if (auth.apiKey) throw forbidden();
  return auth;
}

export function requireOperator(req: FastifyRequest): Auth {
  const auth = requireAccount(req);
  if (!auth.isOperator || auth.apiKey) throw new AppError(403, 'operator_only');
  return auth;
}

/** Other modules add to what /me and /auth/login say about an account (shops, roles). */
export type MeContributor = (
  tx: Executor,
  accountId: string,
) => Promise<{ roles?: string[]; [key: string]: unknown }>;
const meContributors: MeContributor[] = [];
export function contributeToMe(fn: MeContributor): void {
  meContributors.push(fn);
}

export async function describeAccount(tx: Executor, account: Account) {
  const roles = ['buyer'];
  if (account.isOperator) roles.push('operator');
  const extra: Record<string, unknown> = {};
  for (const fn of meContributors) {
    const { roles: more, ...rest } = await fn(tx, account.id);
    if (more) roles.push(...more);
    Object.assign(extra, rest);
  }
  return {
    id: account.id,
    login: account.login,
    displayName: account.displayName,
    locale: account.locale,
    roles,
    ...extra,
  };
}

/**
 * The operator account exists from the first start: credentials from the environment, or a generated
 * password printed once (it is never stored in clear).
 */
export async function ensureOperator(
  db: Db,
  opts: { login: string; password?: string },
  now: Date,
): Promise<{ created: boolean; password?: string }> {
  const existing = await findAccountByLogin(db, opts.login);
  if (existing) return { created: false };
  const password = opts.password ?? `${randomBytes(9).toString('base64url')}7a`;
  await createAccount(db, { login: opts.login, password, displayName: '平台运营', isOperator: true }, now);
  return { created: true, password: opts.password ? undefined : password };
}
