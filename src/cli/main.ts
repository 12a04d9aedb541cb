/**
 * The `grapheme-train` command. Each subcommand lives in src/cli/<name>.ts and exports
 * `register(program)`; this file only wires them together. To add one, import its register
 * function and append it to SUBCOMMANDS.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { exitCodeOf, formatFailure } from './errors';
import { register as registerGenerate } from './generate';
import { register as registerValidate } from './validate';
import { register as registerTrain } from './train';
import { register as registerEval } from './eval';

const SUBCOMMANDS: ((program: Command) => void)[] = [registerGenerate, registerValidate, registerTrain, registerEval];

/** The package's version: the nearest package.json named grapheme-train above this module (dist/ or src/cli/). */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    const path = join(dir, 'package.json');
    if (!existsSync(path)) continue;
    const pkg = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'grapheme-train' && pkg.version) return pkg.version;
  }
  return 'unknown';
}

export function buildProgram(): Command {
  const program = new Command('grapheme-train')
    .description('Train GRAPHEME graph-to-graph networks on math-expression graphs')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError()
    .option('--verbose', 'print the stack trace of a failure (also: DEBUG=1)')
    // usage errors come back as a CommanderError (exit 2), not a process.exit
    .exitOverride();
  for (const register of SUBCOMMANDS) register(program);
  return program;
}

/** Runs the CLI on a full argv (node, script, ...args); throws what a command throws. */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  await buildProgram().parseAsync([...argv]);
}

/**
 * Runs the CLI and never throws: the exit code (0, 1 for a failed run, 2 for bad input),
 * with any failure printed as one line on stderr (./errors.ts). The bin launcher calls this.
 */
export async function run(argv: readonly string[] = process.argv): Promise<number> {
  try {
    await main(argv);
    return Number(process.exitCode ?? 0);
  } catch (err) {
    // commander printed its own usage message
    if (!(err instanceof CommanderError)) process.stderr.write(formatFailure(argv[2] !== undefined && !argv[2].startsWith('-') ? argv[2] : '', err));
    return exitCodeOf(err);
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  process.exitCode = await run();
}
