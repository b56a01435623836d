import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, onPostgres } from '../../../test/helpers';
import { loadConfig } from '../../config';
import { runImportEvents } from './cli';
import { dayOf } from './days';
import { SLICE } from './testing';

const dir = mkdtempSync(join(tmpdir(), 'jishi-import-'));
// The command opens the configured database itself: a data directory of its own on PGlite, a fresh
// database on the server with JISHI_TEST_DB=postgres.
const config = {
  ...loadConfig({}),
  databaseUrl: undefined as string | undefined,
  dataDir: join(dir, 'pglite'),
};
let server: Awaited<ReturnType<typeof freshDatabase>> | undefined;
beforeAll(async () => {
  if (!onPostgres) return;
  server = await freshDatabase();
  config.databaseUrl = server.url;
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } },
  };
}

describe('jishi import events FILE', () => {
  it('loads the file with a progress bar and a summary, and a second run stores nothing', async () => {
    // The CLI runs on the system clock: replay the 2017 extract so it ends yesterday.
    const shift = dayOf(new Date()) - 1 - dayOf(new Date(1512316753_000));
    const first = io();
    expect(await runImportEvents(['events', SLICE, '--shift-days', String(shift)], first.io, config)).toBe(0);
    expect(first.err.join('')).toMatch(/\[#+\] 100%/);
    const summary = first.out.join('');
    expect(summary).toContain('rows        3,055');
    expect(summary).toContain('stored      3,055');
    expect(summary).toContain('cart 151, favourite 61, purchase 57, view 2,786');
    expect(summary).toContain('the catalogue is empty');
    const again = io();
    expect(await runImportEvents(['events', SLICE, '--shift-days', String(shift)], again.io, config)).toBe(0);
    expect(again.out.join('')).toContain('duplicates  3,055');
  });

  it('explains its usage and refuses bad arguments', async () => {
    const bad = io();
    expect(await runImportEvents(['events'], bad.io, config)).toBe(2);
    expect(bad.err.join('')).toContain('usage: jishi import events FILE');
    const shift = io();
    expect(await runImportEvents(['events', SLICE, '--shift-days', 'soon'], shift.io, config)).toBe(2);
    const missing = io();
    expect(await runImportEvents(['events', join(dir, 'nope.csv')], missing.io, config)).toBe(1);
    expect(missing.err.join('')).toContain('import failed');
  });
});
