// yieldToEventLoop (src/util/yield.ts): hands the loop back (a timer and an I/O callback run
// between yields) without setTimeout(0)'s ≥ 1 ms clamp.
import { readFile } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { yieldToEventLoop } from '../../src/util/yield';

describe('yieldToEventLoop', () => {
  it('lets a timer and a file read complete while a loop yields', async () => {
    let timer = false;
    let io = false;
    setTimeout(() => (timer = true), 0);
    readFile(fileURLToPath(import.meta.url), () => (io = true));
    const started = performance.now();
    while (!(timer && io) && performance.now() - started < 5000) await yieldToEventLoop();
    expect([timer, io]).toEqual([true, true]);
  });

  it('does not wait for a timer tick: 500 yields take far less than 500 × 1 ms', async () => {
    const started = performance.now();
    for (let i = 0; i < 500; i++) await yieldToEventLoop();
    expect(performance.now() - started).toBeLessThan(250);
  });
});
