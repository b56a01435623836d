import type { AccountKind } from './schema';

/**
 * The chart of accounts, by code. Accounts are created on first use from their code, so the code
 * alone must say what kind of account it is and whether it may be overdrawn:
 *
 * - `platform:cash` (asset): money the platform holds in its bank and payment-provider accounts.
 * - `platform:escrow` (liability): buyers' payments held until trade success.
 * - `platform:<asset|liability|revenue|expense>:<name>`, e.g. `platform:revenue:insurance`,
 *   `platform:revenue:tier_fees`, `platform:expense:subsidies`.
 * - `shop:<shopId>:deposit` (liability): the shop's frozen deposit, owed back to it on release.
 * - `shop:<shopId>:balance` (liability): what the platform owes the shop (settled sales).
 *
 * Shop accounts can never go below zero: a shop cannot owe more than it has put in. Platform
 * accounts may, because the platform's own capital is not recorded here (it may fund a subsidy
 * or a compensation before the income that covers it arrives).
 */
export interface AccountSpec {
  kind: AccountKind;
  shopId: string | null;
  allowNegative: boolean;
}

export const PLATFORM_CASH = 'platform:cash';
export const PLATFORM_ESCROW = 'platform:escrow';
export const SHOP_ACCOUNTS = ['deposit', 'balance'] as const;
export type ShopAccount = (typeof SHOP_ACCOUNTS)[number];

const NAME = /^[a-z][a-z0-9_]{0,63}$/;
const SHOP_ID = /^[A-Za-z0-9_-]{1,64}$/;
const PLATFORM_KINDS: readonly AccountKind[] = ['asset', 'liability', 'revenue', 'expense'];

export function shopAccount(shopId: string, which: ShopAccount): string {
  if (!SHOP_ID.test(shopId)) throw new RangeError(`not a shop id: ${shopId}`);
  return `shop:${shopId}:${which}`;
}

export function platformAccount(kind: AccountKind, name: string): string {
  if (!NAME.test(name)) throw new RangeError(`not an account name: ${name}`);
  return `platform:${kind}:${name}`;
}

/** What an account code means; throws for a code outside the chart. */
export function accountSpec(code: string): AccountSpec {
  if (code === PLATFORM_CASH) return { kind: 'asset', shopId: null, allowNegative: true };
  if (code === PLATFORM_ESCROW) return { kind: 'liability', shopId: null, allowNegative: true };
  const parts = code.split(':');
  if (parts.length === 3 && parts[0] === 'platform') {
    const [, kind, name] = parts as [string, AccountKind, string];
    if (PLATFORM_KINDS.includes(kind) && NAME.test(name)) return { kind, shopId: null, allowNegative: true };
  }
  if (parts.length === 3 && parts[0] === 'shop') {
    const [, shopId, which] = parts as [string, string, ShopAccount];
    if (SHOP_ID.test(shopId) && SHOP_ACCOUNTS.includes(which)) {
      return { kind: 'liability', shopId, allowNegative: false };
    }
  }
  throw new RangeError(`not an account of the chart: ${code}`);
}

/** +1 when debits raise the account's balance (assets, expenses), -1 when credits do. */
export function normalSign(kind: AccountKind): 1 | -1 {
  return kind === 'asset' || kind === 'expense' ? 1 : -1;
}
