import { and, desc, eq, lt, or } from 'drizzle-orm';
import type { Executor } from '../../db';
import { AppError, type FieldError } from '../../kernel/errors';
import { newId } from '../../kernel/ids';
import { decodeCursor, page } from '../../kernel/pagination';
import { shipDeadlineCampaigns } from './schema';
import './messages';

export type ShipDeadlineCampaign = typeof shipDeadlineCampaigns.$inferSelect;
export type CampaignShopKind = 'mall' | 'market';

export interface CampaignInput {
  name: string;
  shopKind: CampaignShopKind | null;
  paidFrom: Date;
  paidUntil: Date;
  shipBy: Date;
  createdBy: string;
}

/** The window must be paidFrom < paidUntil <= shipBy; each broken bound names its field. */
export function campaignWindowErrors(input: Pick<CampaignInput, 'paidFrom' | 'paidUntil' | 'shipBy'>) {
  const errors: FieldError[] = [];
  if (input.paidUntil.getTime() <= input.paidFrom.getTime()) {
    errors.push({ path: '/paidUntil', in: 'body', code: 'field.campaign_paid_until_not_after_from' });
  }
  if (input.shipBy.getTime() < input.paidUntil.getTime()) {
    errors.push({ path: '/shipBy', in: 'body', code: 'field.campaign_ship_by_before_paid_until' });
  }
  return errors;
}

export async function createCampaign(
  tx: Executor,
  input: CampaignInput,
  now: Date,
): Promise<ShipDeadlineCampaign> {
  const errors = campaignWindowErrors(input);
  if (errors.length) throw new AppError(400, 'validation_failed', {}, errors, 'validation_failed_detail');
  const [row] = await tx
    .insert(shipDeadlineCampaigns)
    .values({ id: newId('sdc'), ...input, createdAt: now })
    .returning();
  return row!;
}

/** Newest first, paged by (createdAt, id). */
export async function listCampaigns(tx: Executor, query: { cursor?: string; limit?: number }) {
  const limit = query.limit ?? 20;
  const after = decodeCursor<{ c?: unknown; i?: unknown }>(query.cursor);
  let where: ReturnType<typeof or>;
  if (after) {
    if (typeof after.c !== 'string' || typeof after.i !== 'string' || Number.isNaN(Date.parse(after.c))) {
      throw new AppError(400, 'bad_cursor', {}, [{ path: '/cursor', in: 'query', code: 'field.invalid' }]);
    }
    const c = new Date(after.c);
    where = or(
      lt(shipDeadlineCampaigns.createdAt, c),
      and(eq(shipDeadlineCampaigns.createdAt, c), lt(shipDeadlineCampaigns.id, after.i)),
    );
  }
  const rows = await tx
    .select()
    .from(shipDeadlineCampaigns)
    .where(where)
    .orderBy(desc(shipDeadlineCampaigns.createdAt), desc(shipDeadlineCampaigns.id))
    .limit(limit + 1);
  return page(rows, limit, (r) => ({ c: r.createdAt.toISOString(), i: r.id }));
}
