import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../src/config';
import type { Database } from '../src/db';
import { newId } from '../src/kernel/ids';
import { createCategory, createProduct, publishProduct } from '../src/modules/catalog';
import { ensureDefaultRuleSets } from '../src/modules/governance';
import { createAccount, hashPassword, openSession } from '../src/modules/identity';
import { accounts } from '../src/modules/identity/schema';
import { createWarehouse } from '../src/modules/inventory';
import { payDeposit, submitApplication } from '../src/modules/merchants';

export const ROOT = join(import.meta.dirname, '..');
export const PG_ADMIN_URL = process.env.JISHI_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A new, empty database on the PostgreSQL server; answers its URL and a function that drops it. */
export async function scratchDatabase(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const a = new pg.Client({ connectionString: PG_ADMIN_URL });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

/** Starts `jishi serve` in its own process (so the load generator does not share its event loop). */
export async function startServer(
  env: Record<string, string>,
  port: number,
  args: string[] = [],
): Promise<ChildProcess> {
  // JISHI_BENCH_PROFILE=dir writes a V8 CPU profile of the server to that folder when it exits.
  const profile = process.env.JISHI_BENCH_PROFILE
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.JISHI_BENCH_PROFILE}`]
    : [];
  const child = spawn(
    process.execPath,
    [...profile, '--import', 'tsx', join(ROOT, 'src/main.ts'), 'serve', ...args],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        JISHI_SEED: 'off',
        LOG_LEVEL: 'warn',
        // The API is measured, not the web app: build nothing at start.
        JISHI_WEB_BUILD: 'off',
        ...env,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/health`);
      if (r.ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error('the server did not become healthy within 60 s');
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)] as number;
}

export function machine() {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
}

/** Writes the run's figures to bench/results/<name>-<timestamp>.json and answers the path. */
export function saveResult(name: string, result: unknown): string {
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

export interface BenchMarket {
  shopId: string;
  /** A session of the shop's owner (for the seller routes). */
  ownerToken: string;
  skuIds: string[];
  /** One session per buyer. */
  tokens: string[];
}

/**
 * A market shop that opened the way a merchant's does (application, deposit insurance), with `skus`
 * published SKUs of `stock` units each, and `buyers` signed-in buyers. Buyers are written directly
 * (one password hash shared) so setting up thousands takes seconds.
 */
export async function makeBenchMarket(
  database: Database,
  opts: { skus: number; stock: number; buyers: number },
  now: Date,
): Promise<BenchMarket> {
  await ensureDefaultRuleSets(database.db, now);
  const config = loadConfig();
  const market = await database.db.transaction(async (tx) => {
    const owner = await createAccount(
      tx,
      { login: 'bench_owner', password: 'bench-pass-1', displayName: '压测店主' },
      now,
    );
    const app = await submitApplication(
      tx,
      {
        kind: 'market',
        shopName: '压测小店',
        realName: '压测',
        idNumber: '11010519491231002X',
        depositPlan: 'insurance',
        applicantAccountId: owner.id,
        identitySecret: config.identitySecret,
      },
      now,
    );
    const shopId = app.shopId as string;
    await payDeposit(tx, shopId, now);
    const warehouse = await createWarehouse(tx, shopId, { name: '压测仓', region: '浙江杭州' }, now);
    const category = await createCategory(tx, { nameZh: '压测类目', nameEn: 'Bench', slug: 'bench' }, now);
    const skuIds: string[] = [];
    for (let i = 0; i < opts.skus; i++) {
      const p = await createProduct(
        tx,
        shopId,
        {
          title: `压测商品 ${i} 蓝牙耳机`,
          categoryId: category.id,
          skus: [
            { code: `B${i}`, price: 9900 + i, stock: [{ warehouseId: warehouse.id, quantity: opts.stock }] },
          ],
        },
        now,
      );
      await publishProduct(tx, shopId, p.id, now);
      skuIds.push(p.skus[0]!.id);
    }
    const ownerToken = (await openSession(tx, owner, { sessionDays: 1 }, now)).token;
    return { shopId, skuIds, ownerToken };
  });
  const hash = await hashPassword('bench-pass-1');
  const tokens: string[] = [];
  await database.db.transaction(async (tx) => {
    const rows = Array.from({ length: opts.buyers }, (_, i) => ({
      id: newId('acct'),
      login: `bench_buyer_${i}`,
      displayName: `买家${i}`,
      passwordHash: hash,
      createdAt: now,
    }));
    for (let i = 0; i < rows.length; i += 1000) await tx.insert(accounts).values(rows.slice(i, i + 1000));
    for (const row of rows) {
      tokens.push(
        (
          await openSession(
            tx,
            { ...row, locale: 'zh-CN', isOperator: false, status: 'active' },
            { sessionDays: 1 },
            now,
          )
        ).token,
      );
    }
  });
  return { ...market, tokens };
}
