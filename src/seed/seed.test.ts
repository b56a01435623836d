import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, makeTestApp, type TestContext } from '../../test/helpers';
import { ensureOperator } from '../modules/identity';
import { expectLedgerBalanced } from '../modules/ledger/testing';
import { DEMO_PASSWORD, seedIfEmpty } from '.';
import { demoBuyers, demoProducts, demoShops } from './demo-data';

let ctx: TestContext;
const messages: string[] = [];
beforeAll(async () => {
  ctx = await makeTestApp();
  await ensureOperator(ctx.db, { login: 'admin', password: 'admin-pass-1' }, ctx.clock.now());
  const seeded = await seedIfEmpty(ctx.db, ctx.clock, (m) => messages.push(m), {
    identitySecret: ctx.config.identitySecret,
    operatorLogin: 'admin',
  });
  expect(seeded).toBe(true);
}, 180_000);
afterAll(async () => ctx.close());

async function searchAll(q: string) {
  const titles: string[] = [];
  let cursor: string | undefined;
  do {
    const r = await client(ctx.app).get(
      `/products?q=${encodeURIComponent(q)}&limit=100${cursor ? `&cursor=${cursor}` : ''}`,
    );
    expect(r.status).toBe(200);
    titles.push(...r.body.items.map((p: { title: string }) => p.title));
    cursor = r.body.nextCursor ?? undefined;
  } while (cursor);
  return titles;
}

describe('demo marketplace', () => {
  it('has two mall and three market shops, every product published, and a dozen buyers who can sign in', async () => {
    const count = async (q: string) => {
      const r = await ctx.db.execute(q);
      return Number((r as unknown as { rows: { n: string }[] }).rows[0]?.n);
    };
    expect(await count(`select count(*) as n from shops where kind = 'mall'`)).toBe(2);
    expect(await count(`select count(*) as n from shops where kind = 'market'`)).toBe(3);
    expect(await count(`select count(*) as n from products where status = 'published'`)).toBe(
      demoProducts.length,
    );
    expect(demoProducts.length).toBeGreaterThanOrEqual(300);
    expect(await count(`select count(*) as n from shops where deposit_status in ('frozen', 'insured')`)).toBe(
      5,
    );
    expect(demoBuyers).toHaveLength(12);
    const buyer = demoBuyers[0]!;
    const login = await client(ctx.app).post('/auth/login', { login: buyer.login, password: DEMO_PASSWORD });
    expect(login.status).toBe(200);
    const owner = demoShops[0]!.owner;
    const me = await client(ctx.app).post('/auth/login', { login: owner.login, password: DEMO_PASSWORD });
    expect(me.body.account.roles).toContain('merchant');
  });

  it('finds seeded products by Chinese words and nothing unrelated', async () => {
    for (const word of ['连衣裙', '蓝牙耳机']) {
      const expected = demoProducts.filter((p) => p.title.includes(word)).map((p) => p.title);
      expect(expected.length).toBeGreaterThan(5);
      const found = await searchAll(word);
      expect(found.sort()).toEqual(expected.sort());
    }
  });

  it('balances the ledger after deposits and is not loaded twice', async () => {
    await expectLedgerBalanced(ctx.db);
    const again = await seedIfEmpty(ctx.db, ctx.clock, () => {}, {
      identitySecret: ctx.config.identitySecret,
      operatorLogin: 'admin',
    });
    expect(again).toBe(false);
    expect(messages.some((m) => m.includes('products published'))).toBe(true);
  });
});
