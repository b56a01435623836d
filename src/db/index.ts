import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { type ExtractTablesWithRelations, sql } from 'drizzle-orm';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';

// One type for both drivers: domain code never knows which database it runs on.
// biome-ignore lint/suspicious/noExplicitAny: the schema generic is not used; queries name tables directly
type AnySchema = any;
export type Db = PgDatabase<PgQueryResultHKT, AnySchema, ExtractTablesWithRelations<AnySchema>>;
export type Tx = PgTransaction<PgQueryResultHKT, AnySchema, ExtractTablesWithRelations<AnySchema>>;
/** Anything that can run a query: the database itself or an open transaction. */
export type Executor = Db | Tx;

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  url?: string;
  /** The connection pool on PostgreSQL, for what Drizzle has no API for (COPY, work split over connections). */
  pool?: pg.Pool;
  close(): Promise<void>;
}

const migrationsFolder = join(dirname(fileURLToPath(import.meta.url)), '../../drizzle');

// PostgreSQL answers bigint as strings by default; our bigints are fen amounts well inside 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

/**
 * Runs `fn` in a transaction whose statements are planned for their own values on every call. Named
 * statements (see StatementNames) otherwise get PostgreSQL's generic plan after five runs, which
 * suits the trade paths (planned once) but not queries whose best plan depends on the values: a
 * brand's funnel ran 1.5 times slower on its generic plan. (A search sets the same for itself, with JIT
 * off, in its own transaction: searchProducts.)
 */
export function withPlansPerCall<T>(db: Executor, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`set local plan_cache_mode = force_custom_plan`);
    return fn(tx);
  });
}

export interface OpenOptions {
  databaseUrl?: string;
  /**
   * PostgreSQL only: send repeated query texts as named prepared statements (see StatementNames).
   * On by default; turn it off behind a pooler that cannot keep them (PgBouncer in transaction mode
   * before 1.21).
   */
  preparedStatements?: boolean;
  /** PGlite data directory; `memory://` keeps it in memory (tests). */
  dataDir?: string;
  poolSize?: number;
  /** PGlite only: start from this dump of a data directory (tests start from a migrated snapshot). */
  snapshot?: Blob;
}

/**
 * Names for repeated query texts. Drizzle sends every query unnamed, so PostgreSQL parses and plans
 * it again on each call; a named statement is parsed once per connection and, once PostgreSQL's plan
 * cache judges a generic plan good enough, planned once too. Bounded: a text is named the second
 * time it is seen, and at most `max` texts get a name, since each one is kept by every connection's
 * backend and some texts differ from call to call (an IN list of varying length).
 */
export class StatementNames {
  private readonly names = new Map<string, string>();
  private readonly seen = new Set<string>();
  constructor(private readonly max = 400) {}

  nameFor(text: string): string | undefined {
    const name = this.names.get(text);
    if (name !== undefined || this.names.size >= this.max) return name;
    if (!this.seen.has(text)) {
      if (this.seen.size >= 10_000) this.seen.clear();
      this.seen.add(text);
      return undefined;
    }
    this.seen.delete(text);
    const next = `jishi_${this.names.size + 1}`;
    this.names.set(text, next);
    return next;
  }
}

/** A pg client that names the parameterised queries `names` has a name for (COPY and the like pass through). */
function namingClient(names: StatementNames): typeof pg.Client {
  return class extends pg.Client {
    // biome-ignore lint/suspicious/noExplicitAny: pg's query() has a dozen overloads; this only adds a name
    override query(config: any, values?: any, callback?: any): any {
      if (
        config !== null &&
        typeof config === 'object' &&
        typeof config.submit !== 'function' &&
        typeof config.text === 'string' &&
        config.name === undefined &&
        Array.isArray(values) &&
        values.length > 0
      ) {
        const name = names.nameFor(config.text);
        if (name) return super.query({ ...config, name }, values, callback);
      }
      return super.query(config, values, callback);
    }
  };
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: opts.poolSize ?? 20,
      ...(opts.preparedStatements === false ? {} : { Client: namingClient(new StatementNames()) }),
    });
    // An idle connection that dies (server restart, failover, pg_terminate_backend, a dropped
    // database) makes the pool emit 'error'; with no listener that is an uncaught exception that
    // ends the process. The pool has already discarded the client and opens a new one on demand,
    // and queries in flight get their own error, so there is nothing more to do here.
    pool.on('error', () => {});
    // The pool listens only to its idle clients. One that is checked out (a transaction between two
    // statements) and loses its connection emits 'error' on the client itself, which would likewise
    // end the process; the transaction's next statement fails on its own, and the pool drops the
    // broken client when it is released.
    pool.on('connect', (client) => client.on('error', () => {}));
    const db = drizzleNodePg(pool) as unknown as Db;
    return { db, kind: 'postgres', url: opts.databaseUrl, pool, close: () => pool.end() };
  }
  const dir = opts.dataDir ?? 'memory://';
  if (!dir.startsWith('memory://')) mkdirSync(dir, { recursive: true });
  const client = await PGlite.create(dir, {
    parsers: { 20: (v: string) => Number(v) },
    ...(opts.snapshot ? { loadDataDir: opts.snapshot } : {}),
  });
  const db = drizzlePglite(client) as unknown as Db;
  return { db, kind: 'pglite', close: () => client.close() };
}

/** Applies the committed migrations. Serialised by an advisory lock so several processes may start at once. */
export async function migrateDatabase(database: Database): Promise<void> {
  if (database.kind === 'pglite') {
    // biome-ignore lint/suspicious/noExplicitAny: driver-specific instance
    await migratePglite(database.db as any, { migrationsFolder });
    return;
  }
  // The migrator runs on one dedicated connection holding a session-level advisory lock.
  const client = new pg.Client({ connectionString: database.url });
  client.on('error', () => {}); // see openDatabase: the statement in flight fails by itself
  await client.connect();
  try {
    await client.query('select pg_advisory_lock(7405321)');
    await migrateNodePg(drizzleNodePg(client), { migrationsFolder });
  } finally {
    await client.query('select pg_advisory_unlock(7405321)').catch(() => {});
    await client.end();
  }
}

/** How many of the committed migrations the database has applied, and how many there are. */
export async function migrationStatus(database: Database): Promise<{ applied: number; expected: number }> {
  const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as {
    entries: unknown[];
  };
  let applied = 0;
  try {
    const r = await database.db.execute('select count(*)::int as n from drizzle.__drizzle_migrations');
    applied = Number((r as unknown as { rows: { n: number }[] }).rows[0]?.n ?? 0);
  } catch {
    // No migrations table yet: nothing applied.
  }
  return { applied, expected: journal.entries.length };
}

/** A dump of a PGlite database's data directory, to start others from (see OpenOptions.snapshot). */
export async function snapshotDatabase(database: Database): Promise<Blob> {
  if (database.kind !== 'pglite') throw new Error('only an embedded database can be snapshotted');
  return (database.db as unknown as { $client: PGlite }).$client.dumpDataDir('none');
}
