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

  it('does not wait for a timer tick: 200 yields take less time than 50 setTimeout(0) turns', async () => {
    let started = performance.now();
    for (let i = 0; i < 200; i++) await yieldToEventLoop();
    const yields = performance.now() - started;
    started = performance.now();
    for (let i = 0; i < 50; i++) await new Promise((resolve) => setTimeout(resolve, 0));
    const timeouts = performance.now() - started; // ≥ 50 ms: Node clamps a timer to 1 ms
    expect(yields).toBeLessThan(timeouts);
  });
});
