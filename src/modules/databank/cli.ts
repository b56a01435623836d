import { parseArgs } from 'node:util';
import type { Config } from '../../config';
import { migrateDatabase } from '../../db';
import { makeClock, openConfiguredDatabase } from '../../runtime';
import { type ImportSummary, importUserBehavior } from './import';

export interface CliIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean };
}

const USAGE = `usage: jishi import events FILE [--shift-days N]
  FILE        Taobao UserBehavior CSV (user_id,item_id,category_id,behavior_type,timestamp), plain or .gz
  --shift-days N  move every timestamp by N days (replay an old extract as recent history)`;

function bar(done: number, total: number, s: ImportSummary): string {
  const width = 30;
  const share = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(share * width);
  return `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}%  ${s.rows.toLocaleString('en')} rows, ${s.stored.toLocaleString('en')} stored`;
}

export function formatSummary(file: string, s: ImportSummary): string {
  const kinds = Object.entries(s.byKind)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} ${n.toLocaleString('en')}`)
    .join(', ');
  const rate = s.seconds > 0 ? Math.round(s.stored / s.seconds) : s.stored;
  return [
    `imported ${file}`,
    `  rows        ${s.rows.toLocaleString('en')}`,
    `  stored      ${s.stored.toLocaleString('en')} (${rate.toLocaleString('en')} events/s)`,
    `  duplicates  ${s.duplicates.toLocaleString('en')} (already stored)`,
    `  malformed   ${s.malformed.toLocaleString('en')}`,
    `  out of range ${s.outOfRange.toLocaleString('en')} (older than the retention or in the future)`,
    `  by kind     ${kinds || '-'}`,
    s.products === 0 && s.stored > 0
      ? '  products    none: the catalogue is empty, so events were kept without shop, brand or category'
      : `  consumers   ${s.consumers.toLocaleString('en')}, products mapped onto ${s.products.toLocaleString('en')}`,
    `  period      ${s.firstAt ?? '-'} .. ${s.lastAt ?? '-'}`,
    `  took        ${s.seconds.toFixed(1)} s`,
    '',
  ].join('\n');
}

/**
 * `jishi import events FILE`: loads behaviour events into the configured database with a progress
 * bar on stderr and a summary on stdout. `argv` is what follows `import`. Answers the exit code.
 */
export async function runImportEvents(argv: string[], io: CliIo, config: Config): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  const parse = () =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      options: { 'shift-days': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  try {
    parsed = parse();
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const [what, file] = parsed.positionals;
  if (parsed.values.help || what !== 'events' || !file) {
    io.stderr.write(`${USAGE}\n`);
    return parsed.values.help ? 0 : 2;
  }
  const shift = parsed.values['shift-days'];
  if (shift !== undefined && !/^-?\d+$/.test(shift)) {
    io.stderr.write(`--shift-days must be a whole number of days\n${USAGE}\n`);
    return 2;
  }
  const database = await openConfiguredDatabase(config);
  try {
    await migrateDatabase(database);
    const clock = await makeClock(config, database);
    const summary = await importUserBehavior(database.db, file, {
      now: clock.now(),
      shiftDays: shift === undefined ? 0 : Number(shift),
      onProgress: (done, total, s) => io.stderr.write(bar(done, total, s)),
    });
    io.stderr.write('\n');
    io.stdout.write(formatSummary(file, summary));
    return 0;
  } catch (error) {
    io.stderr.write(`\nimport failed: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await database.close();
  }
}
