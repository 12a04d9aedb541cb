/**
 * Switches a tfjs namespace (@tensorflow/tfjs-core or @tensorflow/tfjs: they share one core)
 * to @tensorflow/tfjs-backend-wasm in Node, loading its .wasm binaries from the package's dist
 * folder, and describes which binary it picked: the same two flags tfjs-backend-wasm reads.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';

interface TfNamespace {
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  env(): { getAsync(flag: string): Promise<unknown> };
  version_core: string;
}

export async function useTfjsWasm(tf: TfNamespace): Promise<string> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
  wasm.setWasmPaths(pathToFileURL(`${dist}/`).href);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend failed to initialise');
  await tf.ready();
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const threads = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
  const binary = simd && threads ? 'tfjs-backend-wasm-threaded-simd.wasm' : simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm';
  return `tfjs-wasm ${tf.version_core}: ${binary} (simd ${simd ? 'yes' : 'no'}, threads ${threads ? 'yes' : 'no'}), XNNPACK thread count ${wasm.getThreadsCount()}`;
}
