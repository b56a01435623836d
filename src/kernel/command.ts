import { createHmac } from 'node:crypto';
import { and, eq, lt } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db, Tx } from '../db';
import { AppError } from './errors';
import { idempotencyKeys } from './schema';

export interface CommandResult<T = unknown> {
  status: number;
  body?: T;
}

/** JSON with sorted keys, so the same body always has the same fingerprint. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}

const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * Runs one state change in one transaction. With an `Idempotency-Key`, the key, the request's
 * fingerprint and the answer are stored in that same transaction: a retry gets the first answer,
 * a different request under the same key gets 409, and a concurrent duplicate waits on the key's row
 * and then replays. Errors roll everything back, key included, so a failed request may be retried.
 */
export async function command<T>(
  req: FastifyRequest,
  reply: FastifyReply,
  fn: (tx: Tx) => Promise<CommandResult<T>>,
): Promise<void> {
  const db = req.server.jishi.database.db;
  const raw = req.headers['idempotency-key'];
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (key === undefined) {
    send(reply, await db.transaction(fn));
    return;
  }
  if (!KEY.test(key)) {
    throw new AppError(400, 'idempotency_key_invalid', {}, [
      { path: '/idempotency-key', in: 'headers', code: 'field.pattern' },
    ]);
  }
  const scope = req.auth
    ? req.auth.apiKey
      ? `key:${req.auth.apiKey.id}`
      : `acct:${req.auth.accountId}`
    : 'anon';
  // Keyed, so the stored fingerprint of a body holding a password cannot be brute-forced offline.
  const hash = createHmac('sha256', req.server.jishi.config.identitySecret)
    .update(`${req.method} ${req.url}\n${canonical(req.body ?? null)}`)
    .digest('hex');
  const now = req.server.jishi.clock.now();
  const result = await db.transaction(async (tx) => {
    const inserted = await tx
      .insert(idempotencyKeys)
      .values({ scope, key, requestHash: hash, createdAt: now })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (inserted.length === 0) {
      const [prior] = await tx
        .select()
        .from(idempotencyKeys)
        .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
      if (!prior || prior.requestHash !== hash || prior.statusCode === null) {
        throw new AppError(409, 'idempotency_key_reused');
      }
      return { replayed: true, status: prior.statusCode, body: prior.responseBody as T };
    }
    const r = await fn(tx);
    await tx
      .update(idempotencyKeys)
      .set({ statusCode: r.status, responseBody: (r.body ?? null) as unknown })
      .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
    return { replayed: false, ...r };
  });
  if (result.replayed) reply.header('idempotent-replayed', 'true');
  send(reply, result);
}

// The handler resolves with nothing once the reply is sent, which Fastify accepts from async handlers.
function send(reply: FastifyReply, r: CommandResult): void {
  reply.code(r.status);
  if (r.body === undefined || r.body === null) reply.send();
  else reply.send(r.body);
}

/** How long an answer stays replayable; a retry after that runs as a new request (as at Stripe). */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

export async function pruneIdempotencyKeys(db: Db, now: Date): Promise<number> {
  const gone = await db
    .delete(idempotencyKeys)
    .where(lt(idempotencyKeys.createdAt, new Date(now.getTime() - IDEMPOTENCY_TTL_MS)))
    .returning({ key: idempotencyKeys.key });
  return gone.length;
}
