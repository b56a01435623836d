import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db';
import { AppError, conflict, type FieldError, notFound } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { emit } from '../../kernel/outbox';
import { decodeCursor, page } from '../../kernel/pagination';
import type { MallType, ShopKind, TrademarkStatus } from '../governance';
import { idNumberDigest, isValidIdNumber, maskIdNumber } from './id-number';
import { type ApplicationStatus, type DepositPlan, merchantApplications } from './schema';
import { openShop } from './shops';
import './messages';

export type Application = typeof merchantApplications.$inferSelect;

export interface ApplicationInput {
  kind: ShopKind;
  shopName: string;
  realName: string;
  idNumber: string;
  brandName?: string;
  trademarkNo?: string;
  depositPlan: DepositPlan;
  mallType?: MallType;
  trademarkStatus?: TrademarkStatus;
}

/** Everything wrong with an application that the body schema cannot see, reported together. */
export function applicationProblems(input: ApplicationInput): FieldError[] {
  const problems: FieldError[] = [];
  const field = (path: string, code: string) => problems.push({ path, in: 'body', code });
  if (!isValidIdNumber(input.idNumber)) field('/idNumber', 'field.id_number');
  if (input.kind === 'mall') {
    // A mall shop sells a brand: review needs the brand and its trademark; the deposit depends on
    // the shop type and whether the trademark is registered.
    if (!input.brandName?.trim()) field('/brandName', 'field.required_for_mall');
    if (!input.trademarkNo?.trim()) field('/trademarkNo', 'field.required_for_mall');
    if (!input.mallType) field('/mallType', 'field.required_for_mall');
    if (!input.trademarkStatus) field('/trademarkStatus', 'field.required_for_mall');
    if (input.depositPlan !== 'deposit') field('/depositPlan', 'field.insurance_market_only');
  } else {
    if (input.mallType) field('/mallType', 'field.mall_only');
    if (input.trademarkStatus) field('/trademarkStatus', 'field.mall_only');
  }
  return problems;
}

/**
 * Applies for a shop. A market shop is admitted at once on real-name verification (and refused
 * with 422 `one_shop_per_identity` when the identity already has an open market shop); a mall
 * application waits for an operator's review.
 */
export async function submitApplication(
  tx: Executor,
  input: ApplicationInput & { applicantAccountId: string; identitySecret: string },
  now: Date,
): Promise<Application> {
  const problems = applicationProblems(input);
  if (problems.length) throw new AppError(400, 'validation_failed', {}, problems, 'validation_failed_detail');
  const id = newId('mapp');
  const idNumberHmac = idNumberDigest(input.identitySecret, input.idNumber);
  const mall = input.kind === 'mall';
  const shopId = mall ? null : newId('shop');
  const shopName = input.shopName.trim();
  if (shopId) {
    await openShop(
      tx,
      {
        id: shopId,
        kind: 'market',
        name: shopName,
        ownerAccountId: input.applicantAccountId,
        applicationId: id,
        identityHmac: idNumberHmac,
        depositPlan: input.depositPlan,
        brandName: input.brandName?.trim() || null,
      },
      now,
    );
  }
  const [row] = await tx
    .insert(merchantApplications)
    .values({
      id,
      applicantAccountId: input.applicantAccountId,
      kind: input.kind,
      status: mall ? 'pending' : 'approved',
      shopName,
      realName: input.realName.trim(),
      idNumberHmac,
      idNumberMasked: maskIdNumber(input.idNumber),
      brandName: input.brandName?.trim() || null,
      trademarkNo: input.trademarkNo?.trim() || null,
      depositPlan: input.depositPlan,
      mallType: input.mallType ?? null,
      trademarkStatus: input.trademarkStatus ?? null,
      shopId,
      reviewedAt: mall ? null : now,
      createdAt: now,
    })
    .returning();
  if (!row) throw new Error('application insert returned nothing');
  await emit(
    tx,
    'merchant.application_submitted',
    { applicationId: id, kind: input.kind, applicantAccountId: input.applicantAccountId },
    { key: id, at: now },
  );
  if (!mall) {
    await emit(
      tx,
      'merchant.application_approved',
      { applicationId: id, kind: input.kind, shopId, automatic: true },
      { key: id, at: now },
    );
  }
  return row;
}

/**
 * Claims a pending application for review with one conditional UPDATE, so two operators deciding
 * at once cannot both succeed: the second gets 409.
 */
async function decide(
  tx: Executor,
  id: string,
  set: Partial<typeof merchantApplications.$inferInsert>,
): Promise<Application> {
  const [row] = await tx
    .update(merchantApplications)
    .set(set)
    .where(and(eq(merchantApplications.id, id), eq(merchantApplications.status, 'pending')))
    .returning();
  if (row) return row;
  const [existing] = await tx
    .select({ status: merchantApplications.status })
    .from(merchantApplications)
    .where(eq(merchantApplications.id, id));
  if (!existing) throw notFound('application_not_found');
  throw conflict('application_already_reviewed', { status: existing.status });
}

export async function approveApplication(
  tx: Executor,
  input: { id: string; operatorAccountId: string },
  now: Date,
): Promise<Application> {
  const shopId = newId('shop');
  const app = await decide(tx, input.id, {
    status: 'approved',
    shopId,
    reviewedBy: input.operatorAccountId,
    reviewedAt: now,
  });
  await openShop(
    tx,
    {
      id: shopId,
      kind: app.kind,
      name: app.shopName,
      ownerAccountId: app.applicantAccountId,
      applicationId: app.id,
      identityHmac: app.idNumberHmac,
      depositPlan: app.depositPlan,
      mallType: app.mallType,
      trademarkStatus: app.trademarkStatus,
      brandName: app.brandName,
    },
    now,
  );
  await emit(
    tx,
    'merchant.application_approved',
    { applicationId: app.id, kind: app.kind, shopId, reviewedBy: input.operatorAccountId },
    { key: app.id, at: now },
  );
  return app;
}

export async function rejectApplication(
  tx: Executor,
  input: { id: string; operatorAccountId: string; reason: string },
  now: Date,
): Promise<Application> {
  const app = await decide(tx, input.id, {
    status: 'rejected',
    rejectReason: input.reason.trim(),
    reviewedBy: input.operatorAccountId,
    reviewedAt: now,
  });
  await emit(
    tx,
    'merchant.application_rejected',
    { applicationId: app.id, kind: app.kind, reason: app.rejectReason, reviewedBy: input.operatorAccountId },
    { key: app.id, at: now },
  );
  return app;
}

/** Newest first; by the applicant, or (for operators) by status. */
export async function listApplications(
  tx: Executor,
  query: { applicantAccountId?: string; status?: ApplicationStatus; cursor?: string; limit?: number },
) {
  const limit = query.limit ?? 20;
  const after = decodeCursor<{ id?: unknown }>(query.cursor);
  if (after && typeof after.id !== 'string') {
    throw new AppError(400, 'bad_cursor', {}, [{ path: '/cursor', in: 'query', code: 'field.invalid' }]);
  }
  const where: (SQL | undefined)[] = [
    query.applicantAccountId
      ? eq(merchantApplications.applicantAccountId, query.applicantAccountId)
      : undefined,
    query.status ? eq(merchantApplications.status, query.status) : undefined,
    after ? lt(merchantApplications.id, after.id as string) : undefined,
  ];
  const rows = await tx
    .select()
    .from(merchantApplications)
    .where(and(...where))
    .orderBy(desc(merchantApplications.id))
    .limit(limit + 1);
  return page(rows, limit, (r) => ({ id: r.id }));
}

/** What applicants and operators see: never the identity number, only its masked form. */
export function applicationView(a: Application) {
  return {
    id: a.id,
    kind: a.kind,
    status: a.status,
    shopName: a.shopName,
    realName: a.realName,
    idNumberMasked: a.idNumberMasked,
    brandName: a.brandName,
    trademarkNo: a.trademarkNo,
    depositPlan: a.depositPlan,
    mallType: a.mallType,
    trademarkStatus: a.trademarkStatus,
    shopId: a.shopId,
    rejectReason: a.rejectReason,
    createdAt: a.createdAt.toISOString(),
    reviewedAt: a.reviewedAt?.toISOString() ?? null,
  };
}
