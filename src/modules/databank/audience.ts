import type { Executor } from '../../db';
import { invalidField } from '../../kernel/errors';
import { setMemberLevelSource, setSegmentSource } from '../promotions';
import { membershipOf, programmeOfShop } from './crm';
import { dayOf } from './days';
import { windowsOfShop } from './jobs';
import { getSegment, matchingConsumers, type SegmentFilter } from './segments';

/**
 * The buyers a shop's segment holds now, for a coupon audience. Ids stay inside the platform;
 * device-only consumers (not logged in) are left out since a coupon needs an account.
 */
export async function segmentAudience(tx: Executor, shopId: string, segmentId: string, now: Date) {
  const segment = await getSegment(tx, shopId, segmentId);
  const w = await windowsOfShop(tx, shopId, now);
  const ids = await matchingConsumers(tx, shopId, segment.filter as SegmentFilter, dayOf(now), w, now);
  return ids.filter((id) => !id.startsWith('d:') && !id.startsWith('tb:'));
}

// Promotions' shop coupons may target a segment: it asks the data bank who is in it.
setSegmentSource({
  async check(tx, shopId, segmentId) {
    try {
      await getSegment(tx, shopId, segmentId);
    } catch {
      throw invalidField('/segmentId', 'field.segment_unknown');
    }
  },
  async has(tx, shopId, segmentId, buyerId, now) {
    return (await segmentAudience(tx, shopId, segmentId, now)).includes(buyerId);
  },
});

// Member-only prices ask the data bank for the shop's membership levels and a buyer's level in them.
setMemberLevelSource({
  async levelsOf(tx, shopId) {
    return (await programmeOfShop(tx, shopId))?.levels.map((l) => l.name);
  },
  async levelOf(tx, shopId, buyerId) {
    return (await membershipOf(tx, shopId, buyerId))?.levelRank;
  },
});
