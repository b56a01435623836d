import { and, asc, eq, gt, or, sql } from 'drizzle-orm';
import type { Executor } from '../../db';
import { AppError, invalidField } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { decodeCursor, page } from '../../kernel/pagination';
import { brands } from './schema';
import './messages';

export type Brand = typeof brands.$inferSelect;

export async function createBrand(
  tx: Executor,
  input: { name: string; nameEn?: string | null },
  now: Date,
): Promise<Brand> {
  const name = input.name.trim();
  if (name === '') throw invalidField('/name', 'field.minLength', { limit: 1 });
  const [row] = await tx
    .insert(brands)
    .values({ id: newId('brand'), name, nameEn: input.nameEn?.trim() || null, createdAt: now })
    .onConflictDoNothing()
    .returning();
  // Names are unique ignoring case: "Apple" and "apple" are one brand.
  if (!row) {
    throw new AppError(409, 'brand_name_taken', { name }, [
      { path: '/name', in: 'body', code: 'field.brand_name_taken' },
    ]);
  }
  return row;
}

export async function getBrand(tx: Executor, id: string): Promise<Brand | undefined> {
  const [row] = await tx.select().from(brands).where(eq(brands.id, id));
  return row;
}

/** Brands by name, optionally those whose Chinese or English name contains `q`; keyset-paged on (name, id). */
export async function listBrands(tx: Executor, opts: { q?: string; cursor?: string; limit: number }) {
  const q = opts.q?.trim().toLowerCase();
  const cursor = decodeCursor<{ name?: unknown; id?: unknown }>(opts.cursor);
  if (cursor && (typeof cursor.name !== 'string' || typeof cursor.id !== 'string')) {
    throw new AppError(400, 'bad_cursor', {}, [{ path: '/cursor', in: 'query', code: 'field.invalid' }]);
  }
  const after = cursor as { name: string; id: string } | undefined;
  const rows = await tx
    .select()
    .from(brands)
    .where(
      and(
        q
          ? sql`(strpos(lower(${brands.name}), ${q}) > 0 or strpos(lower(coalesce(${brands.nameEn}, '')), ${q}) > 0)`
          : undefined,
        after
          ? or(gt(brands.name, after.name), and(eq(brands.name, after.name), gt(brands.id, after.id)))
          : undefined,
      ),
    )
    .orderBy(asc(brands.name), asc(brands.id))
    .limit(opts.limit + 1);
  return page(rows, opts.limit, (b) => ({ name: b.name, id: b.id }));
}
