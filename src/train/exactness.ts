/**
 * Sparsify, snap and freeze (DESIGN principle 11) through the Trainer, for any model that
 * names its parameter groups: the pieces of src/optim/constraints.ts composed around one
 * update, and snap-and-freeze at points of each curriculum phase.
 *
 *   per update:  backward → activity.observe → nauSparsity(ramped weight) → maskGrads →
 *                clip → gates → optimizer.step → restore → clamp → restore
 *   at snapAt:   per sub-group the data has reached (a DagNN kind's units): snapBySearch
 *                scored on the probe records of the current phase that contain it (at least
 *                10); kept only if no trained level's validation accuracy falls (else undoSnap)
 *
 * The model may add (optional, ExactModel): `snapGroups()` (the sub-groups snapped as one
 * vector), `probeFor(records, subgroup)` (the probe records that bear on a sub-group), `gates()`
 * (parameter groups whose rate is 0 for now, e.g. the DagNN's type path until its values are
 * exact; also where it adjusts itself, e.g. per-kind unit bounds) and `probeError(records)` (a
 * tie-breaker for candidates of equal accuracy), and `refit(records)` (closed-form fits of weights
 * outside the snapped group, e.g. the DagNN's quadrature weights by robust least squares, run
 * after the snaps on the same probe records and kept by the same rule).
 * The freeze mask is the state: it travels in the checkpoint, so a resume after a snap is
 * bit-identical.
 */
import type { Parameter } from '../autograd/index';
import { clampValues, FreezeMask, GradientActivity, nauSparsity, rampedWeight, snapBySearch, undoSnap } from '../optim/constraints';
import { GraphemeError } from '../errors';
import type { ExactnessConfig } from './config';
import type { ModelMetrics } from './contract';

/** What exactness needs of a model beyond the contract (all optional but parameterGroups). */
export interface ExactModel<R> {
  parameterGroups(): Record<string, Parameter[]>;
  snapGroups?(group: string): [string, Parameter[]][];
  /**
   * Called before every update: the parameter groups whose rate is 0 for this update (the
   * model may also adjust itself, e.g. a bound). `fresh`: the first update of a phase, whose
   * batch may reach weights no batch reached before (a new level's kinds).
   */
  gates?(mask: FreezeMask, active: readonly Parameter[], fresh: boolean): string[];
  probeError?(records: readonly R[]): number;
  /** the probe records that bear on a sub-group (e.g. those whose input has the kind); default all */
  probeFor?(records: readonly R[], subgroup: string): R[];
  /** closed-form fits on the probe records: each names what it fitted and can be undone */
  refit?(records: readonly R[]): { group: string; detail: string; undo: () => void }[];
  evaluate(records: readonly R[]): ModelMetrics;
}

/** A snap decision, as events and metrics.jsonl report it. */
export interface SnapEvent {
  step: number;
  /** the sub-group (e.g. the kind '+') */
  group: string;
  kept: boolean;
  /** the snapped values, or why it was reverted */
  detail: string;
}

export class ExactnessStateError extends GraphemeError {
  readonly field = 'exactness';
}

/** probe records a sub-group needs before it is snapped on their evidence */
const MIN_PROBE_RECORDS = 10;

/** updates with a non-zero gradient before an element counts as reached by the data */
const MIN_ACTIVE_UPDATES = 50;

export class Exactness<R> {
  readonly mask = new FreezeMask();
  private readonly activity = new GradientActivity();
  private readonly params: Parameter[];
  /** the snap points of the phase already done (phase start → fractions done) */
  private done = new Set<string>();

  constructor(
    readonly config: ExactnessConfig,
    private readonly model: ExactModel<R>,
  ) {
    const groups = model.parameterGroups();
    this.params = groups[config.group] ?? [];
    if (this.params.length === 0) throw new ExactnessStateError(`exactness.group: the model has no parameter group '${config.group}' (it has ${Object.keys(groups).join(', ')})`);
  }

  /** The elements the data has reached. */
  active(): Parameter[] {
    return this.activity.active(this.params, MIN_ACTIVE_UPDATES);
  }

  /**
   * Between backward and clipping: record what the data reached, add the ramped sparsity
   * gradient, and zero the gradient of frozen elements — before clipping, so a frozen weight
   * on a huge feature (a snapped 0 on x^y) neither counts in the norm nor shrinks the rest.
   */
  afterBackward(phaseStep: number, phaseSteps: number): void {
    this.activity.observe(this.params);
    const { sparsity, ramp } = this.config;
    if (sparsity > 0 && Number.isFinite(phaseSteps)) nauSparsity(this.active(), rampedWeight(phaseStep, ramp[0] * phaseSteps, ramp[1] * phaseSteps, sparsity), this.mask);
    this.mask.maskGrads();
  }

  /** After the optimizer step: frozen values back (Adam's momentum moves them otherwise), clamp. */
  afterUpdate(): void {
    this.mask.restore();
    if (this.config.clamp !== null) {
      clampValues(this.params, -this.config.clamp, this.config.clamp);
      this.mask.restore();
    }
  }

  /** The snap points of a phase reached at `phaseStep` (each once per phase, keyed by the phase's start). */
  due(phaseStart: number, phaseStep: number, phaseSteps: number): boolean {
    if (!Number.isFinite(phaseSteps)) return false;
    let due = false;
    for (const f of this.config.snapAt) {
      const key = `${phaseStart}/${f}`;
      if (!this.done.has(key) && phaseStep >= Math.round(f * phaseSteps)) {
        this.done.add(key);
        due = true;
      }
    }
    return due;
  }

  /**
   * Snap-and-freeze every reached sub-group: the best lattice candidate on `probe`, kept only if
   * `validate()` (each trained level's validation accuracy) falls nowhere. Returns the decisions.
   */
  snap(step: number, probe: readonly R[], validate: () => Record<string, number>): SnapEvent[] {
    const events: SnapEvent[] = [];
    const active = new Set(this.active());
    // the accuracies before any change, computed only when a change is about to be made (a
    // snap point with nothing to snap costs no validation)
    let measured: Record<string, number> | null = null;
    const measure = () => (measured ??= validate());
    const score = (records: readonly R[]) => () => {
      const m = this.model.evaluate(records);
      return 1000 * (m.accuracy ?? 0) - Math.min(this.model.probeError?.(records) ?? 0, 999);
    };
    const subgroups = this.model.snapGroups?.(this.config.group) ?? [[this.config.group, this.params] as [string, Parameter[]]];
    for (const [name, group] of subgroups) {
      if (!group.every((p) => active.has(p))) continue;
      // the evidence for a sub-group is the probe records that contain it
      const records = this.model.probeFor?.(probe, name) ?? probe;
      if (records.length < MIN_PROBE_RECORDS) continue;
      // every one-hot is a candidate: a kind's right unit may not be among its largest weights yet (log vs sqrt correlate)
      const before = measure();
      const result = snapBySearch(group, this.mask, score(records), { topK: Infinity });
      if (result === null) continue;
      const after = validate();
      const fell = Object.keys(after).filter((k) => after[k] < (before[k] ?? 0));
      if (fell.length > 0) {
        undoSnap(result.record, this.mask);
        events.push({ step, group: name, kept: false, detail: `reverted: level ${fell.join(', ')} fell` });
        continue;
      }
      measured = after;
      events.push({ step, group: name, kept: true, detail: `[${result.record.entries.map((e) => e.snapped).join(', ')}]` });
    }
    // the refit applies its fits as it returns them: the accuracies before it are measured on
    // the weights from before (put back for that), and only when it fitted something
    const all = Object.values(this.model.parameterGroups()).flat();
    const prior = measured === null ? all.map((p) => p.readData().slice()) : null;
    const fits = this.model.refit?.(probe) ?? [];
    if (fits.length > 0 && prior !== null) {
      const fitted = all.map((p) => p.readData().slice());
      all.forEach((p, i) => p.writeData().set(prior[i]));
      measure();
      all.forEach((p, i) => p.writeData().set(fitted[i]));
    }
    for (const fit of fits) {
      const before = measure();
      const after = validate();
      const fell = Object.keys(after).filter((k) => after[k] < (before[k] ?? 0));
      if (fell.length > 0) {
        fit.undo();
        events.push({ step, group: fit.group, kept: false, detail: `refit reverted: level ${fell.join(', ')} fell` });
        continue;
      }
      measured = after;
      events.push({ step, group: fit.group, kept: true, detail: `refit ${fit.detail}` });
    }
    return events;
  }

  /** The parameter groups the model gates for the next update (`phaseStep` 0: a phase's first). */
  gates(phaseStep: number): string[] {
    return this.model.gates?.(this.mask, this.activity.active(this.params, 1), phaseStep === 0) ?? [];
  }

  stateDict(): { mask: ReturnType<FreezeMask['stateDict']>; activity: Record<string, number[]>; done: string[] } {
    return { mask: this.mask.stateDict(), activity: this.activity.stateDict(), done: [...this.done] };
  }

  loadStateDict(state: unknown): void {
    const s = state as { mask?: unknown; activity?: unknown; done?: unknown };
    if (s === null || typeof s !== 'object' || !Array.isArray(s.done)) throw new ExactnessStateError('expected { mask, activity, done }');
    try {
      this.mask.loadStateDict(this.params, s.mask as never);
      this.activity.loadStateDict(s.activity as never, this.params);
    } catch (err) {
      throw new ExactnessStateError((err as Error).message);
    }
    this.done = new Set(s.done as string[]);
  }
}
