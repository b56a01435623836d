import { describe, expect, it } from 'vitest';
import { defineMessages, hasMessage, pickLocale, t } from './i18n';

describe('pickLocale', () => {
  it('defaults to zh-CN without a usable header', () => {
    expect(pickLocale(undefined)).toBe('zh-CN');
    expect(pickLocale('')).toBe('zh-CN');
    expect(pickLocale('*')).toBe('zh-CN');
    expect(pickLocale('fr-FR, de;q=0.8')).toBe('zh-CN');
  });

  it('takes the first supported language in header order when q-values are equal or absent', () => {
    expect(pickLocale('en')).toBe('en');
    expect(pickLocale('en-US,en;q=0.9')).toBe('en');
    expect(pickLocale('EN-GB')).toBe('en');
    expect(pickLocale('zh-CN,zh;q=0.9,en;q=0.8')).toBe('zh-CN');
    expect(pickLocale('zh-TW')).toBe('zh-CN');
    expect(pickLocale('en;q=0.8, zh;q=0.8')).toBe('en');
    expect(pickLocale('fr, en')).toBe('en');
  });

  it('ranks by q-value, not by position', () => {
    expect(pickLocale('en;q=0.5, zh;q=0.8')).toBe('zh-CN');
    expect(pickLocale('zh;q=0.5, en;q=0.8')).toBe('en');
    expect(pickLocale('zh-CN;q=0.1, fr;q=0.9, en-US;q=0.2')).toBe('en');
    expect(pickLocale(' zh ; q=0.3 , en ; q=0.7 ')).toBe('en');
    expect(pickLocale('zh;Q=0.2, en;Q=0.4')).toBe('en');
  });

  it('treats q=0 as "not acceptable" and ignores malformed q-values rather than preferring them', () => {
    expect(pickLocale('fr, en;q=0')).toBe('zh-CN');
    expect(pickLocale('en;q=0, zh;q=0.1')).toBe('zh-CN');
    expect(pickLocale('en;q=0.000')).toBe('zh-CN');
    expect(pickLocale('zh;q=abc, en;q=0.5')).toBe('en');
  });

  it('matches the primary subtag, not any tag that merely starts with the same letters', () => {
    expect(pickLocale('english;q=1, zh;q=0.5')).toBe('zh-CN');
    expect(pickLocale('zhx;q=1, en;q=0.5')).toBe('en');
  });
});

describe('t', () => {
  defineMessages({
    'test.kernel.greeting': {
      'zh-CN': '{name}，您好！您有 {count} 条新消息（{count} 条未读）',
      en: 'Hello {name}, you have {count} new messages ({count} unread)',
    },
    'test.kernel.plain': { 'zh-CN': '没有占位符', en: 'No placeholders' },
  });

  it('fills every occurrence of each placeholder in the chosen language', () => {
    expect(t('test.kernel.greeting', 'zh-CN', { name: '小明', count: 3 })).toBe(
      '小明，您好！您有 3 条新消息（3 条未读）',
    );
    expect(t('test.kernel.greeting', 'en', { name: 'Ming', count: 0 })).toBe(
      'Hello Ming, you have 0 new messages (0 unread)',
    );
  });

  it('leaves a placeholder without a parameter visible instead of inventing a value', () => {
    expect(t('test.kernel.greeting', 'en', { name: 'Ming' })).toBe(
      'Hello Ming, you have {count} new messages ({count} unread)',
    );
    expect(t('test.kernel.greeting', 'en', { count: 1, constructor: undefined })).toContain('Hello {name}');
    // Names inherited from Object.prototype are not parameters.
    defineMessages({ 'test.kernel.proto': { 'zh-CN': '{toString}', en: '{toString}' } });
    expect(t('test.kernel.proto', 'en', {})).toBe('{toString}');
  });

  it('answers the key itself for an unknown message, and hasMessage tells them apart', () => {
    expect(t('test.kernel.missing', 'zh-CN')).toBe('test.kernel.missing');
    expect(hasMessage('test.kernel.missing')).toBe(false);
    expect(hasMessage('test.kernel.plain')).toBe(true);
    expect(t('test.kernel.plain', 'en', { unused: 1 })).toBe('No placeholders');
  });

  it('has every kernel problem in both languages with the same placeholders', () => {
    const codes = [
      'validation_failed',
      'validation_failed_detail',
      'bad_request',
      'not_found',
      'route_not_found',
      'unauthenticated',
      'forbidden',
      'conflict',
      'internal_error',
      'bad_cursor',
      'body_too_large',
      'bad_json',
      'unsupported_media_type',
      'too_many_requests',
      'idempotency_key_invalid',
      'idempotency_key_reused',
      'field.required',
      'field.type',
      'field.minLength',
      'field.maxLength',
      'field.minimum',
      'field.maximum',
      'field.exclusiveMinimum',
      'field.minItems',
      'field.maxItems',
      'field.enum',
      'field.format',
      'field.pattern',
      'field.additionalProperties',
      'field.uniqueItems',
      'field.invalid',
    ];
    const holes = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const code of codes) {
      expect(hasMessage(code), code).toBe(true);
      const zh = t(code, 'zh-CN');
      const en = t(code, 'en');
      expect(zh, code).not.toBe(en);
      expect(zh, code).toMatch(/\p{Script=Han}/u);
      expect(holes(zh), code).toEqual(holes(en));
    }
  });
});
