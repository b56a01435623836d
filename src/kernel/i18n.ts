// Messages in the caller's language. Modules add their own with defineMessages().
export type Locale = 'zh-CN' | 'en';
export type MessageText = { 'zh-CN': string; en: string };

const catalog = new Map<string, MessageText>();

/**
 * Adds texts to the one shared catalogue. A code means one thing everywhere: defining it again with
 * other words is a programming fault (one module would silently change another's messages).
 */
export function defineMessages(messages: Record<string, MessageText>): void {
  for (const [key, text] of Object.entries(messages)) {
    const known = catalog.get(key);
    if (known && (known['zh-CN'] !== text['zh-CN'] || known.en !== text.en)) {
      throw new Error(`message ${key} is defined twice with different texts`);
    }
    catalog.set(key, text);
  }
}

export function hasMessage(key: string): boolean {
  return catalog.has(key);
}

/** `{name}` placeholders are filled from params (own properties only); unknown ones stay as written. */
export function t(key: string, locale: Locale, params: Record<string, unknown> = {}): string {
  const text = catalog.get(key)?.[locale] ?? catalog.get(key)?.en ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name: string) =>
    Object.hasOwn(params, name) ? String(params[name]) : `{${name}}`,
  );
}

/** The q-value of one Accept-Language entry: 1 when absent, 0 (not acceptable) when malformed. */
function qValue(params: string[]): number {
  const q = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='));
  if (q === undefined) return 1;
  const value = q.slice(2).trim();
  if (!/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(value)) return 0;
  return Number(value);
}

/**
 * Picks zh-CN or en from an Accept-Language header, honouring q-values (q=0 means "not
 * acceptable"); ties keep header order; zh-CN by default. Matches on the primary subtag, so any
 * Chinese variant answers zh-CN.
 */
export function pickLocale(header: string | undefined): Locale {
  if (!header) return 'zh-CN';
  const ranked = header
    .split(',')
    .map((part, i) => {
      const [tag = '', ...params] = part.split(';');
      return { primary: tag.trim().toLowerCase().split('-')[0], q: qValue(params), i };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { primary } of ranked) {
    if (primary === 'zh') return 'zh-CN';
    if (primary === 'en') return 'en';
  }
  return 'zh-CN';
}

defineMessages({
  // generic problems
  validation_failed: { 'zh-CN': '请求参数有误', en: 'The request has invalid fields' },
  validation_failed_detail: {
    'zh-CN': '共有 {count} 处参数不符合要求',
    en: '{count} field(s) did not pass validation',
  },
  bad_request: { 'zh-CN': '请求无效', en: 'Bad request' },
  not_found: { 'zh-CN': '资源不存在', en: 'Not found' },
  route_not_found: { 'zh-CN': '接口不存在：{method} {url}', en: 'No such route: {method} {url}' },
  unauthenticated: { 'zh-CN': '请先登录', en: 'Sign in first' },
  forbidden: { 'zh-CN': '无权执行此操作', en: 'You are not allowed to do this' },
  conflict: { 'zh-CN': '操作冲突，请重试', en: 'The request conflicts with the current state' },
  internal_error: { 'zh-CN': '服务器内部错误', en: 'Internal server error' },
  bad_cursor: { 'zh-CN': '分页游标无效', en: 'The page cursor is not valid' },
  body_too_large: { 'zh-CN': '请求体过大', en: 'The request body is too large' },
  bad_json: { 'zh-CN': '请求体不是有效的 JSON', en: 'The request body is not valid JSON' },
  unsupported_media_type: { 'zh-CN': '不支持的内容类型', en: 'Unsupported content type' },
  too_many_requests: { 'zh-CN': '请求过于频繁，请稍后再试', en: 'Too many requests; try again later' },
  idempotency_key_invalid: {
    'zh-CN': 'Idempotency-Key 需为 1 到 255 个可见字符',
    en: 'Idempotency-Key must be 1 to 255 visible characters',
  },
  idempotency_key_reused: {
    'zh-CN': '该 Idempotency-Key 已用于另一个不同的请求',
    en: 'This Idempotency-Key was already used for a different request',
  },
  // field-level validation messages (from JSON-schema keywords)
  'field.required': { 'zh-CN': '必填', en: 'is required' },
  'field.type': { 'zh-CN': '类型应为 {type}', en: 'must be of type {type}' },
  'field.minLength': { 'zh-CN': '长度至少为 {limit}', en: 'must be at least {limit} characters' },
  'field.maxLength': { 'zh-CN': '长度不能超过 {limit}', en: 'must be at most {limit} characters' },
  'field.minimum': { 'zh-CN': '不能小于 {limit}', en: 'must be at least {limit}' },
  'field.maximum': { 'zh-CN': '不能大于 {limit}', en: 'must be at most {limit}' },
  'field.exclusiveMinimum': { 'zh-CN': '必须大于 {limit}', en: 'must be greater than {limit}' },
  'field.minItems': { 'zh-CN': '至少需要 {limit} 项', en: 'must have at least {limit} items' },
  'field.maxItems': { 'zh-CN': '最多 {limit} 项', en: 'must have at most {limit} items' },
  'field.enum': { 'zh-CN': '取值应为：{allowed}', en: 'must be one of: {allowed}' },
  'field.format': { 'zh-CN': '格式应为 {format}', en: 'must be a valid {format}' },
  'field.pattern': { 'zh-CN': '格式不正确', en: 'has an invalid format' },
  'field.additionalProperties': { 'zh-CN': '不允许的字段', en: 'is not an allowed field' },
  'field.uniqueItems': { 'zh-CN': '不能有重复项', en: 'must not contain duplicates' },
  'field.invalid': { 'zh-CN': '取值无效', en: 'is not valid' },
});
