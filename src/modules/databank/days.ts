// Day arithmetic in China time (UTC+8, no daylight saving): the data bank's days are the buyer's days.

const DAY_MS = 86_400_000;
const CST_OFFSET_MS = 8 * 3_600_000;

/** The China-time day number of an instant (days since 1970-01-01 CST). */
export function dayOf(at: Date): number {
  return Math.floor((at.getTime() + CST_OFFSET_MS) / DAY_MS);
}

/** The instant a China-time day starts. */
export function dayStart(day: number): Date {
  return new Date(day * DAY_MS - CST_OFFSET_MS);
}

/** `YYYY-MM-DD` of a China-time day. */
export function dayLabel(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The day number of a `YYYY-MM-DD` China-time date, or undefined if it is not one. */
export function parseDay(label: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(label)) return undefined;
  const ms = Date.parse(`${label}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== label) return undefined;
  return ms / DAY_MS;
}
