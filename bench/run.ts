// `npm run bench -- <name> [options]`: runs one benchmark, prints a summary, writes JSON to bench/results/.
const benches: Record<string, () => Promise<{ main(args: string[]): Promise<void> }>> = {
  checkout: () => import('./checkout'),
  databank: () => import('./databank'),
  'flash-sale': () => import('./flash-sale'),
  queries: () => import('./queries'),
  search: () => import('./search'),
};

const [name, ...args] = process.argv.slice(2);
const load = name ? benches[name] : undefined;
if (!load) {
  console.error(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [options]`);
  process.exit(2);
}
const bench = await load();
await bench.main(args);

export {};
