// The data bank's inputs from other modules (outbox consumers) and its daily deadline.
import type { Executor } from '../../db';
import { registerBatchConsumer, registerConsumer } from '../../kernel/outbox';
import { pendingDeadline, registerDeadlineHandler, scheduleDeadline } from '../../kernel/scheduler';
import { getPublishedProductView } from '../catalog';
import { rulesFor } from '../governance';
import { getShop } from '../merchants';
import { linesOf } from '../trade';
import { queueSnapshot, takeSnapshotPart } from './aipl';
import type { AiplWindows } from './aipl-rules';
import { dayOf, dayStart } from './days';
import {
  type BehaviourEvent,
  dropAbandonedLoads,
  dropExpiredPartitions,
  ensurePartitions,
  itemsById,
  recordItem,
  storeEvents,
} from './events';

export const DAILY = 'databank.daily';
/** The next part of the queued snapshots (takeSnapshotPart), each in its own transaction. */
export const SNAPSHOT_PART = 'databank.snapshot';
const DAILY_SUBJECT = 'databank';
/** Partitions made ahead of time, so writes at midnight never wait on DDL. */
const DAYS_AHEAD = 7;
/** The daily run starts a few minutes into the China-time day; it snapshots the day that ended. */
const RUN_OFFSET_MS = 5 * 60_000;

/** The AIPL windows of a shop's rule set in force at `at`. */
export async function windowsOfShop(tx: Executor, shopId: string, at: Date): Promise<AiplWindows> {
  const shop = await getShop(tx, shopId);
  const { rules } = await rulesFor(tx, shop?.kind ?? 'market', at);
  return rules.aipl;
}

/** Schedules the daily run unless one is pending. Called whenever events are stored. */
export async function ensureDailyRun(tx: Executor, now: Date): Promise<void> {
  if (await pendingDeadline(tx, DAILY, DAILY_SUBJECT)) return;
  await scheduleDeadline(tx, {
    kind: DAILY,
    subjectId: DAILY_SUBJECT,
    dueAt: new Date(dayStart(dayOf(now) + 1).getTime() + RUN_OFFSET_MS),
    now,
  });
}

/**
 * What the daily run does on `now`: partitions ahead, expired partitions dropped, the staging tables
 * of bulk loads killed mid-way dropped (else they would wait for the next load), and yesterday's
 * snapshot queued. Its shops are then taken a part per transaction (SNAPSHOT_PART), so that no
 * transaction holds back the outbox or the other deadlines for the minutes a large market takes.
 */
export async function dailyRun(tx: Executor, now: Date) {
  const today = dayOf(now);
  await ensurePartitions(
    tx,
    Array.from({ length: DAYS_AHEAD + 1 }, (_, i) => today + i),
  );
  const dropped = await dropExpiredPartitions(tx, now);
  const abandoned = await dropAbandonedLoads(tx);
  const queued = await queueSnapshot(tx, today - 1, now);
  if (queued > 0)
    await scheduleDeadline(tx, { kind: SNAPSHOT_PART, subjectId: DAILY_SUBJECT, dueAt: now, now });
  return { dropped, abandoned, queued };
}

registerDeadlineHandler(DAILY, async (tx, _deadline, now) => {
  await dailyRun(tx, now);
  await scheduleDeadline(tx, {
    kind: DAILY,
    subjectId: DAILY_SUBJECT,
    dueAt: new Date(dayStart(dayOf(now) + 1).getTime() + RUN_OFFSET_MS),
    now,
  });
});

registerDeadlineHandler(SNAPSHOT_PART, async (tx, _deadline, now) => {
  const part = await takeSnapshotPart(tx, (shopId) => windowsOfShop(tx, shopId, now), now);
  // Shops left: the next part at once; only shops held back by a failure: at their retry time.
  const dueAt = part.more ? now : part.retryAt;
  if (dueAt) await scheduleDeadline(tx, { kind: SNAPSHOT_PART, subjectId: DAILY_SUBJECT, dueAt, now });
});

/** Stores events that other modules' facts imply, and keeps the daily run scheduled. */
async function record(tx: Executor, events: BehaviourEvent[], now: Date): Promise<void> {
  if (events.length === 0) return;
  await storeEvents(tx, events, now);
  await ensureDailyRun(tx, now);
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

// The catalogue says which shop, brand and category each product is.
registerConsumer('databank.catalog', ['product.created', 'product.updated'], async (tx, event) => {
  const p = event.payload;
  const productId = str(p.productId);
  if (!productId) return;
  if (event.topic === 'product.created') {
    const shopId = str(p.shopId);
    const categoryId = str(p.categoryId);
    if (!shopId || !categoryId) return;
    await recordItem(tx, { productId, shopId, brandId: str(p.brandId), categoryId }, event.occurredAt);
    return;
  }
  const changes = Array.isArray(p.changes) ? p.changes : [];
  if (!changes.includes('brandId') && !changes.includes('categoryId')) return;
  const view = await getPublishedProductView(tx, productId);
  if (!view) return;
  await recordItem(
    tx,
    { productId, shopId: view.shopId, brandId: view.brandId ?? null, categoryId: view.categoryId },
    event.occurredAt,
  );
});

// A paid order is a purchase of each of its lines. A delivery's orders are read and stored together.
registerBatchConsumer('databank.trade', ['order.paid'], async (tx, delivered) => {
  const paid = delivered.flatMap((event) => {
    const orderId = str(event.payload.orderId);
    const buyerId = str(event.payload.buyerId);
    const shopId = str(event.payload.shopId);
    return orderId && buyerId && shopId ? [{ orderId, buyerId, shopId, at: event.occurredAt }] : [];
  });
  if (paid.length === 0) return;
  const lines = await linesOf(
    tx,
    paid.map((o) => o.orderId),
  );
  const items = await itemsById(
    tx,
    [...lines.values()].flatMap((ls) => ls.map((l) => l.productId)),
  );
  await record(
    tx,
    paid.flatMap((o) =>
      (lines.get(o.orderId) ?? []).map((l) => ({
        id: `trade:${l.id}`,
        kind: 'purchase' as const,
        occurredAt: o.at,
        consumerId: o.buyerId,
        deviceId: null,
        shopId: o.shopId,
        productId: l.productId,
        skuId: l.skuId,
        brandId: items.get(l.productId)?.brandId ?? null,
        categoryId: l.categoryId,
        channel: 'trade',
        region: null,
        quantity: l.quantity,
        amount: l.paidAmount,
        rating: null,
        source: 'trade',
      })),
    ),
    paid[paid.length - 1]!.at,
  );
});

// A review speaks about each product of its order; a revision is a new behaviour with its new rating.
registerConsumer('databank.reviews', ['review.created', 'review.revised'], async (tx, event) => {
  const p = event.payload;
  const reviewId = str(p.reviewId);
  const buyerId = str(p.buyerId);
  const shopId = str(p.shopId);
  const productIds = Array.isArray(p.productIds) ? p.productIds.filter((x) => typeof x === 'string') : [];
  if (!reviewId || !buyerId || !shopId) return;
  const items = await itemsById(tx, productIds);
  const suffix = event.topic === 'review.revised' ? ':revised' : '';
  await record(
    tx,
    productIds.map((productId) => ({
      id: `review:${reviewId}:${productId}${suffix}`,
      kind: 'review' as const,
      occurredAt: event.occurredAt,
      consumerId: buyerId,
      deviceId: null,
      shopId,
      productId,
      skuId: null,
      brandId: items.get(productId)?.brandId ?? null,
      categoryId: items.get(productId)?.categoryId ?? null,
      channel: 'reviews',
      region: null,
      quantity: null,
      amount: null,
      rating: typeof p.rating === 'number' ? p.rating : null,
      source: 'reviews',
    })),
    event.occurredAt,
  );
});
