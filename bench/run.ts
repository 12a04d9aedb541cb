/**
 * `npm run bench -- <suite...> [--json] [--filter TEXT] [--quick]`
 * Runs the named suites (all when none is named) in one process, one after another.
 */
import { parseArgs } from 'node:util';
import type { Suite } from './util';

// Each suite is bench/<name>.ts exporting `run: Suite`.
const SUITE_NAMES = ['gemm', 'data', 'ged', 'optim', 'train-step', 'parallel'];
const SUITES: Record<string, () => Promise<{ run: Suite }>> = Object.fromEntries(
  SUITE_NAMES.map((n) => [n, () => import(new URL(`./${n}.ts`, import.meta.url).href) as Promise<{ run: Suite }>]),
);

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    json: { type: 'boolean', default: false },
    filter: { type: 'string' },
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(`usage: npm run bench -- [${Object.keys(SUITES).join('|')} ...] [--json] [--filter TEXT] [--quick]`);
  process.exit(0);
}
const names = positionals.length ? positionals : Object.keys(SUITES);
for (const name of names) {
  const load = SUITES[name];
  if (!load) {
    console.error(`unknown bench suite '${name}'; known: ${Object.keys(SUITES).join(', ')}`);
    process.exit(2);
  }
  let mod: { run: Suite };
  try {
    mod = await load();
  } catch (err) {
    console.error(`bench suite '${name}' is not available yet: ${(err as Error).message.split('\n')[0]}`);
    continue;
  }
  await mod.run({ json: values.json!, filter: values.filter, quick: values.quick! });
}
