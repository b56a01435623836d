import { and, eq } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import type { Executor } from '../../db';
import type { Auth } from '../../kernel/context';
import { AppError } from '../../kernel/errors';
import { defineMessages } from '../../kernel/i18n';
import { requireAccount } from '../identity';
import { type StaffRole, shopStaff } from './schema';

defineMessages({
  merchant_only: { 'zh-CN': '仅商家员工可访问', en: 'Only merchant staff may do this' },
  staff_role_forbidden: {
    'zh-CN': '您的岗位（{role}）无权执行此操作',
    en: 'Your staff role ({role}) may not do this',
  },
  shop_not_found: { 'zh-CN': '店铺不存在', en: 'Shop not found' },
});

export interface StaffAccess {
  auth: Auth;
  shopId: string;
  role: StaffRole;
}

/**
 * The tenancy gate of every seller route: the caller must be staff of this shop (or its API key).
 * Another shop's id answers 404, never revealing that it exists; a buyer with no shop gets 403; a
 * staff member whose role may not do this gets 403. Owners may do everything.
 */
export async function requireShopRole(
  req: FastifyRequest,
  shopId: string,
  roles?: readonly StaffRole[],
): Promise<StaffAccess> {
  const auth = requireAccount(req);
  let role: StaffRole | undefined;
  const db: Executor = req.server.jishi.database.db;
  if (auth.apiKey) {
    if (auth.apiKey.shopId !== shopId) throw new AppError(404, 'shop_not_found');
    role = auth.apiKey.role as StaffRole;
  } else {
    const rows = await db
      .select({ shopId: shopStaff.shopId, role: shopStaff.role })
      .from(shopStaff)
      .where(eq(shopStaff.accountId, auth.accountId));
    if (rows.length === 0) throw new AppError(403, 'merchant_only');
    role = rows.find((r) => r.shopId === shopId)?.role;
    if (!role) throw new AppError(404, 'shop_not_found');
  }
  if (roles && role !== 'owner' && !roles.includes(role)) {
    throw new AppError(403, 'staff_role_forbidden', { role });
  }
  return { auth, shopId, role };
}

export async function staffRole(
  tx: Executor,
  shopId: string,
  accountId: string,
): Promise<StaffRole | undefined> {
  const [row] = await tx
    .select({ role: shopStaff.role })
    .from(shopStaff)
    .where(and(eq(shopStaff.shopId, shopId), eq(shopStaff.accountId, accountId)));
  return row?.role;
}
