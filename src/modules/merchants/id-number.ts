import { createHmac } from 'node:crypto';

/**
 * PRC resident identity numbers (GB 11643-1999): 6 digits of region, 8 of birth date (YYYYMMDD),
 * 3 of sequence, and a check character computed with ISO 7064 MOD 11-2 (10 written as X).
 */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';
const SHAPE = /^[1-9]\d{16}[\dX]$/;

/** The check character for the first 17 digits. */
export function idNumberCheckChar(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new RangeError('needs exactly 17 digits');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (WEIGHTS[i] ?? 0);
  return CHECK_CHARS[sum % 11] ?? '';
}

/** Upper-cases the check character and drops surrounding spaces, the ways people type it. */
export function normaliseIdNumber(value: string): string {
  return value.trim().toUpperCase();
}

function isBirthDate(yyyymmdd: string): boolean {
  const y = Number(yyyymmdd.slice(0, 4));
  const m = Number(yyyymmdd.slice(4, 6));
  const d = Number(yyyymmdd.slice(6, 8));
  if (y < 1900 || m < 1 || m > 12 || d < 1) return false;
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** True for a well-formed 18-character number with a real birth date and the right check character. */
export function isValidIdNumber(value: string): boolean {
  const id = normaliseIdNumber(value);
  if (!SHAPE.test(id)) return false;
  if (!isBirthDate(id.slice(6, 14))) return false;
  return idNumberCheckChar(id.slice(0, 17)) === id[17];
}

/** What may be shown: the first 3 and last 4 characters. */
export function maskIdNumber(value: string): string {
  const id = normaliseIdNumber(value);
  return `${id.slice(0, 3)}${'*'.repeat(id.length - 7)}${id.slice(-4)}`;
}

/**
 * A keyed digest to compare identity numbers without keeping them: without the secret, the
 * small space of valid numbers cannot be searched to reverse it.
 */
export function idNumberDigest(secret: string, value: string): string {
  return createHmac('sha256', secret).update(normaliseIdNumber(value)).digest('hex');
}
