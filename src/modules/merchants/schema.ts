import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { tstz } from '../../kernel/schema';

export const STAFF_ROLES = ['owner', 'operations', 'service', 'warehouse', 'finance'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];
/** Roles an owner can hand out: ownership itself is never invited or given to an API key. */
export const DELEGABLE_ROLES = ['operations', 'service', 'warehouse', 'finance'] as const;
export type DelegableRole = (typeof DELEGABLE_ROLES)[number];

export const DEPOSIT_PLANS = ['deposit', 'insurance'] as const;
export type DepositPlan = (typeof DEPOSIT_PLANS)[number];
/**
 * deposit plan: unpaid -> frozen -> (closure) releasing -> released.
 * insurance plan: unpaid -> insured -> lapsed (not renewed in time) -> insured (paid again).
 */
export const DEPOSIT_STATUSES = ['unpaid', 'frozen', 'insured', 'lapsed', 'releasing', 'released'] as const;
export type DepositStatus = (typeof DEPOSIT_STATUSES)[number];

export const SHOP_RESTRICTIONS = ['listing_ban', 'closed', 'sealed'] as const;
export type ShopRestriction = (typeof SHOP_RESTRICTIONS)[number];

export const shops = pgTable(
  'shops',
  {
    id: text('id').primaryKey(),
    kind: text('kind', { enum: ['mall', 'market'] }).notNull(),
    name: text('name').notNull(),
    ownerAccountId: text('owner_account_id').notNull(),
    status: text('status', { enum: ['active', 'suspended', 'closed'] })
      .notNull()
      .default('active'),
    /** The application the shop was opened from. */
    applicationId: text('application_id'),
    /** HMAC of the owner's identity number (see id-number.ts): one open market shop per identity. */
    identityHmac: text('identity_hmac'),
    /** Mall shops: shop type and trademark status, which set the deposit. */
    mallType: text('mall_type', { enum: ['flagship', 'specialty', 'franchise'] }),
    trademarkStatus: text('trademark_status', { enum: ['R', 'TM'] }),
    brandName: text('brand_name'),
    depositPlan: text('deposit_plan', { enum: DEPOSIT_PLANS }).notNull().default('deposit'),
    depositStatus: text('deposit_status', { enum: DEPOSIT_STATUSES }).notNull().default('unpaid'),
    /** Fen frozen (deposit plan) or last paid for cover (insurance plan); 0 until paid. */
    depositAmount: bigint('deposit_amount', { mode: 'number' }).notNull().default(0),
    insuredUntil: tstz('insured_until'),
    /** Market shops only: a tier code of the market rules (`free` by default); null for mall shops. */
    tier: text('tier'),
    tierPaidUntil: tstz('tier_paid_until'),
    /** This penalty year's points, general + serious + counterfeit (kept by the penalties module). */
    penaltyPoints: integer('penalty_points').notNull().default(0),
    penaltyGeneral: integer('penalty_general').notNull().default(0),
    penaltySerious: integer('penalty_serious').notNull().default(0),
    penaltyCounterfeit: integer('penalty_counterfeit').notNull().default(0),
    /**
     * The node penalty in force, set by the penalties module: `listing_ban` (hidden from search, no
     * new listings), `closed` (status suspended for a while) or `sealed` (suspended for good).
     * `restrictedUntil` is its end (null: permanent); the restriction counts only before it.
     */
    restriction: text('restriction', { enum: SHOP_RESTRICTIONS }),
    restrictedUntil: tstz('restricted_until'),
    /** Why, for the merchant: the points node reached (e.g. `serious 24`). */
    restrictedReason: text('restricted_reason'),
    /** The shop gives every order return-shipping insurance (运费险), paying the premium from settlement. */
    givesReturnInsurance: boolean('gives_return_insurance').notNull().default(false),
    createdAt: tstz('created_at').notNull(),
    closedAt: tstz('closed_at'),
  },
  (t) => [
    // The one-shop-per-identity rule lives here, so two concurrent applications cannot both pass.
    uniqueIndex('shops_one_market_shop_per_identity')
      .on(t.identityHmac)
      .where(sql`kind = 'market' and status <> 'closed'`),
  ],
);

/** Who works for which shop, in which role. Every seller route checks it (see access.ts). */
export const shopStaff = pgTable(
  'shop_staff',
  {
    shopId: text('shop_id')
      .notNull()
      .references(() => shops.id),
    accountId: text('account_id').notNull(),
    role: text('role', { enum: STAFF_ROLES }).notNull(),
    createdAt: tstz('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.shopId, t.accountId] }), index('shop_staff_account').on(t.accountId)],
);

export const APPLICATION_STATUSES = ['pending', 'approved', 'rejected'] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

/**
 * Requests to open a shop. The identity number is never stored in clear: an HMAC to compare it,
 * and a masked form to show it.
 */
export const merchantApplications = pgTable(
  'merchant_applications',
  {
    id: text('id').primaryKey(),
    applicantAccountId: text('applicant_account_id').notNull(),
    kind: text('kind', { enum: ['mall', 'market'] }).notNull(),
    status: text('status', { enum: APPLICATION_STATUSES }).notNull(),
    shopName: text('shop_name').notNull(),
    realName: text('real_name').notNull(),
    idNumberHmac: text('id_number_hmac').notNull(),
    idNumberMasked: text('id_number_masked').notNull(),
    brandName: text('brand_name'),
    trademarkNo: text('trademark_no'),
    depositPlan: text('deposit_plan', { enum: DEPOSIT_PLANS }).notNull(),
    mallType: text('mall_type', { enum: ['flagship', 'specialty', 'franchise'] }),
    trademarkStatus: text('trademark_status', { enum: ['R', 'TM'] }),
    shopId: text('shop_id'),
    rejectReason: text('reject_reason'),
    reviewedBy: text('reviewed_by'),
    reviewedAt: tstz('reviewed_at'),
    createdAt: tstz('created_at').notNull(),
  },
  (t) => [
    index('merchant_applications_applicant').on(t.applicantAccountId, t.id),
    index('merchant_applications_status').on(t.status, t.id),
  ],
);

export const shopStaffInvitations = pgTable(
  'shop_staff_invitations',
  {
    id: text('id').primaryKey(),
    shopId: text('shop_id')
      .notNull()
      .references(() => shops.id),
    accountId: text('account_id').notNull(),
    role: text('role', { enum: DELEGABLE_ROLES }).notNull(),
    status: text('status', { enum: ['pending', 'accepted', 'declined', 'cancelled'] })
      .notNull()
      .default('pending'),
    invitedBy: text('invited_by').notNull(),
    createdAt: tstz('created_at').notNull(),
    respondedAt: tstz('responded_at'),
  },
  (t) => [
    uniqueIndex('shop_staff_invitations_one_pending')
      .on(t.shopId, t.accountId)
      .where(sql`status = 'pending'`),
    index('shop_staff_invitations_invitee').on(t.accountId, t.status),
  ],
);

/** Keys a shop's systems (ERP, other channels) call the API with; only a SHA-256 of each is kept. */
export const merchantApiKeys = pgTable(
  'merchant_api_keys',
  {
    id: text('id').primaryKey(),
    shopId: text('shop_id')
      .notNull()
      .references(() => shops.id),
    name: text('name').notNull(),
    role: text('role', { enum: DELEGABLE_ROLES }).notNull(),
    /** The key's first characters, shown in lists so the owner can tell keys apart. */
    prefix: text('prefix').notNull(),
    keyHash: text('key_hash').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: tstz('created_at').notNull(),
    revokedAt: tstz('revoked_at'),
  },
  (t) => [uniqueIndex('merchant_api_keys_hash').on(t.keyHash), index('merchant_api_keys_shop').on(t.shopId)],
);
