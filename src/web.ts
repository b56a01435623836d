// The web app (web/): where its build lives, and building it when the sources are newer.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const webRoot = fileURLToPath(new URL('../web', import.meta.url));
export const webDist = join(webRoot, 'dist');

/** Newest modification time (ms) of the files under `path`, or of `path` itself. */
function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * True when web/dist is missing or older than any source of the app (web/src, index.html, the vite
 * config). A stat walk of a few dozen files: fast enough to run on every start.
 */
export function webBuildStale(root: string = webRoot): boolean {
  const built = join(root, 'dist', 'index.html');
  if (!existsSync(built)) return true;
  const sources = Math.max(
    newestMtime(join(root, 'src')),
    newestMtime(join(root, 'index.html')),
    newestMtime(join(root, 'vite.config.ts')),
  );
  return sources > statSync(built).mtimeMs;
}

/**
 * Builds the web app with Vite when it is stale; answers whether it built. Several processes may
 * start at once (test files, a server): a lock directory lets one build while the others wait.
 * `JISHI_WEB_BUILD=off` serves whatever web/dist holds.
 */
export async function ensureWebApp(log: (message: string) => void = console.log): Promise<boolean> {
  if (process.env.JISHI_WEB_BUILD === 'off' || !existsSync(join(webRoot, 'index.html'))) return false;
  if (!webBuildStale()) return false;
  const lock = join(
    tmpdir(),
    `jishi-web-build-${createHash('sha1').update(webRoot).digest('hex').slice(0, 12)}.lock`,
  );
  const waitUntil = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock left by a build that died long ago is taken over.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 300_000)
        rmSync(lock, { recursive: true });
      if (Date.now() > waitUntil)
        throw new Error(`web app build: ${lock} is held; remove it if no build runs`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    if (!webBuildStale()) return false; // another process built it while this one waited
    log('building the web app (web/ -> web/dist) ...');
    const started = Date.now();
    const { build } = await import('vite');
    // React and antd pick their production code by NODE_ENV, which a test run sets to "test".
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await build({ configFile: join(webRoot, 'vite.config.ts'), mode: 'production', logLevel: 'warn' });
    } finally {
      if (nodeEnv === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = nodeEnv;
    }
    log(`web app built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return true;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
