import { buildApp } from './app';
import type { Config } from './config';
import { type Database, migrateDatabase, openDatabase } from './db';
import { type Clock, ManualClock, SystemClock } from './kernel/clock';
import { pruneIdempotencyKeys } from './kernel/command';
import type { App } from './kernel/context';
import { dispatchOutbox } from './kernel/outbox';
import { loadManualClock, sweepDeadlines } from './kernel/scheduler';
import { ensureDefaultRuleSets } from './modules/governance';
import { ensureOperator } from './modules/identity';

export interface Runtime {
  app: App;
  database: Database;
  clock: Clock;
  stop(): Promise<void>;
}

export async function openConfiguredDatabase(config: Config): Promise<Database> {
  return openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
}

export async function makeClock(config: Config, database: Database): Promise<Clock> {
  if (config.clock !== 'manual') return new SystemClock();
  const clock = new ManualClock();
  await loadManualClock(database.db, clock);
  return clock;
}

/** Opens the database, migrates, makes sure the operator exists, and builds the app. */
export async function startRuntime(
  config: Config,
  opts: { logger?: boolean | object } = {},
): Promise<Runtime> {
  const database = await openConfiguredDatabase(config);
  await migrateDatabase(database);
  const clock = await makeClock(config, database);
  await ensureDefaultRuleSets(database.db, clock.now());
  const app = await buildApp({ config, database, clock, logger: opts.logger });
  const op = await ensureOperator(
    database.db,
    { login: config.adminLogin, password: config.adminPassword },
    clock.now(),
  );
  if (op.created && op.password) {
    app.log.warn(
      `Operator account created: login "${config.adminLogin}", password "${op.password}" (shown once; set JISHI_ADMIN_PASSWORD to choose it).`,
    );
  }
  if (config.production && config.sandboxSecret === 'sandbox-secret') {
    app.log.warn('JISHI_SANDBOX_SECRET is the default; set your own before taking real traffic.');
  }
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let lastPrune = 0;
  // Polls the durable deadline rows and the outbox; nothing is held in memory between ticks.
  const tick = async () => {
    if (running) return;
    running = work();
    await running;
    running = undefined;
  };
  const work = async () => {
    try {
      await sweepDeadlines(database.db, clock);
      await dispatchOutbox(database.db);
      if (clock.now().getTime() - lastPrune > 3_600_000) {
        lastPrune = clock.now().getTime();
        await pruneIdempotencyKeys(database.db, clock.now());
      }
    } catch (err) {
      app.log.error({ err }, 'scheduler tick failed');
    }
  };
  if (config.schedulerIntervalMs > 0) timer = setInterval(tick, config.schedulerIntervalMs);
  return {
    app,
    database,
    clock,
    async stop() {
      if (timer) clearInterval(timer);
      // Let a sweep in progress finish its transaction before the pool closes.
      await running;
      await app.close();
      await database.close();
    },
  };
}
