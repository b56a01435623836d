import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freshDatabase, onPostgres } from '../../../test/helpers';
import type { Database } from '../../db';
import { dailyRun } from './jobs';

let database: Database;
beforeAll(async () => {
  database = await freshDatabase();
});
afterAll(async () => database.close());

const tableExists = async (name: string) =>
  (
    (await database.db.execute(sql`select to_regclass(${name}) is not null as found`)) as unknown as {
      rows: { found: boolean }[];
    }
  ).rows[0]!.found;

const now = new Date('2026-11-02T16:10:00.000Z');

it('the daily run drops the staging tables of a bulk load that died', async () => {
  await database.db.execute(sql.raw('create table databank_load_k1_20261101 (id text)'));
  await database.db.execute(sql.raw('create table databank_load_k1_20261102 (id text)'));
  const { abandoned } = await database.db.transaction((tx) => dailyRun(tx, now));
  expect(abandoned.sort()).toEqual(['databank_load_k1_20261101', 'databank_load_k1_20261102']);
  expect(await tableExists('databank_load_k1_20261101')).toBe(false);
});

// A running load holds its lock on a connection of its own: only a server has a second one.
it.runIf(onPostgres)('and keeps those of a load still running', async () => {
  await database.db.execute(sql.raw('create table databank_load_k2_20261101 (id text)'));
  const load = await database.pool!.connect();
  try {
    await load.query('select pg_advisory_lock(7405401, $1::int)', [Number.parseInt('k2', 36)]);
    const { abandoned } = await database.db.transaction((tx) => dailyRun(tx, now));
    expect(abandoned).toEqual([]);
    expect(await tableExists('databank_load_k2_20261101')).toBe(true);
  } finally {
    load.release(true);
  }
  // Its connection gone, the load is dead: the next daily run clears its tables.
  const { abandoned } = await database.db.transaction((tx) => dailyRun(tx, now));
  expect(abandoned).toEqual(['databank_load_k2_20261101']);
});
