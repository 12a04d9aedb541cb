// The malformed-input corpus (test/fixtures/reliability, made by scripts/fixtures/reliability.ts):
// every config, checkpoint and JSONL file gives the exit code and the one-line message that
// expected.json records, fast, and a refused run writes nothing.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate } from '../../src/cli/eval';
import { train } from '../../src/cli/train';
import { runValidate } from '../../src/cli/validate';

const root = join('test', 'fixtures', 'reliability');
type Outcome = { exit: number; stderr?: string; stdout?: string };
const expected = JSON.parse(readFileSync(join(root, 'expected.json'), 'utf8')) as Record<'configs' | 'checkpoints' | 'jsonl', Record<string, Record<string, Outcome>>>;
const text = (s: string) => s.split('{dir}/').join(`${root}/`);
/** Each fixture's command finishes within this (the slowest, the good checkpoint's one update, takes ~50 ms). */
const FAST_MS = 2000;

let tmp: string;
let runs = 0;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'grapheme-corpus-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function capture() {
  let out = '';
  let err = '';
  return { out: (t: string) => void (out += t), err: (t: string) => void (err += t), tty: false, stdout: () => out, stderr: () => err };
}

describe('the corpus', () => {
  it.each(['configs', 'checkpoints', 'jsonl'] as const)('every file in %s has an expectation, and every expectation a file', (kind) => {
    expect(readdirSync(join(root, kind)).sort()).toEqual(Object.keys(expected[kind]).sort());
  });
});

describe('configs: train --config FILE', () => {
  it.each(Object.entries(expected.configs))('%s', async (file, { train: want }) => {
    const out = join(tmp, `run-${runs++}`);
    const io = capture();
    const started = performance.now();
    const outcome = await train({ config: join(root, 'configs', file), out }, io);
    expect(performance.now() - started).toBeLessThan(FAST_MS);
    expect({ exit: outcome.exitCode, stderr: io.stderr() }).toEqual({ exit: want.exit, stderr: text(want.stderr!) });
    if (want.exit !== 0) expect(existsSync(out), 'a refused run writes nothing').toBe(false);
  });
});

describe('checkpoints: eval --checkpoint FILE and train --resume FILE', () => {
  it.each(Object.entries(expected.checkpoints))('%s', async (file, want) => {
    const path = join(root, 'checkpoints', file);
    const io = capture();
    let started = performance.now();
    const scored = await evaluate({ checkpoint: path, level: '1', samples: '4', backend: 'js' }, io);
    expect(performance.now() - started).toBeLessThan(FAST_MS);
    expect({ exit: scored.exitCode, stderr: io.stderr() }).toEqual({ exit: want.eval.exit, stderr: text(want.eval.stderr!) });
    const out = join(tmp, `run-${runs++}`);
    const io2 = capture();
    started = performance.now();
    const resumed = await train({ resume: path, out, levelEvalSize: '4' }, io2);
    expect(performance.now() - started).toBeLessThan(FAST_MS);
    expect({ exit: resumed.exitCode, stderr: io2.stderr() }).toEqual({ exit: want.resume.exit, stderr: text(want.resume.stderr!) });
    if (want.resume.exit !== 0) expect(existsSync(out), 'a refused resume writes nothing').toBe(false);
  });
});

describe('JSONL: validate --input FILE and eval --input FILE', () => {
  const good = join(root, 'checkpoints', 'good.safetensors');
  it.each(Object.entries(expected.jsonl))('%s', async (file, want) => {
    const path = join(root, 'jsonl', file);
    const io = capture();
    let started = performance.now();
    const code = await runValidate({ input: path, maxReport: 1 }, io);
    expect(performance.now() - started).toBeLessThan(FAST_MS);
    expect({ exit: code, stdout: io.stdout() }).toEqual({ exit: want.validate.exit, stdout: text(want.validate.stdout!) });
    const io2 = capture();
    started = performance.now();
    const scored = await evaluate({ checkpoint: good, input: path, backend: 'js' }, io2);
    expect(performance.now() - started).toBeLessThan(FAST_MS);
    expect({ exit: scored.exitCode, stderr: io2.stderr() }).toEqual({ exit: want.eval.exit, stderr: text(want.eval.stderr!) });
    // no raw control character reaches a terminal
    expect(io.stdout() + io2.stderr()).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });

  it('a line over 1 MiB (2 million arguments) is refused unread, in well under a second', async () => {
    const { writeFile } = await import('node:fs/promises');
    const record = JSON.parse(readFileSync(join(root, 'jsonl', 'good.jsonl'), 'utf8'));
    const path = join(tmp, 'huge.jsonl');
    await writeFile(path, JSON.stringify({ ...record, polish: `(+ ${'1 '.repeat(2_000_000)})` }) + '\n');
    const io = capture();
    const started = performance.now();
    expect(await runValidate({ input: path, maxReport: 5 }, io)).toBe(1);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(io.stdout()).toBe(`${path}:1: the line is ${4_000_000 + JSON.stringify({ ...record, polish: '(+ )' }).length} bytes, more than the 1048576 a record may take\nchecked 1 records in 1 file(s): 1 bad (unreadable 1)\n`);
  });
});
