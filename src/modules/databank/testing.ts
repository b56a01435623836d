// Test fixtures for the data bank suites. Not used by production code.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll } from 'vitest';
import { makeTestApp, signUp, type TestContext } from '../../../test/helpers';
import { dispatchOutbox } from '../../kernel/outbox';
import { listProduct, makeBrand, makeCategories, makeShop } from '../catalog/testing';

export const SLICE = new URL('./fixtures/userbehavior-slice.csv', import.meta.url).pathname;

/**
 * Delivers every outbox event written so far to every consumer. On a shared PostgreSQL server an
 * event stays invisible while any older transaction in the cluster (another suite's) is open, so
 * "nothing delivered" is not "caught up": this waits until every consumer is past the last event.
 */
export async function drainOutbox(ctx: TestContext): Promise<void> {
  const [last] = (
    (await ctx.db.execute(
      sql`select tx_id::text as tx, id from outbox_events order by tx_id desc, id desc limit 1`,
    )) as unknown as { rows: { tx: string; id: number }[] }
  ).rows;
  for (let i = 0; i < 1000; i++) {
    await dispatchOutbox(ctx.db);
    if (!last) return;
    const [behind] = (
      (await ctx.db.execute(
        sql`select count(*)::int as n from outbox_consumers where (position_tx, position_id) < (${last.tx}::xid8, ${last.id})`,
      )) as unknown as { rows: { n: number }[] }
    ).rows;
    if (behind?.n === 0) return;
    // Real time, not the test clock: the database's visibility horizon moves when the other transaction ends.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('outbox consumers did not catch up');
}

/**
 * Two shops selling products of two brands in two categories (and one unbranded product), known to
 * the data bank through the catalogue's events.
 */
export async function makeDatabankMarket(ctx: TestContext) {
  const cats = await makeCategories(ctx);
  const suffix = Math.random().toString(36).slice(2, 7);
  const brandA = await makeBrand(ctx, `安踏${suffix}`, `Anta${suffix}`);
  const brandB = await makeBrand(ctx, `李宁${suffix}`, `Li Ning${suffix}`);
  const ownerA = await signUp(ctx);
  const ownerB = await signUp(ctx);
  const shopA = await makeShop(ctx, ownerA, 'mall');
  const shopB = await makeShop(ctx, ownerB, 'market');
  const list = async (owner: typeof ownerA, shopId: string, categoryId: string, brandId?: string) =>
    (
      await listProduct(owner, shopId, {
        title: `商品 ${Math.random().toString(36).slice(2, 6)}`,
        categoryId,
        brandId,
      })
    ).id;
  const products = {
    a1: await list(ownerA, shopA, cats.dresses.id, brandA.id),
    a2: await list(ownerA, shopA, cats.shirts.id, brandA.id),
    a3: await list(ownerA, shopA, cats.dresses.id, brandB.id),
    b1: await list(ownerB, shopB, cats.headphones.id, brandB.id),
    b2: await list(ownerB, shopB, cats.phones.id),
  };
  await drainOutbox(ctx);
  return { cats, brandA, brandB, ownerA, ownerB, shopA, shopB, products };
}

export type DatabankMarket = Awaited<ReturnType<typeof makeDatabankMarket>>;

/**
 * A suite's test app with the data bank market and an operator, made before its tests and closed
 * after them; `use` receives them once made.
 */
export function databankSuite(
  use: (suite: { ctx: TestContext; m: DatabankMarket; operator: Awaited<ReturnType<typeof signUp>> }) => void,
): void {
  let ctx: TestContext | undefined;
  beforeAll(async () => {
    ctx = await makeTestApp({ sessionDays: 3650 });
    const m = await makeDatabankMarket(ctx);
    use({ ctx, m, operator: await signUp(ctx, { operator: true }) });
  });
  afterAll(async () => ctx?.close());
}
