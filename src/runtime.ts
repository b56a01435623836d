import { buildApp } from './app';
import type { Config } from './config';
import { type Database, migrateDatabase, openDatabase } from './db';
import { type Clock, ManualClock, SystemClock } from './kernel/clock';
import { pruneIdempotencyKeys } from './kernel/command';
import type { App } from './kernel/context';
import { dispatchOutbox } from './kernel/outbox';
import { loadManualClock, sweepDeadlines } from './kernel/scheduler';
import { settleAll } from './kernel/settle';
import { ensureDefaultRuleSets } from './modules/governance';
import { ensureOperator } from './modules/identity';

export interface Runtime {
  app: App;
  database: Database;
  clock: Clock;
  /** One scheduler tick now, as the timer runs it (for tests, and for runs with the timer off). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

export async function openConfiguredDatabase(config: Config, poolSize?: number): Promise<Database> {
  return openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize,
    preparedStatements: config.preparedStatements,
  });
}

export async function makeClock(config: Config, database: Database): Promise<Clock> {
  if (config.clock !== 'manual') return new SystemClock();
  const clock = new ManualClock();
  await loadManualClock(database.db, clock);
  return clock;
}

/** Outbox batches (of 500 events) a scheduler tick may deliver: 10,000 events, then the next tick. */
const OUTBOX_ROUNDS = 20;

/** Opens the database, migrates, makes sure the operator exists, and builds the app. */
export async function startRuntime(
  config: Config,
  opts: { logger?: boolean | object; poolSize?: number } = {},
): Promise<Runtime> {
  const database = await openConfiguredDatabase(config, opts.poolSize);
  await migrateDatabase(database);
  const clock = await makeClock(config, database);
  await ensureDefaultRuleSets(database.db, clock.now());
  const app = await buildApp({ config, database, clock, logger: opts.logger });
  const operator = { login: config.adminLogin, password: config.adminPassword };
  // Several processes starting at once on an empty database race to create the operator; the
  // loser's unique-login error means it exists now, which a second look confirms.
  const op = await ensureOperator(database.db, operator, clock.now()).catch(() =>
    ensureOperator(database.db, operator, clock.now()),
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
  const sweepers = database.kind === 'postgres' ? 4 : 1;
  // Up to OUTBOX_ROUNDS batches per consumer per tick, stopping once every consumer has caught up.
  const drainOutbox = async () => {
    for (let round = 0; round < OUTBOX_ROUNDS; round++) {
      if ((await dispatchOutbox(database.db)) === 0) return;
    }
  };
  // Polls the durable deadline rows and the outbox; nothing is held in memory between ticks.
  const tick = async () => {
    if (running) return;
    running = work();
    await running;
    running = undefined;
  };
  const work = async () => {
    try {
      if (clock instanceof ManualClock) {
        // Another process may have moved the shared manual clock; never step back, though: this
        // process may be half-way through advancing it.
        const before = clock.now();
        await loadManualClock(database.db, clock);
        if (clock.now() < before) clock.set(before);
      }
      // On PostgreSQL a few sweep loops share the due rows (SKIP LOCKED), so a burst of payment
      // callbacks is not applied one round trip after another, and the outbox is drained beside
      // them rather than after: a burst kept the sweeps busy for seconds, and the data bank and
      // rankings fell behind the orders by as long. PGlite has one connection: one after the other.
      // Every loop has ended before the tick does, so ticks never overlap.
      const loops =
        database.kind === 'postgres'
          ? [...Array.from({ length: sweepers }, () => sweepDeadlines(database.db, clock)), drainOutbox()]
          : [sweepDeadlines(database.db, clock).then(drainOutbox)];
      await settleAll(loops);
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
    tick,
    async stop() {
      if (timer) clearInterval(timer);
      // Let a sweep in progress finish its transaction before the pool closes.
      await running;
      await app.close();
      await database.close();
    },
  };
}
