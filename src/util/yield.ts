/**
 * Hands the event loop back for one turn, without setTimeout(0)'s clamp (≥ 1 ms in Node; 4 ms
 * in browsers once timers nest): run() yields every 16 ms, and the clamp cost it ~6% of its
 * time in Node.
 *   setImmediate   Node, Bun: after pending I/O (signals, stdout, worker messages)
 *   MessageChannel a page or a Web Worker: a task, so timers and messages run first; a fresh
 *                  channel per yield, closed after, so no port keeps a process alive
 *   setTimeout(0)  elsewhere (Deno, workerd)
 */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown; document?: unknown; WorkerGlobalScope?: unknown };
  if (typeof g.setImmediate === 'function') return new Promise((resolve) => g.setImmediate!(resolve));
  if (typeof MessageChannel === 'function' && (g.document !== undefined || g.WorkerGlobalScope !== undefined)) {
    return new Promise((resolve) => {
      const { port1, port2 } = new MessageChannel();
      port1.onmessage = () => {
        port1.close();
        resolve();
      };
      port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}
