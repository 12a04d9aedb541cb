// Hosts for the runtime tests: pack and install the package into a throwaway project
// outside the repository, then run test/runtimes/probe.mjs on it in Node, Deno, Bun,
// workerd (Miniflare) and Chromium (playwright-core), each importing 'grapheme-train' by
// name through its own export condition.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { TIMED_STEPS, TOTAL_STEPS } from './probe.mjs';

const run = promisify(execFile);
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const here = dirname(fileURLToPath(import.meta.url));
const bin = (name) => join(repoRoot, 'node_modules', '.bin', name);
const npmQuiet = { ...process.env, npm_config_loglevel: 'error', npm_config_update_notifier: 'false' };

/** Newest modification time under `dir` of files whose name passes `keep`. */
function newest(dir, keep) {
  let time = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) time = Math.max(time, newest(path, keep));
    else if (keep(entry.name)) time = Math.max(time, statSync(path).mtimeMs);
  }
  return time;
}

/** Fails when dist/ is missing or older than the sources it is built from. */
export function assertDistCurrent() {
  const dist = join(repoRoot, 'dist');
  const built = existsSync(join(dist, 'node.js')) ? statSync(join(dist, 'node.js')).mtimeMs : 0;
  const sources = Math.max(newest(join(repoRoot, 'src'), (n) => n.endsWith('.ts')), statSync(join(repoRoot, 'build', 'grapheme.wasm')).mtimeMs);
  if (built < sources) throw new Error('dist/ is missing or older than src/ or build/grapheme.wasm: run `npm run build` first');
}

/**
 * `npm pack`, then a fresh project under the OS temp folder that installs the tarball
 * (dependencies from the npm cache when they are there). Returns the pack report and paths.
 */
export async function packAndInstall() {
  const dir = mkdtempSync(join(tmpdir(), 'grapheme-runtimes-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: repoRoot, env: npmQuiet, maxBuffer: 1 << 24 });
  const [pack] = JSON.parse(stdout.slice(stdout.indexOf('[')));
  const project = join(dir, 'project');
  const write = (name, text) => writeFileSync(join(project, name), text);
  rmSync(project, { recursive: true, force: true });
  (await import('node:fs')).mkdirSync(project);
  write('package.json', JSON.stringify({ name: 'grapheme-consumer', private: true, type: 'module' }, null, 2));
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, pack.filename)], { cwd: project, env: npmQuiet, maxBuffer: 1 << 24 });
  for (const name of ['probe.mjs', 'run-probe.mjs', 'worker.mjs', 'page.html']) copyFileSync(join(here, name), join(project, name));
  return { dir, project, pack, packageDir: join(project, 'node_modules', 'grapheme-train'), tarball: join(dir, pack.filename) };
}

function parseProbe(stdout, what) {
  const line = stdout.trim().split('\n').pop();
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`${what} printed no probe result:\n${stdout}`);
  }
}

/** Node, Deno or Bun running run-probe.mjs inside the installed project. */
export async function runCommandRuntime(runtime, project) {
  const commands = {
    node: [process.execPath, ['run-probe.mjs']],
    // Deno: package.json beside the script selects node_modules resolution (no npm: download)
    deno: [bin('deno'), ['run', '--quiet', '--no-prompt', '--allow-read', '--allow-env', 'run-probe.mjs']],
    bun: [bin('bun'), ['run-probe.mjs']],
  };
  const [file, args] = commands[runtime];
  const { stdout } = await run(file, args, { cwd: project, env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' }, timeout: 120_000 });
  return parseProbe(stdout, runtime);
}

/** Node importing 'grapheme-train/inline' (the wasm as base64 in the module). */
export async function runNodeInline(project) {
  const script = `import * as lib from 'grapheme-train/inline'; import { probe } from './probe.mjs'; console.log(JSON.stringify(await probe(lib, 'node-inline')));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: project, timeout: 120_000 });
  return parseProbe(stdout, 'node (inline)');
}

/**
 * workerd through Miniflare. The worker is bundled like wrangler does it: 'grapheme-train'
 * resolved with the "workerd" condition (Node's own resolver, --conditions=workerd), the
 * entry's `import wasm from './grapheme.wasm'` kept as a CompiledWasm module.
 */
export async function runWorkerd(project) {
  const { stdout: resolved } = await run(process.execPath, ['--conditions=workerd', '--input-type=module', '-e', "process.stdout.write(import.meta.resolve('grapheme-train'))"], { cwd: project });
  const entry = fileURLToPath(resolved);
  let wasmPath = null;
  const { rollup } = await import('rollup');
  const bundle = await rollup({
    input: join(project, 'worker.mjs'),
    plugins: [{
      name: 'workerd-condition',
      resolveId(source, importer) {
        if (source === 'grapheme-train') return entry;
        if (source.endsWith('.wasm')) {
          wasmPath = join(dirname(importer), source);
          return { id: './grapheme.wasm', external: 'relative' };
        }
        return null;
      },
    }],
  });
  const { output } = await bundle.generate({ format: 'es' });
  await bundle.close();
  if (!wasmPath) throw new Error(`the workerd entry ${entry} imports no .wasm module`);
  const { Miniflare } = await import('miniflare');
  const mf = new Miniflare({
    modules: [
      { type: 'ESModule', path: join(project, 'worker.mjs'), contents: output[0].code },
      { type: 'CompiledWasm', path: join(project, 'grapheme.wasm'), contents: readFileSync(wasmPath) },
    ],
    modulesRoot: project,
    compatibilityDate: '2026-04-01',
  });
  try {
    const phase = async (path) => {
      const response = await mf.dispatchFetch(`http://probe${path}`);
      const text = await response.text();
      if (!response.ok) throw new Error(`workerd ${path}: ${response.status} ${text}`);
      return JSON.parse(text);
    };
    // workerd's clocks stand still while a request computes, so the host times the phases
    const t0 = performance.now();
    const { backend, predicted } = await phase('/start');
    const t1 = performance.now();
    const first = await phase(`/steps?count=${TIMED_STEPS}`);
    const t2 = performance.now();
    const rest = await phase(`/steps?count=${TOTAL_STEPS - TIMED_STEPS}`);
    const after = await phase('/finish');
    return { runtime: 'workerd', backend, predicted, ...after, losses: [...first, ...rest], ms: { create: t1 - t0, steps20: t2 - t1 }, entry: relative(project, entry) };
  } finally {
    await mf.dispose();
  }
}

const CONTENT_TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Chromium (Debian's, headless, through playwright-core): a page served from 127.0.0.1
 * maps 'grapheme-train' to the package's "browser" export and runs the probe.
 */
export async function runChromium(project, packageDir) {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` (CI does)`);
  const browserEntry = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).exports['.'].browser;
  const importMap = JSON.stringify({ imports: { 'grapheme-train': `/node_modules/grapheme-train/${browserEntry.replace(/^\.\//, '')}` } });
  const served = [];
  const server = createServer((req, res) => {
    const path = normalize(join(project, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
    if (!path.startsWith(project + sep) || !existsSync(path) || !statSync(path).isFile()) {
      res.writeHead(404).end();
      return;
    }
    served.push(relative(project, path));
    let body = readFileSync(path);
    if (path.endsWith('page.html')) body = body.toString().replace('IMPORT_MAP', importMap);
    res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream' }).end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const userDataDir = mkdtempSync(join(tmpdir(), 'grapheme-chromium-'));
  const { chromium } = await import('playwright-core');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors = [];
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('console', (msg) => { if (msg.type() === 'error') pageErrors.push(msg.text()); });
    await page.goto(`http://127.0.0.1:${server.address().port}/page.html`);
    await page.waitForFunction(() => window.probeResult || window.probeError, null, { timeout: 120_000 });
    const { result, error } = await page.evaluate(() => ({ result: window.probeResult, error: window.probeError }));
    if (error) throw new Error(`chromium: ${error}\n${pageErrors.join('\n')}`);
    return { ...result, served };
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
    server.close();
  }
}
