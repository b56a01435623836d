import { loadConfig } from './config';
import { migrateDatabase } from './db';
import { openConfiguredDatabase, startRuntime } from './runtime';

const usage = `jishi — marketplace platform

Usage:
  jishi serve      start the server (migrates, creates the operator, seeds an empty database)
  jishi migrate    apply database migrations
  jishi seed       load the demo marketplace (deterministic; skipped when data exists)

Environment: DATABASE_URL (else embedded PGlite under ./data), PORT, HOST, JISHI_CLOCK=manual,
JISHI_ADMIN_LOGIN, JISHI_ADMIN_PASSWORD, JISHI_SANDBOX_SECRET. See README.md.`;

async function main(argv: string[]) {
  const [cmd = 'serve'] = argv;
  const config = loadConfig();
  switch (cmd) {
    case 'serve': {
      const runtime = await startRuntime(config);
      if (config.seedOnEmpty) {
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
