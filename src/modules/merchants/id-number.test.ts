import { describe, expect, it } from 'vitest';
import { idNumberCheckChar, idNumberDigest, isValidIdNumber, maskIdNumber } from './id-number';
import { makeIdNumber } from './testing';

describe('resident identity numbers (GB 11643, ISO 7064 MOD 11-2)', () => {
  it('computes the check character, including X for 10', () => {
    // Published sample numbers.
    expect(idNumberCheckChar('11010519491231002')).toBe('X');
    expect(idNumberCheckChar('44052418800101001')).toBe('4');
    expect(isValidIdNumber('11010519491231002X')).toBe(true);
    expect(isValidIdNumber('440524188001010014')).toBe(false); // born 1880: before 1900
    expect(isValidIdNumber('110105194912310021')).toBe(false);
  });

  it('accepts a lower-case x and surrounding spaces', () => {
    expect(isValidIdNumber(' 11010519491231002x ')).toBe(true);
  });

  it('refuses a wrong check character, a wrong length, letters and impossible birth dates', () => {
    const good = makeIdNumber(7);
    expect(isValidIdNumber(good)).toBe(true);
    const wrongCheck = good.slice(0, 17) + (good[17] === '0' ? '1' : '0');
    expect(isValidIdNumber(wrongCheck)).toBe(false);
    expect(isValidIdNumber(good.slice(0, 17))).toBe(false);
    expect(isValidIdNumber(`${good}0`)).toBe(false);
    expect(isValidIdNumber('11010A19491231002X')).toBe(false);
    expect(isValidIdNumber('01010519491231002X')).toBe(false);
    // 1990-02-30 does not exist, even with a matching check character.
    const feb30 = '11010519900230001';
    expect(isValidIdNumber(feb30 + idNumberCheckChar(feb30))).toBe(false);
    const dec31 = '11010519901231001';
    expect(isValidIdNumber(dec31 + idNumberCheckChar(dec31))).toBe(true);
  });

  it('masks all but the first 3 and last 4 characters', () => {
    expect(maskIdNumber('11010519491231002x')).toBe('110***********002X');
  });

  it('digests with the secret: same number same digest, another secret another digest', () => {
    const a = idNumberDigest('k1', '11010519491231002X');
    expect(a).toHaveLength(64);
    expect(idNumberDigest('k1', '11010519491231002x')).toBe(a);
    expect(idNumberDigest('k2', '11010519491231002X')).not.toBe(a);
  });

  it('the test generator makes distinct valid numbers', () => {
    const ids = new Set(Array.from({ length: 2500 }, (_, i) => makeIdNumber(i + 1)));
    expect(ids.size).toBe(2500);
    for (const id of ids) expect(isValidIdNumber(id)).toBe(true);
  });
});
