import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateDatabase, openDatabase, snapshotDatabase } from '../src/db';

/**
 * On the embedded database, migrate one PGlite once and hand its data directory to every test file,
 * which then starts in about a second instead of running initdb and the migrations itself.
 */
export default async function setup() {
  if (process.env.JISHI_TEST_DB === 'postgres') return;
  const dir = mkdtempSync(join(tmpdir(), 'jishi-test-'));
  const database = await openDatabase({ dataDir: 'memory://' });
  await migrateDatabase(database);
  const file = join(dir, 'migrated.tar');
  writeFileSync(file, Buffer.from(await (await snapshotDatabase(database)).arrayBuffer()));
  await database.close();
  process.env.JISHI_TEST_PGLITE_SNAPSHOT = file;
  return () => rmSync(dir, { recursive: true, force: true });
}
