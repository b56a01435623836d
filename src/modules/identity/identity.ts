import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { and, count, eq, gte } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import type { Db, Executor } from '../../db';
import { DAY } from '../../kernel/clock';
import type { Auth } from '../../kernel/context';
import { AppError, forbidden, invalidField, unauthenticated } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { accounts, loginFailures, sessions } from './schema';
import './messages';

export const LOGIN_PATTERN = /^[\p{L}\p{N}_.@+-]{3,64}$/u;
export const SESSION_COOKIE = 'jishi_session';
const THROTTLE = { failures: 5, windowMinutes: 15 };

export type Account = typeof accounts.$inferSelect;

export function normaliseLogin(login: string): string {
  return login.trim().toLowerCase();
}

export function checkPassword(password: string): void {
  if (password.length < 8 || !/\p{L}/u.test(password) || !/\p{N}/u.test(password)) {
    throw invalidField('/password', 'field.password_weak');
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

/**
 * Checks a login and password. Failed attempts are recorded on `db` directly (they must stay even
 * though the request fails) and throttle further attempts on that login across every process.
 */
export async function verifyCredentials(
  db: Db,
  input: { login: string; password: string; ip?: string },
  now: Date,
): Promise<Account> {
  const loginName = normaliseLogin(input.login);
  const since = new Date(now.getTime() - THROTTLE.windowMinutes * 60_000);
  const [recent] = await db
    .select({ n: count() })
    .from(loginFailures)
    .where(and(eq(loginFailures.login, loginName), gte(loginFailures.at, since)));
  if ((recent?.n ?? 0) >= THROTTLE.failures) {
    throw new AppError(429, 'login_throttled', { minutes: THROTTLE.windowMinutes });
  }
  const account = await findAccountByLogin(db, loginName);
  // Verify against a real hash even for unknown logins, so timing does not reveal which exist.
  dummyHash ??= hash('timing-equaliser-1');
  const ok = await verify(account?.passwordHash ?? (await dummyHash), input.password).catch(() => false);
  if (!account || !ok) {
    await db
      .insert(loginFailures)
      .values({ id: newId('lf'), login: loginName, ip: input.ip ?? null, at: now });
    throw new AppError(401, 'bad_credentials');
  }
  if (account.status !== 'active') throw new AppError(403, 'account_disabled');
  return account;
}

export async function openSession(
  tx: Executor,
  account: Account,
  opts: { userAgent?: string; sessionDays: number },
  now: Date,
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
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
  tokenResolvers.set(prefix, resolver);
}

export async function resolveToken(db: Db, token: string, now: Date): Promise<Auth | null> {
  for (const [prefix, resolver] of tokenResolvers) {
    if (token.startsWith(prefix)) return resolver(db, token, now);
  }
  const [row] = await db
    .select({
      sessionId: sessions.id,
      accountId: sessions.accountId,
      expiresAt: sessions.expiresAt,
      isOperator: accounts.isOperator,
      status: accounts.status,
    })
    .from(sessions)
    .innerJoin(accounts, eq(accounts.id, sessions.accountId))
    .where(eq(sessions.tokenHash, tokenHash(token)));
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
