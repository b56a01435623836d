import { contributeToMe, registerTokenResolver } from '../identity';
import { API_KEY_PREFIX, resolveApiKey } from './api-keys';
import { staffMemberships } from './staff';
import './jobs';

// A merchant API key authenticates as its shop (see api-keys.ts).
registerTokenResolver(API_KEY_PREFIX, resolveApiKey);

// /me and the login answer say which shops an account works for, and in which role.
contributeToMe(async (tx, accountId) => {
  const shops = await staffMemberships(tx, accountId);
  return shops.length ? { roles: ['merchant'], shops } : {};
});

export { requireShopRole, type StaffAccess, staffRole } from './access';
export { createApiKey, listApiKeys, revokeApiKey } from './api-keys';
export {
  type Application,
  type ApplicationInput,
  applicationView,
  approveApplication,
  listApplications,
  rejectApplication,
  submitApplication,
} from './applications';
export { depositShortfall, topUpDeposit } from './deposit-top-up';
export { idNumberCheckChar, isValidIdNumber, maskIdNumber } from './id-number';
export { merchantsRoutes } from './routes';
export {
  DELEGABLE_ROLES,
  type DelegableRole,
  type DepositPlan,
  type DepositStatus,
  SHOP_RESTRICTIONS,
  type ShopRestriction,
  STAFF_ROLES,
  type StaffRole,
} from './schema';
export {
  addMonths,
  changeTier,
  closeShop,
  describeShop,
  getShop,
  liftShopRestriction,
  payDeposit,
  recordShopPenaltyPoints,
  requireListingAllowed,
  requireOpenShop,
  restrictShop,
  type Shop,
  type ShopRatingSource,
  type ShopView,
  setShopRatingSource,
  shopRestriction,
  shopTrading,
} from './shops';
export {
  cancelInvitation,
  inviteStaff,
  listStaff,
  myInvitations,
  removeStaff,
  respondToInvitation,
  staffMemberships,
} from './staff';
