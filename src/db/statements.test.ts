import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../../test/helpers';
import { deadlines } from '../kernel/schema';
import type { Database } from './index';
import { p, statement } from './statements';

let database: Database;
beforeAll(async () => {
  database = await freshDatabase();
});
afterAll(async () => database.close());

const insertDeadline = statement((db) =>
  db
    .insert(deadlines)
    .values({
      id: p('id'),
      kind: p('kind'),
      subjectId: p('subjectId'),
      dueAt: p('dueAt'),
      payload: p('payload'),
      createdAt: p('at'),
      doneAt: p('doneAt'),
    })
    .returning(),
);
const deadlineById = statement((db) =>
  db
    .select()
    .from(deadlines)
    .where(eq(deadlines.id, p('id'))),
);

describe('statement', () => {
  it('answers what the builder answers, mapped the same way, on every call', async () => {
    const at = new Date('2026-11-01T02:00:00.000Z');
    for (const id of ['dl_s1', 'dl_s2']) {
      const [row] = await insertDeadline(database.db, {
        id,
        kind: 'test.kind',
        subjectId: id,
        dueAt: at,
        payload: { n: 1 },
        at,
        doneAt: null,
      });
      const [built] = await database.db.select().from(deadlines).where(eq(deadlines.id, id));
      expect(row).toEqual(built);
      expect(row).toMatchObject({ dueAt: at, payload: { n: 1 }, status: 'pending', attempts: 0 });
      // Null reaches a timestamp column as SQL NULL, not through its encoder.
      expect(built?.doneAt).toBeNull();
    }
  });

  it("runs on the caller's transaction: its writes are seen there and rolled back with it", async () => {
    const at = new Date('2026-11-02T02:00:00.000Z');
    await expect(
      database.db.transaction(async (tx) => {
        await insertDeadline(tx, {
          id: 'dl_tx',
          kind: 'test.kind',
          subjectId: 'dl_tx',
          dueAt: at,
          payload: {},
          at,
          doneAt: at,
        });
        expect(await deadlineById(tx, { id: 'dl_tx' })).toHaveLength(1);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await deadlineById(database.db, { id: 'dl_tx' })).toHaveLength(0);
  });
});
