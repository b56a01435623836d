import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**', 'web/dist/**'],
    pool: 'forks',
    // Both cores: test files wait on PostgreSQL or a browser much of the time (the default is half).
    maxWorkers: 2,
    // The test files of a worker share one module registry instead of each importing everything again:
    // the app's modules, the PGlite snapshot read once per worker and the compiled route schemas
    // (src/kernel/compilers.ts) are then loaded once per worker, not once per file. Each file still
    // opens its own database and app and closes them. PGlite pass 724 s -> 469 s, PostgreSQL pass
    // 345 s -> 207 s (2026-11-24).
    isolate: false,
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    // A browser test polls the page for what a click changed: on two busy cores a request alone can
    // take most of a second, which vitest's default (1 s) does not allow for. A poll still ends as
    // soon as it holds.
    expect: { poll: { timeout: 10_000 } },
    hookTimeout: 60_000,
    env: { NODE_ENV: 'test' },
  },
});
