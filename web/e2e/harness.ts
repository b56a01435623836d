/**
 * End-to-end harness: a real `jishi serve` process on a fresh PGlite database with the manual
 * clock, the web app built, Debian's Chromium driven by playwright-core, and an API client for the
 * parts a browser does not play (the operator's fixtures, the carrier's signed scans).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { makeIdNumber } from '../../src/modules/merchants/testing';
import { signPayload } from '../../src/modules/trade/signatures';
import { ensureWebApp } from '../../src/web';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = process.env.JISHI_CHROMIUM || '/usr/bin/chromium';
export const OPERATOR = { login: 'admin', password: 'e2e-operator-pass' };
const SANDBOX_SECRET = 'e2e-sandbox-secret';
export const PASSWORD = 'e2e-password-1';

/**
 * Whether the browser tests run here: Chromium present. CI sets JISHI_REQUIRE_E2E=1, where a
 * missing browser is a failure rather than a skip.
 */
export function e2eEnabled(chromiumPath: string = CHROMIUM, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.JISHI_TEST_DB === 'postgres') {
    // The browser tests start their own server on PGlite: the PGlite pass of the suite runs them.
    console.warn('web e2e tests skipped on the PostgreSQL pass: they run on the PGlite pass');
    return false;
  }
  if (existsSync(chromiumPath)) return true;
  if (env.JISHI_REQUIRE_E2E === '1') {
    throw new Error(`JISHI_REQUIRE_E2E=1 but ${chromiumPath} is missing: apt-get install -y chromium`);
  }
  console.warn(
    `web e2e tests skipped: ${chromiumPath} not found (apt-get install -y chromium to run them; CI requires them)`,
  );
  return false;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface Api {
  call<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  ok<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
}

export function apiClient(base: string, token?: string): Api {
  const call = async <T>(method: string, path: string, body?: unknown) => {
    const r = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: {
        'accept-language': 'en',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  return {
    call,
    async ok<T>(method: string, path: string, body?: unknown) {
      const r = await call<T>(method, path, body);
      if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    },
  };
}

export interface Market {
  base: string;
  browser: Browser;
  operator: Api;
  /** A signed-in API client for a new account. */
  signUp(login: string, displayName: string): Promise<{ api: Api; token: string; login: string }>;
  /** A market shop with a warehouse, opened for a new account. */
  openShop(
    login: string,
    shopName: string,
  ): Promise<{ api: Api; shopId: string; warehouseId: string; login: string }>;
  /** The carrier's signed pick-up scan, timed by the server's (manual) clock. */
  pickUp(trackingNo: string): Promise<void>;
  advance(hours: number): Promise<void>;
  /** A browser context in this language, signed in as `login` when given. */
  context(locale: 'zh-CN' | 'en-US', login?: string): Promise<BrowserContext>;
  shot(page: Page, name: string): Promise<void>;
  stop(): Promise<void>;
}

/** Builds the web app when stale, starts the server and the browser. */
export async function startMarket(label: string): Promise<Market> {
  await ensureWebApp(() => undefined);
  const dataDir = mkdtempSync(join(tmpdir(), `jishi-e2e-${label}-`));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const { DATABASE_URL: _ignored, ...env } = process.env;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], {
    cwd: ROOT,
    env: {
      ...env,
      NODE_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      JISHI_DATA_DIR: join(dataDir, 'pglite'),
      JISHI_CLOCK: 'manual',
      JISHI_SEED: 'off',
      JISHI_ADMIN_LOGIN: OPERATOR.login,
      JISHI_ADMIN_PASSWORD: OPERATOR.password,
      JISHI_SANDBOX_SECRET: SANDBOX_SECRET,
      JISHI_SCHEDULER_INTERVAL_MS: '100',
      JISHI_WEB_BUILD: 'off',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += String(d);
  });
  child.stderr?.on('data', (d) => {
    output += String(d);
  });
  const until = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`jishi serve exited:\n${output}`);
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error(`jishi serve did not become healthy:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  const anon = apiClient(base);
  const login = async (l: string, password: string) =>
    (await anon.ok<{ token: string }>('POST', '/auth/login', { login: l, password })).token;
  const operator = apiClient(base, await login(OPERATOR.login, OPERATOR.password));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const shotDir = process.env.JISHI_E2E_SCREENSHOTS || join(tmpdir(), 'jishi-e2e-screenshots');
  mkdirSync(shotDir, { recursive: true });

  const signUp = async (l: string, displayName: string) => {
    await anon.ok('POST', '/auth/register', { login: l, password: PASSWORD, displayName });
    const token = await login(l, PASSWORD);
    return { api: apiClient(base, token), token, login: l };
  };

  return {
    base,
    browser,
    operator,
    signUp,
    async openShop(l, shopName) {
      const owner = await signUp(l, shopName);
      const application = await owner.api.ok<{ shopId: string }>('POST', '/merchant/applications', {
        kind: 'market',
        shopName,
        realName: '张三',
        idNumber: makeIdNumber(),
        depositPlan: 'deposit',
      });
      const warehouse = await owner.api.ok<{ id: string }>(
        'POST',
        `/seller/shops/${application.shopId}/warehouses`,
        { name: '主仓', region: '浙江省杭州市' },
      );
      return { api: owner.api, shopId: application.shopId, warehouseId: warehouse.id, login: l };
    },
    async pickUp(trackingNo) {
      const { now } = await operator.ok<{ now: string }>('GET', '/admin/clock');
      const raw = JSON.stringify({ carrier: 'sandbox', trackingNo, event: 'picked_up', at: now });
      const r = await fetch(`${base}/api/v1/logistics/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-jishi-signature': signPayload(SANDBOX_SECRET, raw, new Date(now)),
        },
        body: raw,
      });
      if (!r.ok) throw new Error(`pick-up scan refused: ${r.status} ${await r.text()}`);
    },
    async advance(hours) {
      await operator.ok('POST', '/admin/clock/advance', { hours });
    },
    async context(locale, asLogin) {
      const ctx = await browser.newContext({ locale, viewport: { width: 1280, height: 860 } });
      ctx.setDefaultTimeout(15_000);
      // Failed API calls and page errors in the log make a failing flow readable.
      ctx.on('response', (res) => {
        if (res.status() >= 400 && res.url().includes('/api/')) {
          console.warn(`[${label}] ${res.status()} ${res.request().method()} ${res.url()}`);
        }
      });
      ctx.on('weberror', (e) => console.warn(`[${label}] page error: ${e.error().message}`));
      if (asLogin) {
        const token = await login(asLogin, asLogin === OPERATOR.login ? OPERATOR.password : PASSWORD);
        // The app keeps its bearer token in localStorage (web/src/api.ts).
        await ctx.addInitScript((t) => {
          try {
            if (!localStorage.getItem('jishi_token')) localStorage.setItem('jishi_token', t);
          } catch {
            // about:blank has no storage
          }
        }, token);
      }
      return ctx;
    },
    async shot(page, name) {
      await page.screenshot({ path: join(shotDir, `${label}-${name}.png`) });
    },
    async stop() {
      await browser.close().catch(() => undefined);
      child.kill('SIGTERM');
      await new Promise((r) => {
        if (child.exitCode !== null) r(undefined);
        else child.once('exit', r);
        setTimeout(r, 10_000);
      });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
