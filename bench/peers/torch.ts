/**
 * Runs bench/peers/torch_dagnn.py under Debian's /usr/bin/python3 (the pyenv python3 on
 * PATH lacks torch). Returns null with a reason when Python or torch is absent.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';

export interface TorchResult {
  check: { torch: number[]; ours: number[] };
  rows: { backend: string; threads: number; samplesPerSecond: number; secondsPerStep: number[]; torch: string }[];
}

export function runTorchPeer(workloadPath: string, rounds: number, sampleMs: number): TorchResult | { skipped: string } {
  if (!existsSync(PYTHON)) return { skipped: `${PYTHON} not found` };
  const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (probe.status !== 0) return { skipped: `torch is not importable by ${PYTHON}: ${probe.stderr.trim().split('\n').pop()}` };
  const script = fileURLToPath(new URL('./torch_dagnn.py', import.meta.url));
  const run = spawnSync(PYTHON, [script, workloadPath, String(rounds), String(sampleMs)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (run.status !== 0) throw new Error(`torch peer failed (exit ${run.status}): ${run.stderr}`);
  const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
  return { check: lines.find((l) => l.check), rows: lines.filter((l) => l.backend) };
}
