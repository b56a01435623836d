import cluster, { type Worker } from 'node:cluster';
import { type Config, loadConfig } from './config';
import { migrateDatabase } from './db';
import { openConfiguredDatabase, startRuntime } from './runtime';
import { ensureWebApp } from './web';

const usage = `jishi — marketplace platform

Usage:
  jishi serve                  start the server (migrates, creates the operator, seeds an empty database)
  jishi serve --workers N      N server processes sharing the port (PostgreSQL only; a dead one is restarted)
  jishi migrate                apply database migrations
  jishi seed                   load the demo marketplace (deterministic; skipped when data exists)
  jishi import events FILE [--shift-days N]
                               load Taobao UserBehavior CSV (plain or .gz) as behaviour events

Environment: DATABASE_URL (else embedded PGlite under ./data), PORT, HOST, JISHI_CLOCK=manual,
JISHI_ADMIN_LOGIN, JISHI_ADMIN_PASSWORD, JISHI_SANDBOX_SECRET, JISHI_DB_POOL_SIZE (connections per
process; default 20, shared out among workers). See README.md.`;

/** `--workers N` or `--workers=N`; undefined when absent. */
function workersOption(args: string[]): number | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const value = a === '--workers' ? args[i + 1] : a.startsWith('--workers=') ? a.slice(10) : undefined;
    if (value === undefined) continue;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 64) {
      console.error(`--workers takes a whole number from 1 to 64, not "${value}"`);
      process.exit(2);
    }
    return n;
  }
  if (args.includes('--workers')) {
    console.error('--workers takes a number');
    process.exit(2);
  }
  return undefined;
}

/** Connections per process: JISHI_DB_POOL_SIZE, else 20 shared out among the workers (at least 4 each). */
function poolSize(workers: number): number {
  const set = Number(process.env.JISHI_DB_POOL_SIZE);
  if (Number.isInteger(set) && set > 0) return set;
  return Math.max(4, Math.ceil(20 / workers));
}

/** One server process: the whole of `jishi serve`, or one worker of `serve --workers N`. */
async function serveOne(config: Config, opts: { poolSize?: number; seed: boolean }) {
  const runtime = await startRuntime(config, { poolSize: opts.poolSize });
  if (opts.seed && config.seedOnEmpty) {
    const { seedIfEmpty } = await import('./seed');
    const seeded = await seedIfEmpty(runtime.database.db, runtime.clock, (m) => runtime.app.log.info(m), {
      identitySecret: config.identitySecret,
      operatorLogin: config.adminLogin,
    });
    if (seeded) runtime.app.log.info('demo marketplace loaded');
  }
  await runtime.app.listen({ port: config.port, host: config.host });
  const stop = async () => {
    await runtime.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/**
 * The primary of `serve --workers N`: prepares the database once (migrations, rule sets, operator,
 * demo data), then forks N workers that share the port (node:cluster hands out the connections).
 * Every worker runs the deadline sweeper too; SKIP LOCKED lets them share the due rows.
 */
async function servePrimary(config: Config, workers: number) {
  const log = (message: string) => console.log(`jishi[primary ${process.pid}]: ${message}`);
  // Runs the one-time work here so the workers start on a ready database and never race for it.
  const runtime = await startRuntime({ ...config, schedulerIntervalMs: 0 }, { poolSize: 2 });
  if (config.seedOnEmpty) {
    const { seedIfEmpty } = await import('./seed');
    if (
      await seedIfEmpty(runtime.database.db, runtime.clock, log, {
        identitySecret: config.identitySecret,
        operatorLogin: config.adminLogin,
      })
    )
      log('demo marketplace loaded');
  }
  await runtime.stop();

  const env = { JISHI_DB_POOL_SIZE: String(poolSize(workers)) };
  const startedAt = new Map<Worker, number>();
  let stopping = false;
  let quickDeaths = 0;
  const fork = () => {
    if (stopping) return; // a restart that was waiting when the stop came
    const worker = cluster.fork(env);
    startedAt.set(worker, Date.now());
    worker.once('online', () => log(`worker ${worker.process.pid} started`));
    worker.once('listening', () => log(`worker ${worker.process.pid} listening`));
  };
  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker) ?? 0);
    startedAt.delete(worker);
    if (stopping) return;
    log(`worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another`);
    // A worker that dies at once (database down, port taken) is restarted ever more slowly.
    quickDeaths = lived < 5_000 ? quickDeaths + 1 : 0;
    setTimeout(fork, quickDeaths === 0 ? 0 : Math.min(30_000, 250 * 2 ** quickDeaths));
  });
  for (let i = 0; i < workers; i++) fork();

  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping ${startedAt.size} workers`);
    const alive = [...startedAt.keys()];
    const exited = alive.map((w) =>
      w.isDead() ? undefined : new Promise<void>((resolve) => w.process.once('exit', () => resolve())),
    );
    for (const w of alive) w.process.kill('SIGTERM');
    // Each worker finishes its requests and its sweep; one that hangs is killed after 20 s.
    const timer = setTimeout(() => {
      for (const w of alive) if (w.process.exitCode === null) w.process.kill('SIGKILL');
    }, 20_000);
    await Promise.all(exited);
    clearTimeout(timer);
    log('stopped');
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function main(argv: string[]) {
  const [cmd = 'serve', ...rest] = argv;
  const config = loadConfig();
  switch (cmd) {
    case 'serve': {
      const workers = workersOption(rest);
      if (workers !== undefined && !config.databaseUrl) {
        console.error(
          'jishi serve --workers needs PostgreSQL: set DATABASE_URL. The embedded PGlite database allows one process only; run `jishi serve` without --workers to use it.',
        );
        process.exit(2);
      }
      if (!cluster.isWorker) await ensureWebApp();
      if (cluster.isWorker) {
        // The primary has migrated and seeded already.
        await serveOne(config, { poolSize: poolSize(1), seed: false });
      } else if (workers === undefined) {
        await serveOne(config, { poolSize: Number(process.env.JISHI_DB_POOL_SIZE) || undefined, seed: true });
      } else {
        await servePrimary(config, workers);
      }
      return;
    }
    case 'migrate': {
      const database = await openConfiguredDatabase(config);
      await migrateDatabase(database);
      await database.close();
      console.log('migrations applied');
      return;
    }
    case 'seed': {
      const runtime = await startRuntime({ ...config, schedulerIntervalMs: 0 }, { logger: false });
      const { seedIfEmpty } = await import('./seed');
      const seeded = await seedIfEmpty(runtime.database.db, runtime.clock, (m) => console.log(m), {
        identitySecret: config.identitySecret,
        operatorLogin: config.adminLogin,
      });
      console.log(seeded ? 'demo marketplace loaded' : 'database already has a marketplace; nothing seeded');
      await runtime.stop();
      return;
    }
    case 'import': {
      const { runImportEvents } = await import('./modules/databank/cli');
      process.exitCode = await runImportEvents(rest, process, config);
      return;
    }
    case 'help':
    case '--help':
    case '-h':
      console.log(usage);
      return;
    default:
      console.error(`unknown command: ${cmd}\n\n${usage}`);
      process.exit(2);
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err);
  process.exit(1);
});
