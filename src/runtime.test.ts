import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freshDatabase, onPostgres } from '../test/helpers';
import { loadConfig } from './config';
import { emit, registerConsumer, unregisterConsumer } from './kernel/outbox';
import { type Runtime, startRuntime } from './runtime';

let runtime: Runtime;
let dropDatabase: () => Promise<void> = async () => {};

beforeAll(async () => {
  let databaseUrl: string | undefined;
  if (onPostgres) {
    // A fresh server database, opened by the runtime itself as `jishi serve` would open it.
    const fresh = await freshDatabase({ poolSize: 1 });
    databaseUrl = fresh.url;
    dropDatabase = () => fresh.close();
  }
  const config = loadConfig({
    NODE_ENV: 'test',
    JISHI_SEED: 'off',
    JISHI_SCHEDULER_INTERVAL_MS: '0',
    JISHI_DATA_DIR: 'memory://',
    JISHI_ADMIN_PASSWORD: 'Runtime-Test-2026!',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  });
  runtime = await startRuntime(config, { logger: false });
});
afterAll(async () => {
  unregisterConsumer('runtime-test');
  await runtime?.stop();
  await dropDatabase();
});

it('a scheduler tick delivers a burst of outbox events beyond one batch, not 500 per tick', async () => {
  let seen = 0;
  registerConsumer('runtime-test', ['runtime.test'], async () => {
    seen++;
  });
  const at = runtime.clock.now();
  await runtime.database.db.transaction(async (tx) => {
    for (let i = 0; i < 1_200; i++) await emit(tx, 'runtime.test', { i }, { at });
  });
  await runtime.tick();
  expect(seen).toBe(1_200);
  const [position] = (
    (await runtime.database.db.execute(
      sql`select count(*)::int as behind from outbox_events e, outbox_consumers c
           where c.name = 'runtime-test' and e.topic = 'runtime.test' and (e.tx_id, e.id) > (c.position_tx, c.position_id)`,
    )) as unknown as { rows: { behind: number }[] }
  ).rows;
  expect(position!.behind).toBe(0);
});
