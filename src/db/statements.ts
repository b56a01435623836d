import { is, Param, Placeholder, sql } from 'drizzle-orm';
import { PgDatabase, PgDialect } from 'drizzle-orm/pg-core';
import type { Db, Executor } from './index';

/**
 * Statements whose SQL Drizzle builds once per process instead of once per call.
 *
 * Drizzle turns a query builder into SQL text on every execution; on the checkout path that was
 * about a third of the server's CPU (`is()` checks walking prototype chains while flattening the
 * SQL tree). A statement written here takes its varying values as placeholders (`p('name')`), is
 * built once on a private capturing session, and each call hands the cached text and parameter
 * list to the caller's own session (pool or transaction), which fills in the values and maps the
 * rows exactly as an ordinary Drizzle call does. The cached text is the same string object each
 * time, so the named-statement lookup (StatementNames) hashes it once too.
 *
 * Only for statements of a fixed shape: a placeholder stands for one value (an array is sent as one
 * PostgreSQL array, `= any(...)`), never for a list of rows or of SQL fragments.
 */

/** A placeholder for the value `name` of the values passed at each call. */
export const p = (name: string) => sql.placeholder(name);

/** A row of placeholders, one per column, each named `<prefix><column>`: the values of an insert or set. */
export const placeholders = (prefix: string, columns: readonly string[]) =>
  Object.fromEntries(columns.map((c) => [c, p(`${prefix}${c}`)])) as never;

interface Captured {
  args: unknown[];
  joinsNotNullableMap?: unknown;
}

function returnThis<T>(this: T): T {
  return this;
}

/** A session that records what a builder hands to prepareQuery instead of preparing anything. */
let captured: unknown[] | undefined;
const captureSession = {
  prepareQuery(...args: unknown[]) {
    captured = args;
    return { setToken: returnThis };
  },
};
// The same dialect configuration as openDatabase's (no casing): the text is what Drizzle would build.
const captureDb = new PgDatabase(
  new PgDialect(),
  captureSession as never,
  undefined as never,
) as unknown as Db;

interface Buildable {
  execute(placeholders?: Record<string, unknown>): Promise<unknown>;
}

/**
 * A column's encoder applied to a placeholder's value, except to null: Drizzle leaves null alone
 * for inline values but would hand it to the encoder for a placeholder (a timestamp's encoder then
 * throws, a jsonb one stores JSON null instead of SQL NULL).
 */
function nullSafe(params: unknown[]): unknown[] {
  return params.map((param) => {
    if (!is(param, Param) || !is(param.value, Placeholder)) return param;
    const encoder = param.encoder;
    return new Param(param.value, {
      mapToDriverValue: (v: unknown) => (v === null || v === undefined ? null : encoder.mapToDriverValue(v)),
    });
  });
}

function capture(build: (db: Db) => Buildable): Captured {
  captured = undefined;
  const pq = (build(captureDb) as unknown as { _prepare(): { joinsNotNullableMap?: unknown } })._prepare();
  if (!captured) throw new Error('statement(): the builder did not prepare a query');
  const [query, ...rest] = captured as [{ sql: string; params: unknown[] }, ...unknown[]];
  captured = undefined;
  return {
    args: [{ sql: query.sql, params: nullSafe(query.params) }, ...rest],
    joinsNotNullableMap: pq.joinsNotNullableMap,
  };
}

/**
 * A statement built once: `build` gets a database to write the query on (select, insert, update,
 * delete, with placeholders for what varies) and must not run it. Call the result with the executor
 * to run it on (the database or a transaction) and the placeholders' values; it answers what the
 * builder's execute() would.
 */
export function statement<B extends Buildable>(
  build: (db: Db) => B,
): (ex: Executor, values?: Record<string, unknown>) => ReturnType<B['execute']> {
  let built: Captured | undefined;
  return (ex, values = {}) => {
    built ??= capture(build);
    const session = (ex as unknown as { session: { prepareQuery(...args: unknown[]): PreparedLike } })
      .session;
    const prepared = session.prepareQuery(...built.args);
    if (built.joinsNotNullableMap !== undefined) prepared.joinsNotNullableMap = built.joinsNotNullableMap;
    return prepared.execute(values) as ReturnType<B['execute']>;
  };
}

interface PreparedLike {
  joinsNotNullableMap?: unknown;
  execute(values: Record<string, unknown>): Promise<unknown>;
}

/**
 * Memoises the statements of a family whose shape varies (counts of rows, the columns changed):
 * `make` builds the one for a key. Bounded: past `max` shapes, a rare one is built for its call only,
 * as Drizzle does for every call.
 */
export function byShape<K, S>(make: (key: K) => S, max = 64): (key: K) => S {
  const made = new Map<K, S>();
  return (key) => {
    let s = made.get(key);
    if (!s) {
      s = make(key);
      if (made.size < max) made.set(key, s);
    }
    return s;
  };
}
