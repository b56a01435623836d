// The one way the web app talks to jishi: the public REST API under /api/v1.
import i18n from './i18n';

const TOKEN_KEY = 'jishi_token';

export function getToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}
export function setToken(token: string | null) {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

export interface FieldError {
  path: string;
  message: string;
}
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
}

/** An answer that was not 2xx: the server's problem+json. */
export class ApiError extends Error {
  constructor(public problem: Problem) {
    super(problem.detail || problem.title || `HTTP ${problem.status}`);
  }
  get status() {
    return this.problem.status;
  }
}

function newKey(): string {
  return typeof crypto.randomUUID === 'function'
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

export async function api<T = unknown>(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  const headers: Record<string, string> = { 'accept-language': i18n.language === 'en' ? 'en' : 'zh-CN' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  // A retry of the same click is safe: the server replays the first answer for the same key.
  if (method !== 'GET') headers['idempotency-key'] = newKey();
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const data = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    if (res.status === 401 && token) setToken(null);
    throw new ApiError({ status: res.status, ...(data ?? {}) });
  }
  return data as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, body ?? {});

/** `?a=1&b=2` from the defined values. */
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A non-JSON answer (a CSV export) as text, with the same headers and errors as `api`. */
export async function getText(path: string): Promise<string> {
  const headers: Record<string, string> = { 'accept-language': i18n.language === 'en' ? 'en' : 'zh-CN' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`/api/v1${path}`, { headers });
  const text = await res.text();
  if (!res.ok) {
    let problem: Partial<Problem> = {};
    try {
      problem = JSON.parse(text) as Problem;
    } catch {
      // not problem+json: the status alone
    }
    throw new ApiError({ ...problem, status: res.status });
  }
  return text;
}

/** Every page of a cursor-paged list, `onPage` told the count so far (progress bars). */
export async function allPages<T>(path: string, onPage?: (soFar: number) => void, limit = 100): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  const sep = path.includes('?') ? '&' : '?';
  do {
    const page: Page<T> = await get<Page<T>>(
      `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    items.push(...page.items);
    cursor = page.nextCursor;
    onPage?.(items.length);
  } while (cursor);
  return items;
}

/** Hands the browser a file to save (a CSV built here or fetched). */
export function saveFile(name: string, text: string, type = 'text/csv;charset=utf-8') {
  // The byte-order mark lets spreadsheet programs read the Chinese text as UTF-8.
  const blob = new Blob([type.startsWith('text/csv') ? '\ufeff' : '', text], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
