// Files the CLI is pointed at that are not what it needs: one line naming the flag and the
// file, exit code 2, nothing written, no stack trace (unless --verbose).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { train, type TrainIO } from '../../src/cli/train';

let dir: string;
const TINY = { levels: [1], steps: 2, batchSize: 4, evalEvery: 0, testSize: 4, model: { hidden: 4 }, backend: 'js' };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grapheme-files-'));
  await writeFile(join(dir, 'ok.json'), JSON.stringify(TINY));
  await writeFile(join(dir, 'a-file'), 'x');
  await mkdir(join(dir, 'a-folder'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function capture(): TrainIO & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return { out: (t) => void (out += t), err: (t) => void (err += t), tty: false, stdout: () => out, stderr: () => err };
}

const bin = join(process.cwd(), 'bin', 'grapheme-train.js');
const gt = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: dir, env: { ...process.env, DEBUG: '' } });

describe('the CLI refuses unusable files before any work', () => {
  it.each([
    [{ config: 'a-folder' }, /^grapheme-train train: --config: cannot read .*a-folder: is a folder, not a file \(EISDIR\)\n$/],
    [{ config: 'missing.json' }, /^grapheme-train train: --config: cannot read .*missing\.json: no such file or folder \(ENOENT\)\n$/],
    [{ resume: 'a-folder' }, /^grapheme-train train: --resume: cannot read .*a-folder: is a folder, not a file \(EISDIR\)\n$/],
    [{ config: 'ok.json', out: 'a-file' }, /^grapheme-train train: --out: .*a-file is a file, not a folder\n$/],
    [{ config: 'ok.json', out: 'a-file/sub' }, /^grapheme-train train: --out: cannot make the output folder .*a-file\/sub: .*a-file is a file, not a folder\n$/],
  ])('train %j: exit 2, one line', async (flags, message) => {
    const io = capture();
    const resolved = Object.fromEntries(Object.entries(flags).map(([k, v]) => [k, join(dir, v)]));
    const outcome = await train({ out: join(dir, 'never'), ...resolved }, io);
    expect(outcome.exitCode).toBe(2);
    expect(io.stderr()).toMatch(message);
    expect(io.stdout()).toBe('');
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it.runIf(process.platform === 'linux')('an OUT that cannot be written is refused before the first update', async () => {
    const io = capture();
    const started = performance.now();
    const outcome = await train({ config: join(dir, 'ok.json'), out: '/sys/grapheme-train-out' }, io);
    expect(outcome.exitCode).toBe(2);
    expect(io.stderr()).toMatch(/^grapheme-train train: --out: cannot write the output folder: \/sys\/grapheme-train-out: (operation not permitted|permission denied|read-only file system) \(E[A-Z]+\)\n$/);
    expect(io.stdout()).toBe('');
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('through the launcher: one line and exit 2, the stack only with --verbose', () => {
    const plain = gt('train', '--config', 'a-folder', '--out', 'o');
    expect(plain.status).toBe(2);
    expect(plain.stderr).toBe(`grapheme-train train: --config: cannot read a-folder: is a folder, not a file (EISDIR)\n`);
    const verbose = gt('train', '--config', 'a-folder', '--out', 'o', '--verbose');
    expect(verbose.status).toBe(2);
    expect(verbose.stderr.split('\n')[0]).toBe('grapheme-train train: --config: cannot read a-folder: is a folder, not a file (EISDIR)');
    expect(verbose.stderr).toMatch(/\n\s+at /);
    const validate = gt('validate', '--input', 'missing.jsonl');
    expect([validate.status, validate.stderr]).toEqual([2, 'grapheme-train validate: --input: cannot read missing.jsonl: no such file or folder (ENOENT)\n']);
    const usage = gt('train', '--config', 'ok.json', '--nope');
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/unknown option '--nope'/);
    expect(existsSync(join(dir, 'o'))).toBe(false);
  });
});

it('a finished run leaves no probe file in OUT', async () => {
  const out = join(dir, 'run');
  expect((await train({ config: join(dir, 'ok.json'), out }, capture())).exitCode).toBe(0);
  expect((await readdir(out)).filter((f) => f.startsWith('.'))).toEqual([]);
});
