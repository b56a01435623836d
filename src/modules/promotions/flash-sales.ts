import {
  and,
  asc,
  desc,
  eq,
  getTableColumns,
  gt,
  inArray,
  lt,
  lte,
  ne,
  or,
  type SQL,
  sql,
} from 'drizzle-orm';
import type { Db, Executor, Tx } from '../../db';
import { p, statement } from '../../db/statements';
import {
  AppError,
  bodyField,
  conflict,
  type FieldError,
  invalidFields,
  isSerializationConflict,
  notFound,
  ruleViolation,
} from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { emit } from '../../kernel/outbox';
import { decodeCursor, page } from '../../kernel/pagination';
import { cancelDeadline, registerDeadlineHandler, scheduleDeadline } from '../../kernel/scheduler';
import { deadlines } from '../../kernel/schema';
import { getSkuForSale } from '../catalog';
import { availableBySku } from '../inventory';
import type { AdmitResult, FlashGate } from './flash-gate';
import {
  type FlashSaleStatus,
  flashBuyerTallies,
  flashClaims,
  flashSaleShards,
  flashSales,
} from './flash-schema';
import './flash-messages';

/** A sale with its counts: units claimed (held + sold), sold and released, summed from slices and claims. */
export type FlashSale = typeof flashSales.$inferSelect & { claimed: number; sold: number; released: number };

// Written out: inside a select from one table drizzle leaves its columns unqualified, which a
// correlated subquery would resolve against its own table.
const claimedUnits = sql<number>`(select coalesce(sum(sh.claimed), 0)::int from ${flashSaleShards} sh
  where sh.flash_sale_id = "flash_sales"."id")`;
const claimUnits = (status: 'sold' | 'released') =>
  sql<number>`(select coalesce(sum(c.quantity), 0)::int from ${flashClaims} c
    where c.flash_sale_id = "flash_sales"."id" and c.status = ${status})`;
const saleWithCounts = {
  ...getTableColumns(flashSales),
  claimed: claimedUnits,
  sold: claimUnits('sold'),
  released: claimUnits('released'),
};
export type FlashSalePhase = 'upcoming' | 'live' | 'ended' | 'paused';

/** The longest window a flash sale may have: a flash sale is an event, not a standing price. */
export const MAX_FLASH_SALE_DAYS = 7;
/** Largest quota and per-buyer limit accepted. */
export const MAX_FLASH_QUOTA = 1_000_000;
export const MAX_FLASH_PER_BUYER = 99;
/**
 * Slices of the quota (flash_sale_shards). Claims no longer commit one by one on them: a claim batch
 * (see claimBatch) locks every slice with room and spreads its units over them in slice order, so
 * the slices now only record where each claim's units came from (a release gives them back there).
 * 64 was chosen when each claim committed alone on one slice; fewer would do now (not measured).
 */
export const FLASH_SHARDS = 64;
/** Deadline kind of the gate's sweep (seeding before the start, healing after crashes). */
export const FLASH_GATE_SWEEP = 'flash_sale.gate_sweep';
/** How often the sweep runs while a sale is on, and how early before the start it seeds the gate. */
const SWEEP_EVERY_MS = 60_000;
/**
 * An admission still pending this long after it was made is resolved by the sweep. Longer than any
 * claim batch runs; if one still runs, the sweep's probe waits for it (see probeClaims).
 */
const PENDING_GRACE_MS = 60_000;

// ---- the gate's wiring ----------------------------------------------------------------------

interface GateWiring {
  gate: FlashGate;
  onError?: (err: unknown, what: string) => void;
}
let wiring: GateWiring | null = null;
/** Settles and refunds sent after a batch, awaited by flashGateSettled. */
const gateFollowUps = new Set<Promise<void>>();

/**
 * Puts the Redis gate in front of claimFlashQuota (null takes it away). flashSaleRoutes does this
 * from the configuration (`REDIS_URL`); one gate per process.
 */
export function configureFlashGate(w: GateWiring | null): void {
  wiring = w;
}

export function flashGate(): FlashGate | undefined {
  return wiring?.gate;
}

/** Resolves once every claim batch and gate follow-up started so far has finished (tests, benchmarks, shutdown). */
export async function flashGateSettled(): Promise<void> {
  while (gateFollowUps.size || batchesInFlight.size) {
    await Promise.allSettled([...gateFollowUps, ...batchesInFlight]);
  }
}

function gateError(err: unknown, what: string) {
  wiring?.onError?.(err, what);
}

// ---- views ------------------------------------------------------------------------------------

export function flashSalePhase(sale: Pick<FlashSale, 'status' | 'startsAt' | 'endsAt'>, now: Date) {
  if (now.getTime() >= sale.endsAt.getTime()) return 'ended' as const;
  if (sale.status === 'paused') return 'paused' as const;
  return now.getTime() < sale.startsAt.getTime() ? ('upcoming' as const) : ('live' as const);
}

export function flashSaleView(sale: FlashSale, now: Date) {
  const remaining = sale.quota - sale.claimed;
  return {
    id: sale.id,
    shopId: sale.shopId,
    skuId: sale.skuId,
    productId: sale.productId,
    listPrice: sale.listPrice,
    flashPrice: sale.flashPrice,
    quota: sale.quota,
    perBuyerLimit: sale.perBuyerLimit,
    claimed: sale.claimed,
    sold: sale.sold,
    remaining,
    soldOut: remaining <= 0,
    status: sale.status,
    phase: flashSalePhase(sale, now),
    startsAt: sale.startsAt.toISOString(),
    endsAt: sale.endsAt.toISOString(),
    createdAt: sale.createdAt.toISOString(),
  };
}

/** What buyers see: the countdown (with the server's time, so clients need not trust their own). */
export function publicFlashSaleView(sale: FlashSale, now: Date) {
  const remaining = Math.max(0, sale.quota - sale.claimed);
  return {
    id: sale.id,
    shopId: sale.shopId,
    skuId: sale.skuId,
    productId: sale.productId,
    listPrice: sale.listPrice,
    flashPrice: sale.flashPrice,
    quota: sale.quota,
    perBuyerLimit: sale.perBuyerLimit,
    remaining,
    soldOut: remaining <= 0,
    phase: flashSalePhase(sale, now),
    startsAt: sale.startsAt.toISOString(),
    endsAt: sale.endsAt.toISOString(),
    serverTime: now.toISOString(),
  };
}

// ---- campaign management ------------------------------------------------------------------------

export interface FlashSaleInput {
  skuId: string;
  flashPrice: number;
  quota: number;
  perBuyerLimit: number;
  startsAt: Date;
  endsAt: Date;
}

/**
 * Schedules a flash sale of one of the shop's SKUs. Rules: the SKU is the shop's own and on sale;
 * 0 < flashPrice < the SKU's price; perBuyerLimit <= quota <= the units available now (on hand minus
 * reserved, over every warehouse; the units are not set aside: each order still reserves stock at
 * checkout, so stock that runs out first ends the sale early); the window starts in the future, ends
 * after it starts, lasts at most MAX_FLASH_SALE_DAYS and overlaps no other sale of the SKU (paused
 * ones included, since they may resume). Creations for one SKU are serialised by an advisory lock,
 * so two at once cannot both pass the overlap check.
 */
export async function createFlashSale(
  tx: Tx,
  shopId: string,
  input: FlashSaleInput,
  createdBy: string,
  now: Date,
): Promise<FlashSale> {
  const sku = await getSkuForSale(tx, input.skuId);
  if (!sku || sku.shopId !== shopId)
    throw invalidFields([bodyField('/skuId', 'field.flash_sku_not_in_shop')]);
  const errors: FieldError[] = [];
  if (sku.status !== 'active' || sku.productStatus !== 'published') {
    errors.push(bodyField('/skuId', 'field.flash_sku_not_for_sale'));
  }
  if (input.flashPrice >= sku.price) {
    errors.push(bodyField('/flashPrice', 'field.flash_price_not_below_list', { listPrice: sku.price }));
  }
  const available = (await availableBySku(tx, [sku.skuId])).get(sku.skuId) ?? 0;
  if (input.quota > available)
    errors.push(bodyField('/quota', 'field.flash_quota_over_stock', { available }));
  if (input.perBuyerLimit > input.quota) {
    errors.push(bodyField('/perBuyerLimit', 'field.flash_limit_over_quota', { quota: input.quota }));
  }
  if (input.startsAt.getTime() <= now.getTime())
    errors.push(bodyField('/startsAt', 'field.flash_starts_in_past'));
  if (input.endsAt.getTime() <= input.startsAt.getTime()) {
    errors.push(bodyField('/endsAt', 'field.flash_ends_before_start'));
  } else if (input.endsAt.getTime() - input.startsAt.getTime() > MAX_FLASH_SALE_DAYS * 86_400_000) {
    errors.push(bodyField('/endsAt', 'field.flash_window_too_long', { days: MAX_FLASH_SALE_DAYS }));
  }
  if (errors.length) throw invalidFields(errors);

  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`flash_sale:${sku.skuId}`}))`);
  const [clash] = await tx
    .select()
    .from(flashSales)
    .where(
      and(
        eq(flashSales.skuId, sku.skuId),
        lt(flashSales.startsAt, input.endsAt),
        gt(flashSales.endsAt, input.startsAt),
      ),
    )
    .limit(1);
  if (clash) {
    throw conflict('flash_sale_overlap', {
      id: clash.id,
      startsAt: clash.startsAt.toISOString(),
      endsAt: clash.endsAt.toISOString(),
    });
  }
  const [row] = await tx
    .insert(flashSales)
    .values({
      id: newId('flash'),
      shopId,
      skuId: sku.skuId,
      productId: sku.productId,
      listPrice: sku.price,
      flashPrice: input.flashPrice,
      quota: input.quota,
      perBuyerLimit: input.perBuyerLimit,
      startsAt: input.startsAt,
      endsAt: input.endsAt,
      createdBy,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  const sale: FlashSale = { ...row!, claimed: 0, sold: 0, released: 0 };
  const shards = Math.min(FLASH_SHARDS, input.quota);
  await tx.insert(flashSaleShards).values(
    Array.from({ length: shards }, (_, shard) => ({
      flashSaleId: sale.id,
      shard,
      quota: Math.floor(input.quota / shards) + (shard < input.quota % shards ? 1 : 0),
    })),
  );
  // The sweep seeds the gate a minute before the stampede and keeps it healed while the sale is on.
  await scheduleDeadline(tx, {
    kind: FLASH_GATE_SWEEP,
    subjectId: sale.id,
    dueAt: new Date(Math.max(now.getTime(), input.startsAt.getTime() - SWEEP_EVERY_MS)),
    now,
  });
  await emit(tx, 'flash_sale.created', saleEvent(sale), { key: sale.id, at: now });
  return sale;
}

function saleEvent(sale: FlashSale) {
  return {
    flashSaleId: sale.id,
    shopId: sale.shopId,
    skuId: sale.skuId,
    flashPrice: sale.flashPrice,
    quota: sale.quota,
    perBuyerLimit: sale.perBuyerLimit,
    startsAt: sale.startsAt.toISOString(),
    endsAt: sale.endsAt.toISOString(),
  };
}

export async function getFlashSale(tx: Executor, id: string): Promise<FlashSale | undefined> {
  const [row] = await tx.select(saleWithCounts).from(flashSales).where(eq(flashSales.id, id));
  return row;
}

/** A sale of this shop, or 404 (another shop's sale does not exist for it). */
export async function getShopFlashSale(tx: Executor, shopId: string, id: string): Promise<FlashSale> {
  const [row] = await tx
    .select(saleWithCounts)
    .from(flashSales)
    .where(and(eq(flashSales.id, id), eq(flashSales.shopId, shopId)));
  if (!row) throw notFound('flash_sale_not_found');
  return row;
}

async function setStatus(
  tx: Executor,
  shopId: string,
  id: string,
  to: FlashSaleStatus,
  now: Date,
): Promise<FlashSale> {
  const sale = await getShopFlashSale(tx, shopId, id);
  if (now.getTime() >= sale.endsAt.getTime()) throw conflict('flash_sale_ended');
  const from: FlashSaleStatus = to === 'paused' ? 'active' : 'paused';
  const [row] = await tx
    .update(flashSales)
    .set({ status: to, updatedAt: now })
    .where(and(eq(flashSales.id, id), eq(flashSales.shopId, shopId), eq(flashSales.status, from)))
    .returning({ id: flashSales.id });
  if (!row) throw conflict(to === 'paused' ? 'flash_sale_already_paused' : 'flash_sale_not_paused');
  const changed = { ...sale, status: to, updatedAt: now };
  await emit(tx, `flash_sale.${to === 'paused' ? 'paused' : 'resumed'}`, saleEvent(changed), {
    key: row.id,
    at: now,
  });
  return changed;
}

/** Stops selling: claims are refused (409 flash_sale_not_active) until the sale is resumed. */
export const pauseFlashSale = (tx: Executor, shopId: string, id: string, now: Date) =>
  setStatus(tx, shopId, id, 'paused', now);
export const resumeFlashSale = (tx: Executor, shopId: string, id: string, now: Date) =>
  setStatus(tx, shopId, id, 'active', now);

function createdCursor(cursor: string | undefined) {
  const after = decodeCursor<{ c?: unknown; i?: unknown }>(cursor);
  if (!after) return undefined;
  if (typeof after.c !== 'string' || typeof after.i !== 'string' || Number.isNaN(Date.parse(after.c))) {
    throw new AppError(400, 'bad_cursor', {}, [{ path: '/cursor', in: 'query', code: 'field.invalid' }]);
  }
  const c = new Date(after.c);
  return or(lt(flashSales.createdAt, c), and(eq(flashSales.createdAt, c), lt(flashSales.id, after.i)));
}

/** A shop's sales (or, without a shop, every sale: the operator's list), newest first. */
export async function listFlashSales(
  tx: Executor,
  query: { shopId?: string; cursor?: string; limit?: number },
) {
  const limit = query.limit ?? 20;
  const rows = await tx
    .select(saleWithCounts)
    .from(flashSales)
    .where(and(query.shopId ? eq(flashSales.shopId, query.shopId) : undefined, createdCursor(query.cursor)))
    .orderBy(desc(flashSales.createdAt), desc(flashSales.id))
    .limit(limit + 1);
  return page(rows, limit, (r) => ({ c: r.createdAt.toISOString(), i: r.id }));
}

/**
 * Sales buyers can see, soonest first: live ones (`active`), or live and upcoming ones. Paused and
 * ended sales are not listed (a paused one still answers GET /flash-sales/{id}).
 */
export async function listPublicFlashSales(
  tx: Executor,
  query: { active?: boolean; cursor?: string; limit?: number },
  now: Date,
) {
  const limit = query.limit ?? 20;
  const after = decodeCursor<{ s?: unknown; i?: unknown }>(query.cursor);
  let cursorWhere: ReturnType<typeof or>;
  if (after) {
    if (typeof after.s !== 'string' || typeof after.i !== 'string' || Number.isNaN(Date.parse(after.s))) {
      throw new AppError(400, 'bad_cursor', {}, [{ path: '/cursor', in: 'query', code: 'field.invalid' }]);
    }
    const s = new Date(after.s);
    cursorWhere = or(gt(flashSales.startsAt, s), and(eq(flashSales.startsAt, s), gt(flashSales.id, after.i)));
  }
  const rows = await tx
    .select(saleWithCounts)
    .from(flashSales)
    .where(
      and(
        eq(flashSales.status, 'active'),
        gt(flashSales.endsAt, now),
        query.active ? lte(flashSales.startsAt, now) : undefined,
        cursorWhere,
      ),
    )
    .orderBy(asc(flashSales.startsAt), asc(flashSales.id))
    .limit(limit + 1);
  return page(rows, limit, (r) => ({ s: r.startsAt.toISOString(), i: r.id }));
}

/**
 * The sale's figures: units ever claimed, now held by unpaid orders, sold (paid and not refunded
 * before shipping) and released, distinct buyers who claimed and who bought, conversion = sold /
 * claimed units, revenue at the flash price and the discount it cost the merchant (list - flash).
 */
export async function flashSaleReport(tx: Executor, sale: FlashSale) {
  const [agg] = await tx
    .select({
      orders: sql<number>`count(*)::int`,
      claimedUnits: sql<number>`coalesce(sum(${flashClaims.quantity}), 0)::int`,
      held: sql<number>`coalesce(sum(${flashClaims.quantity}) filter (where ${flashClaims.status} = 'held'), 0)::int`,
      sold: sql<number>`coalesce(sum(${flashClaims.quantity}) filter (where ${flashClaims.status} = 'sold'), 0)::int`,
      released: sql<number>`coalesce(sum(${flashClaims.quantity}) filter (where ${flashClaims.status} = 'released'), 0)::int`,
      buyers: sql<number>`count(distinct ${flashClaims.buyerId})::int`,
      buyersWhoBought: sql<number>`count(distinct ${flashClaims.buyerId}) filter (where ${flashClaims.status} = 'sold')::int`,
    })
    .from(flashClaims)
    .where(eq(flashClaims.flashSaleId, sale.id));
  const a = agg!;
  return {
    quota: sale.quota,
    remaining: sale.quota - sale.claimed,
    orders: a.orders,
    claimed: a.claimedUnits,
    held: a.held,
    sold: a.sold,
    released: a.released,
    distinctBuyers: a.buyers,
    buyersWhoBought: a.buyersWhoBought,
    conversion: a.claimedUnits === 0 ? 0 : Math.round((a.sold / a.claimedUnits) * 10_000) / 10_000,
    revenue: a.sold * sale.flashPrice,
    discountCost: { merchant: a.sold * (sale.listPrice - sale.flashPrice), platform: 0 },
  };
}

// ---- the contract with checkout ---------------------------------------------------------------

/** The sale selling this SKU at this moment, if any (at most one per SKU at a time, see createFlashSale). */
export async function activeFlashSale(
  tx: Executor,
  skuId: string,
  now: Date,
): Promise<
  | {
      id: string;
      skuId: string;
      shopId: string;
      flashPrice: number;
      perBuyerLimit: number;
      startsAt: Date;
      endsAt: Date;
    }
  | undefined
> {
  const [row] = await tx
    .select({
      id: flashSales.id,
      skuId: flashSales.skuId,
      shopId: flashSales.shopId,
      flashPrice: flashSales.flashPrice,
      perBuyerLimit: flashSales.perBuyerLimit,
      startsAt: flashSales.startsAt,
      endsAt: flashSales.endsAt,
    })
    .from(flashSales)
    .where(
      and(
        eq(flashSales.skuId, skuId),
        eq(flashSales.status, 'active'),
        lte(flashSales.startsAt, now),
        gt(flashSales.endsAt, now),
      ),
    )
    .limit(1);
  return row;
}

export interface ClaimInput {
  campaignId: string;
  buyerId: string;
  quantity: number;
  orderId: string;
}

const soldOut = () => new AppError(409, 'flash_sold_out');
const overLimit = (limit: number) => ruleViolation('flash_buyer_limit', { limit });

/** Deadline kind releasing a claim whose order never appeared (the checkout failed or its process died). */
export const FLASH_CLAIM_ORDER_DUE = 'flash_claim.order_due';
/** How long a claim waits for its order: far longer than a checkout transaction runs. */
const ORDER_GRACE_MS = 120_000;
/** Claims per batch: enough to spread a commit over many claims, few enough to keep a batch's locks short. */
const MAX_BATCH = 200;

/**
 * Takes `quantity` units of the sale for the buyer's order and commits them, answering once they are
 * durable. The claims of concurrent callers are committed together (see ClaimQueue): one transaction
 * and one disk flush for up to MAX_BATCH claims instead of one each. The database decides, with the
 * batch's set-based statements (see claimBatch): a conditional upsert of each buyer's tally (taken + q
 * <= limit) and units taken from the slices of the quota locked by the batch, both backed by CHECK
 * constraints, so no interleaving oversells or passes a buyer's limit. Refusals, each claim its own
 * (one never fails the others): 409 `flash_sold_out`, 422 `flash_buyer_limit` (ruleViolation), 409
 * `flash_sale_not_active` (paused, not started, ended), 404 `flash_sale_not_found`, 409
 * `flash_claim_duplicate` for an order that already claimed this sale.
 *
 * The claim is committed before its order exists: the batch also schedules a deadline
 * (FLASH_CLAIM_ORDER_DUE, ORDER_GRACE_MS later) that releases it unless an order with `orderId` exists
 * by then; a checkout that fails releases its claims at once (abandonFlashClaims). When the gate is
 * configured it answers first (sold out, over the limit) without a statement; its admission is
 * settled once the batch committed the claim, refunded when the batch refused it. Callers under a
 * stampede call checkFlashClaim first, so that refused buyers cost no batch at all.
 */
export async function claimFlashQuota(db: Db, input: ClaimInput, now: Date): Promise<void> {
  if (!Number.isSafeInteger(input.quantity) || input.quantity < 1) {
    throw new RangeError(`not a claimable quantity: ${input.quantity}`);
  }
  const w = wiring;
  let admitted = false;
  if (w) {
    let verdict: AdmitResult | undefined;
    try {
      verdict = await w.gate.admit(input.campaignId, input, now);
      if (verdict === 'miss') {
        await seedGateOnce(db, w.gate, input.campaignId, now);
        verdict = await w.gate.admit(input.campaignId, input, now);
      }
    } catch (err) {
      if (err instanceof AppError) throw err;
      // Redis is unreachable: the database alone decides (the gate heals at its next sweep or seed).
      gateError(err, 'admit');
    }
    if (verdict === 'sold_out') throw soldOut();
    if (verdict === 'duplicate') throw conflict('flash_claim_duplicate');
    if (verdict === 'buyer_limit') {
      const [sale] = await db
        .select({ perBuyerLimit: flashSales.perBuyerLimit })
        .from(flashSales)
        .where(eq(flashSales.id, input.campaignId));
      throw overLimit(sale?.perBuyerLimit ?? 0);
    }
    admitted = verdict === 'ok';
  }
  try {
    await enqueueClaim(db, input, now);
  } catch (err) {
    // Refused by the database (stale gate, paused sale) or the batch failed: the admission goes back.
    if (admitted) await w!.gate.refund(input.campaignId, input.orderId).catch((e) => gateError(e, 'refund'));
    throw err;
  }
  if (admitted) {
    const followUp = w!.gate
      .settle(input.campaignId, input.orderId)
      .catch((e) => gateError(e, 'settle'))
      .finally(() => gateFollowUps.delete(followUp));
    gateFollowUps.add(followUp);
  }
}

/**
 * Claims the flash-sale units of a checkout before its transaction (see claimFlashQuota), all or
 * none: checkFlashClaim first for each, so a refused checkout costs no batch; should one claim be
 * refused, those already taken are released at once and the refusal is thrown.
 */
export async function claimForCheckout(db: Db, claims: ClaimInput[], now: Date): Promise<void> {
  await Promise.all(claims.map((c) => checkFlashClaim(db, c, now)));
  const results = await Promise.allSettled(claims.map((c) => claimFlashQuota(db, c, now)));
  const refused = results.find((r) => r.status === 'rejected');
  if (!refused) return;
  await abandonFlashClaims(
    db,
    claims.filter((_, i) => results[i]!.status === 'fulfilled').map((c) => c.orderId),
    now,
  );
  throw refused.reason;
}

/**
 * A checkout that claimed units failed (or was answered from an earlier request with the same
 * idempotency key): its claims go back now, each order in a transaction of its own, unless the order
 * exists after all (see releaseUnplacedClaims). Best effort: the order-due deadline is the backstop.
 */
export async function abandonFlashClaims(db: Db, orderIds: string[], now: Date): Promise<void> {
  for (const orderId of new Set(orderIds)) {
    await db
      .transaction((tx) => releaseUnplacedClaims(tx, orderId, now))
      .catch((e) => gateError(e, 'abandon'));
  }
}

type OrderExistsCheck = (tx: Executor, orderId: string) => Promise<boolean>;
let orderExists: OrderExistsCheck | undefined;
/** Trade tells whether an order exists (it depends on this module, so it registers the check when it loads). */
export function setOrderExistsCheck(fn: OrderExistsCheck): void {
  orderExists = fn;
}

/**
 * Releases the held claims of an order that does not exist. The claims are locked first: a checkout
 * placing the order locks them too (holdPlacedClaims), so either it commits first and the order is
 * then seen, or the claims are released first and that checkout finds them gone and rolls back.
 */
export async function releaseUnplacedClaims(tx: Tx, orderId: string, now: Date): Promise<void> {
  const held = await tx
    .select({ id: flashClaims.id })
    .from(flashClaims)
    .where(and(eq(flashClaims.orderId, orderId), eq(flashClaims.status, 'held')))
    .for('update');
  if (held.length === 0) return;
  if (!orderExists) throw new Error('trade has not registered the order check');
  if (await orderExists(tx, orderId)) return;
  await releaseFlashClaims(tx, orderId, now);
}

registerDeadlineHandler(FLASH_CLAIM_ORDER_DUE, (tx, deadline, now) =>
  releaseUnplacedClaims(tx, deadline.subjectId, now),
);

/**
 * In the checkout transaction, after its orders were inserted: the held claims of these orders, made
 * before it (claimForCheckout), must be exactly its flash lines (the cart or the sale may have
 * changed in between); they stay locked until it commits. Throws 409 `flash_claim_missing` otherwise.
 * Their order-due deadlines are cancelled first, in the order the sweep locks them (deadline, then
 * claims): a sweep already releasing them makes this wait, then find them released.
 */
export async function holdPlacedClaims(
  tx: Executor,
  buyerId: string,
  orderIds: string[],
  lines: Omit<ClaimInput, 'buyerId'>[],
  now: Date,
): Promise<void> {
  for (const orderId of orderIds) await cancelDeadline(tx, FLASH_CLAIM_ORDER_DUE, orderId, now);
  const held = await tx
    .select({
      saleId: flashClaims.flashSaleId,
      orderId: flashClaims.orderId,
      buyerId: flashClaims.buyerId,
      quantity: flashClaims.quantity,
    })
    .from(flashClaims)
    .where(and(inArray(flashClaims.orderId, orderIds), eq(flashClaims.status, 'held')))
    .for('update');
  const key = (saleId: string, orderId: string, buyer: string, quantity: number) =>
    `${saleId} ${orderId} ${buyer} ${quantity}`;
  const have = new Set(held.map((h) => key(h.saleId, h.orderId, h.buyerId, h.quantity)));
  const want = new Set(lines.map((l) => key(l.campaignId, l.orderId, buyerId, l.quantity)));
  if (have.size !== want.size || [...want].some((k) => !have.has(k))) throw conflict('flash_claim_missing');
}

// ---- group commit of claims -----------------------------------------------------------------

interface QueuedClaim {
  input: ClaimInput;
  now: Date;
  resolve: () => void;
  reject: (err: unknown) => void;
}
interface ClaimQueue {
  waiting: QueuedClaim[];
  running: number;
  /** Buyers and orders with a claim in a batch in flight: their next claims wait for it. */
  buyers: Set<string>;
  orders: Set<string>;
}
/**
 * Batches of one sale in flight at once: while one commits (a disk flush), the next one's first
 * statement runs; it then waits for the slices the first one holds.
 */
const MAX_IN_FLIGHT = 2;
/**
 * Per database and sale, the claims waiting for a batch. No timer delays a claim: one arriving
 * while fewer than MAX_IN_FLIGHT batches run starts one (with the claims of the same turn); those
 * arriving meanwhile wait for a batch to end, and then go together in the next one.
 */
const claimQueues = new WeakMap<Db, Map<string, ClaimQueue>>();
const batchesInFlight = new Set<Promise<void>>();

function enqueueClaim(db: Db, input: ClaimInput, now: Date): Promise<void> {
  return new Promise((resolve, reject) => {
    let bySale = claimQueues.get(db);
    if (!bySale) {
      bySale = new Map();
      claimQueues.set(db, bySale);
    }
    let queue = bySale.get(input.campaignId);
    if (!queue) {
      queue = { waiting: [], running: 0, buyers: new Set(), orders: new Set() };
      bySale.set(input.campaignId, queue);
    }
    queue.waiting.push({ input, now, resolve, reject });
    pump(db, bySale, input.campaignId, queue);
  });
}

function pump(db: Db, bySale: Map<string, ClaimQueue>, saleId: string, queue: ClaimQueue) {
  if (queue.running >= MAX_IN_FLIGHT || queue.waiting.length === 0) return;
  queue.running++;
  let batch: QueuedClaim[] = [];
  const run = (async () => {
    // The claims already on their way in this turn (a caller's Promise.all) join this batch.
    await Promise.resolve();
    batch = nextBatch(queue);
    if (batch.length) await runBatch(db, saleId, batch);
  })().finally(() => {
    for (const c of batch) {
      queue.buyers.delete(c.input.buyerId);
      queue.orders.delete(c.input.orderId);
    }
    queue.running--;
    batchesInFlight.delete(run);
    // (An empty batch: every waiting claim's buyer or order is in flight; that batch's end pumps.)
    if (batch.length) pump(db, bySale, saleId, queue);
    if (queue.running === 0 && queue.waiting.length === 0 && bySale.get(saleId) === queue) {
      bySale.delete(saleId);
    }
  });
  batchesInFlight.add(run);
}

/**
 * The next batch: the oldest waiting claims, at most MAX_BATCH, with no buyer and no order twice
 * and none of a batch in flight (a row may be upserted once per statement, and a buyer's claims go
 * one after another); the others wait for a later batch, in their order.
 */
function nextBatch(queue: ClaimQueue): QueuedClaim[] {
  const batch: QueuedClaim[] = [];
  const rest: QueuedClaim[] = [];
  for (const c of queue.waiting) {
    const { buyerId, orderId } = c.input;
    if (batch.length < MAX_BATCH && !queue.buyers.has(buyerId) && !queue.orders.has(orderId)) {
      batch.push(c);
      queue.buyers.add(buyerId);
      queue.orders.add(orderId);
    } else rest.push(c);
  }
  queue.waiting = rest;
  return batch;
}

async function runBatch(db: Db, saleId: string, batch: QueuedClaim[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const answers = await db.transaction((tx) => claimBatch(tx, saleId, batch));
      for (const [i, c] of batch.entries()) {
        const refusal = answers[i];
        if (refusal) c.reject(refusal);
        else c.resolve();
      }
      return;
    } catch (err) {
      // Deadlocks (only possible against another process's batch) and serialization failures.
      if (attempt < 3 && isSerializationConflict(err)) continue;
      for (const c of batch) c.reject(err);
      return;
    }
  }
}

/**
 * One batch of claims of one sale, in the caller's transaction; answers each claim's refusal
 * (undefined: claimed). Three statements, in the lock order every writer here follows (claim rows,
 * tallies in buyer order, slices in slice order):
 * 1. the sale's state judges each claim (found, live, the committed room, the limit); the claim rows
 *    are inserted (a duplicate order is skipped by the unique index) and the buyers' tallies taken by
 *    a conditional upsert;
 * 2. the slices with room are locked and read;
 * 3. the units are spread over them (the claims in arrival order, each taking what is left of one
 *    slice and the next), the slices updated, the claim rows given their slices, the claims that
 *    found no room deleted with their tallies given back, and an order-due deadline scheduled for
 *    every order claimed.
 */
async function claimBatch(tx: Tx, saleId: string, batch: QueuedClaim[]): Promise<(AppError | undefined)[]> {
  const rows = batch.map((c, idx) => ({
    idx,
    claim_id: newId('fclaim'),
    buyer_id: c.input.buyerId,
    order_id: c.input.orderId,
    quantity: c.input.quantity,
    at: c.now.toISOString(),
  }));
  const judged = await executeNamed(
    tx,
    'jishi_flash_batch_claim',
    sql`
      with input as (
        select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
          as i(idx int, claim_id text, buyer_id text, order_id text, quantity int, at timestamptz)
      ),
      sale as (
        select s.per_buyer_limit, s.quota, s.status, s.starts_at, s.ends_at,
               (select coalesce(sum(sh.claimed), 0)::int from ${flashSaleShards} sh
                 where sh.flash_sale_id = s.id) as claimed
          from ${flashSales} s where s.id = ${saleId}
      ),
      judged as (
        select i.*, sale.per_buyer_limit,
               case when not (sale.status = 'active' and sale.starts_at <= i.at and sale.ends_at > i.at)
                      then 'not_active'
                    when sale.claimed + i.quantity > sale.quota then 'sold_out'
                    when i.quantity > sale.per_buyer_limit then 'buyer_limit'
                    else 'open' end as verdict
          from input i cross join sale
      ),
      claim as (
        insert into ${flashClaims} (id, flash_sale_id, buyer_id, order_id, quantity, claimed_at)
        select claim_id, ${saleId}, buyer_id, order_id, quantity, at from judged
         where verdict = 'open' order by order_id
        on conflict (flash_sale_id, order_id) do nothing
        returning id
      ),
      tally as (
        insert into ${flashBuyerTallies} (flash_sale_id, buyer_id, taken, per_buyer_limit)
        select ${saleId}, j.buyer_id, j.quantity, j.per_buyer_limit
          from judged j join claim c on c.id = j.claim_id
         order by j.buyer_id
        on conflict (flash_sale_id, buyer_id) do update
          set taken = ${flashBuyerTallies}.taken + excluded.taken
          where ${flashBuyerTallies}.taken + excluded.taken <= ${flashBuyerTallies}.per_buyer_limit
        returning buyer_id
      )
      select j.idx, j.per_buyer_limit, sale.quota, sale.claimed,
             case when j.verdict <> 'open' then j.verdict
                  when not exists (select 1 from claim c where c.id = j.claim_id) then 'duplicate'
                  when not exists (select 1 from tally t where t.buyer_id = j.buyer_id) then 'untallied'
                  else 'tallied' end as verdict
        from judged j cross join sale`,
  );
  if (judged.length === 0) return batch.map(() => notFound('flash_sale_not_found'));
  const answers: (AppError | undefined)[] = [];
  const tallied: typeof rows = [];
  // Claim rows deleted again, with the units to give back to their buyer's tally.
  const unserved: { claim_id: string; buyer_id: string; give_back: number }[] = [];
  for (const r of judged) {
    const idx = Number(r.idx);
    const limit = Number(r.per_buyer_limit);
    switch (r.verdict) {
      case 'not_active':
        answers[idx] = conflict('flash_sale_not_active');
        break;
      case 'sold_out':
        answers[idx] = soldOut();
        break;
      case 'buyer_limit':
        answers[idx] = overLimit(limit);
        break;
      case 'untallied':
        answers[idx] = overLimit(limit);
        unserved.push({ claim_id: rows[idx]!.claim_id, buyer_id: rows[idx]!.buyer_id, give_back: 0 });
        break;
      case 'duplicate':
        answers[idx] = conflict('flash_claim_duplicate');
        break;
      default:
        tallied.push(rows[idx]!);
    }
  }
  const committedRoom = Number(judged[0]!.quota) - Number(judged[0]!.claimed);
  if (tallied.length === 0 && unserved.length === 0) {
    sawRoom(saleId, committedRoom);
    return answers;
  }
  tallied.sort((a, b) => a.idx - b.idx);
  const slices = !tallied.length
    ? []
    : (
        await executeNamed(
          tx,
          'jishi_flash_batch_slices',
          sql`select shard, (quota - claimed)::int as room from ${flashSaleShards}
           where flash_sale_id = ${saleId} and claimed < quota
           order by shard for update`,
        )
      ).map((r) => ({ shard: Number(r.shard), room: Number(r.room) }));
  let left = slices.reduce((n, s) => n + s.room, 0);
  const taken = new Map<number, number>();
  const served: {
    claim_id: string;
    order_id: string;
    shards: [number, number][];
    due_at: string;
    at: string;
    dl_id: string;
  }[] = [];
  let cursor = 0;
  for (const c of tallied) {
    // A claim that does not fit is refused; a smaller one after it may still fit.
    if (c.quantity > left) {
      unserved.push({ claim_id: c.claim_id, buyer_id: c.buyer_id, give_back: c.quantity });
      answers[c.idx] = soldOut();
      continue;
    }
    const shards: [number, number][] = [];
    let need = c.quantity;
    while (need > 0) {
      const s = slices[cursor]!;
      const units = Math.min(need, s.room - (taken.get(s.shard) ?? 0));
      if (units > 0) {
        shards.push([s.shard, units]);
        taken.set(s.shard, (taken.get(s.shard) ?? 0) + units);
        need -= units;
      }
      if (taken.get(s.shard) === s.room) cursor++;
    }
    left -= c.quantity;
    served.push({
      claim_id: c.claim_id,
      order_id: c.order_id,
      shards,
      at: c.at,
      due_at: new Date(Date.parse(c.at) + ORDER_GRACE_MS).toISOString(),
      dl_id: newId('dl'),
    });
  }
  if (tallied.length) sawRoom(saleId, left);
  const plan = [...taken].map(([shard, units]) => ({ shard, units }));
  await executeNamed(
    tx,
    'jishi_flash_batch_take',
    sql`
      with plan as (
        select * from jsonb_to_recordset(${JSON.stringify(plan)}::jsonb) as p(shard int, units int)
      ),
      served as (
        select * from jsonb_to_recordset(${JSON.stringify(served)}::jsonb)
          as s(claim_id text, order_id text, shards jsonb, at timestamptz, due_at timestamptz, dl_id text)
      ),
      unserved as (
        select * from jsonb_to_recordset(${JSON.stringify(unserved)}::jsonb)
          as u(claim_id text, buyer_id text, give_back int)
      ),
      took as (
        update ${flashSaleShards} sh set claimed = sh.claimed + p.units from plan p
         where sh.flash_sale_id = ${saleId} and sh.shard = p.shard
        returning 1
      ),
      kept as (
        update ${flashClaims} c set shards = s.shards from served s where c.id = s.claim_id
        returning 1
      ),
      dropped as (
        delete from ${flashClaims} c using unserved u where c.id = u.claim_id
        returning 1
      ),
      given_back as (
        update ${flashBuyerTallies} t set taken = t.taken - u.give_back from unserved u
         where t.flash_sale_id = ${saleId} and t.buyer_id = u.buyer_id and u.give_back > 0
        returning 1
      ),
      due as (
        insert into ${deadlines} (id, kind, subject_id, due_at, created_at)
        select distinct on (order_id) dl_id, ${FLASH_CLAIM_ORDER_DUE}, order_id, due_at, at
          from served order by order_id, due_at desc
        on conflict (kind, subject_id) where status = 'pending' do nothing
        returning 1
      )
      select (select count(*) from took)::int as took, (select count(*) from kept)::int as kept,
             (select count(*) from dropped)::int as dropped, (select count(*) from given_back)::int as given_back,
             (select count(*) from due)::int as due`,
  );
  return answers;
}

/**
 * Per sale, the room (quota minus claimed units) this process last read from the database, by a
 * check or a claim. Only decides whether checkFlashClaim reads at all: while plenty was left a
 * moment ago, the read would almost surely pass, so the claim's own statement (which re-checks the
 * room) is the only read. Never answers anything by itself: a stale value costs a transaction, not
 * a wrong answer.
 */
const roomSeen = new Map<string, { room: number; at: number }>();
/** How long a reading counts, and how much room makes the check's read pointless. */
const ROOM_FRESH_MS = 250;
const ROOM_PLENTY = 100;

function sawRoom(saleId: string, room: number) {
  roomSeen.set(saleId, { room, at: performance.now() });
}

/**
 * The refusal a claim would get, answered before any transaction is opened (a caller under a
 * stampede checks this first and opens its transaction only when it passes). With the gate, from
 * Redis alone: sold out, or the buyer at the limit (one Lua call, PostgreSQL untouched). Without it
 * (or with Redis unreachable), from a plain read of the committed state outside any transaction,
 * shared by the checks arriving together (see readForCheck): not found, not live, sold out, over the
 * limit; that read is skipped while this process saw plenty of room a moment ago (see roomSeen).
 * Throws the same errors as claimFlashQuota; never admits or takes anything, so passing it
 * promises nothing: claimFlashQuota still decides.
 */
export async function checkFlashClaim(
  db: Executor,
  input: Pick<ClaimInput, 'campaignId' | 'buyerId' | 'quantity'>,
  now: Date,
): Promise<void> {
  const w = wiring;
  if (w) {
    try {
      const peek = await w.gate.peek(input.campaignId, input);
      if (peek.verdict === 'sold_out') throw soldOut();
      if (peek.verdict === 'buyer_limit') throw overLimit(peek.perBuyerLimit);
      return;
    } catch (err) {
      if (err instanceof AppError) throw err;
      gateError(err, 'peek');
    }
  }
  const seen = roomSeen.get(input.campaignId);
  if (seen && seen.room >= ROOM_PLENTY && performance.now() - seen.at < ROOM_FRESH_MS) return;
  const state = await readForCheck(db, input.campaignId, input.buyerId);
  if (!state) throw notFound('flash_sale_not_found');
  sawRoom(input.campaignId, state.quota - state.claimed);
  if (flashSalePhase(state, now) !== 'live') throw conflict('flash_sale_not_active');
  if (state.claimed + input.quantity > state.quota) throw soldOut();
  if ((state.taken.get(input.buyerId) ?? 0) + input.quantity > state.perBuyerLimit) {
    throw overLimit(state.perBuyerLimit);
  }
}

interface CheckState {
  status: FlashSaleStatus;
  startsAt: Date;
  endsAt: Date;
  quota: number;
  perBuyerLimit: number;
  claimed: number;
  /** Committed units of the batch's buyers (absent: none). */
  taken: Map<string, number>;
}
interface CheckBatch {
  buyers: Set<string>;
  result: Promise<CheckState | undefined>;
}
/** Per executor and sale, the read being gathered in this turn of the event loop (see readForCheck). */
const checkBatches = new WeakMap<object, Map<string, CheckBatch>>();

/**
 * The committed state checkFlashClaim decides on. The checks of one sale that arrive in the same
 * turn of the event loop share one read, sent once that turn ends: after every one of them arrived,
 * so each sees a state at least as recent as its own arrival (the same answer as a read of its own,
 * one round trip for the whole stampede's turn instead of one each).
 */
function readForCheck(db: Executor, saleId: string, buyerId: string): Promise<CheckState | undefined> {
  let bySale = checkBatches.get(db);
  if (!bySale) {
    bySale = new Map();
    checkBatches.set(db, bySale);
  }
  const gathering = bySale.get(saleId);
  if (gathering) {
    gathering.buyers.add(buyerId);
    return gathering.result;
  }
  const buyers = new Set([buyerId]);
  const sales = bySale;
  const result = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
    sales.delete(saleId);
    return readCheckState(db, saleId, [...buyers]);
  });
  sales.set(saleId, { buyers, result });
  return result;
}

async function readCheckState(
  db: Executor,
  saleId: string,
  buyers: string[],
): Promise<CheckState | undefined> {
  const [r] = await executeNamed(
    db,
    'jishi_flash_check',
    sql`
      select s.status, s.starts_at, s.ends_at, s.quota, s.per_buyer_limit,
             (select coalesce(sum(sh.claimed), 0)::int from ${flashSaleShards} sh
               where sh.flash_sale_id = s.id) as claimed,
             (select coalesce(jsonb_object_agg(t.buyer_id, t.taken), '{}'::jsonb) from ${flashBuyerTallies} t
               where t.flash_sale_id = s.id
                 and t.buyer_id in (select jsonb_array_elements_text(${JSON.stringify(buyers)}::jsonb))) as taken
        from ${flashSales} s where s.id = ${saleId}`,
  );
  if (!r) return undefined;
  const taken = (typeof r.taken === 'string' ? JSON.parse(r.taken) : r.taken) as Record<string, number>;
  return {
    status: r.status as FlashSaleStatus,
    startsAt: new Date(r.starts_at as string | Date),
    endsAt: new Date(r.ends_at as string | Date),
    quota: Number(r.quota),
    perBuyerLimit: Number(r.per_buyer_limit),
    claimed: Number(r.claimed),
    taken: new Map(Object.entries(taken).map(([b, n]) => [b, Number(n)])),
  };
}

async function addToShard(tx: Tx, saleId: string, shard: number, units: number) {
  await tx
    .update(flashSaleShards)
    .set({ claimed: sql`${flashSaleShards.claimed} + ${units}` })
    .where(and(eq(flashSaleShards.flashSaleId, saleId), eq(flashSaleShards.shard, shard)));
}

function rowsOf(result: unknown): Record<string, unknown>[] {
  return (result as { rows: Record<string, unknown>[] }).rows;
}

interface DrizzleInternals {
  session?: {
    prepareQuery?: (
      query: unknown,
      fields: undefined,
      name: string,
      arrayMode: boolean,
    ) => { execute(): Promise<unknown> };
  };
  dialect?: { sqlToQuery?: (query: SQL) => unknown };
}

/**
 * Runs a statement of the hot path as a named prepared statement: on PostgreSQL each connection
 * parses and plans it once instead of on every call (planning the claim costs the server more than
 * running it: a claim's transaction took 1.5 ms of server CPU unnamed, 0.7 ms named). `name` must
 * always go with the same text (it does: every value is a parameter). Goes through drizzle's
 * session, since its raw `execute` cannot name a statement; PGlite ignores the name. Falls back to
 * a plain execute should that internal shape ever change.
 */
async function executeNamed(db: Executor, name: string, query: SQL): Promise<Record<string, unknown>[]> {
  const { session, dialect } = db as unknown as DrizzleInternals;
  if (!session?.prepareQuery || !dialect?.sqlToQuery) return rowsOf(await db.execute(query));
  return rowsOf(await session.prepareQuery(dialect.sqlToQuery(query), undefined, name, false).execute());
}

/**
 * The order closed unpaid, or was refunded before shipping: its claims (held or sold) go back to the
 * quota and to the buyer's allowance. Idempotent: a released claim is not released again.
 */
export async function releaseFlashClaims(tx: Tx, orderId: string, now: Date): Promise<void> {
  const claims = await tx
    .select()
    .from(flashClaims)
    .where(and(eq(flashClaims.orderId, orderId), ne(flashClaims.status, 'released')))
    .orderBy(asc(flashClaims.flashSaleId))
    .for('update');
  for (const c of claims) {
    const [done] = await tx
      .update(flashClaims)
      .set({ status: 'released', releasedAt: now })
      .where(and(eq(flashClaims.id, c.id), eq(flashClaims.status, c.status)))
      .returning({ id: flashClaims.id });
    if (!done) continue;
    // The tally before the slices, in the order claimFlashQuota locks them (no deadlock).
    await tx
      .update(flashBuyerTallies)
      .set({ taken: sql`${flashBuyerTallies.taken} - ${c.quantity}` })
      .where(and(eq(flashBuyerTallies.flashSaleId, c.flashSaleId), eq(flashBuyerTallies.buyerId, c.buyerId)));
    for (const [shard, units] of [...c.shards].sort((a, b) => a[0] - b[0])) {
      await addToShard(tx, c.flashSaleId, shard, -units);
    }
    // Given back before this transaction commits: should it roll back, the gate admits a few too
    // many and the database refuses them; a crash can never lose the give-back of a committed release.
    const w = wiring;
    if (w) {
      await w.gate.giveBack(c.flashSaleId, c.buyerId, c.quantity).catch((e) => gateError(e, 'giveBack'));
    }
  }
}

/** The order was paid: its held claims are sold (they stay counted against the quota and the buyer). */
export async function confirmFlashClaims(tx: Tx, orderId: string, now: Date): Promise<void> {
  await tx
    .update(flashClaims)
    .set({ status: 'sold', soldAt: now })
    .where(and(eq(flashClaims.orderId, orderId), eq(flashClaims.status, 'held')));
}

// ---- the gate's bookkeeping -------------------------------------------------------------------

class ProbeDone extends Error {}

/**
 * Which of these (sale, order) claims are committed, waiting for the transactions that wrote them if
 * they are still open: the probe inserts rows with the same keys, which PostgreSQL makes wait on the
 * unique index until each such transaction ends, and then always rolls back. A conflict means the
 * claim committed; a free key means it never did. (On PGlite the probe simply queues behind them.)
 * Answers the keys (`sale order`) whose claims do not exist.
 */
async function probeClaims(
  run: { transaction: Db['transaction'] },
  items: { saleId: string; orderId: string }[],
  now: Date,
): Promise<Set<string>> {
  const absent = new Set<string>();
  const unique = [...new Map(items.map((i) => [`${i.saleId} ${i.orderId}`, i])).values()];
  try {
    await run.transaction(async (t) => {
      const r = await t
        .insert(flashClaims)
        .values(
          unique.map((i) => ({
            id: newId('fprobe'),
            flashSaleId: i.saleId,
            buyerId: '',
            orderId: i.orderId,
            quantity: 1,
            claimedAt: now,
          })),
        )
        .onConflictDoNothing({ target: [flashClaims.flashSaleId, flashClaims.orderId] })
        .returning({ saleId: flashClaims.flashSaleId, orderId: flashClaims.orderId });
      for (const row of r) absent.add(`${row.saleId} ${row.orderId}`);
      throw new ProbeDone();
    });
  } catch (err) {
    if (!(err instanceof ProbeDone)) throw err;
  }
  return absent;
}

/** Seeds being read, per sale: the claims that found the gate empty at once share one. */
const seeding = new Map<string, Promise<void>>();
function seedGateOnce(db: Db, gate: FlashGate, saleId: string, now: Date): Promise<void> {
  let p = seeding.get(saleId);
  if (!p) {
    p = seedGate(db, gate, saleId, now).finally(() => seeding.delete(saleId));
    seeding.set(saleId, p);
  }
  return p;
}

/** Seeds the gate from the committed state (see flash-gate.ts), unless someone already did. */
async function seedGate(tx: Executor, gate: FlashGate, saleId: string, now: Date): Promise<void> {
  const sale = await getFlashSale(tx, saleId);
  if (!sale) throw notFound('flash_sale_not_found');
  const taken = await committedTallies(tx, saleId);
  await gate.seed(saleId, {
    left: sale.quota - sale.claimed,
    perBuyerLimit: sale.perBuyerLimit,
    taken,
    ttlMs: gateTtlMs(sale, now),
  });
}

/**
 * How long the gate's keys live: until a day after the sale ends (its last unpaid orders have closed
 * by then; a later claim would re-seed anyway). Relative, so a manual clock does not expire them at once.
 */
const gateTtlMs = (sale: FlashSale, now: Date) =>
  Math.max(0, sale.endsAt.getTime() - now.getTime()) + 86_400_000;

async function committedTallies(tx: Executor, saleId: string): Promise<Map<string, number>> {
  const rows = await tx
    .select({ buyerId: flashBuyerTallies.buyerId, taken: flashBuyerTallies.taken })
    .from(flashBuyerTallies)
    .where(and(eq(flashBuyerTallies.flashSaleId, saleId), gt(flashBuyerTallies.taken, 0)));
  return new Map(rows.map((r) => [r.buyerId, r.taken]));
}

/**
 * Brings the gate back in line with the database: admissions pending longer than the grace period
 * (their process died before its follow-up) are settled or refunded by probing for their claim;
 * then `left` is raised, and buyers' counts lowered, to what the committed state plus the remaining
 * pending admissions allow (lost give-backs and refunds heal here). Seeds the gate if it is empty.
 * Never lowers `left`: a value too high only lets the database refuse a few more.
 */
export async function reconcileFlashGate(tx: Tx, saleId: string, now: Date): Promise<void> {
  const w = wiring;
  if (!w) return;
  const stale = (await w.gate.pending(saleId)).filter(
    (p) => p.admittedAt.getTime() <= now.getTime() - PENDING_GRACE_MS,
  );
  if (stale.length) {
    const absent = await probeClaims(
      tx,
      stale.map((p) => ({ saleId, orderId: p.orderId })),
      now,
    );
    for (const p of stale) {
      if (absent.has(`${saleId} ${p.orderId}`)) await w.gate.refund(saleId, p.orderId);
      else await w.gate.settle(saleId, p.orderId);
    }
  }
  const sale = await getFlashSale(tx, saleId);
  if (!sale) return;
  const taken = await committedTallies(tx, saleId);
  const seeded = await w.gate.seed(saleId, {
    left: sale.quota - sale.claimed,
    perBuyerLimit: sale.perBuyerLimit,
    taken,
    ttlMs: gateTtlMs(sale, now),
  });
  if (!seeded) await w.gate.raise(saleId, { left: sale.quota - sale.claimed, taken });
}

registerDeadlineHandler(FLASH_GATE_SWEEP, async (tx, deadline, now) => {
  const sale = await getFlashSale(tx, deadline.subjectId);
  // The sweep exists for the gate: without one (no REDIS_URL) there is nothing to seed or heal.
  if (!sale || !wiring) return;
  try {
    await reconcileFlashGate(tx, sale.id, now);
  } catch (err) {
    // Redis down: nothing to heal now; the next sweep tries again.
    gateError(err, 'sweep');
  }
  // Every minute while the sale is on, and once more after it (for the last pending admissions).
  if (now.getTime() < sale.endsAt.getTime() + PENDING_GRACE_MS) {
    await scheduleDeadline(tx, {
      kind: FLASH_GATE_SWEEP,
      subjectId: sale.id,
      dueAt: new Date(Math.max(now.getTime(), sale.startsAt.getTime() - SWEEP_EVERY_MS) + SWEEP_EVERY_MS),
      now,
    });
  }
});

/** The flash sales selling these SKUs now, by SKU, in one query (checkout prices a whole cart). */
/** Per SKU, the flash sale live on it. */
export type FlashSalesInForce = Map<
  string,
  { id: string; shopId: string; flashPrice: number; perBuyerLimit: number }
>;

export async function activeFlashSales(
  tx: Executor,
  skuIds: string[],
  now: Date,
): Promise<FlashSalesInForce> {
  if (skuIds.length === 0) return new Map();
  const rows = await flashSalesOf(tx, { skuIds, now });
  return new Map(
    rows.map((r) => [
      r.skuId,
      { id: r.id, shopId: r.shopId, flashPrice: r.flashPrice, perBuyerLimit: r.perBuyerLimit },
    ]),
  );
}

// Every checkout asks, flash sale or not: its SQL is built once (see statement()). The SKU ids go as
// one array parameter, so the text is the same for any number of them.
const flashSalesOf = statement((db) =>
  db
    .select({
      id: flashSales.id,
      skuId: flashSales.skuId,
      shopId: flashSales.shopId,
      flashPrice: flashSales.flashPrice,
      perBuyerLimit: flashSales.perBuyerLimit,
    })
    .from(flashSales)
    .where(
      and(
        sql`${flashSales.skuId} = any(${p('skuIds')}::text[])`,
        sql`${flashSales.status} = 'active'`,
        lte(flashSales.startsAt, p('now')),
        gt(flashSales.endsAt, p('now')),
      ),
    ),
);
