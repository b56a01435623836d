import { contributeToMe, registerTokenResolver } from '../identity';
import { API_KEY_PREFIX, resolveApiKey } from './api-keys';
import { staffMemberships } from './staff';
import './jobs';

registerTokenResolver(API_KEY_PREFIX, resolveApiKey);

contributeToMe(async (tx, accountId) => {
  const shops = await staffMemberships(tx, accountId);
  return shops.length ? { roles: ['merchant'], shops } : {};
});

export { requireShopRole, type StaffAccess, staffRole } from './access';
export { type Application, approveApplication, rejectApplication, submitApplication } from './applications';
export { idNumberCheckChar, isValidIdNumber, maskIdNumber } from './id-number';
export { merchantsRoutes } from './routes';
export {
  DELEGABLE_ROLES,
  type DelegableRole,
  type DepositPlan,
  type DepositStatus,
  STAFF_ROLES,
  type StaffRole,
} from './schema';
export { addMonths, describeShop, getShop, type Shop, type ShopView } from './shops';
