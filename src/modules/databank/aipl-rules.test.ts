import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../governance';
import { type Facts, factsOfEvent, mergeFacts, NO_FACTS, stageOf } from './aipl-rules';
import { dayOf, dayStart, parseDay } from './days';

const W = DEFAULT_RULES.market.aipl;
const T = 20_000; // "today" as a day number
const f = (patch: Partial<Facts>): Facts => ({ ...NO_FACTS, ...patch });

describe('AIPL stage boundaries (windows from the rule set: 15 / 15 / 910 / 365, two purchase days)', () => {
  it('uses the governance defaults', () => {
    expect(W).toEqual({
      awarenessDays: 15,
      interestDays: 15,
      purchaseDays: 910,
      loyaltyDays: 365,
      loyaltyMinPurchaseDays: 2,
    });
  });

  it('awareness: an exposure 15 days ago counts, 16 days ago does not', () => {
    expect(stageOf(f({ exposureDay: T - 15 }), T, W)).toBe('awareness');
    expect(stageOf(f({ exposureDay: T - 16 }), T, W)).toBe('none');
    expect(stageOf(f({ exposureDay: T }), T, W)).toBe('awareness');
  });

  it('interest: active contact 15 days ago counts, 16 does not; views on one day are awareness, on two interest', () => {
    expect(stageOf(f({ activeDay: T - 15 }), T, W)).toBe('interest');
    expect(stageOf(f({ activeDay: T - 16 }), T, W)).toBe('none');
    expect(stageOf(f({ viewDays: [T - 3] }), T, W)).toBe('awareness');
    expect(stageOf(f({ viewDays: [T - 3, T - 15] }), T, W)).toBe('interest');
    expect(stageOf(f({ viewDays: [T - 3, T - 16] }), T, W)).toBe('awareness');
  });

  it('purchase: bought 909 days ago counts, 911 does not (910 is the last day)', () => {
    expect(stageOf(f({ purchaseDays: [T - 909] }), T, W)).toBe('purchase');
    expect(stageOf(f({ purchaseDays: [T - 910] }), T, W)).toBe('purchase');
    expect(stageOf(f({ purchaseDays: [T - 911] }), T, W)).toBe('none');
  });

  it('loyalty: purchases on two distinct days within 365, not one; a positive review or share also', () => {
    expect(stageOf(f({ purchaseDays: [T - 1] }), T, W)).toBe('purchase');
    expect(stageOf(f({ purchaseDays: [T - 1, T - 365] }), T, W)).toBe('loyalty');
    expect(stageOf(f({ purchaseDays: [T - 1, T - 366] }), T, W)).toBe('purchase');
    expect(stageOf(f({ purchaseDays: [T - 400], praiseDay: T - 365 }), T, W)).toBe('loyalty');
    expect(stageOf(f({ purchaseDays: [T - 400], praiseDay: T - 366 }), T, W)).toBe('purchase');
  });

  it('the highest applicable stage wins', () => {
    const all = f({ exposureDay: T, viewDays: [T, T - 1], activeDay: T, purchaseDays: [T], praiseDay: null });
    expect(stageOf(all, T, W)).toBe('purchase');
    expect(stageOf({ ...all, purchaseDays: [T, T - 2] }, T, W)).toBe('loyalty');
    expect(stageOf({ ...all, purchaseDays: [] }, T, W)).toBe('interest');
    expect(stageOf(f({ exposureDay: T, viewDays: [T] }), T, W)).toBe('awareness');
  });

  it('a rule set needing three purchase days changes the answer', () => {
    const three = { ...W, loyaltyMinPurchaseDays: 3 };
    expect(stageOf(f({ purchaseDays: [T, T - 5] }), T, three)).toBe('purchase');
    expect(stageOf(f({ purchaseDays: [T, T - 5, T - 9] }), T, three)).toBe('loyalty');
  });

  it('merging facts does not depend on order or grouping', () => {
    const ev = fc.record({
      effect: fc.constantFrom('passive', 'view', 'active', 'purchase', 'praise' as const),
      day: fc.integer({ min: 0, max: 5000 }),
      amount: fc.integer({ min: 0, max: 10_000 }),
    });
    fc.assert(
      fc.property(fc.array(ev, { maxLength: 40 }), fc.integer({ min: 0, max: 40 }), (events, cut) => {
        const facts = events.map((e) => factsOfEvent(e.effect, e.day, e.amount));
        const left = facts.reduce(mergeFacts, NO_FACTS);
        const right = [...facts].reverse().reduce(mergeFacts, NO_FACTS);
        const split = mergeFacts(
          facts.slice(0, cut).reduce(mergeFacts, NO_FACTS),
          facts.slice(cut).reduce(mergeFacts, NO_FACTS),
        );
        expect(right).toEqual(left);
        expect(split).toEqual(left);
      }),
    );
  });
});

describe('China-time days', () => {
  it('a day starts at 00:00 UTC+8', () => {
    const d = parseDay('2017-11-25')!;
    expect(dayStart(d).toISOString()).toBe('2017-11-24T16:00:00.000Z');
    expect(dayOf(new Date(1511539200_000))).toBe(d);
    expect(dayOf(new Date(1511539200_000 - 1))).toBe(d - 1);
    expect(parseDay('2017-02-30')).toBeUndefined();
  });
});
