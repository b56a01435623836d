import { sql } from 'drizzle-orm';
import { bigint, customType, index, integer, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { tstz } from '../../kernel/schema';
import { STAGES_OR_NONE } from './aipl-rules';

// The behaviour events themselves live in `databank_events`, a table partitioned by day. Drizzle
// cannot declare partitioning, so events.ts creates it (and its partitions) itself; see
// ensureEventStore there. Everything below is an ordinary table.

/**
 * What the data bank knows of each product: its shop, brand, category and launch, kept from the
 * catalogue's events so an event only needs to name the product.
 */
export const databankItems = pgTable(
  'databank_items',
  {
    productId: text('product_id').primaryKey(),
    shopId: text('shop_id').notNull(),
    brandId: text('brand_id'),
    categoryId: text('category_id').notNull(),
    createdAt: tstz('created_at').notNull(),
  },
  (t) => [index('databank_items_shop').on(t.shopId, t.productId)],
);

/** An anonymous device that logged in: its events belong to the buyer from then on. */
export const databankDevices = pgTable('databank_devices', {
  deviceId: text('device_id').primaryKey(),
  buyerId: text('buyer_id').notNull(),
  linkedAt: tstz('linked_at').notNull(),
});

/** Platform settings of the data bank (one row). */
export const databankSettings = pgTable('databank_settings', {
  id: integer('id').primaryKey(),
  /** Raw events older than this many days are dropped, a day partition at a time. */
  retentionDays: integer('retention_days').notNull(),
  updatedAt: tstz('updated_at').notNull(),
});

/**
 * Text compared as bytes (COLLATE "C"), for ids: they are never sorted for people, and a key of
 * them is then built and searched with memcmp instead of the database's collation (a full rebuild
 * of the AIPL facts' key: about a quarter less time). Equality is the same under both.
 */
const idText = customType<{ data: string }>({ dataType: () => 'text collate "C"' });

/**
 * The facts AIPL needs about one consumer in one scope of one shop (`brand:<id>` or
 * `category:<id>`), as China-time day numbers. Each field is a maximum or a bounded set union, so
 * applying events in any order, in batches or all at once gives the same row.
 */
export const aiplFacts = pgTable(
  'aipl_facts',
  {
    shopId: idText('shop_id').notNull(),
    scope: idText('scope').notNull(),
    consumerId: idText('consumer_id').notNull(),
    /** Last passive contact (exposure, a category search). */
    exposureDay: integer('exposure_day'),
    /** The two latest distinct days with a product view: one day is awareness, two are interest. */
    viewDays: integer('view_days').array().notNull().default(sql`'{}'::integer[]`),
    /** Last active contact (click, brand search, favourite, cart, follow, join). */
    activeDay: integer('active_day'),
    /** Distinct purchase days, newest first, within PURCHASE_DAYS_KEPT of the newest. */
    purchaseDays: integer('purchase_days').array().notNull().default(sql`'{}'::integer[]`),
    /** Last positive review or share. */
    praiseDay: integer('praise_day'),
    /** Fen spent (purchases), for segments. */
    spend: bigint('spend', { mode: 'number' }).notNull().default(0),
    // The few days that decide the stage, derived from the facts above, so that a stage on a day
    // after all of them is arithmetic on integers (stageSql), not array work: awareness is aware_day
    // within its window, interest interest_day, purchase purchase_day, loyalty (two purchase days,
    // the default rule) loyal_day. Plain columns that every writer fills with the expressions given
    // here (upsertFacts and factsOfEventsSql in aipl.ts): as generated columns they cost the rebuild
    // a second forming of each of its 9M rows. stage-sql.test.ts checks them against the expressions.
    /**
     * The newest day of any fact, greatest(exposure_day, view_days[1], active_day, purchase_days[1],
     * praise_day): on or after it, the four days below decide the stage.
     */
    lastDay: integer('last_day'),
    /** greatest(exposure_day, view_days[1]) */
    awareDay: integer('aware_day'),
    /** greatest(active_day, view_days[2]) */
    interestDay: integer('interest_day'),
    /** purchase_days[1] */
    purchaseDay: integer('purchase_day'),
    /** greatest(praise_day, purchase_days[2]) */
    loyalDay: integer('loyal_day'),
  },
  (t) => [primaryKey({ columns: [t.shopId, t.scope, t.consumerId] })],
);

/** Stage counts per scope and day, written by the daily snapshot: consumer assets over time. */
export const aiplDaily = pgTable(
  'aipl_daily',
  {
    shopId: text('shop_id').notNull(),
    scope: text('scope').notNull(),
    day: integer('day').notNull(),
    awareness: integer('awareness').notNull(),
    interest: integer('interest').notNull(),
    purchase: integer('purchase').notNull(),
    loyalty: integer('loyalty').notNull(),
  },
  (t) => [primaryKey({ columns: [t.shopId, t.scope, t.day] })],
);

/**
 * A consumer's stage as a step function: a row on each snapshot day the stage changed (`none` when
 * they dropped out), with the stage it changed from. The stage on day D is the latest row at or
 * before D. A flow between two days reads only the rows between them (keyed by day first) and the
 * day's counts in aipl_daily for everyone who did not change. Both stages are in the key so that
 * it reads the key alone (an index-only scan); a day still has one row per consumer, as the
 * snapshot of a day is taken once.
 */
export const aiplStageChanges = pgTable(
  'aipl_stage_changes',
  {
    shopId: text('shop_id').notNull(),
    scope: text('scope').notNull(),
    consumerId: text('consumer_id').notNull(),
    day: integer('day').notNull(),
    stage: text('stage', { enum: STAGES_OR_NONE }).notNull(),
    /** The stage before this change (`none` for a consumer new to the scope). */
    fromStage: text('from_stage', { enum: STAGES_OR_NONE }).notNull().default('none'),
  },
  (t) => [
    primaryKey({
      name: 'aipl_stage_changes_key',
      columns: [t.shopId, t.scope, t.day, t.consumerId, t.stage, t.fromStage],
    }),
  ],
);

/** The days whose snapshot is complete, every shop taken (a flow needs both of its days taken). */
export const aiplSnapshotDays = pgTable('aipl_snapshot_days', {
  day: integer('day').primaryKey(),
  takenAt: tstz('taken_at').notNull(),
});

/**
 * The shops still to be snapshotted for a day. A day's snapshot is taken a few shops per transaction
 * (takeSnapshotPart), each removing its shops from here with their rows, so no transaction runs for
 * the minutes a whole market takes; the day is complete, and marked in aipl_snapshot_days, when its
 * last shop is gone from here. A shop whose snapshot failed stays here with the error until a retry
 * succeeds (operations.md: what to monitor).
 */
export const aiplSnapshotQueue = pgTable(
  'aipl_snapshot_queue',
  {
    day: integer('day').notNull(),
    shopId: text('shop_id').notNull(),
    /** Failed tries of this shop's day: it stays queued (its later days wait) and the others go on. */
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    /** Not tried again before this time (2, 4, 8 ... seconds after each failure, at most an hour). */
    retryAt: tstz('retry_at'),
  },
  (t) => [primaryKey({ columns: [t.day, t.shopId] })],
);

/**
 * A consumer's relation with a shop (CRM layers): when each kind of contact last happened. The
 * layer is the strongest that applies.
 */
export const crmRelations = pgTable(
  'crm_relations',
  {
    shopId: text('shop_id').notNull(),
    consumerId: text('consumer_id').notNull(),
    visitedAt: tstz('visited_at'),
    interactedAt: tstz('interacted_at'),
    followedAt: tstz('followed_at'),
    /** The shop's service staff added the fan back (mutual). */
    friendAt: tstz('friend_at'),
    boughtAt: tstz('bought_at'),
    /** Purchase events (order lines) at the shop. */
    purchases: integer('purchases').notNull().default(0),
    spend: bigint('spend', { mode: 'number' }).notNull().default(0),
    /** Province-level region from the latest event that had one; never an address. */
    region: text('region'),
    lastSeenAt: tstz('last_seen_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.shopId, t.consumerId] })],
);

/**
 * A membership programme: one shop's, or shared by several shops where a mall operator allows it.
 * Levels are reached by spend across the programme's shops.
 */
export const membershipProgrammes = pgTable('membership_programmes', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  ownerShopId: text('owner_shop_id').notNull(),
  /** [{ name, minSpend (fen) }], ascending by minSpend, the first at 0. */
  levels: jsonb('levels').$type<{ name: string; minSpend: number }[]>().notNull(),
  createdAt: tstz('created_at').notNull(),
});

export const membershipProgrammeShops = pgTable(
  'membership_programme_shops',
  {
    programmeId: text('programme_id').notNull(),
    shopId: text('shop_id').notNull().unique(),
    addedAt: tstz('added_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.programmeId, t.shopId] })],
);

export const memberships = pgTable(
  'memberships',
  {
    programmeId: text('programme_id').notNull(),
    buyerId: text('buyer_id').notNull(),
    joinedAt: tstz('joined_at').notNull(),
    joinedViaShopId: text('joined_via_shop_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.programmeId, t.buyerId] })],
);

/** A saved audience: a filter over stage, layer, category interest, recency, spend and region. */
export const segments = pgTable(
  'segments',
  {
    id: text('id').primaryKey(),
    shopId: text('shop_id').notNull(),
    name: text('name').notNull(),
    filter: jsonb('filter').$type<Record<string, unknown>>().notNull(),
    createdAt: tstz('created_at').notNull(),
  },
  (t) => [index('segments_shop').on(t.shopId, t.createdAt, t.id)],
);
