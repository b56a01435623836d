import { randomInt } from 'node:crypto';
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
import {
  AppError,
  bodyField,
  conflict,
  type FieldError,
  invalidFields,
  notFound,
  ruleViolation,
} from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { emit } from '../../kernel/outbox';
import { decodeCursor, page } from '../../kernel/pagination';
import { registerDeadlineHandler, scheduleDeadline } from '../../kernel/scheduler';
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
 * Slices of the quota. One row taking every claim would let claims commit only one after another
 * (each waits for the previous one's commit to reach the disk); slices let them commit together.
 * A checkout holds its slice until it commits, so there are more slices than the connections of a
 * process (20 by default): with 16, about one claim in eight of the benchmark found every slice
 * with room held and took the slower path; with 64, about one in a hundred.
 */
export const FLASH_SHARDS = 64;
/** Deadline kind of the gate's sweep (seeding before the start, healing after crashes). */
export const FLASH_GATE_SWEEP = 'flash_sale.gate_sweep';
/** How often the sweep runs while a sale is on, and how early before the start it seeds the gate. */
const SWEEP_EVERY_MS = 60_000;
/**
 * An admission still pending this long after it was made is resolved by the sweep. Longer than any
 * checkout transaction runs; if one still runs, the sweep's probe waits for it (see probeClaims).
 */
const PENDING_GRACE_MS = 60_000;

// ---- the gate's wiring ----------------------------------------------------------------------

interface GateWiring {
  gate: FlashGate;
  /** The database the after-transaction probes run on (the one checkout's transactions use). */
  db: Db;
  onError?: (err: unknown, what: string) => void;
}
let wiring: GateWiring | null = null;
/** Admissions whose transaction's outcome is still to be learnt, probed in batches (see followUp). */
const awaitingOutcome: { w: GateWiring; saleId: string; orderId: string; now: Date }[] = [];
let prober: Promise<void> | null = null;

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

/** Resolves once every after-transaction follow-up started so far has finished (tests, benchmarks, shutdown). */
export async function flashGateSettled(): Promise<void> {
  while (prober) await prober;
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

/**
 * Takes `quantity` units of the sale for the buyer's order, in the caller's transaction. The
 * database decides: a conditional upsert of the buyer's tally (taken + q <= limit) and a
 * conditional UPDATE of a slice of the quota (claimed + q <= quota), both backed by CHECK
 * constraints, so no interleaving of transactions can oversell or pass a buyer's limit. Refusals:
 * 409 `flash_sold_out`, 422 `flash_buyer_limit` (ruleViolation), 409 `flash_sale_not_active`
 * (paused, not started, ended), 404 `flash_sale_not_found`, and 409 `flash_claim_duplicate` for an
 * order that already claimed this sale. A refusal may come after some writes: the caller's
 * transaction must then roll back (as command() and checkout do). When the gate is configured it
 * answers first (sold out, over the limit) without another statement; see flash-gate.ts. Callers
 * under a stampede call checkFlashClaim before opening their transaction, so that refused buyers
 * cost no transaction at all.
 */
export async function claimFlashQuota(tx: Tx, input: ClaimInput, now: Date): Promise<void> {
  if (!Number.isSafeInteger(input.quantity) || input.quantity < 1) {
    throw new RangeError(`not a claimable quantity: ${input.quantity}`);
  }
  const w = wiring;
  if (!w) return claimInDatabase(tx, input, now, true);
  let verdict: AdmitResult | string;
  try {
    verdict = await w.gate.admit(input.campaignId, input, now);
    if (verdict === 'miss') {
      await seedGate(tx, w.gate, input.campaignId, now);
      verdict = await w.gate.admit(input.campaignId, input, now);
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    // Redis is unreachable: the database alone decides (the gate heals at its next sweep or seed).
    gateError(err, 'admit');
    return claimInDatabase(tx, input, now, true);
  }
  if (verdict === 'sold_out') throw soldOut();
  if (verdict === 'duplicate') throw conflict('flash_claim_duplicate');
  if (verdict === 'buyer_limit') {
    const [sale] = await tx
      .select({ perBuyerLimit: flashSales.perBuyerLimit })
      .from(flashSales)
      .where(eq(flashSales.id, input.campaignId));
    throw overLimit(sale?.perBuyerLimit ?? 0);
  }
  if (verdict !== 'ok') return claimInDatabase(tx, input, now, true);
  try {
    await claimInDatabase(tx, input, now, false);
  } catch (err) {
    // Refused by the database (stale gate, paused sale) or failed: the admission goes back now.
    await w.gate.refund(input.campaignId, input.orderId).catch((e) => gateError(e, 'refund'));
    throw err;
  }
  // The caller's transaction may still roll back after this; find out once it has ended.
  followUp(w, input.campaignId, input.orderId, now);
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

/**
 * The claim in the database, in one statement when it can: the sale's state (found, live, and with
 * the precheck enough units left by the committed slices), the buyer's tally (conditional upsert),
 * one slice with room that no other transaction holds (SKIP LOCKED, from a random slice) and the
 * claim row. Each step only runs when the one before it passed, in the lock order every writer here
 * follows (tally, then slices, then the claim), and answers what it did, so a refusal names its
 * reason. Only when every slice with room is held by others, or no single slice has room enough,
 * does takeUnits's slower loop run (the tally is then already taken in this transaction).
 * One round trip instead of five: under a stampede the hot slices' locks are held for less time.
 */
async function claimInDatabase(tx: Tx, input: ClaimInput, now: Date, precheck: boolean): Promise<void> {
  const { campaignId, buyerId, quantity, orderId } = input;
  const claimId = newId('fclaim');
  const at = now.toISOString();
  const start = randomInt(FLASH_SHARDS);
  const [r] = await executeNamed(
    tx,
    'jishi_flash_claim',
    sql`
      with sale as (
        select s.per_buyer_limit, s.quota,
               s.status = 'active' and s.starts_at <= ${at}::timestamptz and s.ends_at > ${at}::timestamptz as live,
               (select coalesce(sum(sh.claimed), 0)::int from ${flashSaleShards} sh
                 where sh.flash_sale_id = s.id) as claimed
          from ${flashSales} s where s.id = ${campaignId}
      ),
      open as (
        select per_buyer_limit from sale
         where live and (not ${precheck}::boolean or claimed + ${quantity}::int <= quota)
      ),
      tally as (
        insert into ${flashBuyerTallies} (flash_sale_id, buyer_id, taken, per_buyer_limit)
        select ${campaignId}, ${buyerId}, ${quantity}::int, per_buyer_limit from open
         where ${quantity}::int <= per_buyer_limit
        on conflict (flash_sale_id, buyer_id) do update
          set taken = ${flashBuyerTallies}.taken + excluded.taken
          where ${flashBuyerTallies}.taken + excluded.taken <= ${flashBuyerTallies}.per_buyer_limit
        returning taken
      ),
      pick as (
        select shard from ${flashSaleShards}
         where flash_sale_id = ${campaignId} and claimed + ${quantity}::int <= quota
           and exists (select 1 from tally)
         order by (shard + ${FLASH_SHARDS}::int - ${start}::int) % ${FLASH_SHARDS}::int
         limit 1 for update skip locked
      ),
      took as (
        update ${flashSaleShards} s set claimed = s.claimed + ${quantity}::int
          from pick
         where s.flash_sale_id = ${campaignId} and s.shard = pick.shard
        returning s.shard
      ),
      claim as (
        insert into ${flashClaims} (id, flash_sale_id, buyer_id, order_id, quantity, shards, claimed_at)
        select ${claimId}, ${campaignId}, ${buyerId}, ${orderId}, ${quantity}::int,
               jsonb_build_array(jsonb_build_array(took.shard, ${quantity}::int)), ${at}::timestamptz
          from took
        on conflict (flash_sale_id, order_id) do nothing
        returning id
      )
      select (select count(*) from sale)::int as found,
             (select live from sale) as live,
             (select quota - claimed from sale) as room,
             (select per_buyer_limit from sale) as per_buyer_limit,
             (select count(*) from open)::int as open,
             (select count(*) from tally)::int as tallied,
             (select count(*) from took)::int as took,
             (select count(*) from claim)::int as claimed`,
  );
  if (!r || Number(r.found) === 0) throw notFound('flash_sale_not_found');
  sawRoom(campaignId, Number(r.room) - Number(r.took) * quantity);
  if (!r.live) throw conflict('flash_sale_not_active');
  if (Number(r.open) === 0) throw soldOut();
  if (Number(r.tallied) === 0) throw overLimit(Number(r.per_buyer_limit));
  if (Number(r.took) === 1) {
    if (Number(r.claimed) === 0) throw conflict('flash_claim_duplicate');
    return;
  }
  const taken = await takeUnits(tx, campaignId, quantity);
  if (!taken) throw soldOut();
  const claim = await tx
    .insert(flashClaims)
    .values({
      id: claimId,
      flashSaleId: campaignId,
      buyerId,
      orderId,
      quantity,
      shards: taken,
      claimedAt: now,
    })
    .onConflictDoNothing({ target: [flashClaims.flashSaleId, flashClaims.orderId] })
    .returning({ id: flashClaims.id });
  if (claim.length === 0) throw conflict('flash_claim_duplicate');
}

/**
 * Takes `quantity` units from the sale's slices (after the buyer's tally, before the claim row, the
 * order every writer here follows) when claimInDatabase's statement found no slice with room that
 * no other transaction holds; answers [[shard, units], ...], or undefined when fewer units are
 * left. When every slice with room is held, waits on one of them (a
 * conditional UPDATE re-checks the room once the holder has committed); when no single slice has
 * room enough (the last units, scattered), locks all slices with room in slice order and spreads the
 * units. Each conditional UPDATE is backed by the slice's CHECK, so no interleaving oversells.
 */
async function takeUnits(tx: Tx, saleId: string, quantity: number): Promise<[number, number][] | undefined> {
  for (;;) {
    const rooms = await tx
      .select({
        shard: flashSaleShards.shard,
        room: sql<number>`(${flashSaleShards.quota} - ${flashSaleShards.claimed})::int`,
      })
      .from(flashSaleShards)
      .where(
        and(eq(flashSaleShards.flashSaleId, saleId), lt(flashSaleShards.claimed, flashSaleShards.quota)),
      );
    if (rooms.reduce((n, r) => n + r.room, 0) < quantity) return undefined;
    const fits = rooms.filter((r) => r.room >= quantity);
    if (fits.length) {
      const pick = fits[randomInt(fits.length)]!;
      const [won] = await tx
        .update(flashSaleShards)
        .set({ claimed: sql`${flashSaleShards.claimed} + ${quantity}` })
        .where(
          and(
            eq(flashSaleShards.flashSaleId, saleId),
            eq(flashSaleShards.shard, pick.shard),
            sql`${flashSaleShards.claimed} + ${quantity} <= ${flashSaleShards.quota}`,
          ),
        )
        .returning({ shard: flashSaleShards.shard });
      if (won) return [[won.shard, quantity]];
      continue; // someone took that slice's room first: look again
    }
    const locked = await tx
      .select({
        shard: flashSaleShards.shard,
        room: sql<number>`(${flashSaleShards.quota} - ${flashSaleShards.claimed})::int`,
      })
      .from(flashSaleShards)
      .where(and(eq(flashSaleShards.flashSaleId, saleId), lt(flashSaleShards.claimed, flashSaleShards.quota)))
      .orderBy(asc(flashSaleShards.shard))
      .for('update');
    if (locked.reduce((n, r) => n + r.room, 0) < quantity) return undefined;
    const plan: [number, number][] = [];
    let need = quantity;
    for (const r of locked) {
      if (need === 0) break;
      const units = Math.min(need, r.room);
      plan.push([r.shard, units]);
      need -= units;
    }
    for (const [shard, units] of plan) await addToShard(tx, saleId, shard, units);
    return plan;
  }
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

/** After the claimer's transaction: settle its admission if the claim committed, refund it if not. */
function followUp(w: GateWiring, saleId: string, orderId: string, now: Date) {
  awaitingOutcome.push({ w, saleId, orderId, now });
  prober ??= runProber();
}

async function runProber(): Promise<void> {
  try {
    await probeLoop();
  } finally {
    // Whatever arrived after the loop's last look gets its own round.
    prober = awaitingOutcome.length ? runProber() : null;
  }
}

/** One probe transaction for everything admitted meanwhile (one per claim would double the load). */
async function probeLoop(): Promise<void> {
  await new Promise((r) => setImmediate(r));
  while (awaitingOutcome.length) {
    const batch = awaitingOutcome.splice(0, 500);
    const w = batch[0]!.w;
    try {
      const absent = await probeClaims(w.db, batch, batch[0]!.now);
      await Promise.all(
        batch.map((i) =>
          absent.has(`${i.saleId} ${i.orderId}`)
            ? i.w.gate.refund(i.saleId, i.orderId)
            : i.w.gate.settle(i.saleId, i.orderId),
        ),
      );
    } catch (err) {
      // Left pending: the sweep resolves them after PENDING_GRACE_MS.
      gateError(err, 'followUp');
    }
  }
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
export async function activeFlashSales(
  tx: Executor,
  skuIds: string[],
  now: Date,
): Promise<Map<string, { id: string; flashPrice: number; perBuyerLimit: number }>> {
  if (skuIds.length === 0) return new Map();
  const rows = await tx
    .select({
      id: flashSales.id,
      skuId: flashSales.skuId,
      flashPrice: flashSales.flashPrice,
      perBuyerLimit: flashSales.perBuyerLimit,
    })
    .from(flashSales)
    .where(
      and(
        inArray(flashSales.skuId, skuIds),
        eq(flashSales.status, 'active'),
        lte(flashSales.startsAt, now),
        gt(flashSales.endsAt, now),
      ),
    );
  return new Map(
    rows.map((r) => [r.skuId, { id: r.id, flashPrice: r.flashPrice, perBuyerLimit: r.perBuyerLimit }]),
  );
}
