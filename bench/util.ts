/**
 * Shared bench plumbing: every suite measures with `measure` (median of repetitions, one
 * process, one run, so ratios between backends are fair on a drifting shared machine) and
 * reports through `Reporter`, which prints a table for people or, with --json, one line
 * per figure: {"suite","name","backend","size","value","unit"}.
 */
export interface BenchRow {
  suite: string;
  name: string;
  backend: string;
  size: number | string;
  value: number;
  unit: string;
}

export interface SuiteOptions {
  json: boolean;
  /** when set, only cases whose name/backend/size text contains it */
  filter?: string;
  /** scale repetitions down for a smoke run (tests) */
  quick?: boolean;
}

export type Suite = (opts: SuiteOptions) => Promise<BenchRow[]>;

export class Reporter {
  readonly rows: BenchRow[] = [];
  constructor(private readonly opts: SuiteOptions) {}
  add(row: BenchRow): void {
    this.rows.push(row);
    if (this.opts.json) console.log(JSON.stringify(row));
  }
  /** a human table; in --json mode nothing (the JSON lines were printed as rows came) */
  printTable(title: string, extra: string[] = []): void {
    if (this.opts.json || this.rows.length === 0) return;
    const cols = ['name', 'backend', 'size', 'value', 'unit'] as const;
    const cells = this.rows.map((r) => cols.map((c) => (c === 'value' ? formatValue(r.value) : String(r[c]))));
    const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
    const line = (vals: readonly string[]) => vals.map((v, i) => (i === 3 ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ');
    console.log(`\n${title}`);
    console.log(line(cols));
    console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const row of cells) console.log(line(row));
    for (const e of extra) console.log(e);
  }
}

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Median seconds per call of `fn`: warms up, then takes `reps` samples, each timing enough
 * calls to last at least `minSampleMs` (so timer resolution never dominates).
 */
export async function measure(fn: () => unknown | Promise<unknown>, reps = 7, minSampleMs = 60): Promise<number> {
  const now = () => performance.now();
  let calls = 1;
  for (;;) {
    const t0 = now();
    for (let i = 0; i < calls; i++) await fn();
    const dt = now() - t0;
    if (dt >= minSampleMs || calls >= 1 << 20) break;
    calls = Math.max(calls * 2, Math.ceil((calls * minSampleMs) / Math.max(dt, 0.01)));
  }
  const samples: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = now();
    for (let i = 0; i < calls; i++) await fn();
    samples.push((now() - t0) / 1000 / calls);
  }
  return median(samples);
}

/** A synchronous variant for hot kernels where awaiting each call would add noise. */
export function measureSync(fn: () => unknown, reps = 7, minSampleMs = 60): number {
  const now = () => performance.now();
  let calls = 1;
  for (;;) {
    const t0 = now();
    for (let i = 0; i < calls; i++) fn();
    const dt = now() - t0;
    if (dt >= minSampleMs || calls >= 1 << 20) break;
    calls = Math.max(calls * 2, Math.ceil((calls * minSampleMs) / Math.max(dt, 0.01)));
  }
  const samples: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = now();
    for (let i = 0; i < calls; i++) fn();
    samples.push((now() - t0) / 1000 / calls);
  }
  return median(samples);
}

export function matches(opts: SuiteOptions, ...parts: (string | number)[]): boolean {
  return !opts.filter || parts.join(' ').includes(opts.filter);
}
