// How the server serves the web app (src/app.ts) and when `npm start` rebuilds it (src/web.ts).
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebApp, webBuildStale } from '../src/web';
import { makeTestApp, type TestContext } from '../test/helpers';

describe('web app build check', () => {
  const root = mkdtempSync(join(tmpdir(), 'jishi-web-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const at = (file: string, seconds: number) => {
    const t = new Date(Date.UTC(2026, 0, 1, 0, 0, seconds));
    utimesSync(join(root, file), t, t);
  };

  it('is stale without a build, fresh after one, stale again when a source is newer', () => {
    mkdirSync(join(root, 'src', 'pages'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<div id="root"></div>');
    writeFileSync(join(root, 'src', 'pages', 'home.tsx'), 'export {}');
    at('index.html', 1);
    at('src/pages/home.tsx', 2);
    expect(webBuildStale(root)).toBe(true);

    mkdirSync(join(root, 'dist'));
    writeFileSync(join(root, 'dist', 'index.html'), 'built');
    at('dist/index.html', 3);
    expect(webBuildStale(root)).toBe(false);

    at('src/pages/home.tsx', 4); // an edit deep in web/src
    expect(webBuildStale(root)).toBe(true);
  });
});

describe('serving the web app beside the API', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    // The app is served when web/dist exists at start: build it first when it is stale.
    await ensureWebApp(() => undefined);
    ctx = await makeTestApp();
  }, 300_000);
  afterAll(async () => ctx?.close());

  it('answers the app at / and at any page path, with the API and its 404s untouched', async () => {
    const home = await ctx.app.inject({ method: 'GET', url: '/' });
    expect(home.statusCode).toBe(200);
    expect(home.headers['content-type']).toContain('text/html');
    expect(home.body).toContain('<div id="root">');

    for (const url of ['/seller/orders', '/products/prod_123?x=1', '/admin/clock']) {
      const page = await ctx.app.inject({ method: 'GET', url });
      expect(page.statusCode, url).toBe(200);
      expect(page.body, url).toContain('<div id="root">');
      expect(page.headers['cache-control'], url).toBe('no-cache');
    }

    const api = await ctx.app.inject({ method: 'GET', url: '/api/v1/no-such-thing' });
    expect(api.statusCode).toBe(404);
    expect(api.headers['content-type']).toContain('application/problem+json');
    const asset = await ctx.app.inject({ method: 'GET', url: '/assets/missing-file.js' });
    expect(asset.statusCode).toBe(404);
    const post = await ctx.app.inject({ method: 'POST', url: '/seller/orders', payload: {} });
    expect(post.statusCode).toBe(404);

    const script = /src="(\/assets\/[^"]+\.js)"/.exec(home.body)?.[1];
    expect(script).toBeDefined();
    const js = await ctx.app.inject({ method: 'GET', url: script as string });
    expect(js.statusCode).toBe(200);
    expect(js.headers['cache-control']).toContain('immutable');
  });
});
