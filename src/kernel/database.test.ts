import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, onPostgres, PG_ADMIN_URL } from '../../test/helpers';
import { type Database, type Db, migrateDatabase, openDatabase, withPlansPerCall } from '../db';

const journal = JSON.parse(
  readFileSync(new URL('../../drizzle/meta/_journal.json', import.meta.url), 'utf8'),
) as { entries: { tag: string }[] };

async function count(db: Db, query: string): Promise<number> {
  const r = await db.execute(sql.raw(query));
  return Number((r as unknown as { rows: { n: number | string }[] }).rows[0]?.n);
}

const applied = (db: Db) => count(db, 'select count(*) as n from drizzle.__drizzle_migrations');

let database: Database;
beforeAll(async () => {
  database = await freshDatabase();
});
afterAll(async () => database.close());

describe('migrateDatabase', () => {
  it('applies every committed migration once, and running it again changes nothing', async () => {
    const db = database.db;
    expect(journal.entries.length).toBeGreaterThan(0);
    expect(await applied(db)).toBe(journal.entries.length);
    await db.execute(
      sql`insert into clock_state (id, now) values (1, ${'2026-11-01T02:00:00.000Z'}::timestamptz)`,
    );
    const tables = await count(
      db,
      `select count(*) as n from information_schema.tables where table_schema = 'public'`,
    );

    await migrateDatabase(database);
    await migrateDatabase(database);

    expect(await applied(db)).toBe(journal.entries.length);
    expect(await count(db, 'select count(*) as n from clock_state')).toBe(1);
    expect(
      await count(db, `select count(*) as n from information_schema.tables where table_schema = 'public'`),
    ).toBe(tables);
  });

  it.skipIf(!onPostgres)('lets several processes migrate one fresh database at the same time', async () => {
    const name = `jishi_t_mig_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${name}`;
    const opened: Database[] = [];
    try {
      for (let i = 0; i < 4; i++)
        opened.push(await openDatabase({ databaseUrl: url.toString(), poolSize: 2 }));
      const results = await Promise.allSettled(opened.map((d) => migrateDatabase(d)));
      expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual([
        'ok',
        'ok',
        'ok',
        'ok',
      ]);
      const db = opened[0]!.db;
      expect(await applied(db)).toBe(journal.entries.length);
      expect(
        await count(db, `select count(*) as n from information_schema.tables where table_name = 'deadlines'`),
      ).toBe(1);
    } finally {
      for (const d of opened) await d.close();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});

describe('openDatabase (PostgreSQL)', () => {
  it.skipIf(!onPostgres)(
    'survives idle connections being killed and reconnects for the next query',
    async () => {
      const db = database.db;
      // Open a few pooled connections, then let them go idle.
      await Promise.all(
        Array.from({ length: 4 }, () => db.transaction((tx) => tx.execute(sql`select pg_sleep(0.05)`))),
      );
      const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
      await admin.connect();
      const name = new URL((database as Database & { url: string }).url).pathname.slice(1);
      const killed = await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [name],
      );
      await admin.end();
      expect(killed.rowCount).toBeGreaterThan(0);
      // The pool sees its idle clients die; that must not be an uncaught error (it would end the process).
      await new Promise((r) => setTimeout(r, 200));
      expect(await count(db, 'select 41 + 1 as n')).toBe(42);
    },
  );

  it.skipIf(!onPostgres)(
    'survives the connection of a transaction in progress being killed: that transaction fails, the rest goes on',
    async () => {
      const db = database.db;
      const name = new URL((database as Database & { url: string }).url).pathname.slice(1);
      let inTransaction!: () => void;
      const between = new Promise<void>((r) => {
        inTransaction = r;
      });
      let resume!: () => void;
      const resumed = new Promise<void>((r) => {
        resume = r;
      });
      const tx = db.transaction(async (t) => {
        await t.execute(sql`select 1`);
        inTransaction();
        await resumed;
        await t.execute(sql`select 2`);
      });
      await between;
      const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
      await admin.connect();
      const killed = await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and state = 'idle in transaction'`,
        [name],
      );
      await admin.end();
      expect(killed.rowCount).toBe(1);
      // The client hears of it while no statement is running: that was an uncaught 'error' event.
      await new Promise((r) => setTimeout(r, 200));
      resume();
      await expect(tx).rejects.toThrow();
      expect(await count(db, 'select 41 + 1 as n')).toBe(42);
    },
  );

  it.skipIf(!onPostgres)(
    'sends a repeated query as a named prepared statement, unless told not to; planned per call on request',
    async () => {
      const url = (database as Database & { url: string }).url;
      const text = 'select $1::int + 1 as n';
      const preparedOnConnection = async (opened: Database) =>
        opened.db.transaction(async (tx) => {
          for (let i = 0; i < 3; i++) await tx.execute(sql`select ${i}::int + 1 as n`);
          const r = await tx.execute(
            sql`select count(*)::int as n from pg_prepared_statements where statement = ${text}`,
          );
          return (r as unknown as { rows: { n: number }[] }).rows[0]?.n;
        });
      const named = await openDatabase({ databaseUrl: url, poolSize: 1 });
      const unnamed = await openDatabase({ databaseUrl: url, poolSize: 1, preparedStatements: false });
      try {
        expect(await preparedOnConnection(named)).toBe(1);
        expect(await preparedOnConnection(unnamed)).toBe(0);
        const mode = async (tx: Db | Parameters<Parameters<typeof withPlansPerCall>[1]>[0]) =>
          (
            (await tx.execute(sql`show plan_cache_mode`)) as unknown as {
              rows: { plan_cache_mode: string }[];
            }
          ).rows[0]?.plan_cache_mode;
        expect(await withPlansPerCall(named.db, mode)).toBe('force_custom_plan');
        expect(await mode(named.db)).toBe('auto');
      } finally {
        await named.close();
        await unnamed.close();
      }
    },
  );
});
