import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { describe, expect, it } from 'vitest';

const drizzleDir = fileURLToPath(new URL('../../drizzle', import.meta.url));

/**
 * A database deployed with the first release (migration 0000 only) and holding orders must upgrade
 * to the current schema without losing or inventing anything: the backfills in later migrations
 * give old rows the values the code now expects.
 */
describe('upgrading a deployed database', () => {
  it('keeps orders placed before after-sales existed, with their paid amounts', async () => {
    const first = mkdtempSync(join(tmpdir(), 'jishi-mig-'));
    try {
      cpSync(drizzleDir, first, { recursive: true });
      const journal = JSON.parse(readFileSync(join(first, 'meta/_journal.json'), 'utf8')) as {
        entries: { idx: number }[];
      };
      journal.entries = journal.entries.filter((e) => e.idx === 0);
      writeFileSync(join(first, 'meta/_journal.json'), JSON.stringify(journal));

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
});
