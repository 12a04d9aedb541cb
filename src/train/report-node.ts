/**
 * The run report: OUT/report.html (self-contained: uPlot's JS and CSS and the data inlined,
 * nothing fetched, opens offline) and the compact loss chart the train command prints at
 * the end, both built from OUT/metrics.jsonl (the line shapes are listed in ./train.ts).
 *
 * The log is read tolerantly: a torn or unreadable line is skipped and counted, and what
 * an older or interrupted run did not log (evaluations, per-level figures, equivalence
 * rates, level changes, the final test) is left out of the report with a note saying so.
 *
 * A 100 000-update run has 100 000 step lines: the step series are cut into at most
 * MAX_BUCKETS buckets of consecutive updates, each drawn as its min, mean and max, so a
 * spike stays visible while the page stays small.
 */
import { readFileSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { plot } from 'asciichart';

export const REPORT_FILE = 'report.html';
/** most buckets of each step series in report.html */
export const MAX_BUCKETS = 1000;

export interface StepLine {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  samplesPerSec?: number;
  level?: number;
  levels?: number[];
  applied?: boolean;
}

export interface LevelFigures {
  count?: number;
  accuracy: number;
  meanGed?: number;
  equivalence?: number;
  loss?: number;
}

export interface EvalLine {
  step: number;
  accuracy: number;
  meanGed?: number;
  level?: number;
  perLevel?: Record<string, LevelFigures>;
}

export interface LevelLine {
  step: number;
  from: number;
  to: number;
  reason?: string;
}

export interface FinalLine {
  step: number;
  perLevel?: Record<string, LevelFigures>;
}

/** A snap-and-freeze decision (src/train/exactness.ts). */
export interface SnapLine {
  step: number;
  group: string;
  kept: boolean;
  detail: string;
}

/** A metrics.jsonl, sorted into its kinds. */
export interface RunMetrics {
  steps: StepLine[];
  evals: EvalLine[];
  levels: LevelLine[];
  snaps: SnapLine[];
  final: FinalLine | null;
  /** 1-based numbers of lines that were not JSON or not a known record */
  unreadable: number[];
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Sorts the lines of a metrics.jsonl into steps, evaluations, level changes and the final test. */
export function parseMetrics(text: string): RunMetrics {
  const metrics: RunMetrics = { steps: [], evals: [], levels: [], snaps: [], final: null, unreadable: [] };
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(line);
    } catch {
      metrics.unreadable.push(i + 1);
      return;
    }
    if (r === null || typeof r !== 'object' || !isNumber(r.step)) {
      metrics.unreadable.push(i + 1);
      return;
    }
    // lines from before the "kind" field are step lines
    const kind = r.kind ?? 'step';
    if (kind === 'step' && isNumber(r.loss)) metrics.steps.push(r as unknown as StepLine);
    else if (kind === 'eval' && isNumber(r.accuracy)) metrics.evals.push(r as unknown as EvalLine);
    else if (kind === 'level' && isNumber(r.from) && isNumber(r.to)) metrics.levels.push(r as unknown as LevelLine);
    else if (kind === 'final') metrics.final = r as unknown as FinalLine;
    else if (kind === 'snap' && typeof r.group === 'string' && typeof r.kept === 'boolean') metrics.snaps.push({ step: r.step, group: r.group, kept: r.kept, detail: String(r.detail ?? '') });
    else if (kind === 'diverged') return;
    else metrics.unreadable.push(i + 1);
  });
  return metrics;
}

/** A step series cut into buckets: per bucket its mean step, and min, mean and max of the value. */
export interface Buckets {
  step: number[];
  min: number[];
  mean: number[];
  max: number[];
}

/**
 * `values` (one per entry of `steps`) in at most `count` buckets of consecutive entries
 * (sizes differ by at most one). Non-finite values are left out of their bucket; a bucket
 * with none gets null-like NaN, which the charts draw as a gap.
 */
export function bucketize(steps: readonly number[], values: readonly number[], count: number): Buckets {
  const n = steps.length;
  const buckets = Math.min(count, n);
  const out: Buckets = { step: [], min: [], mean: [], max: [] };
  for (let b = 0; b < buckets; b++) {
    const lo = Math.floor((b * n) / buckets);
    const hi = Math.floor(((b + 1) * n) / buckets);
    let stepSum = 0;
    let sum = 0;
    let finite = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = lo; i < hi; i++) {
      stepSum += steps[i];
      const v = values[i];
      if (!Number.isFinite(v)) continue;
      sum += v;
      finite++;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    out.step.push(stepSum / (hi - lo));
    out.min.push(finite > 0 ? min : NaN);
    out.mean.push(finite > 0 ? sum / finite : NaN);
    out.max.push(finite > 0 ? max : NaN);
  }
  return out;
}

/** One chart of report.html: x values and named series (null = gap), as uPlot draws them. */
export interface ChartData {
  id: string;
  title: string;
  /** 'log' when every value is positive and they span more than two decades */
  yScale: 'linear' | 'log';
  /** a fixed y range (accuracy: 0–1), else uPlot fits the data */
  yRange?: [number, number];
  x: number[];
  series: { label: string; values: (number | null)[]; band?: 'min' | 'max'; stepped?: boolean }[];
}

export interface FinalRow {
  level: number;
  count: number | null;
  accuracy: number;
  meanGed: number | null;
  equivalence: number | null;
  loss: number | null;
}

/** Everything report.html shows, as the JSON it inlines. */
export interface ReportData {
  title: string;
  summary: { updates: number; firstLoss: number | null; lastLoss: number | null; samplesPerSec: number | null; evaluations: number; levelChanges: LevelLine[] };
  charts: ChartData[];
  /** the held-out test per level, or null when the log has no final line */
  final: FinalRow[] | null;
  finalStep: number | null;
  /** snap-and-freeze decisions, in order */
  snaps: SnapLine[];
  /** what the log lacks, in words */
  missing: string[];
}

const gap = (v: number): number | null => (Number.isFinite(v) ? v : null);

function scaleOf(values: readonly (number | null)[]): 'linear' | 'log' {
  const finite = values.filter((v): v is number => v !== null);
  if (finite.length === 0 || finite.some((v) => v <= 0)) return 'linear';
  return Math.max(...finite) / Math.min(...finite) > 100 ? 'log' : 'linear';
}

function bandChart(id: string, title: string, x: number[], b: Buckets, label: string): ChartData {
  const series: ChartData['series'] = [{ label, values: b.mean.map(gap) }];
  // a bucket of one update has min = mean = max: the band adds nothing then
  if (x.length < b.mean.length || b.min.some((v, i) => v !== b.max[i])) {
    series.push({ label: `${label} (bucket min)`, values: b.min.map(gap), band: 'min' }, { label: `${label} (bucket max)`, values: b.max.map(gap), band: 'max' });
  }
  return { id, title, yScale: scaleOf(series.flatMap((s) => s.values)), x, series };
}

const levelRange = (levels: readonly number[]): [number, number] => [Math.min(...levels) - 0.5, Math.max(...levels) + 0.5];

function finalRows(perLevel: Record<string, LevelFigures>): FinalRow[] {
  const n = (v: unknown): number | null => (isNumber(v) ? v : null);
  return Object.entries(perLevel)
    .map(([level, e]) => ({ level: Number(level), count: n(e.count), accuracy: e.accuracy, meanGed: n(e.meanGed), equivalence: n(e.equivalence), loss: n(e.loss) }))
    .sort((a, b) => a.level - b.level);
}

/** The charts, the final table and the notes of a run's report. */
export function reportData(metrics: RunMetrics, title = 'grapheme-train run', maxBuckets = MAX_BUCKETS): ReportData {
  const { steps, evals, levels, final } = metrics;
  const missing: string[] = [];
  const charts: ChartData[] = [];
  const stepNumbers = steps.map((s) => s.step);
  if (steps.length === 0) missing.push('no step lines: the loss, learning-rate and gradient-norm plots are empty');
  else {
    const x = bucketize(stepNumbers, stepNumbers, maxBuckets).step;
    const each = (field: keyof StepLine) => bucketize(stepNumbers, steps.map((s) => (isNumber(s[field]) ? (s[field] as number) : NaN)), maxBuckets);
    const per = steps.length > x.length ? ` (${steps.length} updates in ${x.length} buckets: mean line, min–max band)` : '';
    charts.push(bandChart('loss', `training loss${per}`, x, each('loss'), 'loss'));
    const lr = each('lr');
    charts.push({ id: 'lr', title: 'learning rate', yScale: scaleOf(lr.mean.map(gap)), x, series: [{ label: 'lr', values: lr.mean.map(gap) }] });
    charts.push(bandChart('gradNorm', 'gradient norm (before clipping)', x, each('gradNorm'), 'grad norm'));
  }

  if (evals.length === 0) missing.push('no evaluation lines: no accuracy over steps (evalEvery 0, or the run ended before its first evaluation)');
  else {
    const levelKeys = [...new Set(evals.flatMap((e) => Object.keys(e.perLevel ?? {})))].sort((a, b) => Number(a) - Number(b));
    const series: ChartData['series'] = levelKeys.map((key) => ({ label: `level ${key}`, values: evals.map((e) => gap(e.perLevel?.[key]?.accuracy ?? NaN)) }));
    series.push({ label: 'mean over levels', values: evals.map((e) => gap(e.accuracy)) });
    if (levelKeys.length === 0) missing.push('the evaluation lines have no per-level figures: only the overall accuracy is drawn');
    charts.push({ id: 'accuracy', title: 'held-out (validation) accuracy per level', yScale: 'linear', yRange: [0, 1], x: evals.map((e) => e.step), series });
  }

  // the level timeline: the current level of each update where the log has it, else
  // reconstructed from the level-change lines
  const hasLevel = steps.length > 0 && steps.every((s) => isNumber(s.level));
  if (hasLevel) {
    // a bucket's level is its last update's: the line steps where the curriculum moved on
    const n = steps.length;
    const buckets = Math.min(maxBuckets, n);
    const x: number[] = [];
    const level: number[] = [];
    for (let b = 0; b < buckets; b++) {
      const last = Math.floor(((b + 1) * n) / buckets) - 1;
      x.push(steps[last].step);
      level.push(steps[last].level!);
    }
    charts.push({ id: 'levels', title: 'curriculum level over steps', yScale: 'linear', yRange: levelRange(level), x, series: [{ label: 'level', values: level, stepped: true }] });
  } else if (levels.length > 0) {
    const x = [0, ...levels.map((c) => c.step)];
    const level = [levels[0].from, ...levels.map((c) => c.to)];
    const end = steps.at(-1)?.step ?? final?.step;
    if (end !== undefined && end > x.at(-1)!) {
      x.push(end);
      level.push(level.at(-1)!);
    }
    charts.push({ id: 'levels', title: 'curriculum level over steps (from the level changes)', yScale: 'linear', yRange: levelRange(level), x, series: [{ label: 'level', values: level, stepped: true }] });
  } else missing.push('no level information (neither a level per step nor level-change lines): no level timeline');

  let finalTable: FinalRow[] | null = null;
  if (final === null) missing.push('no final line: the held-out test did not run (interrupted run?)');
  else if (!final.perLevel || Object.keys(final.perLevel).length === 0) missing.push('the final line has no per-level figures');
  else {
    finalTable = finalRows(final.perLevel);
    if (finalTable.some((r) => r.equivalence === null)) missing.push('the final per-level figures have no equivalence rate for some levels');
  }
  if (metrics.unreadable.length > 0) {
    const shown = metrics.unreadable.slice(0, 5).join(', ');
    missing.push(`${metrics.unreadable.length} unreadable line(s) skipped (line ${shown}${metrics.unreadable.length > 5 ? ', …' : ''})`);
  }
  const rates = steps.map((s) => s.samplesPerSec).filter(isNumber);
  return {
    title,
    summary: {
      updates: steps.at(-1)?.step ?? 0,
      firstLoss: steps[0]?.loss ?? null,
      lastLoss: steps.at(-1)?.loss ?? null,
      samplesPerSec: rates.length > 0 ? rates.reduce((a, b) => a + b, 0) / rates.length : null,
      evaluations: evals.length,
      levelChanges: levels,
    },
    charts,
    final: finalTable,
    finalStep: final?.step ?? null,
    snaps: metrics.snaps,
    missing,
  };
}

/** uPlot's browser build and stylesheet, read from the installed package. */
export function uplotAssets(): { js: string; css: string } {
  const dist = dirname(createRequire(import.meta.url).resolve('uplot'));
  return { js: readFileSync(join(dist, 'uPlot.iife.min.js'), 'utf8'), css: readFileSync(join(dist, 'uPlot.min.css'), 'utf8') };
}

const escapeHtml = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** JSON placed inside <script>: every `<` escaped, so no value can end or alter the element. */
const jsonInScript = (json: string): string => json.replace(/</g, '\\u003c');
/** Code placed inside <script>: `</script` only occurs in its strings or regexes, where `<\/` means the same. */
const codeInScript = (code: string): string => code.replace(/<\/(script)/gi, '<\\/$1');

// Runs in the page: one uPlot per chart, the data from the inlined JSON.
const PAGE_SCRIPT = `
const data = JSON.parse(document.getElementById('report-data').textContent);
const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#7f7f7f'];
const width = () => Math.min(960, document.body.clientWidth - 32);
window.reportCharts = data.charts.map((chart) => {
  const box = document.getElementById('chart-' + chart.id);
  let color = 0;
  const series = [{ label: 'step' }];
  const bands = [];
  chart.series.forEach((s, i) => {
    const c = s.band ? '#9ab' : colors[color++ % colors.length];
    series.push({
      label: s.label,
      stroke: c,
      width: s.band ? 0.5 : 1.5,
      spanGaps: false,
      paths: s.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined,
      points: { show: chart.x.length < 60 && !s.band },
    });
    if (s.band === 'max') bands.push({ series: [i + 1, i], fill: 'rgba(100,130,170,0.15)' });
  });
  const opts = {
    title: chart.title,
    width: width(),
    height: 260,
    series,
    bands,
    scales: { x: { time: false }, y: chart.yScale === 'log' ? { distr: 3 } : chart.yRange ? { range: chart.yRange } : {} },
    axes: [{ label: 'step' }, chart.id === 'levels' ? { size: 70, incrs: [1], values: (u, splits) => splits.map((v) => (Number.isInteger(v) ? 'level ' + v : '')) } : { size: 70 }],
  };
  return new uPlot(opts, [chart.x, ...chart.series.map((s) => s.values)], box);
});
window.addEventListener('resize', () => window.reportCharts.forEach((u) => u.setSize({ width: width(), height: 260 })));
`;

const pct = (v: number | null): string => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
const num = (v: number | null, digits = 3): string => (v === null ? '—' : v.toFixed(digits));

/** report.html as a string: uPlot (JS and CSS) and the data inlined; no external reference. */
export function renderReport(data: ReportData, assets = uplotAssets()): string {
  const s = data.summary;
  const facts = [
    `${s.updates} updates`,
    s.firstLoss !== null && s.lastLoss !== null ? `loss ${s.firstLoss.toPrecision(4)} → ${s.lastLoss.toPrecision(4)}` : null,
    s.samplesPerSec !== null ? `${Math.round(s.samplesPerSec)} samples/s (mean)` : null,
    `${s.evaluations} evaluations`,
    s.levelChanges.length > 0 ? `levels ${s.levelChanges.map((c) => `${c.from} → ${c.to} at step ${c.step}${c.reason ? ` (${c.reason})` : ''}`).join(', ')}` : null,
  ].filter((f) => f !== null);
  const table =
    data.final === null
      ? '<p class="missing">No final held-out test in the log.</p>'
      : `<table id="final-table"><thead><tr><th>level</th><th>records</th><th>accuracy</th><th>mean GED</th><th>equivalent</th><th>loss</th></tr></thead><tbody>${data.final
          .map((r) => `<tr><td>${r.level}</td><td>${r.count ?? '—'}</td><td>${pct(r.accuracy)}</td><td>${num(r.meanGed)}</td><td>${pct(r.equivalence)}</td><td>${r.loss === null ? '—' : r.loss.toPrecision(4)}</td></tr>`)
          .join('')}</tbody></table>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(data.title)}</title>
<style>${assets.css}</style>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
.facts { color: #555; } .missing { color: #a33; }
table { border-collapse: collapse; } th, td { padding: 3px 10px; text-align: right; border-bottom: 1px solid #ddd; }
.chart { margin: 8px 0 16px; }
</style>
</head>
<body>
<h1>${escapeHtml(data.title)}</h1>
<p class="facts">${facts.map(escapeHtml).join(' · ')}</p>
${data.missing.length > 0 ? `<ul class="missing">${data.missing.map((m) => `<li>${escapeHtml(m)}</li>`).join('')}</ul>` : ''}
<h2>Final held-out test per level${data.finalStep !== null ? ` (step ${data.finalStep})` : ''}</h2>
${table}
${(data.snaps ?? []).length > 0 ? `<h2>Snap-and-freeze (kept, and reverted because a level fell)</h2>
<table id="snap-table"><thead><tr><th>step</th><th>group</th><th>decision</th><th>values</th></tr></thead><tbody>${data.snaps.map((e) => `<tr><td>${e.step}</td><td>${escapeHtml(e.group)}</td><td>${e.kept ? 'kept' : 'reverted'}</td><td>${escapeHtml(e.detail)}</td></tr>`).join('')}</tbody></table>` : ''}
<h2>Over steps</h2>
${data.charts.map((c) => `<div class="chart" id="chart-${c.id}"></div>`).join('\n')}
<script>${codeInScript(assets.js)}</script>
<script type="application/json" id="report-data">${jsonInScript(JSON.stringify(data))}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

/**
 * The end-of-run terminal chart: the loss over the run in `columns` buckets (their means),
 * on a log10 axis when it spans more than two decades, with the step range under it.
 */
export function lossChart(steps: readonly StepLine[], columns = 60, height = 10): string {
  if (steps.length === 0) return 'loss: no step lines logged\n';
  const b = bucketize(steps.map((s) => s.step), steps.map((s) => s.loss), columns);
  const finite = b.mean.filter(Number.isFinite);
  if (finite.length === 0) return 'loss: no finite loss logged\n';
  const log = finite.every((v) => v > 0) && Math.max(...finite) / Math.min(...finite) > 100;
  // asciichart draws NaN as a gap
  const series = b.mean.map((v) => (Number.isFinite(v) ? (log ? Math.log10(v) : v) : NaN));
  const label = (y: number) => (log ? 10 ** y : y).toPrecision(3).padStart(9);
  const chart = plot(series, { height, format: label });
  const pad = ' '.repeat(11); // the label width plus the axis
  const first = `step ${steps[0].step}`;
  const last = `step ${steps.at(-1)!.step}`;
  const axis = pad + first + last.padStart(Math.max(series.length - first.length, last.length + 1));
  return `loss over ${steps.length} updates${log ? ' (log scale)' : ''}, ${series.length} columns of bucket means:\n${chart}\n${axis}\n`;
}

export interface WrittenReport {
  path: string;
  metrics: RunMetrics;
  data: ReportData;
}

/** Reads OUT/metrics.jsonl and writes OUT/report.html atomically (temporary name, then rename). */
export async function writeReport(outDir: string, title?: string): Promise<WrittenReport> {
  const metrics = parseMetrics(await readFile(join(outDir, 'metrics.jsonl'), 'utf8'));
  const data = reportData(metrics, title ?? `grapheme-train run: ${outDir}`);
  const path = join(outDir, REPORT_FILE);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, renderReport(data));
  await rename(temporary, path);
  return { path, metrics, data };
}
