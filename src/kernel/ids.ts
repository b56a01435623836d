import { monotonicFactory } from 'ulid';

const next = monotonicFactory();

/** Sortable, prefixed ids (`shop_01j…`): the prefix says what a thing is, the ULID orders by creation. */
export function newId(prefix: string): string {
  return `${prefix}_${next().toLowerCase()}`;
}
