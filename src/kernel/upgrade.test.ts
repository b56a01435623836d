import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { onPostgres, PG_ADMIN_URL } from '../../test/helpers';

const drizzleDir = fileURLToPath(new URL('../../drizzle', import.meta.url));

/** A copy of the migrations folder whose journal stops at migration `last`: a database of that release. */
function migrationsUpTo(last: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'jishi-mig-'));
  cpSync(drizzleDir, dir, { recursive: true });
  const journal = JSON.parse(readFileSync(join(dir, 'meta/_journal.json'), 'utf8')) as {
    entries: { idx: number }[];
  };
  journal.entries = journal.entries.filter((e) => e.idx <= last);
  writeFileSync(join(dir, 'meta/_journal.json'), JSON.stringify(journal));
  return dir;
}

/** An empty database of the one the suite runs on: an in-memory PGlite, or a new database on the server. */
async function emptyDatabase() {
  if (!onPostgres) {
    const client = new PGlite();
    const db = drizzle(client);
    return {
      query: async <T>(text: string) => (await client.query<T>(text)).rows,
      migrate: (migrationsFolder: string) => migrate(db, { migrationsFolder }),
      close: () => client.close(),
    };
  }
  const name = `jishi_t_${randomBytes(6).toString('hex')}`;
  const admin = async (text: string) => {
    const a = new pg.Client({ connectionString: PG_ADMIN_URL });
    await a.connect();
    await a.query(text);
    await a.end();
  };
  await admin(`create database ${name}`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  const db = drizzleNodePg(client);
  return {
    query: async <T>(text: string) => (await client.query(text)).rows as T[],
    migrate: (migrationsFolder: string) => migrateNodePg(db, { migrationsFolder }),
    async close() {
      await client.end();
      await admin(`drop database if exists ${name} with (force)`);
    },
  };
}

/**
 * A database deployed with the first release (migration 0000 only) and holding orders must upgrade
 * to the current schema without losing or inventing anything: the backfills in later migrations
 * give old rows the values the code now expects.
 */
describe('upgrading a deployed database', () => {
  it('keeps orders placed before after-sales existed, with their paid amounts', async () => {
    const first = migrationsUpTo(0);
    try {
      const client = new PGlite();
      const db = drizzle(client);
      await migrate(db, { migrationsFolder: first });
      await client.exec(`
        insert into orders (id, buyer_id, shop_id, shop_kind, rules_version, payment_id, status, total, address, created_at)
        values ('ord_old', 'acct_b', 'shop_s', 'market', 1, 'pay_p', 'paid', 500, '{}', now());
        insert into order_lines (id, order_id, sku_id, product_id, category_id, title, attributes, unit_price, quantity, line_total, reservation_id)
        values ('oln_old', 'ord_old', 'sku_k', 'prd_p', 'cat_c', '旧订单', '{}', 250, 2, 500, 'rsv_r');
      `);
      await migrate(db, { migrationsFolder: drizzleDir });
      const { rows } = await client.query<Record<string, unknown>>(
        `select l.paid_amount, l.refunded_quantity, l.refunded_amount, o.return_insurance, o.points_amount
           from order_lines l join orders o on o.id = l.order_id`,
      );
      expect(rows).toEqual([
        {
          paid_amount: 500,
          refunded_quantity: 0,
          refunded_amount: 0,
          return_insurance: 'none',
          points_amount: 0,
        },
      ]);
      await client.close();
    } finally {
      rmSync(first, { recursive: true, force: true });
    }
  });

  // Migration 0008 wrote a sales tier word (s:<n>) into every vector and 0011 takes them out again:
  // a product listed before 0008 ends with the vector it had, and one without the word is not rewritten.
  it('leaves no sales tier word in any search vector, and every other word where it was', async () => {
    const before = migrationsUpTo(7);
    const tiers = migrationsUpTo(10);
    const database = await emptyDatabase();
    try {
      await database.migrate(before);
      const product = (id: string, sales: number, words: string) => `
        insert into products (id, shop_id, category_id, title, status, min_price, max_price, sales_count,
          search_vector, created_at, updated_at)
        values ('${id}', 'shop_s', 'cat_c', '碎花连衣裙', 'published', 9900, 9900, ${sales},
          setweight(to_tsvector('simple', '碎花 连衣裙 连衣 衣裙'), 'A')
            || array_to_tsvector(array[${words}]), now(), now())`;
      await database.query(`insert into categories (id, name_zh, name_en, slug, path, created_at, updated_at)
        values ('cat_c', '连衣裙', 'Dresses', 'dresses', '/cat_c/', now(), now())`);
      await database.query(product('prd_old', 100, `'c:cat_c', 'p:53', 'c:cat_c:53'`));
      const vectors = () =>
        database.query<{ id: string; v: string; x: string; sales: number }>(
          'select id, search_vector::text as v, xmin::text as x, sales_count as sales from products order by id',
        );
      const [old] = await vectors();
      await database.migrate(tiers);
      expect((await vectors())[0]?.v).toContain("'s:6'");
      // A vector without the word, as the code writes them now: 0011 leaves its row as it is (same xmin).
      await database.query(product('prd_new', 7, `'c:cat_c', 'p:53', 'c:cat_c:53'`));
      const fresh = (await vectors()).find((r) => r.id === 'prd_new');

      await database.migrate(drizzleDir);
      const words = await database.query<{ n: number }>(
        `select count(*)::int as n from products, unnest(search_vector) u where u.lexeme like 's:%'`,
      );
      expect(words[0]?.n).toBe(0);
      expect(await vectors()).toEqual([
        { id: 'prd_new', v: fresh?.v, x: fresh?.x, sales: 7 },
        { id: 'prd_old', v: old?.v, x: expect.any(String), sales: 100 },
      ]);
    } finally {
      await database.close();
      for (const dir of [before, tiers]) rmSync(dir, { recursive: true, force: true });
    }
  });
});
