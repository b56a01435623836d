import { createHash, randomBytes } from 'node:crypto';
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Db, Executor } from '../../db';
import type { Auth } from '../../kernel/context';
import { conflict, notFound } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { emit } from '../../kernel/outbox';
import { type DelegableRole, merchantApiKeys } from './schema';
import { getShop } from './shops';
import './messages';

export const API_KEY_PREFIX = 'jk_';
const KEY_SHAPE = /^jk_[A-Za-z0-9_-]{43}$/;

const digest = (key: string) => createHash('sha256').update(key).digest('hex');

type ApiKey = typeof merchantApiKeys.$inferSelect;

function apiKeyView(k: ApiKey) {
  return {
    id: k.id,
    name: k.name,
    role: k.role,
    prefix: k.prefix,
    createdAt: k.createdAt.toISOString(),
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}

/**
 * A new key for the shop's own systems: 32 random bytes, shown once. Only its SHA-256 is kept (the
 * key has full entropy, so an unsalted fast hash is enough), which makes a leaked table useless.
 */
export async function createApiKey(
  tx: Executor,
  input: { shopId: string; name: string; role: DelegableRole; createdBy: string },
  now: Date,
) {
  const shop = await getShop(tx, input.shopId);
  if (!shop) throw notFound('shop_not_found');
  if (shop.status === 'closed') throw conflict('shop_closed');
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const [row] = await tx
    .insert(merchantApiKeys)
    .values({
      id: newId('mkey'),
      shopId: shop.id,
      name: input.name.trim(),
      role: input.role,
      prefix: key.slice(0, 11),
      keyHash: digest(key),
      createdBy: input.createdBy,
      createdAt: now,
    })
    .returning();
  if (!row) throw new Error('api key insert returned nothing');
  await emit(
    tx,
    'shop.api_key_created',
    { shopId: shop.id, apiKeyId: row.id, role: row.role, createdBy: input.createdBy },
    { key: shop.id, at: now },
  );
  return { ...apiKeyView(row), key };
}

export async function listApiKeys(tx: Executor, shopId: string) {
  const rows = await tx
    .select()
    .from(merchantApiKeys)
    .where(eq(merchantApiKeys.shopId, shopId))
    .orderBy(asc(merchantApiKeys.id));
  return rows.map(apiKeyView);
}

export async function revokeApiKey(tx: Executor, input: { shopId: string; id: string }, now: Date) {
  const inShop = and(eq(merchantApiKeys.id, input.id), eq(merchantApiKeys.shopId, input.shopId));
  const [row] = await tx
    .update(merchantApiKeys)
    .set({ revokedAt: now })
    .where(and(inShop, isNull(merchantApiKeys.revokedAt)))
    .returning();
  if (!row) {
    const [existing] = await tx.select({ id: merchantApiKeys.id }).from(merchantApiKeys).where(inShop);
    if (!existing) throw notFound('api_key_not_found');
    throw conflict('api_key_already_revoked');
  }
  await emit(
    tx,
    'shop.api_key_revoked',
    { shopId: row.shopId, apiKeyId: row.id },
    { key: row.shopId, at: now },
  );
  return apiKeyView(row);
}

/**
 * Token resolver for `Authorization: Bearer jk_...`: the key acts for its one shop with its role,
 * on behalf of the owner who created it. A revoked or unknown key resolves to nobody (401).
 */
export async function resolveApiKey(db: Db, token: string, _now: Date): Promise<Auth | null> {
  if (!KEY_SHAPE.test(token)) return null;
  const [row] = await db
    .select()
    .from(merchantApiKeys)
    .where(and(eq(merchantApiKeys.keyHash, digest(token)), isNull(merchantApiKeys.revokedAt)));
  if (!row) return null;
  return {
    accountId: row.createdBy,
    isOperator: false,
    via: 'api_key',
    apiKey: { id: row.id, shopId: row.shopId, role: row.role },
  };
}
