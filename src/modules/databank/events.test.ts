import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, onPostgres, signUp, type TestContext } from '../../../test/helpers';
import { type Database, openDatabase } from '../../db';
import { factsRows } from './aipl';
import { dayLabel, dayOf } from './days';
import { type BehaviourEvent, copyEvents, eventPartitions, insertEvents, partitionName } from './events';
import { makeDatabankMarket } from './testing';

let ctx: TestContext;
let m: Awaited<ReturnType<typeof makeDatabankMarket>>;
let operator: Awaited<ReturnType<typeof signUp>>;

beforeAll(async () => {
  ctx = await makeTestApp({ sessionDays: 3650 });
  m = await makeDatabankMarket(ctx);
  operator = await signUp(ctx, { operator: true });
});
afterAll(async () => ctx?.close());

const at = (hoursAgo: number) => new Date(ctx.clock.now().getTime() - hoursAgo * 3_600_000).toISOString();
let n = 0;
const ev = (patch: Record<string, unknown>) => ({
  id: `e${++n}`,
  kind: 'view',
  occurredAt: at(1),
  consumerId: 'buyer-1',
  productId: m.products.a1,
  ...patch,
});

describe('POST /events', () => {
  it('a recompute before any event answers nothing to rebuild, only for the shop’s own staff', async () => {
    const r = await m.ownerA.post(`/seller/shops/${m.shopA}/databank/recompute`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ rows: 0 });
    expect((await m.ownerB.post(`/seller/shops/${m.shopA}/databank/recompute`)).status).toBe(404);
  });

  it('stores a batch once: a retry with the same ids is a no-op', async () => {
    const batch = [
      ev({ kind: 'view' }),
      ev({ kind: 'favourite' }),
      ev({ kind: 'exposure', productId: m.products.b1 }),
    ];
    const first = await operator.post('/events', { events: batch });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ accepted: 3, duplicates: 0 });
    const again = await operator.post('/events', { events: batch });
    expect(again.body).toEqual({ accepted: 0, duplicates: 3 });
    // The catalogue, not the caller, says which shop, brand and category: facts landed in both scopes.
    const facts = await factsRows(ctx.db, m.shopA);
    expect(facts.map((f) => f.scope).sort()).toEqual([
      `brand:${m.brandA.id}`,
      `category:${m.cats.dresses.id}`,
    ]);
    expect(facts[0]).toMatchObject({ consumerId: 'buyer-1', activeDay: dayOf(ctx.clock.now()) });
  });

  it('names the field of a bad event', async () => {
    const r = await operator.post('/events', {
      events: [ev({}), ev({ productId: 'prod_nope' }), ev({ consumerId: undefined })],
    });
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toContain('application/problem+json');
    const paths = r.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(['/events/1/productId', '/events/2/consumerId']);
    const future = await operator.post('/events', { events: [ev({ occurredAt: at(-2) })] });
    expect(future.status).toBe(400);
    expect(future.body.errors[0].path).toBe('/events/0/occurredAt');
    const kind = await operator.post('/events', { events: [ev({ kind: 'teleport' })] });
    expect(kind.status).toBe(400);
    expect(JSON.stringify(kind.body.errors)).toContain('/events/0/kind');
    const purchase = await operator.post('/events', { events: [ev({ kind: 'purchase' })] });
    expect(purchase.body.errors[0].path).toBe('/events/0/amount');
  });

  it('takes at most 1,000 events a batch', async () => {
    const many = Array.from({ length: 1001 }, () => ev({}));
    const r = await operator.post('/events', { events: many });
    expect(r.status).toBe(400);
    const ok = await operator.post('/events', { events: many.slice(0, 1000) });
    expect(ok.status).toBe(200);
    expect(ok.body.accepted).toBe(1000);
  });

  it('a merchant writes only for its own shop; a buyer not at all', async () => {
    const own = await m.ownerA.post('/events', { events: [ev({ productId: m.products.a2 })] });
    expect(own.status).toBe(200);
    const other = await m.ownerA.post('/events', { events: [ev({ productId: m.products.b1 })] });
    expect(other.status).toBe(400);
    expect(other.body.errors[0]).toMatchObject({ path: '/events/0/productId' });
    const shopOnly = await m.ownerA.post('/events', {
      events: [ev({ productId: undefined, shopId: m.shopB, kind: 'follow' })],
    });
    expect(shopOnly.body.errors[0]).toMatchObject({ path: '/events/0/shopId' });
    const buyer = await signUp(ctx);
    expect((await buyer.post('/events', { events: [ev({})] })).status).toBe(403);
  });
});

describe('anonymous devices', () => {
  it('a device’s events become the buyer’s when they log in, and later ones go straight to them', async () => {
    const buyer = await signUp(ctx);
    const device = `dev-${Math.random().toString(36).slice(2)}`;
    await operator.post('/events', {
      events: [
        ev({ consumerId: undefined, deviceId: device, kind: 'view', occurredAt: at(30) }),
        ev({ consumerId: undefined, deviceId: device, kind: 'cart', productId: m.products.a3 }),
      ],
    });
    let facts = await factsRows(ctx.db, m.shopA);
    expect(facts.filter((f) => f.consumerId === `d:${device}`).length).toBeGreaterThan(0);
    const merged = await buyer.post('/events/identify', { deviceId: device });
    expect(merged.body).toEqual({ merged: 2 });
    facts = await factsRows(ctx.db, m.shopA);
    expect(facts.filter((f) => f.consumerId === `d:${device}`)).toEqual([]);
    const mine = facts.filter((f) => f.consumerId === buyer.accountId);
    expect(mine.map((f) => f.scope).sort()).toEqual(
      [`brand:${m.brandA.id}`, `brand:${m.brandB.id}`, `category:${m.cats.dresses.id}`].sort(),
    );
    await operator.post('/events', {
      events: [ev({ consumerId: undefined, deviceId: device, kind: 'share' })],
    });
    const after = (await factsRows(ctx.db, m.shopA)).find(
      (f) => f.consumerId === buyer.accountId && f.scope === `brand:${m.brandA.id}`,
    );
    expect(after?.praiseDay).toBe(dayOf(ctx.clock.now()));
    // Another buyer cannot take the device over.
    const other = await signUp(ctx);
    expect((await other.post('/events/identify', { deviceId: device })).status).toBe(409);
    expect((await buyer.post('/events/identify', { deviceId: device })).body).toEqual({ merged: 0 });
  });
});

describe('day partitions and retention', () => {
  it('stores each day in its own partition and drops whole days past the retention', async () => {
    const old = new Date(ctx.clock.now().getTime() - 40 * 86_400_000);
    await operator.post('/events', { events: [ev({ occurredAt: old.toISOString() })] });
    const days = await eventPartitions(ctx.db);
    expect(days).toContain(dayOf(old));
    expect(days).toContain(dayOf(ctx.clock.now()));
    const [row] = (
      (await ctx.db.execute(
        sql.raw(`select count(*)::int as n from ${partitionName(dayOf(old))}`),
      )) as unknown as {
        rows: { n: number }[];
      }
    ).rows;
    expect(row?.n).toBe(1);

    const set = await operator.put('/admin/databank/settings', { retentionDays: 30 });
    expect(set.status).toBe(200);
    expect((await m.ownerA.put('/admin/databank/settings', { retentionDays: 30 })).status).toBe(403);
    // The daily run (a durable deadline) drops the old day and makes the next week's partitions.
    await ctx.advance({ days: 1 });
    const after = await eventPartitions(ctx.db);
    expect(after).not.toContain(dayOf(old));
    const today = dayOf(ctx.clock.now());
    for (let d = today; d <= today + 7; d++) expect(after, dayLabel(d)).toContain(d);
    // Older than the retention is refused at the door.
    const stale = await operator.post('/events', {
      events: [ev({ occurredAt: new Date(ctx.clock.now().getTime() - 31 * 86_400_000).toISOString() })],
    });
    expect(stale.status).toBe(400);
    expect(stale.body.errors[0].path).toBe('/events/0/occurredAt');
  });
});

describe('tenancy of the data bank', () => {
  it('a shop sees only its own consumers', async () => {
    const mine = await m.ownerA.get(`/seller/shops/${m.shopA}/databank/funnel`);
    expect(mine.status).toBe(200);
    expect(mine.body.scopes.length).toBeGreaterThan(0);
    expect((await m.ownerB.get(`/seller/shops/${m.shopA}/databank/funnel`)).status).toBe(404);
    expect((await m.ownerB.get(`/seller/shops/${m.shopA}/crm/layers`)).status).toBe(404);
    expect((await m.ownerB.get(`/seller/shops/${m.shopA}/segments`)).status).toBe(404);
    const buyer = await signUp(ctx);
    expect((await buyer.get(`/seller/shops/${m.shopA}/databank/funnel`)).status).toBe(403);
    // Shop B's funnel never counts shop A's consumers of the same brand.
    const b = await m.ownerB.get(`/seller/shops/${m.shopB}/databank/funnel?scope=brand:${m.brandB.id}`);
    const a = await m.ownerA.get(`/seller/shops/${m.shopA}/databank/funnel?scope=brand:${m.brandB.id}`);
    expect(b.body.scopes[0].total).toBe(1);
    expect(a.body.scopes[0].total).toBe(1);
    // A recompute of one shop rebuilds the same rows it had.
    const before = await factsRows(ctx.db, m.shopA);
    const rebuilt = await m.ownerA.post(`/seller/shops/${m.shopA}/databank/recompute`);
    expect(rebuilt.body).toEqual({ rows: before.length });
    expect(await factsRows(ctx.db, m.shopA)).toEqual(before);
    expect((await factsRows(ctx.db, m.shopB)).length).toBeGreaterThan(0);
  });
});

describe('copyEvents (the bulk path)', () => {
  const stored = async () =>
    (
      (await ctx.db.execute(sql`
        select id, (extract(epoch from occurred_at) * 1000)::bigint::text as at, day, kind, consumer_id,
          device_id, shop_id, product_id, sku_id, brand_id, category_id, channel, region, quantity,
          amount::text as amount, rating, source, (extract(epoch from received_at) * 1000)::bigint::text as received
        from databank_events where source = 'bulk' order by id`)) as unknown as {
        rows: Record<string, unknown>[];
      }
    ).rows;

  it('stores every field as given, and a second load of the same events stores nothing', async () => {
    const now = ctx.clock.now();
    const base = {
      deviceId: null,
      shopId: m.shopA,
      productId: m.products.a1,
      skuId: null,
      brandId: m.brandA.id,
      categoryId: m.cats.dresses.id,
      channel: 'import',
      region: null,
      quantity: null,
      amount: null,
      rating: null,
      source: 'bulk',
    };
    const events: BehaviourEvent[] = [
      // Text that COPY's text format would have to escape, and characters beyond ASCII.
      {
        ...base,
        id: 'bulk-1',
        kind: 'view',
        occurredAt: new Date(now.getTime() - 3_600_123),
        consumerId: 'tab\there\\x',
      },
      {
        ...base,
        id: 'bulk-2',
        kind: 'purchase',
        // Before 2000 (a negative binary timestamp), in a day partition of its own.
        occurredAt: new Date('1999-12-31T23:59:59.999Z'),
        consumerId: 'd:设备\n1',
        deviceId: '设备\n1',
        skuId: 'sku-1',
        region: '浙江',
        quantity: 2,
        amount: 2 ** 40 + 7,
      },
      {
        ...base,
        id: 'bulk-3',
        kind: 'review',
        occurredAt: now,
        consumerId: 'buyer-r',
        rating: -1,
        amount: -12,
      },
    ];
    expect(await copyEvents(ctx.database, [events.slice(0, 2), events.slice(2)], now, 2)).toBe(3);
    expect(await stored()).toEqual(
      events.map((e) => ({
        id: e.id,
        at: String(e.occurredAt.getTime()),
        day: dayOf(e.occurredAt),
        kind: e.kind,
        consumer_id: e.consumerId,
        device_id: e.deviceId,
        shop_id: e.shopId,
        product_id: e.productId,
        sku_id: e.skuId,
        brand_id: e.brandId,
        category_id: e.categoryId,
        channel: e.channel,
        region: e.region,
        quantity: e.quantity,
        amount: e.amount === null ? null : String(e.amount),
        rating: e.rating,
        source: 'bulk',
        received: String(now.getTime()),
      })),
    );
    // A re-run (the same file loaded twice) stores none of them again, in batches of any size.
    expect(await copyEvents(ctx.database, [events], now, 2)).toBe(0);
    expect(await copyEvents(ctx.database, [[{ ...events[0]!, id: 'bulk-4' }, events[1]!]], now, 2)).toBe(1);
    expect((await stored()).map((r) => r.id)).toEqual(['bulk-1', 'bulk-2', 'bulk-3', 'bulk-4']);
  });

  const bulkEvent = (id: string, occurredAt: Date): BehaviourEvent => ({
    id,
    kind: 'view',
    occurredAt,
    consumerId: 'buyer-staged',
    deviceId: null,
    shopId: m.shopA,
    productId: m.products.a1,
    skuId: null,
    brandId: m.brandA.id,
    categoryId: m.cats.dresses.id,
    channel: 'import',
    region: null,
    quantity: null,
    amount: null,
    rating: null,
    source: 'bulk',
  });
  const loadTables = async () =>
    (
      (await ctx.db.execute(
        sql`select relname from pg_class where relname like 'databank_load_%'`,
      )) as unknown as { rows: unknown[] }
    ).rows;
  const indexesOf = async (table: string) =>
    (
      (await ctx.db.execute(
        sql`select indexname from pg_indexes where tablename = ${table} order by indexname`,
      )) as unknown as { rows: { indexname: string }[] }
    ).rows.map((r) => r.indexname);

  it('loads days new to the store as whole partitions with their indexes; an id repeated in the load is stored once', async () => {
    const day1 = new Date('1998-06-01T10:00:00+08:00');
    const day2 = new Date('1998-06-02T10:00:00+08:00');
    const events = [
      bulkEvent('staged-1', day1),
      bulkEvent('staged-2', day2),
      bulkEvent('staged-3', day2),
      bulkEvent('staged-1', day1),
    ];
    const now = ctx.clock.now();
    expect(await copyEvents(ctx.database, [events.slice(0, 2), events.slice(2)], now, 2)).toBe(3);
    const days = await eventPartitions(ctx.db);
    expect(days).toContain(dayOf(day1));
    expect(days).toContain(dayOf(day2));
    if (ctx.database.kind === 'postgres') {
      // Attached with the indexes a partition made by the store itself has, and nothing staged is left.
      expect(await indexesOf(partitionName(dayOf(day2)))).toEqual([
        `${partitionName(dayOf(day2))}_consumer_id_idx`,
        `${partitionName(dayOf(day2))}_pkey`,
        `${partitionName(dayOf(day2))}_shop_id_idx`,
      ]);
      expect(await loadTables()).toEqual([]);
      // A store made before the shop index lost its day column: a staged day gets the store's index.
      await ctx.db.execute(sql`drop index databank_events_shop`);
      await ctx.db.execute(sql`create index databank_events_shop on databank_events (shop_id, day)`);
      try {
        const day3 = new Date('1998-06-03T10:00:00+08:00');
        expect(await copyEvents(ctx.database, [[bulkEvent('staged-4', day3)]], now, 2)).toBe(1);
        expect(await indexesOf(partitionName(dayOf(day3)))).toEqual([
          `${partitionName(dayOf(day3))}_consumer_id_idx`,
          `${partitionName(dayOf(day3))}_pkey`,
          `${partitionName(dayOf(day3))}_shop_id_day_idx`,
        ]);
      } finally {
        await ctx.db.execute(sql`drop index databank_events_shop`);
        await ctx.db.execute(sql`create index databank_events_shop on databank_events (shop_id)`);
      }
    }
    // Ids are unique in the attached day: a second load stores nothing.
    expect(await copyEvents(ctx.database, [events], now, 2)).toBe(0);
    const ids = (await stored()).map((r) => r.id).filter((id) => String(id).startsWith('staged-'));
    expect(ids).toEqual(
      ctx.database.kind === 'postgres'
        ? ['staged-1', 'staged-2', 'staged-3', 'staged-4']
        : ['staged-1', 'staged-2', 'staged-3'],
    );
  });

  it('a day whose partition another writer made during the load keeps both writers’ events once', async () => {
    const day = new Date('1998-07-01T10:00:00+08:00');
    const now = ctx.clock.now();
    async function* batches() {
      yield [bulkEvent('raced-1', day), bulkEvent('raced-2', day)];
      // Another writer stores an event of the same day, making its partition; the load repeats it.
      await ctx.db.transaction((tx) => insertEvents(tx, [bulkEvent('raced-0', day)], now));
      yield [bulkEvent('raced-3', day), bulkEvent('raced-0', day)];
    }
    expect(await copyEvents(ctx.database, batches(), now, 1)).toBe(3);
    const ids = (await stored()).map((r) => r.id).filter((id) => String(id).startsWith('raced-'));
    expect(ids).toEqual(['raced-0', 'raced-1', 'raced-2', 'raced-3']);
    if (ctx.database.kind === 'postgres') expect(await loadTables()).toEqual([]);
  });

  // A load killed with its process (its connections cut by the server) cannot drop its own staging
  // tables; the next load drops them, but never those of a load still running.
  it.runIf(onPostgres)(
    'the next load drops the staging tables of a killed load and keeps those of a running one',
    async () => {
      const now = ctx.clock.now();
      const url = (name: string) => {
        const u = new URL(ctx.database.url!);
        u.searchParams.set('application_name', name);
        return u.toString();
      };
      const gate = () => {
        let open = () => {};
        const opened = new Promise<void>((resolve) => {
          open = resolve;
        });
        return { opened, open };
      };
      // A load that stops after its first batch until its gate opens.
      async function* stalled(prefix: string, day: Date, wait: Promise<void>) {
        yield [bulkEvent(`${prefix}-1`, day)];
        await wait;
        yield [bulkEvent(`${prefix}-2`, day)];
      }
      const killedDay = new Date('1998-09-01T10:00:00+08:00');
      const liveDay = new Date('1998-09-02T10:00:00+08:00');
      const killed = await openDatabase({ databaseUrl: url('jishi-killed-load'), poolSize: 3 });
      const running: Database = await openDatabase({ databaseUrl: url('jishi-running-load'), poolSize: 3 });
      const live = gate();
      // The killed load's gate never opens: the process is gone.
      void copyEvents(killed, stalled('killed', killedDay, new Promise(() => {})), now, 1).catch(() => {});
      const liveLoad = copyEvents(running, stalled('live', liveDay, live.opened), now, 1);
      // The staging tables, in day order (their names end with the day).
      const names = async () =>
        ((await loadTables()) as { relname: string }[])
          .map((r) => r.relname)
          .sort((a, b) => a.slice(-8).localeCompare(b.slice(-8)));
      for (let i = 0; i < 200 && (await names()).length < 2; i++) await new Promise((r) => setTimeout(r, 25));
      expect(await names()).toEqual([
        expect.stringMatching(/_19980901$/),
        expect.stringMatching(/_19980902$/),
      ]);
      // Killing the process: the server ends its sessions, and with them the lock of its load. A
      // session leaves pg_stat_activity before its locks are released, so this waits for the locks.
      const pids = (
        (await ctx.db.execute(
          sql`select pid from pg_stat_activity where application_name = 'jishi-killed-load'`,
        )) as unknown as { rows: { pid: number }[] }
      ).rows.map((r) => r.pid);
      expect(pids.length).toBeGreaterThan(0);
      await ctx.db.execute(
        sql`select pg_terminate_backend(pid) from unnest(${`{${pids.join(',')}}`}::int[]) pid`,
      );
      for (let i = 0; i < 400; i++) {
        const [left] = (
          (await ctx.db.execute(
            sql`select count(*)::int as n from pg_locks where pid = any(${`{${pids.join(',')}}`}::int[])`,
          )) as unknown as { rows: { n: number }[] }
        ).rows;
        if (left?.n === 0) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(
        await copyEvents(
          ctx.database,
          [[bulkEvent('after-kill', new Date('1998-09-03T10:00:00+08:00'))]],
          now,
          1,
        ),
      ).toBe(1);
      expect(await names()).toEqual([expect.stringMatching(/_19980902$/)]);
      // The running load was not disturbed: it finishes with both its batches.
      live.open();
      expect(await liveLoad).toBe(2);
      expect(await names()).toEqual([]);
      const ids = (await stored()).map((r) => String(r.id));
      expect(ids.filter((id) => /^(killed|live|after)-/.test(id))).toEqual([
        'after-kill',
        'live-1',
        'live-2',
      ]);
      expect(await eventPartitions(ctx.db)).not.toContain(dayOf(killedDay));
      await running.close();
    },
  );

  it('refuses an amount that is not a whole number of fen, storing nothing of its batch', async () => {
    const now = ctx.clock.now();
    const bad: BehaviourEvent = {
      id: 'bulk-bad',
      kind: 'purchase',
      occurredAt: now,
      consumerId: 'buyer-bad',
      deviceId: null,
      shopId: m.shopA,
      productId: m.products.a1,
      skuId: null,
      brandId: null,
      categoryId: null,
      channel: 'import',
      region: null,
      quantity: 1,
      amount: 12.5,
      rating: null,
      source: 'bulk',
    };
    await expect(
      copyEvents(ctx.database, [[{ ...bad, id: 'bulk-ok', amount: 100 }, bad]], now, 1),
    ).rejects.toThrow();
    expect((await stored()).map((r) => r.id)).not.toContain('bulk-ok');
    // Refused in a day new to the store. On PostgreSQL such days are staged for the whole load, so
    // nothing of the load stays, not even the batch before, nor any staging table.
    const old = new Date('1998-08-01T10:00:00+08:00');
    const loads =
      ctx.database.kind === 'postgres'
        ? [[{ ...bad, id: 'bulk-ok-2', amount: 100, occurredAt: old }], [{ ...bad, occurredAt: old }]]
        : [
            [
              { ...bad, id: 'bulk-ok-2', amount: 100, occurredAt: old },
              { ...bad, occurredAt: old },
            ],
          ];
    await expect(copyEvents(ctx.database, loads, now, 1)).rejects.toThrow();
    expect((await stored()).map((r) => r.id)).not.toContain('bulk-ok-2');
    if (ctx.database.kind === 'postgres') expect(await loadTables()).toEqual([]);
  });
});
