import { sql } from 'drizzle-orm';
import type { Db, Executor } from '../db';
import type { Clock } from '../kernel/clock';
import { createBrand, createCategory, createProduct, publishProduct } from '../modules/catalog';
import { createAccount, findAccountByLogin } from '../modules/identity';
import { createWarehouse } from '../modules/inventory';
import {
  approveApplication,
  inviteStaff,
  payDeposit,
  respondToInvitation,
  submitApplication,
} from '../modules/merchants';
import {
  DEMO_PASSWORD,
  demoBrands,
  demoBuyers,
  demoProducts,
  demoShops,
  flattenCategories,
} from './demo-data';

export { DEMO_PASSWORD } from './demo-data';

/** True when the marketplace has no shop and no category yet: a database only migrated, never used. */
async function isEmpty(tx: Executor): Promise<boolean> {
  const r = await tx.execute<{ n: number }>(
    sql`select (select count(*) from shops) + (select count(*) from categories) as n`,
  );
  const rows = (r as unknown as { rows: { n: number | string }[] }).rows;
  return Number(rows[0]?.n ?? 0) === 0;
}

/**
 * Loads the demo marketplace through the modules' own functions (so it obeys every rule a real
 * merchant does), in one transaction: either all of it is there or none. Skipped when data exists.
 */
export async function seedIfEmpty(
  db: Db,
  clock: Clock,
  log: (message: string) => void,
  opts: { identitySecret: string; operatorLogin: string },
): Promise<boolean> {
  if (!(await isEmpty(db))) return false;
  const now = clock.now();
  const started = Date.now();
  return db.transaction(async (tx) => {
    // Two processes starting on one empty database: the second waits here, then finds data.
    await tx.execute(sql`select pg_advisory_xact_lock(7405322)`);
    if (!(await isEmpty(tx))) return false;
    const operator = await findAccountByLogin(tx, opts.operatorLogin);
    if (!operator) throw new Error(`operator account ${opts.operatorLogin} must exist before seeding`);

    const categoryIds = new Map<string, string>();
    for (const c of flattenCategories()) {
      const row = await createCategory(
        tx,
        {
          parentId: c.parentSlug ? categoryIds.get(c.parentSlug) : null,
          nameZh: c.nameZh,
          nameEn: c.nameEn,
          slug: c.slug,
          noReasonReturn: c.noReasonReturn,
          special: c.special,
        },
        now,
      );
      categoryIds.set(c.slug, row.id);
    }
    const brandIds = new Map<string, string>();
    for (const b of demoBrands)
      brandIds.set(b.key, (await createBrand(tx, { name: b.name, nameEn: b.nameEn }, now)).id);
    log(`seed: ${categoryIds.size} categories, ${brandIds.size} brands`);

    const shopIds = new Map<string, string>();
    const warehouseIds = new Map<string, string>();
    for (const s of demoShops) {
      const owner = await createAccount(
        tx,
        {
          login: s.owner.login,
          password: DEMO_PASSWORD,
          displayName: s.owner.displayName,
          locale: s.owner.locale,
        },
        now,
      );
      let application = await submitApplication(
        tx,
        {
          kind: s.kind,
          shopName: s.name,
          realName: s.realName,
          idNumber: s.idNumber,
          brandName: s.brandName,
          trademarkNo: s.trademarkNo,
          depositPlan: s.depositPlan,
          mallType: s.mallType,
          trademarkStatus: s.trademarkStatus,
          applicantAccountId: owner.id,
          identitySecret: opts.identitySecret,
        },
        now,
      );
      // Mall shops pass the operator's review, as a real brand would.
      if (application.status === 'pending') {
        application = await approveApplication(
          tx,
          { id: application.id, operatorAccountId: operator.id },
          now,
        );
      }
      const shopId = application.shopId;
      if (!shopId) throw new Error(`demo shop ${s.key} was not opened`);
      shopIds.set(s.key, shopId);
      await payDeposit(tx, shopId, now);
      for (const w of s.warehouses) {
        warehouseIds.set(
          `${s.key}/${w.key}`,
          (await createWarehouse(tx, shopId, { name: w.name, region: w.region }, now)).id,
        );
      }
      for (const member of s.staff) {
        const account = await createAccount(
          tx,
          {
            login: member.login,
            password: DEMO_PASSWORD,
            displayName: member.displayName,
            locale: member.locale,
          },
          now,
        );
        const invitation = await inviteStaff(
          tx,
          { shopId, login: member.login, role: member.role, invitedBy: owner.id },
          now,
        );
        await respondToInvitation(tx, { id: invitation.id, accountId: account.id, accept: true }, now);
      }
    }
    log(`seed: ${shopIds.size} shops with deposits, warehouses and staff`);

    for (const p of demoProducts) {
      const shopId = shopIds.get(p.shopKey);
      const categoryId = categoryIds.get(p.categorySlug);
      if (!shopId || !categoryId)
        throw new Error(`demo product ${p.title} refers to an unknown shop or category`);
      const created = await createProduct(
        tx,
        shopId,
        {
          title: p.title,
          categoryId,
          brandId: p.brandKey ? brandIds.get(p.brandKey) : null,
          description: p.description,
          images: p.images,
          shipWithinHours: p.shipWithinHours,
          skus: p.skus.map((k) => ({
            code: k.code,
            attributes: k.attributes,
            price: k.price,
            stock: k.stock.map((line) => {
              const warehouseId = warehouseIds.get(`${p.shopKey}/${line.warehouseKey}`);
              if (!warehouseId)
                throw new Error(`demo stock line refers to unknown warehouse ${line.warehouseKey}`);
              return { warehouseId, quantity: line.quantity };
            }),
          })),
        },
        now,
      );
      await publishProduct(tx, shopId, created.id, now);
    }
    log(`seed: ${demoProducts.length} products published`);

    for (const b of demoBuyers) {
      await createAccount(
        tx,
        { login: b.login, password: DEMO_PASSWORD, displayName: b.displayName, locale: b.locale },
        now,
      );
    }
    log(`seed: ${demoBuyers.length} buyers; done in ${Date.now() - started} ms`);
    return true;
  });
}
