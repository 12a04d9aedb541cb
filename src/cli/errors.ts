/**
 * How the CLI fails: one line on stderr that names the file or field, exit code 2 for bad
 * input (flags, config, checkpoint, data, an OUT that cannot be written) and 1 for a run
 * that failed once started; a stack trace only with --verbose or DEBUG set. Commands check
 * their files here before any work (readInput, prepareOutDir), so an unreadable config or a
 * read-only OUT is refused at once, not after the first checkpoint.
 */
import { constants } from 'node:fs';
import { access, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CommanderError } from 'commander';
import { GraphemeError } from '../errors';
import { escapeControl } from '../util/text';

export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

/** Bad input to a command: a flag, a file it names, the output folder. `field` is the flag or key. */
export class CliInputError extends GraphemeError {
  constructor(readonly field: string, readonly reason: string) {
    super(`${field}: ${reason}`);
  }
}

/** Error classes whose instances are bad input whatever the moment (the rest, mid-run, is a failed run). */
const INPUT_ERRORS = new Set(['CliInputError', 'TrainingConfigError', 'CheckpointError', 'DatasetError', 'EvalInputError', 'ParseError']);

export function isInputError(err: unknown): boolean {
  return err instanceof GraphemeError && INPUT_ERRORS.has(err.name);
}

/** --verbose on the command line, or DEBUG in the environment. */
export function verbose(argv: readonly string[] = process.argv): boolean {
  const debug = process.env.DEBUG;
  return argv.includes('--verbose') || (debug !== undefined && debug !== '' && debug !== '0');
}

const FILE_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EISDIR: 'is a folder, not a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'already exists',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
};

/** A file-system error as "PATH: what" (Node's message names the syscall, not what it means). */
export function fileProblem(err: unknown, path: string): string | null {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('E')) return null;
  return `${path}: ${FILE_PROBLEMS[code] ?? (err as Error).message} (${code})`;
}

/** Reads an input file named by `flag`; any file-system error becomes a CliInputError naming both. */
export async function readInput(path: string, flag: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const problem = fileProblem(err, path);
    if (problem !== null) throw new CliInputError(flag, `cannot read ${problem}`);
    throw err;
  }
}

/**
 * mkdir -p, one level at a time: Node's recursive mkdir spins forever where a parent
 * refuses new entries with ENOENT (/proc).
 */
async function makeDirs(dir: string): Promise<void> {
  const missing: string[] = [];
  let at = dir;
  for (;;) {
    try {
      if (!(await stat(at)).isDirectory()) throw Object.assign(new Error(`${at} is a file`), { code: 'ENOTDIR', path: at });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      missing.push(at);
      const parent = dirname(at);
      if (parent === at) break;
      at = parent;
    }
  }
  for (const path of missing.reverse()) {
    try {
      await mkdir(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/** The nearest ancestor of `path` that exists as something other than a folder. */
async function fileInTheWay(path: string): Promise<string | null> {
  for (let at = path; ; at = dirname(at)) {
    const info = await stat(at).catch(() => null);
    if (info !== null) return info.isDirectory() ? null : at;
    if (dirname(at) === at) return null;
  }
}

/**
 * Creates the output folder (with its parents) and proves it writable by writing and
 * removing a small file, before any work: a file in the way, a missing permission or a
 * read-only disk is a CliInputError on `flag`.
 */
export async function prepareOutDir(dir: string, flag = '--out'): Promise<void> {
  try {
    const info = await stat(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (info !== null && !info.isDirectory()) throw new CliInputError(flag, `${dir} is a file, not a folder`);
    await makeDirs(resolve(dir));
    await access(dir, constants.W_OK);
    const probe = join(dir, `.grapheme-write-test.${process.pid}.tmp`);
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (err) {
    if (err instanceof CliInputError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') {
      const file = await fileInTheWay(resolve(dir));
      if (file !== null) throw new CliInputError(flag, `cannot make the output folder ${dir}: ${file} is a file, not a folder`);
    }
    const problem = fileProblem(err, (err as NodeJS.ErrnoException).path ?? dir);
    if (problem !== null) throw new CliInputError(flag, `cannot write the output folder: ${problem}`);
    throw err;
  }
}

/** A GraphemeError about the contents of the file `path` given as `flag`, as bad input naming both. */
export function inFile(flag: string, path: string, err: unknown): unknown {
  return err instanceof GraphemeError ? new CliInputError(flag, `${path}: ${err.message}`) : err;
}

/** One line (control characters escaped), plus the stack when verbose. */
export function formatFailure(command: string, err: unknown, withStack = verbose()): string {
  const message = err instanceof Error ? err.message : String(err);
  const problem = err instanceof GraphemeError ? null : fileProblem(err, (err as NodeJS.ErrnoException).path ?? '');
  const line = `grapheme-train${command ? ` ${command}` : ''}: ${escapeControl(problem !== null && (err as NodeJS.ErrnoException).path ? problem : message)}\n`;
  const stack = withStack && err instanceof Error && err.stack ? `${err.stack}\n` : '';
  return line + stack;
}

/** The exit code for an error that escaped a command: 2 for bad input, 1 for a failed run. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
  return isInputError(err) ? EXIT_BAD_INPUT : EXIT_FAILED;
}
