import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type FieldError, isSerializationConflict, toProblem } from './errors';

const LOCATION: Record<string, FieldError['in']> = {
  body: 'body',
  querystring: 'query',
  params: 'params',
  headers: 'headers',
};

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
}

/** Schema failures become field errors with messages we own (in both languages), not Ajv's English. */
export function fromValidation(errors: AjvError[], context: string | undefined): AppError {
  const seen = new Map<string, FieldError>();
  const fields: FieldError[] = [];
  for (const e of errors) {
    // anyOf/oneOf unions repeat each branch's failure; report the union once.
    let path = e.instancePath || '';
    let code = `field.${e.keyword}`;
    const params: Record<string, unknown> = {};
    switch (e.keyword) {
      case 'required':
        path = `${path}/${String(e.params.missingProperty)}`;
        break;
      case 'additionalProperties':
        path = `${path}/${String(e.params.additionalProperty)}`;
        break;
      case 'type':
        params.type = e.params.type;
        break;
      case 'enum':
        params.allowed = (e.params.allowedValues as unknown[]).join(', ');
        break;
      case 'const':
        code = 'field.enum';
        params.allowed = String(e.params.allowedValue);
        break;
      case 'format':
        params.format = e.params.format;
        break;
      case 'minLength':
      case 'maxLength':
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'minItems':
      case 'maxItems':
        params.limit = e.params.limit;
        break;
      case 'pattern':
      case 'uniqueItems':
        break;
      default:
        code = 'field.invalid';
    }
    const id = `${path}|${code}`;
    const earlier = seen.get(id);
    if (earlier) {
      // A union of literals fails once per literal: list them all, not only the first.
      if (e.keyword === 'const' && earlier.params) {
        const allowed = String(earlier.params.allowed).split(', ');
        if (!allowed.includes(String(params.allowed))) {
          earlier.params.allowed = [...allowed, params.allowed].join(', ');
        }
      }
      continue;
    }
    const field: FieldError = { path, in: LOCATION[context ?? 'body'], code, params };
    seen.set(id, field);
    fields.push(field);
  }
  // When a union fails, Ajv reports every branch; keep the most specific errors per path.
  const byPath = new Map<string, FieldError[]>();
  for (const f of fields) byPath.set(f.path, [...(byPath.get(f.path) ?? []), f]);
  const trimmed = [...byPath.values()].flatMap((list) =>
    list.length > 1 ? list.filter((f) => f.code !== 'field.invalid' && f.code !== 'field.anyOf') : list,
  );
  return new AppError(
    400,
    'validation_failed',
    {},
    trimmed.length ? trimmed : fields,
    'validation_failed_detail',
  );
}

export function errorHandler(
  error: FastifyError | AppError | Error,
  req: FastifyRequest,
  reply: FastifyReply,
) {
  let appError: AppError;
  if (error instanceof AppError) {
    appError = error;
  } else {
    const fe = error as FastifyError & { validation?: AjvError[]; validationContext?: string };
    if (fe.validation) appError = fromValidation(fe.validation, fe.validationContext);
    else if (fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
      appError = new AppError(400, 'bad_json');
    else if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') appError = new AppError(413, 'body_too_large');
    else if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      appError = new AppError(415, 'unsupported_media_type');
    else if (fe.statusCode === 429) appError = new AppError(429, 'too_many_requests');
    else if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500)
      appError = new AppError(fe.statusCode, BY_STATUS[fe.statusCode] ?? 'bad_request');
    else if (isSerializationConflict(error)) appError = new AppError(409, 'conflict');
    else {
      req.log.error({ err: error }, 'unhandled error');
      appError = new AppError(500, 'internal_error');
    }
  }
  if (appError.status >= 500) req.log.error({ err: error }, 'server error');
  const problem = toProblem(appError, req.locale ?? 'zh-CN');
  return reply
    .code(appError.status)
    .header('content-type', 'application/problem+json; charset=utf-8')
    .header('content-language', req.locale ?? 'zh-CN')
    .send(JSON.stringify(problem));
}

const BY_STATUS: Record<number, string> = {
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
};
