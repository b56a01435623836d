import { type AnyColumn, and, eq, lt, or, type SQL } from 'drizzle-orm';
import { Type } from 'typebox';
import { AppError } from './errors';

export const PageQuery = {
  cursor: Type.Optional(Type.String({ maxLength: 512, description: 'opaque cursor from nextCursor' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
};

export function encodeCursor(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T extends Record<string, unknown>>(cursor: string | undefined): T | undefined {
  if (!cursor) return undefined;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as T;
  } catch {
    // fall through
  }
  throw new AppError(400, 'bad_cursor', {}, [{ path: '/cursor', in: 'query', code: 'field.invalid' }]);
}

/** Given `limit + 1` rows, returns the page and the cursor for the next one (keyed by `key`). */
export function page<T>(rows: T[], limit: number, key: (row: T) => Record<string, unknown>) {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(key(last)) : null };
}

export function pageSchema<T extends import('typebox').TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
}

/**
 * Keyset paging newest first by (time, id): the WHERE for the rows after `cursor` (undefined on the
 * first page; 400 for a cursor that was not made here), and the key to encode for the next page.
 */
export function afterTimeAndId(cursor: string | undefined, at: AnyColumn, id: AnyColumn): SQL | undefined {
  const after = decodeCursor<{ c?: unknown; i?: unknown }>(cursor);
  if (!after) return undefined;
  if (typeof after.c !== 'string' || typeof after.i !== 'string' || Number.isNaN(Date.parse(after.c))) {
    throw new AppError(400, 'bad_cursor', {}, [{ path: '/cursor', in: 'query', code: 'field.invalid' }]);
  }
  const c = new Date(after.c);
  return or(lt(at, c), and(eq(at, c), lt(id, after.i)));
}

export const timeAndIdKey = (at: Date, id: string) => ({ c: at.toISOString(), i: id });
