import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrateDatabase, openDatabase, snapshotDatabase } from '../src/db';

/**
 * On the embedded database, migrate one PGlite once and hand its data directory to every test file,
 * which then starts in about a second instead of running initdb and the migrations itself.
 */
export default async function setup() {
  if (process.env.JISHI_TEST_DB === 'postgres') return migratedTemplate();
  const dir = mkdtempSync(join(tmpdir(), 'jishi-test-'));
  const database = await openDatabase({ dataDir: 'memory://' });
  await migrateDatabase(database);
  const file = join(dir, 'migrated.tar');
  writeFileSync(file, Buffer.from(await (await snapshotDatabase(database)).arrayBuffer()));
  await database.close();
  process.env.JISHI_TEST_PGLITE_SNAPSHOT = file;
  return () => rmSync(dir, { recursive: true, force: true });
}

/**
 * On PostgreSQL, migrate one database once and let every test database be a copy of it
 * (CREATE DATABASE ... TEMPLATE), instead of running every migration again for each.
 */
async function migratedTemplate() {
  const name = `jishi_tpl_${randomBytes(6).toString('hex')}`;
  const adminUrl = process.env.JISHI_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const admin = async (query: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(query);
    } finally {
      await client.end();
    }
  };
  await admin(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  // Closed before any test starts: a template with a connection open cannot be copied.
  const database = await openDatabase({ databaseUrl: url.toString(), poolSize: 1 });
  try {
    await migrateDatabase(database);
  } finally {
    await database.close();
  }
  process.env.JISHI_TEST_PG_TEMPLATE = name;
  return () => admin(`drop database if exists ${name} with (force)`);
}
