/**
 * The browser page: train the DagNN in this tab and watch it learn.
 *
 * Training runs in a Web Worker (./train-worker.ts), which owns the Trainer: this thread only
 * sends commands (train, pause, resume, predict, checkpoint, upload: ./protocol.ts) and
 * draws what comes back, so the page stays responsive whatever an update costs. Pause aborts
 * the worker's run between two updates; Resume runs it again from its update count. The
 * worker trains with worker replicas too (data-parallel, config.workers 'auto'): over shared
 * memory on a cross-origin-isolated page, by transferred buffers elsewhere. Charts are redrawn
 * at most 5 times a second.
 *
 * The worker gets its kernel module from grapheme.wasm beside the scripts (the page build
 * copies build/grapheme.wasm there), compiled once with compileStreaming.
 *
 * window.grapheme exposes the page's state (read-only use: test/browser/run.mjs reads it).
 */
import uPlot from 'uplot';
import { wasmSimdSupported } from '../../src/backend/index';
import { answer, parse, print, toNumber } from '../../src/engine/index';
import { MathGraph, type MathGraphJSON } from '../../src/graph/index';
import type { PhaseChange } from '../../src/data/index';
import { graphSvg } from './graph-svg';
import type { Command, Report, Session, Status } from './protocol';

interface LevelAccuracy {
  step: number;
  accuracy: number;
  perLevel: Record<string, number>;
}

interface Prediction {
  input: string;
  output: MathGraphJSON;
  outputText: string;
  engine: string | null;
  step: number;
}

/** What the page knows; window.grapheme. */
const state = {
  status: 'idle' as Status,
  backend: null as string | null,
  steps: [] as number[],
  losses: [] as number[],
  lrs: [] as number[],
  evals: [] as LevelAccuracy[],
  levelChanges: [] as PhaseChange[],
  prediction: null as Prediction | null,
  message: '',
  /** update count of the trainer (also after an upload) */
  step: 0,
  /** the step of the last checkpoint downloaded or uploaded */
  checkpointStep: null as number | null,
  /** the training worker's trainer: backend, worker count, step (null before the first) */
  session: null as Session | null,
  /** whether the page is cross-origin isolated (shared memory for the worker replicas) */
  isolated: globalThis.crossOriginIsolated === true,
};
(window as unknown as { grapheme: typeof state }).grapheme = state;

const $ = <T extends HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e as T;
};

// ---- the form -----------------------------------------------------------------------

const levelBoxes = $('levels');
for (let level = 1; level <= 7; level++) {
  const box = document.createElement('label');
  box.innerHTML = `<input type="checkbox" name="level" value="${level}"${level <= 2 ? ' checked' : ''}> ${level}`;
  levelBoxes.append(box);
}
if (!wasmSimdSupported()) {
  $<HTMLSelectElement>('backend').value = 'js';
  $<HTMLOptionElement>('backend-wasm').disabled = true;
}

function formConfig(): Record<string, unknown> {
  const number = (id: string) => Number($<HTMLInputElement>(id).value);
  const levels = Array.from(document.querySelectorAll<HTMLInputElement>('input[name=level]:checked')).map((b) => Number(b.value));
  const steps = number('steps');
  const learningRate = number('lr');
  const batch = number('batch');
  const config: Record<string, unknown> = {
    seed: $<HTMLInputElement>('seed').value.trim() || 0,
    backend: $<HTMLSelectElement>('backend').value,
    levels,
    steps,
    // the batch of an update as two micro-batches: one per worker on two cores
    ...(batch >= 2 && batch % 2 === 0 ? { batchSize: batch / 2, accumulationSteps: 2 } : { batchSize: batch, accumulationSteps: 1 }),
    learningRate,
    schedule: $<HTMLSelectElement>('schedule').value === 'cosine' ? { kind: 'cosine', totalSteps: steps, minLr: learningRate / 100 } : { kind: 'constant' },
    evalEvery: number('eval-every'),
    evalSize: 100,
    testSize: 100,
    model: { hidden: number('hidden') },
    curriculum: { mode: $<HTMLSelectElement>('curriculum').value },
  };
  return config;
}

// ---- charts -------------------------------------------------------------------------

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2'];
/** above this many updates the loss and lr charts show bucket means */
const MAX_POINTS = 1500;
/** the loss chart's trend line: the median of this many updates up to each one */
const SMOOTH = 50;
/** smoothed[i]: median of losses[i-SMOOTH+1 .. i] (fewer at the start) */
let smoothed: number[] = [];

/**
 * Median of the last `n` values: single updates spike to 100× the typical loss, which
 * would drag a mean up for `n` updates; the median follows the bulk.
 */
function windowMedian(values: readonly number[], n: number): number {
  const window = values.slice(-n).filter(Number.isFinite).sort((a, b) => a - b);
  if (window.length === 0) return NaN;
  const mid = window.length >> 1;
  return window.length % 2 === 1 ? window[mid] : (window[mid - 1] + window[mid]) / 2;
}
const charts: { loss: uPlot | null; lr: uPlot | null; accuracy: uPlot | null } = { loss: null, lr: null, accuracy: null };
let accuracyLevels: string[] = [];

const chartWidth = () => Math.max(320, Math.min(720, $('charts').clientWidth - 8));

/** axis labels with enough digits to tell neighbouring ticks apart (uPlot's default shows 0.03 twice for a cosine lr) */
const tickLabels = (_: uPlot, splits: (number | null)[]) => splits.map((v) => (v === null ? '' : v === 0 ? '0' : Math.abs(v) < 1e-3 || Math.abs(v) >= 1e4 ? v.toExponential(1) : String(Number(v.toPrecision(3)))));

/**
 * The loss axis: log, from the 1st to the 99th percentile of the shown points (with a
 * margin). Single updates spike to 100× the typical loss; a range fitted to them flattens
 * the curve that matters. Spikes are clipped at the top, still visible as such.
 */
let lossRange: [number, number] = [0.1, 10];

function updateLossRange(values: readonly number[]): void {
  const sorted = values.filter((v) => v > 0 && Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length < 2) return;
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  lossRange = [at(0.01) / 1.5, at(0.99) * 1.5];
}

type YScale = uPlot.Scale;
const LOG_LOSS: YScale = { distr: 3, range: () => lossRange };

function lineChart(id: string, title: string, series: uPlot.Series[], y: YScale = {}): uPlot {
  const box = $(id);
  box.replaceChildren();
  return new uPlot(
    {
      title,
      width: chartWidth(),
      height: 200,
      scales: { x: { time: false }, y },
      axes: [{ label: 'step' }, { values: tickLabels, size: 60 }],
      series: [{ label: 'step' }, ...series],
    },
    [[], ...series.map(() => [])],
    box,
  );
}

function resetCharts(levels: string[]): void {
  for (const c of Object.values(charts)) c?.destroy();
  charts.loss = lineChart(
    'chart-loss',
    'training loss',
    [
      { label: 'loss', stroke: 'rgba(31,119,180,0.35)', width: 1 },
      { label: `median of last ${SMOOTH}`, stroke: COLORS[1], width: 2 },
    ],
    LOG_LOSS,
  );
  charts.lr = lineChart('chart-lr', 'learning rate', [{ label: 'lr', stroke: COLORS[4], width: 1.5 }]);
  accuracyLevels = levels;
  charts.accuracy = lineChart(
    'chart-accuracy',
    'validation accuracy per level',
    [
      ...levels.map((l, i) => ({ label: `level ${l}`, stroke: COLORS[(i + 2) % COLORS.length], width: 1.5, points: { show: true } })),
      { label: 'mean', stroke: '#333', width: 1, dash: [4, 4] },
    ],
    { range: [0, 1] },
  );
}

/** `values` as at most MAX_POINTS bucket means over consecutive updates. */
function thin(steps: number[], ...values: number[][]): number[][] {
  const n = steps.length;
  if (n <= MAX_POINTS) return [steps, ...values];
  const out: number[][] = [[], ...values.map(() => [])];
  for (let b = 0; b < MAX_POINTS; b++) {
    const lo = Math.floor((b * n) / MAX_POINTS);
    const hi = Math.floor(((b + 1) * n) / MAX_POINTS);
    const mean = (a: number[]) => {
      let s = 0;
      for (let i = lo; i < hi; i++) s += a[i];
      return s / (hi - lo);
    };
    out[0].push(mean(steps));
    values.forEach((v, j) => out[j + 1].push(mean(v)));
  }
  return out;
}

let redrawPending = false;

function scheduleRedraw(): void {
  if (redrawPending) return;
  redrawPending = true;
  setTimeout(redraw, 200);
}

function redraw(): void {
  redrawPending = false;
  const [x, loss, trend, lr] = thin(state.steps, state.losses, smoothed, state.lrs);
  updateLossRange(loss);
  charts.loss?.setData([x, loss, trend]);
  charts.lr?.setData([x, lr]);
  charts.accuracy?.setData([state.evals.map((e) => e.step), ...accuracyLevels.map((l) => state.evals.map((e) => e.perLevel[l] ?? null)), state.evals.map((e) => e.accuracy)] as uPlot.AlignedData);
  renderStatus();
}

// ---- status -------------------------------------------------------------------------

function setStatus(status: Status, message = ''): void {
  state.status = status;
  state.message = message;
  $<HTMLButtonElement>('train').disabled = status === 'starting' || status === 'training';
  $<HTMLButtonElement>('pause').disabled = status !== 'training';
  $<HTMLButtonElement>('resume').disabled = status !== 'paused' || state.session === null;
  renderStatus();
}

function renderStatus(): void {
  const t = state.session;
  const n = state.losses.length;
  const parts = [
    state.status,
    t ? `${t.backend} backend, ${t.workers} worker${t.workers === 1 ? '' : 's'}` : null,
    t ? `step ${state.step}/${t.steps}` : null,
    n > 0 ? `loss ${smoothed[n - 1].toPrecision(4)} (median of last ${Math.min(n, SMOOTH)})` : null,
    lastRate ? `${Math.round(lastRate)} samples/s` : null,
    lastLevel !== null ? `level ${lastLevel}` : null,
    state.message || null,
  ];
  $('status').textContent = parts.filter((p) => p !== null).join(' · ');
  $('status').dataset.status = state.status;
  const last = state.evals.at(-1);
  $('eval-table').innerHTML = last
    ? `<tr><th>level</th>${Object.keys(last.perLevel).map((l) => `<td>${l}</td>`).join('')}</tr><tr><th>accuracy (step ${last.step})</th>${Object.values(last.perLevel).map((a) => `<td>${(a * 100).toFixed(0)}%</td>`).join('')}</tr>`
    : '';
}

// ---- training: the worker ----------------------------------------------------------

let lastRate = 0;
let lastLevel: number | null = null;
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const send = (command: Command, transfer: Transferable[] = []) => worker.postMessage(command, transfer);

function clearHistory(): void {
  state.steps = [];
  state.losses = [];
  smoothed = [];
  state.lrs = [];
  state.evals = [];
  state.levelChanges = [];
}

worker.addEventListener('error', (e) => setStatus('error', `the training worker failed: ${e.message}`));
worker.addEventListener('message', (event: MessageEvent<Report>) => {
  const r = event.data;
  switch (r.type) {
    case 'status':
      if (r.fresh) {
        clearHistory();
        resetCharts(r.session?.levels ?? ['1', '2']);
      }
      state.session = r.session;
      state.backend = r.session?.backend ?? null;
      if (r.session) state.step = r.session.step;
      if (r.fresh && r.session) state.checkpointStep = /^resumed/.test(r.message) ? r.session.step : state.checkpointStep;
      setStatus(r.status, r.message);
      redraw();
      return;
    case 'steps':
      for (let i = 0; i < r.steps.length; i++) {
        state.steps.push(r.steps[i]);
        state.losses.push(r.losses[i]);
        smoothed.push(windowMedian(state.losses, SMOOTH));
        state.lrs.push(r.lrs[i]);
      }
      state.step = r.steps[r.steps.length - 1];
      lastRate = r.rate;
      lastLevel = r.level;
      scheduleRedraw();
      return;
    case 'eval':
      state.evals.push({ step: r.step, accuracy: r.accuracy, perLevel: r.perLevel });
      scheduleRedraw();
      return;
    case 'level':
      state.levelChanges.push(r.change);
      state.message = `level ${r.change.from} → ${r.change.to} at step ${r.change.step} (${r.change.reason})`;
      return;
    case 'prediction':
      showPrediction(r);
      return;
    case 'prediction-error':
      $('predict-error').textContent = r.message;
      return;
    case 'checkpoint': {
      const url = URL.createObjectURL(new Blob([r.bytes as BlobPart], { type: 'application/octet-stream' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `grapheme-step-${r.step}.safetensors`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      state.checkpointStep = r.step;
      setStatus(state.status, `checkpoint of step ${r.step} downloaded`);
      return;
    }
  }
});

$('train').addEventListener('click', () => {
  setStatus('starting');
  send({ type: 'train', config: formConfig() });
});
$('pause').addEventListener('click', () => send({ type: 'pause' }));
$('resume').addEventListener('click', () => {
  if (state.session && state.status === 'paused') send({ type: 'resume' });
});

// ---- checkpoints --------------------------------------------------------------------

$('download').addEventListener('click', () => {
  if (!state.session) return setStatus(state.status, 'nothing to download: train first');
  send({ type: 'checkpoint' });
});

$<HTMLInputElement>('upload').addEventListener('change', async (event) => {
  const input = event.target as HTMLInputElement;
  const file = input.files?.[0];
  if (!file) return;
  const bytes = new Uint8Array(await file.arrayBuffer());
  input.value = '';
  send({ type: 'upload', name: file.name, bytes }, [bytes.buffer]);
});

// ---- prediction ---------------------------------------------------------------------

function parseBindings(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(/[,;]/)) {
    if (part.trim() === '') continue;
    const m = /^\s*([a-z]+)\s*=\s*(-?[\d.]+(?:e-?\d+)?)\s*$/i.exec(part);
    if (!m) throw new Error(`bindings: expected name=number, got '${part.trim()}'`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

function engineAnswer(text: string, bindings: Record<string, number>): string | null {
  try {
    const a = answer(parse(text), bindings);
    return a.kind === 'numeric' ? String(Number(toNumber(a.value).toPrecision(12))) : print(a.expr);
  } catch (err) {
    return `(${(err as Error).message})`;
  }
}

/** the engine's answer for the expression being predicted (computed here, shown beside the model's) */
let pendingEngine: { text: string; engine: string | null; graph: MathGraphJSON } | null = null;

function showPrediction(r: Extract<Report, { type: 'prediction' }>): void {
  const asked = pendingEngine?.text === r.input ? pendingEngine : null;
  const prediction: Prediction = { input: r.input, output: r.output, outputText: r.outputText, engine: asked?.engine ?? null, step: r.step };
  state.prediction = prediction;
  $('predict-result').textContent = `model (step ${prediction.step}): ${prediction.outputText} · engine: ${prediction.engine}`;
  if (asked) $('input-graph').replaceChildren(graphSvg(asked.graph));
  $('output-graph').replaceChildren(graphSvg(prediction.output));
}

$('predict-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $<HTMLInputElement>('expr').value.trim();
  const error = $('predict-error');
  error.textContent = '';
  try {
    const bindings = parseBindings($<HTMLInputElement>('bindings').value);
    const inputGraph = parse(text); // a typed error with the position when the text is not an expression
    pendingEngine = { text, engine: engineAnswer(text, bindings), graph: MathGraph.fromExpr(inputGraph).toJSON() };
    // an untrained model answers too (the worker creates one from the form): its answer shows what training changes
    send({ type: 'predict', text, bindings, config: formConfig() });
  } catch (err) {
    error.textContent = (err as Error).message;
  }
});

window.addEventListener('resize', () => {
  for (const c of Object.values(charts)) c?.setSize({ width: chartWidth(), height: 200 });
});

resetCharts(['1', '2']);
setStatus('idle', 'choose the settings and press Train');
