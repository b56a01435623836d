/**
 * Waits until every promise has settled, then throws the first failure among them (in their order).
 * For work that must all stop before the caller goes on or gives up: its transactions ended, its
 * connections back, nothing left to race a clean-up.
 */
export async function settleAll(promises: Iterable<Promise<unknown>>): Promise<void> {
  for (const r of await Promise.allSettled(promises)) if (r.status === 'rejected') throw r.reason;
}
