import { link, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { train } from '../../src/cli/train';
import { bucketize, lossChart, MAX_BUCKETS, parseMetrics, renderReport, reportData, uplotAssets, writeReport, type ReportData } from '../../src/train/report-node';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grapheme-train-report-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A synthetic run: `steps` updates, levels 1 → 2 → 3 at 40% and 70% of the run, an evaluation every `evalEvery`. */
function syntheticLog(steps: number, evalEvery: number): { text: string; losses: number[]; levelAt: (step: number) => number; final: Record<string, object> } {
  const lines: string[] = [];
  const losses: number[] = [];
  const change1 = Math.floor(steps * 0.4);
  const change2 = Math.floor(steps * 0.7);
  const levelAt = (step: number) => (step <= change1 ? 1 : step <= change2 ? 2 : 3);
  for (let step = 1; step <= steps; step++) {
    // a falling loss with a deterministic wiggle, a spike at the middle
    const loss = 4 * Math.exp(-step / (steps / 5)) + 0.05 + 0.02 * Math.sin(step) + (step === Math.floor(steps / 2) ? 9 : 0);
    losses.push(loss);
    const level = levelAt(step);
    lines.push(JSON.stringify({ kind: 'step', step, loss, lr: 0.03 * (1 - step / (steps + 1)), gradNorm: 1 + (step % 7), samplesPerSec: 1000, level, levels: Array.from({ length: level }, (_, i) => i + 1), applied: true }));
    if (step === change1 || step === change2) lines.push(JSON.stringify({ kind: 'level', step, from: level, to: level + 1, reason: 'budget' }));
    if (step % evalEvery === 0) {
      const perLevel: Record<string, object> = {};
      for (let l = 1; l <= 3; l++) perLevel[l] = { count: 50, accuracy: Math.min(1, (step / steps) * (1.2 - l * 0.2)), meanGed: 1 - step / steps, equivalence: 0.5, loss: 1 };
      lines.push(JSON.stringify({ kind: 'eval', step, accuracy: 0.5, meanGed: 0.4, level: levelAt(step), perLevel }));
    }
  }
  const final = {
    '1': { count: 500, accuracy: 0.984, meanGed: 0.016, equivalence: 0.99, loss: 0.0123 },
    '2': { count: 500, accuracy: 0.502, meanGed: 0.71, equivalence: 0.6, loss: 0.456 },
    '3': { count: 500, accuracy: 0.25, meanGed: 1.2, equivalence: 0.31, loss: 2.5 },
  };
  lines.push(JSON.stringify({ kind: 'final', step: steps, perLevel: final }));
  return { text: lines.join('\n') + '\n', losses, levelAt, final };
}

/** The JSON report.html inlines for its charts. */
function inlinedData(html: string): ReportData {
  const match = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  expect(match).not.toBeNull();
  return JSON.parse(match![1]);
}

describe('report.html', () => {
  it('is self-contained: uPlot JS and CSS inlined, every plot present with its series, no external reference', async () => {
    const out = join(dir, 'full');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(out);
    const log = syntheticLog(3000, 250);
    await writeFile(join(out, 'metrics.jsonl'), log.text);
    const { path } = await writeReport(out);
    const html = await readFile(path, 'utf8');

    // nothing is loaded from anywhere: no src/href attribute at all, no @import, no url(http…)
    expect(html).not.toMatch(/\s(src|href)\s*=/i);
    expect(html).not.toMatch(/@import|url\(\s*['"]?https?:/i);
    const assets = uplotAssets();
    expect(html).toContain(assets.css);
    expect(html).toContain(assets.js.slice(0, 2000));
    expect(html).toMatch(/new uPlot\(/);

    const data = inlinedData(html);
    expect(data.charts.map((c) => c.id)).toEqual(['loss', 'lr', 'gradNorm', 'accuracy', 'levels']);
    for (const chart of data.charts) for (const s of chart.series) expect(s.values.length, `${chart.id}/${s.label}`).toBe(chart.x.length);
    const accuracy = data.charts.find((c) => c.id === 'accuracy')!;
    expect(accuracy.series.map((s) => s.label)).toEqual(['level 1', 'level 2', 'level 3', 'mean over levels']);
    expect(accuracy.x).toEqual(Array.from({ length: 12 }, (_, i) => (i + 1) * 250));
    expect(accuracy.series[0].values[3]).toBeCloseTo((1000 / 3000) * 1.0, 12);
    // the loss spans ~100× and has a spike: a log axis and a min–max band
    const loss = data.charts.find((c) => c.id === 'loss')!;
    expect(loss.series.map((s) => s.band ?? 'line')).toEqual(['line', 'min', 'max']);

    // the level timeline steps where the log says the curriculum moved on
    const levels = data.charts.find((c) => c.id === 'levels')!;
    levels.x.forEach((step, i) => expect(levels.series[0].values[i], `step ${step}`).toBe(log.levelAt(step)));
    expect(levels.series[0].stepped).toBe(true);
    expect(data.summary.levelChanges.map((c) => [c.step, c.from, c.to])).toEqual([[1200, 1, 2], [2100, 2, 3]]);

    // the final table: every level's figures as logged
    expect(data.final).toEqual(Object.entries(log.final).map(([level, e]) => ({ level: Number(level), ...e })));
    expect(html).toMatch(/<table id="final-table">/);
    expect(html).toMatch(/<td>1<\/td><td>500<\/td><td>98\.4%<\/td><td>0\.016<\/td><td>99\.0%<\/td>/);
    expect(data.missing).toEqual([]);
  });

  it('buckets 100 000 updates into at most MAX_BUCKETS min/mean/max points that keep the extremes and the mean', () => {
    const log = syntheticLog(100_000, 10_000);
    const data = reportData(parseMetrics(log.text));
    const loss = data.charts.find((c) => c.id === 'loss')!;
    expect(loss.x.length).toBe(MAX_BUCKETS);
    const [mean, min, max] = loss.series.map((s) => s.values as number[]);
    // oracle: the plain float64 figures over all updates (buckets here are 100 updates each)
    expect(Math.min(...min)).toBe(Math.min(...log.losses));
    expect(Math.max(...max)).toBe(Math.max(...log.losses));
    const overall = log.losses.reduce((a, b) => a + b, 0) / log.losses.length;
    expect(mean.reduce((a, b) => a + b, 0) / mean.length).toBeCloseTo(overall, 10);
    for (let i = 0; i < mean.length; i++) expect(min[i] <= mean[i] && mean[i] <= max[i]).toBe(true);
    expect(loss.yScale).toBe('log');
    expect(JSON.stringify(data).length).toBeLessThan(400_000);
  });

  it('bucketize: uneven sizes differ by at most one, non-finite values leave gaps', () => {
    const b = bucketize([1, 2, 3, 4, 5, 6, 7], [1, NaN, 3, 4, Infinity, NaN, 7], 3);
    // buckets [1,2], [3,4], [5,6,7]
    expect(b.step).toEqual([1.5, 3.5, 6]);
    expect(b.mean).toEqual([1, 3.5, 7]);
    expect(b.min).toEqual([1, 3, 7]);
    expect(b.max).toEqual([1, 4, 7]);
    expect(bucketize([1, 2], [NaN, NaN], 5).mean.every(Number.isNaN)).toBe(true);
  });

  it('tolerates an old log: step lines without "kind", no evaluations, levels or final test, a torn last line', async () => {
    const out = join(dir, 'old');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(out);
    const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ step: i + 1, loss: 2 - i / 30, lr: 0.01, gradNorm: 0.5 }));
    await writeFile(join(out, 'metrics.jsonl'), lines.join('\n') + '\n{"step": 31, "lo');
    const { data, path } = await writeReport(out);
    expect(data.charts.map((c) => c.id)).toEqual(['loss', 'lr', 'gradNorm']);
    expect(data.missing.join('\n')).toMatch(/no evaluation lines/);
    expect(data.missing.join('\n')).toMatch(/no level timeline/);
    expect(data.missing.join('\n')).toMatch(/no final line/);
    expect(data.missing.join('\n')).toMatch(/1 unreadable line\(s\) skipped \(line 31\)/);
    expect(await readFile(path, 'utf8')).toMatch(/No final held-out test in the log/);
  });

  it('evaluations without per-level figures draw the overall accuracy; level lines alone give the timeline', () => {
    const text = [
      ...Array.from({ length: 10 }, (_, i) => JSON.stringify({ kind: 'step', step: i + 1, loss: 1, lr: 0.1, gradNorm: 1 })),
      JSON.stringify({ kind: 'eval', step: 5, accuracy: 0.25 }),
      JSON.stringify({ kind: 'level', step: 6, from: 1, to: 2, reason: 'threshold' }),
      JSON.stringify({ kind: 'eval', step: 10, accuracy: 0.5 }),
      JSON.stringify({ kind: 'final', step: 10, perLevel: { '1': { accuracy: 0.9 } } }),
    ].join('\n');
    const data = reportData(parseMetrics(text));
    const accuracy = data.charts.find((c) => c.id === 'accuracy')!;
    expect(accuracy.series).toEqual([{ label: 'mean over levels', values: [0.25, 0.5] }]);
    const levels = data.charts.find((c) => c.id === 'levels')!;
    expect([levels.x, levels.series[0].values]).toEqual([[0, 6, 10], [1, 2, 2]]);
    expect(data.final).toEqual([{ level: 1, count: null, accuracy: 0.9, meanGed: null, equivalence: null, loss: null }]);
    expect(data.missing.join('\n')).toMatch(/no per-level figures: only the overall accuracy/);
    expect(data.missing.join('\n')).toMatch(/no equivalence rate/);
  });

  it('lists the snap-and-freeze decisions, kept and reverted, in order', () => {
    const text = [
      JSON.stringify({ kind: 'step', step: 1, loss: 1, lr: 0.1, gradNorm: 1 }),
      JSON.stringify({ kind: 'snap', step: 1, group: '*', kept: true, detail: '[0, 0, 1, 0, 0]' }),
      JSON.stringify({ kind: 'snap', step: 1, group: 'log', kept: false, detail: 'reverted: level 4 fell' }),
    ].join('\n');
    const data = reportData(parseMetrics(text));
    expect(data.snaps.map((e) => [e.group, e.kept])).toEqual([['*', true], ['log', false]]);
    const html = renderReport(data, { js: '', css: '' });
    expect(html).toMatch(/<td>\*<\/td><td>kept<\/td><td>\[0, 0, 1, 0, 0\]<\/td>/);
    expect(html).toMatch(/<td>log<\/td><td>reverted<\/td><td>reverted: level 4 fell<\/td>/);
    expect(renderReport(reportData(parseMetrics(text.split('\n')[0])), { js: '', css: '' })).not.toMatch(/snap-table/);
  });

  it('is written atomically: a new file replaces the old one, which is never rewritten in place; no temporary file is left', async () => {
    const out = join(dir, 'atomic');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(out);
    await writeFile(join(out, 'metrics.jsonl'), syntheticLog(50, 10).text);
    await writeFile(join(out, 'report.html'), 'previous report');
    // a hard link shares the old file's inode: writing in place would change what it reads
    await link(join(out, 'report.html'), join(out, 'previous.html'));
    await writeReport(out);
    expect(await readFile(join(out, 'previous.html'), 'utf8')).toBe('previous report');
    expect(await readFile(join(out, 'report.html'), 'utf8')).toMatch(/^<!doctype html>/);
    expect((await readdir(out)).sort()).toEqual(['metrics.jsonl', 'previous.html', 'report.html']);
  });

  it('a missing metrics.jsonl is an error and writes nothing', async () => {
    const out = join(dir, 'empty');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(out);
    await expect(writeReport(out)).rejects.toThrow(/ENOENT/);
    expect(await readdir(out)).toEqual([]);
  });
});

describe('terminal loss chart', () => {
  const plotted = /[╭╮╯╰─│┼┤]/;

  it('60 columns of bucket means under a label axis; a falling loss is drawn from the top left to the bottom right', () => {
    const steps = Array.from({ length: 6000 }, (_, i) => ({ step: i + 1, loss: 3 - i / 3000, lr: 0.01, gradNorm: 1 }));
    const text = lossChart(steps, 60, 10);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('loss over 6000 updates, 60 columns of bucket means:');
    const rows = lines.slice(1, -1);
    expect(rows.length).toBe(11); // height + 1
    const axisColumn = rows[0].search(/[┼┤]/);
    expect(axisColumn).toBeGreaterThan(0);
    // every row: a label, the axis, then at most 60 columns of curve
    for (const row of rows) expect(row.length - axisColumn).toBeLessThanOrEqual(61);
    // the top label is the first bucket's mean (3 - 49.5/3000), the bottom one the last's
    expect(Number(rows[0].slice(0, axisColumn))).toBeCloseTo(3 - 49.5 / 3000, 2);
    expect(Number(rows.at(-1)!.slice(0, axisColumn))).toBeCloseTo(3 - 5949.5 / 3000, 2);
    // the curve's first column is on the top row, its last on the bottom row
    const curve = rows.map((r) => r.slice(axisColumn + 1));
    const rowOf = (col: number) => curve.findIndex((r) => plotted.test(r[col] ?? ' '));
    expect(rowOf(0)).toBe(0);
    expect(rowOf(58)).toBe(rows.length - 1);
    expect(lines.at(-1)).toMatch(/^\s+step 1\s+step 6000$/);
  });

  it('uses a log axis when the loss spans more than two decades, and says when there is nothing to draw', () => {
    const steps = Array.from({ length: 100 }, (_, i) => ({ step: i + 1, loss: 1000 * 0.9 ** i, lr: 0.01, gradNorm: 1 }));
    const text = lossChart(steps, 60, 8);
    expect(text).toMatch(/\(log scale\)/);
    const labels = text.split('\n').slice(1, 10).map((r) => Number(r.slice(0, r.search(/[┼┤]/))));
    // log axis: the labels fall by a constant ratio (a linear axis would fall by a constant difference)
    const ratios = labels.slice(1).map((v, i) => labels[i] / v);
    for (const r of ratios) expect(r).toBeCloseTo(ratios[0], 1);
    expect(lossChart([])).toBe('loss: no step lines logged\n');
  });
});

describe('grapheme-train train', () => {
  it('ends with report.html beside the metrics and the loss chart in its output', async () => {
    const out = join(dir, 'cli-run');
    let stdout = '';
    const outcome = await train({ levels: '1', steps: '12', backend: 'js', out, seed: '5', levelEvalSize: '10' }, { out: (t) => void (stdout += t), err: () => {}, tty: false });
    expect(outcome.exitCode).toBe(0);
    expect(stdout).toContain(`report:     ${join(out, 'report.html')}`);
    expect(stdout).toMatch(/loss over 12 updates, 12 columns of bucket means:\n/);
    const data = inlinedData(await readFile(join(out, 'report.html'), 'utf8'));
    // the report's loss points are the logged losses, one per update
    const logged = (await readFile(join(out, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l)).filter((l) => (l.kind ?? 'step') === 'step');
    expect(data.charts.find((c) => c.id === 'loss')!.series[0].values).toEqual(logged.map((l) => l.loss));
    expect(data.final?.map((r) => [r.level, r.count])).toEqual([[1, 10]]);
  });
});
