import type { Locale } from './i18n';
import { t } from './i18n';

export interface FieldError {
  /** JSON pointer into the request part named by `in` (e.g. `/skus/0/price`). */
  path: string;
  in?: 'body' | 'query' | 'params' | 'headers';
  /** Message key (see i18n) and its parameters; rendered in the caller's language. */
  code: string;
  params?: Record<string, unknown>;
}

/**
 * A failure the caller can act on. `code` names the rule or problem (it becomes the problem `type`)
 * and is also the message key for the title.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly params: Record<string, unknown> = {},
    readonly fieldErrors: FieldError[] = [],
    /** Message key for the detail line, when it differs from the title. */
    readonly detailKey?: string,
  ) {
    super(code);
  }
}

export const notFound = (what = 'not_found') => new AppError(404, what);
export const forbidden = (what = 'forbidden') => new AppError(403, what);
export const unauthenticated = () => new AppError(401, 'unauthenticated');
export const conflict = (code = 'conflict', params?: Record<string, unknown>) =>
  new AppError(409, code, params);
/** A platform rule refused the request: 422 with a `type` naming the rule. */
export const ruleViolation = (rule: string, params?: Record<string, unknown>) =>
  new AppError(422, rule, params);
/** Several invalid fields found by domain logic, answered together. */
export const invalidFields = (errors: FieldError[]) =>
  new AppError(400, 'validation_failed', {}, errors, 'validation_failed_detail');
/** One invalid body field, for invalidFields. */
export const bodyField = (path: string, code: string, params?: Record<string, unknown>): FieldError => ({
  path,
  in: 'body',
  code,
  params,
});
/** One invalid field, found by domain logic rather than by the schema. */
export const invalidField = (path: string, code: string, params?: Record<string, unknown>) =>
  invalidFields([bodyField(path, code, params)]);

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: { path: string; in?: string; message: string }[];
}

export function problemType(code: string): string {
  return `urn:jishi:problem:${code.replace(/_/g, '-')}`;
}

export function toProblem(err: AppError, locale: Locale): Problem {
  const params = { ...err.params, count: err.fieldErrors.length };
  const title = t(err.code, locale, params);
  const problem: Problem = {
    type: problemType(err.code),
    title,
    status: err.status,
    detail: err.detailKey ? t(err.detailKey, locale, params) : title,
    code: err.code,
  };
  if (err.fieldErrors.length) {
    problem.errors = err.fieldErrors.map((f) => ({
      path: f.path,
      in: f.in,
      message: t(f.code, locale, f.params),
    }));
    // The detail names the fields, so a log line alone says what was wrong.
    problem.detail = `${problem.detail}: ${problem.errors.map((e) => `${e.path || '/'} ${e.message}`).join('; ')}`;
  }
  return problem;
}

/**
 * PostgreSQL's serialization failure (40001) or deadlock (40P01), anywhere in the error's cause
 * chain (drizzle wraps the driver's error): the transaction may simply be run again.
 */
export function isSerializationConflict(error: unknown): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code === '40001' || e.code === '40P01') return true;
  }
  return false;
}

/** The error's stack, with its causes' messages under the first line (drizzle's own names only the query). */
export function errorText(error: unknown): string {
  const [head, ...stack] = String((error as Error)?.stack ?? error).split('\n');
  const causes: string[] = [];
  for (let c = (error as Error)?.cause as Error | undefined; c; c = c.cause as Error | undefined) {
    causes.push(`  cause: ${c.message ?? String(c)}`);
  }
  return [head, ...causes, ...stack].join('\n').slice(0, 2000);
}
