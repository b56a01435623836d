import { and, asc, eq, inArray, like, sql } from 'drizzle-orm';
import type { Executor } from '../../db';
import { AppError, invalidField, notFound } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { reindexProducts } from './products';
import { categories, products } from './schema';
import './messages';

export type Category = typeof categories.$inferSelect;

/** Tmall's tree runs to four levels (一级 to 四级类目); deeper trees only make listing harder. */
export const MAX_CATEGORY_DEPTH = 4;
export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export interface CategoryInput {
  parentId?: string | null;
  nameZh: string;
  nameEn: string;
  slug: string;
  sort?: number;
  /** Defaults to the parent's setting, so a sub-category of fresh food stays excluded. */
  noReasonReturn?: boolean;
  special?: boolean;
}

const depthOf = (path: string) => path.split('/').filter(Boolean).length;

export async function getCategory(tx: Executor, id: string): Promise<Category | undefined> {
  const [row] = await tx.select().from(categories).where(eq(categories.id, id));
  return row;
}

/** The category and its ancestors, root first (for breadcrumbs and the search index). */
export async function categoryLineage(tx: Executor, id: string): Promise<Category[]> {
  const category = await getCategory(tx, id);
  if (!category) return [];
  const ids = category.path.split('/').filter(Boolean);
  const rows = await tx.select().from(categories).where(inArray(categories.id, ids));
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((i) => byId.get(i)).filter((c): c is Category => c !== undefined);
}

export async function isLeafCategory(tx: Executor, id: string): Promise<boolean> {
  const [child] = await tx
    .select({ id: categories.id })
    .from(categories)
    .where(eq(categories.parentId, id))
    .limit(1);
  return child === undefined;
}

/** The category and every category under it (empty when it does not exist), for roll-ups. */
export async function categorySubtreeIds(tx: Executor, id: string): Promise<string[]> {
  const path = await subtreePath(tx, id);
  if (!path) return [];
  const rows = await tx
    .select({ id: categories.id })
    .from(categories)
    .where(like(categories.path, `${path}%`));
  return rows.map((r) => r.id);
}

/** The id prefix that every category in this one's subtree has in its path. */
export async function subtreePath(tx: Executor, id: string): Promise<string | undefined> {
  return (await getCategory(tx, id))?.path;
}

function checkSlug(slug: string): void {
  if (!SLUG_PATTERN.test(slug)) throw invalidField('/slug', 'field.slug');
}

const slugTaken = (slug: string) =>
  new AppError(409, 'category_slug_taken', { slug }, [
    { path: '/slug', in: 'body', code: 'field.category_slug_taken' },
  ]);

function checkNames(input: { nameZh?: string; nameEn?: string }): void {
  for (const f of ['nameZh', 'nameEn'] as const) {
    if (input[f] !== undefined && input[f].trim() === '')
      throw invalidField(`/${f}`, 'field.minLength', { limit: 1 });
  }
}

export async function createCategory(tx: Executor, input: CategoryInput, now: Date): Promise<Category> {
  checkSlug(input.slug);
  checkNames(input);
  let parent: Category | undefined;
  if (input.parentId) {
    parent = await getCategory(tx, input.parentId);
    if (!parent) throw invalidField('/parentId', 'field.category_not_found');
    if (depthOf(parent.path) >= MAX_CATEGORY_DEPTH) {
      throw invalidField('/parentId', 'field.category_too_deep', { limit: MAX_CATEGORY_DEPTH });
    }
  }
  const id = newId('cat');
  const [row] = await tx
    .insert(categories)
    .values({
      id,
      parentId: parent?.id ?? null,
      nameZh: input.nameZh.trim(),
      nameEn: input.nameEn.trim(),
      slug: input.slug,
      path: `${parent?.path ?? '/'}${id}/`,
      sort: input.sort ?? 0,
      noReasonReturn: input.noReasonReturn ?? parent?.noReasonReturn ?? true,
      special: input.special ?? parent?.special ?? false,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing()
    .returning();
  if (!row) throw slugTaken(input.slug);
  return row;
}

export type CategoryPatch = Partial<Omit<CategoryInput, 'parentId'>> & { parentId?: string | null };

/**
 * Renames, re-flags or moves a category. A move rewrites the paths of the whole subtree; a rename or
 * a move re-indexes the products beneath it, since category names are part of what search matches.
 */
export async function updateCategory(
  tx: Executor,
  id: string,
  patch: CategoryPatch,
  now: Date,
): Promise<Category> {
  const current = await getCategory(tx, id);
  if (!current) throw notFound('category_not_found');
  if (patch.slug !== undefined) checkSlug(patch.slug);
  checkNames(patch);

  let path = current.path;
  if (patch.parentId !== undefined && patch.parentId !== current.parentId) {
    let parentPath = '/';
    if (patch.parentId !== null) {
      const parent = await getCategory(tx, patch.parentId);
      if (!parent) throw invalidField('/parentId', 'field.category_not_found');
      if (parent.path.startsWith(current.path)) {
        throw new AppError(422, 'category_move_into_own_subtree', {}, [
          { path: '/parentId', in: 'body', code: 'category_move_into_own_subtree' },
        ]);
      }
      parentPath = parent.path;
    }
    path = `${parentPath}${id}/`;
    const [deepest] = await tx
      .select({
        depth: sql<number>`max(array_length(string_to_array(trim(both '/' from ${categories.path}), '/'), 1))`,
      })
      .from(categories)
      .where(sql`starts_with(${categories.path}, ${current.path})`);
    const subtreeHeight = (deepest?.depth ?? depthOf(current.path)) - depthOf(current.path);
    if (depthOf(path) + subtreeHeight > MAX_CATEGORY_DEPTH) {
      throw invalidField('/parentId', 'field.category_too_deep', { limit: MAX_CATEGORY_DEPTH });
    }
    await tx
      .update(categories)
      .set({ path: sql`${path} || substr(${categories.path}, ${current.path.length + 1})` })
      .where(sql`starts_with(${categories.path}, ${current.path})`);
  }

  const [row] = await tx
    .update(categories)
    .set({
      parentId: patch.parentId === undefined ? current.parentId : patch.parentId,
      nameZh: patch.nameZh?.trim() ?? current.nameZh,
      nameEn: patch.nameEn?.trim() ?? current.nameEn,
      slug: patch.slug ?? current.slug,
      sort: patch.sort ?? current.sort,
      noReasonReturn: patch.noReasonReturn ?? current.noReasonReturn,
      special: patch.special ?? current.special,
      updatedAt: now,
    })
    .where(
      and(
        eq(categories.id, id),
        // A slug taken by another category leaves the row untouched (and answers 409 below).
        sql`not exists (select 1 from ${categories} c2 where c2.slug = ${patch.slug ?? current.slug} and c2.id <> ${id})`,
      ),
    )
    .returning();
  if (!row) throw slugTaken(patch.slug ?? current.slug);

  const renamed = row.nameZh !== current.nameZh || row.nameEn !== current.nameEn;
  if (renamed || row.path !== current.path) {
    const affected = await tx
      .select({ id: products.id })
      .from(products)
      .innerJoin(categories, eq(categories.id, products.categoryId))
      .where(sql`starts_with(${categories.path}, ${row.path})`);
    await reindexProducts(
      tx,
      affected.map((p) => p.id),
    );
  }
  return row;
}

export interface CategoryNode {
  id: string;
  parentId: string | null;
  nameZh: string;
  nameEn: string;
  slug: string;
  sort: number;
  noReasonReturn: boolean;
  special: boolean;
  children: CategoryNode[];
}

/** The whole tree in one query, siblings in their `sort` order. */
export async function categoryTree(tx: Executor): Promise<CategoryNode[]> {
  const rows = await tx
    .select()
    .from(categories)
    .orderBy(asc(categories.sort), asc(categories.nameZh), asc(categories.id));
  const nodes = new Map<string, CategoryNode>();
  for (const r of rows) {
    nodes.set(r.id, {
      id: r.id,
      parentId: r.parentId,
      nameZh: r.nameZh,
      nameEn: r.nameEn,
      slug: r.slug,
      sort: r.sort,
      noReasonReturn: r.noReasonReturn,
      special: r.special,
      children: [],
    });
  }
  const roots: CategoryNode[] = [];
  for (const r of rows) {
    const node = nodes.get(r.id)!;
    const parent = r.parentId ? nodes.get(r.parentId) : undefined;
    (parent ? parent.children : roots).push(node);
  }
  return roots;
}
