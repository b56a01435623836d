import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { buildApp } from '../src/app';
import { type Config, loadConfig } from '../src/config';
import { type Database, migrateDatabase, openDatabase } from '../src/db';
import { ManualClock } from '../src/kernel/clock';
import type { App } from '../src/kernel/context';
import { advanceManualClock } from '../src/kernel/scheduler';
import { ensureDefaultRuleSets } from '../src/modules/governance';
import { createAccount } from '../src/modules/identity';

/** Which database the suite runs on: PGlite by default, the PostgreSQL server with JISHI_TEST_DB=postgres. */
export const onPostgres = process.env.JISHI_TEST_DB === 'postgres';
export const PG_ADMIN_URL = process.env.JISHI_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let migratedSnapshot: Blob | undefined;

/** A fresh, migrated database for one test file: in-memory PGlite, or a new database on the server. */
export async function freshDatabase(opts: { poolSize?: number } = {}): Promise<Database & { url?: string }> {
  if (!onPostgres) {
    // Starting from the migrated snapshot made once per run (test/global-setup.ts) saves an initdb per file.
    const path = process.env.JISHI_TEST_PGLITE_SNAPSHOT;
    // Read once per test process (44 MB: 0.3 s a read), not once per app.
    migratedSnapshot ??= path && existsSync(path) ? new Blob([readFileSync(path)]) : undefined;
    const snapshot = migratedSnapshot;
    const database = await openDatabase({ dataDir: 'memory://', snapshot });
    await migrateDatabase(database);
    return database;
  }
  const name = `jishi_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  // A copy of the database migrated once per run (test/global-setup.ts); the migrations below then
  // find nothing left to do.
  const template = process.env.JISHI_TEST_PG_TEMPLATE;
  await admin.query(`create database ${name}${template ? ` template ${template}` : ''}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), poolSize: opts.poolSize ?? 20 });
  await migrateDatabase(database);
  return {
    ...database,
    url: url.toString(),
    async close() {
      await database.close();
      const a = new pg.Client({ connectionString: PG_ADMIN_URL });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

export const TEST_START = new Date('2026-11-01T02:00:00.000Z');

export interface TestContext {
  app: App;
  database: Database;
  db: Database['db'];
  clock: ManualClock;
  config: Config;
  /** Moves the shared manual clock forward, running every deadline that falls due on the way. */
  advance(by: { days?: number; hours?: number; minutes?: number }): Promise<Date>;
  close(): Promise<void>;
}

/** `poolSize` widens the PostgreSQL pool for tests that run many transactions at once. */
export async function makeTestApp(
  overrides: Partial<Config> = {},
  opts: { poolSize?: number } = {},
): Promise<TestContext> {
  const database = await freshDatabase({ poolSize: opts.poolSize });
  const clock = new ManualClock(TEST_START);
  const config: Config = {
    ...loadConfig({}),
    clock: 'manual',
    logLevel: 'silent',
    schedulerIntervalMs: 0,
    ...overrides,
  };
  const app = await buildApp({ config, database, clock, logger: false });
  await app.ready();
  await ensureDefaultRuleSets(database.db, clock.now());
  return {
    app,
    database,
    db: database.db,
    clock,
    config,
    advance: ({ days = 0, hours = 0, minutes = 0 }) =>
      advanceManualClock(
        database.db,
        clock,
        new Date(clock.now().getTime() + ((days * 24 + hours) * 60 + minutes) * 60_000),
      ),
    async close() {
      await app.close();
      await database.close();
    },
  };
}

export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | number | undefined>;
}

/** A small HTTP client over app.inject with the caller's token and language. */
export function client(app: App, token?: string, lang: 'zh-CN' | 'en' = 'en') {
  const call = async <T = any>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer<T>> => {
    const res = await app.inject({
      method,
      url: url.startsWith('/api/') || url.startsWith('/health') || url === '/' ? url : `/api/v1${url}`,
      payload: body === undefined ? undefined : (body as object),
      headers: {
        'accept-language': lang,
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
    });
    let parsed: unknown = res.body;
    try {
      parsed = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.statusCode, body: parsed as T, headers: res.headers };
  };
  return {
    get: <T = any>(url: string, headers?: Record<string, string>) => call<T>('GET', url, undefined, headers),
    post: <T = any>(url: string, body?: unknown, headers?: Record<string, string>) =>
      call<T>('POST', url, body ?? {}, headers),
    put: <T = any>(url: string, body?: unknown, headers?: Record<string, string>) =>
      call<T>('PUT', url, body ?? {}, headers),
    patch: <T = any>(url: string, body?: unknown, headers?: Record<string, string>) =>
      call<T>('PATCH', url, body ?? {}, headers),
    delete: <T = any>(url: string, headers?: Record<string, string>) =>
      call<T>('DELETE', url, undefined, headers),
    token,
  };
}
export type Client = ReturnType<typeof client>;

let counter = 0;
/** Registers and signs in a new account; answers a client acting as it. */
export async function signUp(
  ctx: TestContext,
  opts: { login?: string; displayName?: string; operator?: boolean; lang?: 'zh-CN' | 'en' } = {},
): Promise<Client & { accountId: string; login: string }> {
  const login = opts.login ?? `user${++counter}_${randomBytes(3).toString('hex')}`;
  const password = 'password123';
  if (opts.operator) {
    await createAccount(
      ctx.db,
      { login, password, displayName: opts.displayName ?? login, isOperator: true },
      ctx.clock.now(),
    );
  } else {
    const r = await client(ctx.app).post('/auth/register', {
      login,
      password,
      displayName: opts.displayName ?? login,
    });
    if (r.status !== 201) throw new Error(`register failed: ${JSON.stringify(r.body)}`);
  }
  const r = await client(ctx.app).post('/auth/login', { login, password });
  if (r.status !== 200) throw new Error(`login failed: ${JSON.stringify(r.body)}`);
  return { ...client(ctx.app, r.body.token, opts.lang ?? 'en'), accountId: r.body.account.id, login };
}
