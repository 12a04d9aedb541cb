import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { twins } from '../../src/backend/js/index';
import { contractProblem } from '../../src/backend/wasm';

describe('kernel contract', () => {
  const module = new WebAssembly.Module(readFileSync(new URL('../../build/grapheme.wasm', import.meta.url)));
  const instance = new WebAssembly.Instance(module, {});
  const exported = instance.exports as Record<string, unknown>;

  it('every twin has a wasm kernel of the same name and arity', () => {
    const problems = Object.keys(twins).map((n) => contractProblem(n, exported[n])).filter((p) => p !== null);
    expect(problems).toEqual([]);
  });

  it('every wasm kernel has a twin', () => {
    const functions = WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name);
    expect(functions.filter((n) => !(n in twins))).toEqual([]);
  });

  it('the module imports nothing (it must instantiate in every runtime with {} imports)', () => {
    expect(WebAssembly.Module.imports(module)).toEqual([]);
  });
});
