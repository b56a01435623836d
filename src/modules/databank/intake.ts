import { eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db';
import { AppError, conflict, type FieldError } from '../../kernel/errors';
import { recomputeFacts } from './aipl';
import { EVENT_KINDS, type EventKind } from './aipl-rules';
import { dayOf } from './days';
import {
  type BehaviourEvent,
  buyersOfDevices,
  deviceConsumer,
  ensureEventStore,
  itemsById,
  retentionDays,
  storeEvents,
} from './events';
import { databankDevices } from './schema';

export const MAX_BATCH = 1000;
/** Clocks of apps drift; an event a little ahead of ours is fine, one from tomorrow is not. */
const FUTURE_SLACK_MS = 5 * 60_000;

/** One event as storefronts and apps send it. */
export interface EventInput {
  id: string;
  kind: EventKind;
  occurredAt: string;
  consumerId?: string;
  deviceId?: string;
  productId?: string;
  skuId?: string;
  shopId?: string;
  brandId?: string;
  categoryId?: string;
  channel?: string;
  region?: string;
  quantity?: number;
  amount?: number;
  rating?: number;
}

/**
 * Checks a batch and turns it into stored events. `shops` is the set of shops the caller may write
 * for (null: an operator's app, any shop). A product of a shop the caller does not work for reads as
 * unknown, like any other shop's data. Every problem is reported with the field that has it.
 */
export async function resolveEvents(
  tx: Executor,
  input: EventInput[],
  shops: Set<string> | null,
  now: Date,
): Promise<BehaviourEvent[]> {
  const errors: FieldError[] = [];
  const bad = (i: number, field: string, code: string, params?: Record<string, unknown>) =>
    errors.push({ path: `/events/${i}/${field}`, in: 'body', code, params });
  const items = await itemsById(
    tx,
    input.flatMap((e) => (e.productId ? [e.productId] : [])),
  );
  const devices = await buyersOfDevices(
    tx,
    input.flatMap((e) => (e.deviceId ? [e.deviceId] : [])),
  );
  const keep = await retentionDays(tx);
  const oldest = dayOf(now) - keep;
  const seen = new Set<string>();
  const out: BehaviourEvent[] = [];
  input.forEach((e, i) => {
    if (!EVENT_KINDS.includes(e.kind)) bad(i, 'kind', 'databank_unknown_kind');
    if (seen.has(e.id)) bad(i, 'id', 'databank_duplicate_id');
    seen.add(e.id);
    const at = new Date(e.occurredAt);
    if (Number.isNaN(at.getTime())) bad(i, 'occurredAt', 'field.format', { format: 'date-time' });
    else if (at.getTime() > now.getTime() + FUTURE_SLACK_MS) bad(i, 'occurredAt', 'databank_event_in_future');
    else if (dayOf(at) < oldest) bad(i, 'occurredAt', 'databank_event_expired', { days: keep });
    if ((e.consumerId === undefined) === (e.deviceId === undefined)) {
      bad(i, 'consumerId', 'databank_consumer_required');
    }
    let shopId = e.shopId ?? null;
    let brandId = e.brandId ?? null;
    let categoryId = e.categoryId ?? null;
    if (e.productId) {
      const item = items.get(e.productId);
      if (!item || (shops && !shops.has(item.shopId))) {
        bad(i, 'productId', 'databank_unknown_product');
        return;
      }
      if (e.shopId && e.shopId !== item.shopId) bad(i, 'shopId', 'databank_shop_mismatch');
      // The catalogue says which shop, brand and category a product is; the caller does not.
      shopId = item.shopId;
      brandId = item.brandId;
      categoryId = item.categoryId;
    } else if (shopId && shops && !shops.has(shopId)) {
      bad(i, 'shopId', 'databank_unknown_shop');
    }
    if (e.kind === 'purchase' && e.amount === undefined) bad(i, 'amount', 'databank_amount_required');
    if (e.kind === 'review' && e.rating === undefined) bad(i, 'rating', 'databank_rating_required');
    const consumerId = e.consumerId ?? devices.get(e.deviceId!) ?? deviceConsumer(e.deviceId!);
    out.push({
      id: e.id,
      kind: e.kind,
      occurredAt: at,
      consumerId,
      deviceId: e.deviceId ?? null,
      shopId,
      productId: e.productId ?? null,
      skuId: e.skuId ?? null,
      brandId,
      categoryId,
      channel: e.channel ?? 'app',
      region: e.region ?? null,
      quantity: e.quantity ?? null,
      amount: e.amount ?? null,
      rating: e.rating ?? null,
      source: 'api',
    });
  });
  if (errors.length) {
    throw new AppError(400, 'validation_failed', {}, errors.slice(0, 50), 'validation_failed_detail');
  }
  return out;
}

/** Validates and stores a batch; answers how many were new and how many were already stored. */
export async function ingestEvents(
  tx: Executor,
  input: EventInput[],
  shops: Set<string> | null,
  now: Date,
): Promise<{ accepted: number; duplicates: number }> {
  const events = await resolveEvents(tx, input, shops, now);
  const accepted = await storeEvents(tx, events, now);
  return { accepted, duplicates: events.length - accepted };
}

/**
 * A device logs in as a buyer: its anonymous events become the buyer's, and the buyer's AIPL facts
 * and shop relations take the device's in. A device belongs to the first buyer who claims it.
 */
export async function identifyDevice(
  tx: Executor,
  deviceId: string,
  buyerId: string,
  now: Date,
): Promise<{ merged: number }> {
  const [linked] = await tx
    .insert(databankDevices)
    .values({ deviceId, buyerId, linkedAt: now })
    .onConflictDoNothing()
    .returning();
  if (!linked) {
    const [prior] = await tx.select().from(databankDevices).where(eq(databankDevices.deviceId, deviceId));
    if (prior?.buyerId !== buyerId) throw conflict('databank_device_taken');
    return { merged: 0 };
  }
  await ensureEventStore(tx);
  const device = deviceConsumer(deviceId);
  const moved = (await tx.execute(
    sql`update databank_events set consumer_id = ${buyerId} where consumer_id = ${device}`,
  )) as unknown as { rowCount?: number; affectedRows?: number };
  const merged = Number(moved.rowCount ?? moved.affectedRows ?? 0);
  if (merged > 0) {
    // Facts are rebuilt from the events for both ids; relations are merged (a friend mark is not an event).
    await recomputeFacts(tx, { consumerIds: [buyerId, device] });
    await tx.execute(sql`
      insert into crm_relations as r (shop_id, consumer_id, visited_at, interacted_at, followed_at, friend_at,
        bought_at, purchases, spend, region, last_seen_at)
      select shop_id, ${buyerId}, visited_at, interacted_at, followed_at, friend_at, bought_at, purchases, spend,
        region, last_seen_at from crm_relations where consumer_id = ${device}
      on conflict (shop_id, consumer_id) do update set
        visited_at = greatest(r.visited_at, excluded.visited_at),
        interacted_at = greatest(r.interacted_at, excluded.interacted_at),
        followed_at = greatest(r.followed_at, excluded.followed_at),
        friend_at = greatest(r.friend_at, excluded.friend_at),
        bought_at = greatest(r.bought_at, excluded.bought_at),
        purchases = r.purchases + excluded.purchases,
        spend = r.spend + excluded.spend,
        region = coalesce(r.region, excluded.region),
        last_seen_at = greatest(r.last_seen_at, excluded.last_seen_at)`);
    await tx.execute(sql`delete from crm_relations where consumer_id = ${device}`);
  }
  return { merged };
}
