// Environment -> typed configuration. DATABASE_URL absent means the embedded PGlite under ./data.
export interface Config {
  databaseUrl?: string;
  dataDir: string;
  port: number;
  host: string;
  clock: 'system' | 'manual';
  adminLogin: string;
  adminPassword?: string;
  sandboxSecret: string;
  /** Secret that keys the HMAC used to compare identity numbers without storing them. */
  identitySecret: string;
  sessionDays: number;
  production: boolean;
  logLevel: string;
  seedOnEmpty: boolean;
  schedulerIntervalMs: number;
  redisUrl?: string;
  /** Repeated queries as named prepared statements (PostgreSQL); off behind a pooler that cannot keep them. */
  preparedStatements: boolean;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const clock = env.JISHI_CLOCK === 'manual' ? 'manual' : 'system';
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: env.JISHI_DATA_DIR || './data/pglite',
    port: Number(env.PORT ?? 3000),
    host: env.HOST || '127.0.0.1',
    clock,
    adminLogin: env.JISHI_ADMIN_LOGIN || 'admin',
    adminPassword: env.JISHI_ADMIN_PASSWORD || undefined,
    sandboxSecret: env.JISHI_SANDBOX_SECRET || 'sandbox-secret',
    identitySecret: env.JISHI_IDENTITY_SECRET || 'jishi-identity-secret',
    sessionDays: Number(env.JISHI_SESSION_DAYS ?? 30),
    production: env.NODE_ENV === 'production',
    logLevel: env.LOG_LEVEL || (env.NODE_ENV === 'test' ? 'silent' : 'info'),
    seedOnEmpty: env.JISHI_SEED !== 'off',
    schedulerIntervalMs: Number(env.JISHI_SCHEDULER_INTERVAL_MS ?? 1000),
    redisUrl: env.REDIS_URL || undefined,
    preparedStatements: env.JISHI_PREPARED_STATEMENTS !== 'off',
  };
}
