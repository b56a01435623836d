import { and, asc, eq } from 'drizzle-orm';
import type { Executor } from '../../db';
import { AppError, conflict, notFound, ruleViolation } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { emit } from '../../kernel/outbox';
import { findAccountByLogin, getAccount } from '../identity';
import { type DelegableRole, shopStaff, shopStaffInvitations, shops } from './schema';
import { getShop } from './shops';
import './messages';

type Invitation = typeof shopStaffInvitations.$inferSelect;

function invitationView(inv: Invitation, login: string) {
  return {
    id: inv.id,
    shopId: inv.shopId,
    login,
    role: inv.role,
    status: inv.status,
    createdAt: inv.createdAt.toISOString(),
    respondedAt: inv.respondedAt?.toISOString() ?? null,
  };
}

/**
 * The owner invites an account by login; it joins the shop only when it accepts, so nobody is made
 * staff of a shop (and shown its data) without agreeing to it.
 */
export async function inviteStaff(
  tx: Executor,
  input: { shopId: string; login: string; role: DelegableRole; invitedBy: string },
  now: Date,
) {
  const shop = await getShop(tx, input.shopId);
  if (!shop) throw notFound('shop_not_found');
  if (shop.status === 'closed') throw conflict('shop_closed');
  const account = await findAccountByLogin(tx, input.login);
  if (!account) {
    throw new AppError(404, 'account_not_found', {}, [
      { path: '/login', in: 'body', code: 'account_not_found_field' },
    ]);
  }
  const [member] = await tx
    .select({ role: shopStaff.role })
    .from(shopStaff)
    .where(and(eq(shopStaff.shopId, shop.id), eq(shopStaff.accountId, account.id)));
  if (member) throw conflict('already_staff');
  const [inv] = await tx
    .insert(shopStaffInvitations)
    .values({
      id: newId('sinv'),
      shopId: shop.id,
      accountId: account.id,
      role: input.role,
      invitedBy: input.invitedBy,
      createdAt: now,
    })
    .onConflictDoNothing()
    .returning();
  if (!inv) throw conflict('invitation_pending');
  await emit(
    tx,
    'shop.staff_invited',
    { shopId: shop.id, invitationId: inv.id, accountId: account.id, role: inv.role },
    { key: shop.id, at: now },
  );
  return invitationView(inv, account.login);
}

/** Pending invitations addressed to this account, with the shop they come from. */
export async function myInvitations(tx: Executor, accountId: string) {
  const rows = await tx
    .select({ inv: shopStaffInvitations, shopName: shops.name, shopKind: shops.kind })
    .from(shopStaffInvitations)
    .innerJoin(shops, eq(shops.id, shopStaffInvitations.shopId))
    .where(and(eq(shopStaffInvitations.accountId, accountId), eq(shopStaffInvitations.status, 'pending')))
    .orderBy(asc(shopStaffInvitations.id));
  return rows.map((r) => ({
    id: r.inv.id,
    shop: { id: r.inv.shopId, name: r.shopName, kind: r.shopKind },
    role: r.inv.role,
    createdAt: r.inv.createdAt.toISOString(),
  }));
}

/**
 * The invitee answers. Only the invitee can see an invitation (others get 404); an answered one
 * answers 409. Accepting adds the staff row in the same transaction.
 */
export async function respondToInvitation(
  tx: Executor,
  input: { id: string; accountId: string; accept: boolean },
  now: Date,
) {
  const mine = and(
    eq(shopStaffInvitations.id, input.id),
    eq(shopStaffInvitations.accountId, input.accountId),
  );
  const [current] = await tx.select().from(shopStaffInvitations).where(mine).for('update');
  if (!current) throw notFound('invitation_not_found');
  if (current.status !== 'pending') throw conflict('invitation_not_pending', { status: current.status });
  const shop = await getShop(tx, current.shopId);
  if (input.accept && shop?.status === 'closed') throw conflict('shop_closed');
  const status = input.accept ? ('accepted' as const) : ('declined' as const);
  await tx.update(shopStaffInvitations).set({ status, respondedAt: now }).where(mine);
  if (input.accept) {
    await tx
      .insert(shopStaff)
      .values({ shopId: current.shopId, accountId: input.accountId, role: current.role, createdAt: now })
      .onConflictDoNothing();
    await emit(
      tx,
      'shop.staff_added',
      { shopId: current.shopId, accountId: input.accountId, role: current.role, invitationId: current.id },
      { key: current.shopId, at: now },
    );
  } else {
    await emit(
      tx,
      'shop.staff_invitation_declined',
      { shopId: current.shopId, accountId: input.accountId, invitationId: current.id },
      { key: current.shopId, at: now },
    );
  }
  return { id: current.id, shopId: current.shopId, role: current.role, status };
}

/** The owner withdraws an invitation that has not been answered. */
export async function cancelInvitation(tx: Executor, input: { shopId: string; id: string }, now: Date) {
  const [row] = await tx
    .update(shopStaffInvitations)
    .set({ status: 'cancelled', respondedAt: now })
    .where(
      and(
        eq(shopStaffInvitations.id, input.id),
        eq(shopStaffInvitations.shopId, input.shopId),
        eq(shopStaffInvitations.status, 'pending'),
      ),
    )
    .returning();
  if (row) {
    await emit(
      tx,
      'shop.staff_invitation_cancelled',
      { shopId: row.shopId, invitationId: row.id, accountId: row.accountId },
      { key: row.shopId, at: now },
    );
    return { id: row.id, status: row.status };
  }
  const [existing] = await tx
    .select({ status: shopStaffInvitations.status })
    .from(shopStaffInvitations)
    .where(and(eq(shopStaffInvitations.id, input.id), eq(shopStaffInvitations.shopId, input.shopId)));
  if (!existing) throw notFound('invitation_not_found');
  throw conflict('invitation_not_pending', { status: existing.status });
}

/** Members with their logins, and invitations still waiting for an answer. */
export async function listStaff(tx: Executor, shopId: string) {
  const members = await tx
    .select()
    .from(shopStaff)
    .where(eq(shopStaff.shopId, shopId))
    .orderBy(asc(shopStaff.createdAt), asc(shopStaff.accountId));
  const pending = await tx
    .select()
    .from(shopStaffInvitations)
    .where(and(eq(shopStaffInvitations.shopId, shopId), eq(shopStaffInvitations.status, 'pending')))
    .orderBy(asc(shopStaffInvitations.id));
  // A shop has a handful of staff: one account lookup each through identity's API is cheap.
  const accounts = new Map<string, { login: string; displayName: string }>();
  for (const id of new Set([...members.map((m) => m.accountId), ...pending.map((p) => p.accountId)])) {
    const a = await getAccount(tx, id);
    accounts.set(id, { login: a?.login ?? '', displayName: a?.displayName ?? '' });
  }
  return {
    members: members.map((m) => ({
      accountId: m.accountId,
      login: accounts.get(m.accountId)?.login ?? '',
      displayName: accounts.get(m.accountId)?.displayName ?? '',
      role: m.role,
      since: m.createdAt.toISOString(),
    })),
    invitations: pending.map((p) => invitationView(p, accounts.get(p.accountId)?.login ?? '')),
  };
}

export async function removeStaff(tx: Executor, input: { shopId: string; accountId: string }, now: Date) {
  const [member] = await tx
    .select()
    .from(shopStaff)
    .where(and(eq(shopStaff.shopId, input.shopId), eq(shopStaff.accountId, input.accountId)));
  if (!member) throw notFound('staff_not_found');
  if (member.role === 'owner') throw ruleViolation('owner_not_removable');
  await tx
    .delete(shopStaff)
    .where(and(eq(shopStaff.shopId, input.shopId), eq(shopStaff.accountId, input.accountId)));
  await emit(
    tx,
    'shop.staff_removed',
    { shopId: input.shopId, accountId: input.accountId, role: member.role },
    { key: input.shopId, at: now },
  );
}

/** The shops an account works for, with its role in each (for /me and the seller console). */
export async function staffMemberships(tx: Executor, accountId: string) {
  return tx
    .select({ id: shops.id, name: shops.name, kind: shops.kind, role: shopStaff.role })
    .from(shopStaff)
    .innerJoin(shops, eq(shops.id, shopStaff.shopId))
    .where(eq(shopStaff.accountId, accountId))
    .orderBy(asc(shops.id));
}
