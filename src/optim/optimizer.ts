import type { Parameter } from '../autograd/parameter';
import type { Backend } from '../backend/index';
import { OptimizerConfigError, StateDictError } from './errors';
import { checkKnownKeys, checkNumber } from './validate';

/** Hyperparameters every optimizer has; each optimizer adds its own. */
export interface BaseOptions {
  lr: number;
  weightDecay: number;
}

/** A parameter group as passed to a constructor: its parameters plus any option overrides. */
export type ParamGroupSpec<O> = { params: readonly Parameter[] } & Partial<O>;

/** The parameters an optimizer updates, flat or in groups (PyTorch's `params` argument). */
export type ParamsArg<O> = readonly Parameter[] | readonly ParamGroupSpec<O>[];

export interface ParamGroup<O> {
  readonly params: readonly Parameter[];
  /** This group's hyperparameters. Change them through setLr / setOptions, which validate. */
  readonly options: Readonly<O>;
}

/** Whether every value stays finite as the float32 the kernels receive (idleIsExact: Infinity · 0 is NaN). */
export function finiteAsF32(a: number, b = 0): boolean {
  return Number.isFinite(Math.fround(a)) && Number.isFinite(Math.fround(b));
}

/** Where a parameter's state buffers live: one byte offset per buffer name, each `size` floats. */
interface Slot {
  readonly param: Parameter;
  readonly buffers: Readonly<Record<string, number>>;
  /** every buffer is known to hold +0 bits only (see IDLE PARAMETERS) */
  quiet: boolean;
}

interface Group<O> {
  params: readonly Parameter[];
  options: O;
  slots: Slot[];
  /** the slots step() updates this time (reused: no per-step allocation) */
  active: Slot[];
}

/**
 * What stateDict() returns and loadStateDict() accepts. Buffers are copies (Float32Array),
 * in the order the parameters appear across the groups; any ArrayLike<number> (e.g. the
 * plain arrays of a JSON round trip) loads back. Everything needed to continue bit-identically.
 */
export interface OptimizerState {
  optimizer: string;
  /** updates applied so far (skipped updates do not count) */
  step: number;
  /** updates skipped because a gradient held NaN or ±Inf */
  skippedSteps: number;
  paramGroups: { options: Record<string, unknown>; params: number[] }[];
  /** per parameter: its buffers by name, and its size for checking */
  state: { size: number; buffers: Record<string, ArrayLike<number>> }[];
}

/** What a learning-rate scheduler needs of an optimizer (every Optimizer has it). */
export interface LrControl {
  readonly kind: string;
  getLr(group?: number): number;
  getLrs(): number[];
  setLr(lr: number, group?: number): void;
  getMomentum(group?: number): number | undefined;
  setMomentum(momentum: number, group?: number): void;
}

/**
 * The optimizer contract (DESIGN principle 6: optimizers as explicit state), shaped like
 * torch.optim so PyTorch users feel at home:
 *
 *   const opt = new Adam(model.parameters(), { lr: 1e-3, weightDecay: 0 });
 *   opt.zeroGrad(); ...backward...; opt.step();
 *
 * State is flat f32 buffers per parameter in the heap's persistent region, all allocated in
 * the constructor (never inside step(), when the step arena is in use). step() first counts
 * non-finite gradient values with the countNonFinite kernel; if there is any, the update is
 * skipped and counted (NaN never reaches the weights, and the step counter, hence Adam's
 * bias correction, does not advance). Otherwise it runs one fused kernel per parameter.
 *
 * Parameters whose `requiresGrad` is false (frozen) are left alone, like PyTorch skips
 * parameters without a gradient.
 *
 * IDLE PARAMETERS. A parameter whose gradient is all +0 bits and whose state buffers are all
 * +0 (it has had no gradient since the optimizer was built or loaded) is not passed to the
 * kernel when the group's options make that update the identity (`idleIsExact`: no weight
 * decay, eps > 0 and every scalar finite as the float32 the kernel receives): the kernel would
 * write back the same weights and zero state, bit for bit, for finite weights. A model of many
 * heads trains a few of them at a time (the DagNN's value path on levels 1–4 is ~50 of its
 * 113 586 weights), so this skips most of the step's work.
 */
export abstract class Optimizer<O extends BaseOptions> implements LrControl {
  readonly backend: Backend;
  /** the hyperparameters groups start from */
  readonly defaults: Readonly<O>;
  private readonly groups: Group<O>[] = [];
  private steps = 0;
  private skipped = 0;
  private lastBad = 0;

  protected constructor(
    /** the class name, recorded in state dicts */
    readonly kind: string,
    params: ParamsArg<O>,
    defaults: Partial<O>,
    private readonly optionKeys: readonly (keyof O & string)[],
  ) {
    checkKnownKeys('options', defaults, optionKeys);
    this.defaults = Object.freeze(this.resolveOptions('options', { ...defaults } as O));
    const specs = normaliseParams(params);
    const seen = new Map<Parameter, string>();
    let backend: Backend | undefined;
    specs.forEach((spec, gi) => {
      const field = `paramGroups[${gi}]`;
      const { params: groupParams, ...overrides } = spec;
      checkKnownKeys(field, overrides, optionKeys);
      if (!Array.isArray(groupParams) || groupParams.length === 0) {
        throw new OptimizerConfigError(`${field}.params`, 'expected a non-empty array of Parameters');
      }
      groupParams.forEach((p, pi) => {
        const where = `${field}.params[${pi}]`;
        if (p === null || typeof p !== 'object' || typeof (p as Parameter).gradAddress !== 'number') {
          throw new OptimizerConfigError(where, 'expected a Parameter');
        }
        const before = seen.get(p);
        if (before !== undefined) throw new OptimizerConfigError(where, `parameter '${p.name}' is already in ${before}`);
        seen.set(p, where);
        backend ??= p.backend;
        if (p.backend !== backend) throw new OptimizerConfigError(where, `parameter '${p.name}' lives on another backend's heap`);
      });
      const options = this.resolveOptions(field, { ...this.defaults, ...overrides } as O);
      this.groups.push({ params: [...groupParams], options, slots: [], active: [] });
    });
    this.backend = backend!;
    // all state up front, in the persistent region
    const heap = this.backend.heap;
    for (const group of this.groups) {
      const names = this.bufferNames(group.options);
      for (const param of group.params) {
        const buffers: Record<string, number> = {};
        for (const name of names) {
          buffers[name] = heap.allocPersistent(param.size * 4);
          this.initBuffer(name, buffers[name], param.size, group.options);
        }
        group.slots.push({ param, buffers, quiet: false });
      }
    }
    this.markQuiet();
  }

  // ----- what each optimizer supplies -------------------------------------------------

  /** Fill in and check one group's options; `field` locates errors. */
  protected abstract validate(field: string, options: O): O;
  /** The state buffers a parameter needs under these options (e.g. amsgrad adds one). */
  protected abstract bufferNames(options: O): readonly string[];
  /** Starting value of a fresh buffer (the heap hands out zeroed memory). */
  protected initBuffer(_name: string, _ptr: number, _size: number, _options: O): void {}
  /**
   * Apply update number `t` (1-based) to one group: compute its per-step scalars in float64,
   * then call the fused kernel once per parameter.
   */
  protected abstract updateGroup(options: O, slots: readonly Slot[], t: number): void;
  /**
   * Whether, under these options, a step with an all-zero gradient on all-zero state leaves
   * the weights and the state bit for bit as they were (see IDLE PARAMETERS). False unless an
   * optimizer says so.
   */
  protected idleIsExact(_options: O): boolean {
    return false;
  }

  // ----- the contract ------------------------------------------------------------------

  get paramGroups(): readonly ParamGroup<O>[] {
    return this.groups.map((g) => ({ params: g.params, options: g.options }));
  }

  /** All parameters, group by group (the order of stateDict().state). */
  parameters(): Parameter[] {
    return this.groups.flatMap((g) => g.params);
  }

  /** Updates applied so far. */
  get stepCount(): number {
    return this.steps;
  }

  /** Updates skipped because a gradient held NaN or ±Inf. */
  get skippedSteps(): number {
    return this.skipped;
  }

  /** How many non-finite gradient values the last skipped update saw. */
  get lastNonFiniteCount(): number {
    return this.lastBad;
  }

  /**
   * One update of every parameter from its gradient. Returns false (and changes nothing but
   * the skip counters) when some gradient value is NaN or ±Inf.
   */
  step(): boolean {
    const k = this.backend.kernels;
    let bad = 0;
    for (const group of this.groups) {
      for (const p of group.params) if (isTrainable(p) && !p.gradIsZero) bad += k.countNonFinite(p.gradAddress, p.size);
    }
    if (bad > 0) {
      this.skipped++;
      this.lastBad = bad;
      return false;
    }
    const t = ++this.steps;
    for (const group of this.groups) {
      const idleIsExact = this.idleIsExact(group.options);
      const active = group.active;
      active.length = 0;
      for (const slot of group.slots) {
        const p = slot.param;
        if (!isTrainable(p) || (idleIsExact && slot.quiet && (p.gradIsZero || k.countNonZeroBits(p.gradAddress, p.size) === 0))) continue;
        active.push(slot);
        slot.quiet = false;
      }
      if (active.length > 0) this.updateGroup(group.options, active, t);
    }
    return true;
  }

  /** Sets every gradient to zero (frozen parameters included; one known to be zero is left as it is: Parameter, KNOWN-ZERO GRADIENT). */
  zeroGrad(): void {
    for (const group of this.groups) for (const p of group.params) p.zeroGrad();
  }

  getLr(group = 0): number {
    return this.group(group).options.lr;
  }

  /** One learning rate per group. */
  getLrs(): number[] {
    return this.groups.map((g) => g.options.lr);
  }

  /** Sets the learning rate of one group, or of every group when `group` is omitted. */
  setLr(lr: number, group?: number): void {
    checkNumber(group === undefined ? 'lr' : `paramGroups[${group}].lr`, lr, { min: 0 });
    // a group already at `lr` keeps its options object (a schedule sets every rate every update)
    for (const g of group === undefined ? this.groups : [this.group(group)]) if (!Object.is(g.options.lr, lr)) g.options = { ...g.options, lr };
  }

  /** Changes any options of one group (validated; a change that would need a state buffer the
   * constructor did not allocate, such as turning amsgrad on, is refused). */
  setOptions(group: number, changes: Partial<O>): void {
    const field = `paramGroups[${group}]`;
    checkKnownKeys(field, changes, this.optionKeys);
    const g = this.group(group);
    const next = this.resolveOptions(field, { ...g.options, ...changes });
    this.checkBuffers(field, next, g.slots[0]);
    g.options = next;
  }

  /**
   * The momentum a one-cycle schedule cycles: SGD's and RMSprop's `momentum`, Adam's beta1.
   * Undefined for optimizers without one.
   */
  getMomentum(_group = 0): number | undefined {
    return undefined;
  }

  setMomentum(_momentum: number, _group?: number): void {
    throw new OptimizerConfigError('momentum', `${this.kind} has no momentum to set`);
  }

  stateDict(): OptimizerState {
    const paramGroups: OptimizerState['paramGroups'] = [];
    const state: OptimizerState['state'] = [];
    const heap = this.backend.heap;
    for (const group of this.groups) {
      const indices: number[] = [];
      for (const slot of group.slots) {
        indices.push(state.length);
        const buffers: Record<string, Float32Array> = {};
        for (const [name, ptr] of Object.entries(slot.buffers)) buffers[name] = heap.f32View(ptr, slot.param.size).slice();
        state.push({ size: slot.param.size, buffers });
      }
      paramGroups.push({ options: cloneOptions(group.options), params: indices });
    }
    return { optimizer: this.kind, step: this.steps, skippedSteps: this.skipped, paramGroups, state };
  }

  /**
   * Restores options, counters and buffers from stateDict() of an optimizer built the same way
   * (same kind, same group sizes, same parameter sizes). Parameter values are not part of it:
   * they travel with the model. Everything is checked before anything is changed.
   */
  loadStateDict(sd: OptimizerState): void {
    if (sd === null || typeof sd !== 'object') throw new StateDictError('', 'expected an object');
    if (sd.optimizer !== this.kind) throw new StateDictError('optimizer', `was saved by ${String(sd.optimizer)}, loading into ${this.kind}`);
    checkNumber('step', sd.step, { min: 0, integer: true });
    checkNumber('skippedSteps', sd.skippedSteps, { min: 0, integer: true });
    if (!Array.isArray(sd.paramGroups) || sd.paramGroups.length !== this.groups.length) {
      throw new StateDictError('paramGroups', `expected ${this.groups.length} groups, got ${Array.isArray(sd.paramGroups) ? sd.paramGroups.length : 'none'}`);
    }
    const pending: { options: O }[] = [];
    let index = 0;
    this.groups.forEach((group, gi) => {
      const saved = sd.paramGroups[gi];
      const field = `paramGroups[${gi}]`;
      if (!Array.isArray(saved?.params) || saved.params.length !== group.params.length) {
        throw new StateDictError(`${field}.params`, `expected ${group.params.length} parameters, got ${saved?.params?.length ?? 'none'}`);
      }
      let options: O;
      try {
        checkKnownKeys(`${field}.options`, saved.options ?? {}, this.optionKeys);
        options = this.resolveOptions(`${field}.options`, { ...this.defaults, ...(saved.options as Partial<O>) });
      } catch (err) {
        if (err instanceof OptimizerConfigError) throw new StateDictError(err.field, err.message);
        throw err;
      }
      group.slots.forEach((slot, si) => {
        const at = `state[${saved.params[si]}]`;
        if (saved.params[si] !== index) throw new StateDictError(`${field}.params[${si}]`, `expected index ${index}, got ${saved.params[si]}`);
        const entry = sd.state?.[index];
        if (!entry || entry.size !== slot.param.size) {
          throw new StateDictError(at, `parameter '${slot.param.name}' has ${slot.param.size} values, the saved one ${entry?.size ?? 'is missing'}`);
        }
        const have = Object.keys(slot.buffers).sort().join(', ');
        const got = Object.keys(entry.buffers ?? {}).sort().join(', ');
        if (have !== got) {
          throw new StateDictError(`${at}.buffers`, `expected {${have}}, got {${got}} (was it saved with other amsgrad/momentum/centered options?)`);
        }
        for (const [name, values] of Object.entries(entry.buffers)) {
          if (values?.length !== slot.param.size) throw new StateDictError(`${at}.buffers.${name}`, `expected ${slot.param.size} values, got ${values?.length}`);
        }
        index++;
      });
      pending.push({ options });
    });
    if (sd.state.length !== index) throw new StateDictError('state', `expected ${index} entries, got ${sd.state.length}`);
    // all checked: apply
    const heap = this.backend.heap;
    this.groups.forEach((group, gi) => {
      group.options = pending[gi].options;
      for (const [si, slot] of group.slots.entries()) {
        const entry = sd.state[sd.paramGroups[gi].params[si]];
        for (const [name, ptr] of Object.entries(slot.buffers)) heap.f32.set(entry.buffers[name], ptr >>> 2);
      }
    });
    this.steps = sd.step;
    this.skipped = sd.skippedSteps;
    this.markQuiet();
  }

  /** Marks each slot whose buffers hold +0 bits only (a scan: after construction and loads). */
  private markQuiet(): void {
    const k = this.backend.kernels;
    for (const group of this.groups) {
      for (const slot of group.slots) slot.quiet = Object.values(slot.buffers).every((ptr) => k.countNonZeroBits(ptr, slot.param.size) === 0);
    }
  }

  // ----- helpers ---------------------------------------------------------------------

  protected group(index: number): Group<O> {
    const g = this.groups[index];
    if (!g) throw new OptimizerConfigError('group', `no parameter group ${index} (there are ${this.groups.length})`);
    return g;
  }

  /** Apply `update` to one group's options, or to every group's when `group` is omitted. */
  protected updateOptions(group: number | undefined, update: (o: O, field: string) => O): void {
    const targets = group === undefined ? this.groups.map((_, i) => i) : [group];
    const next = targets.map((i) => update(this.group(i).options, `paramGroups[${i}]`));
    targets.forEach((i, k) => {
      this.checkBuffers(`paramGroups[${i}]`, next[k], this.groups[i].slots[0]);
      this.groups[i].options = next[k];
    });
  }

  private resolveOptions(field: string, options: O): O {
    checkNumber(`${field}.lr`, options.lr, { min: 0 });
    checkNumber(`${field}.weightDecay`, options.weightDecay, { min: 0 });
    return this.validate(field, options);
  }

  private checkBuffers(field: string, options: O, slot: Slot | undefined): void {
    if (!slot) return;
    for (const name of this.bufferNames(options)) {
      if (!(name in slot.buffers)) {
        throw new OptimizerConfigError(field, `these options need the state buffer '${name}', which was not allocated when the optimizer was built; build it with them`);
      }
    }
  }
}

function normaliseParams<O>(params: ParamsArg<O>): ParamGroupSpec<O>[] {
  if (!Array.isArray(params) || params.length === 0) {
    throw new OptimizerConfigError('params', 'expected a non-empty array of Parameters or of parameter groups');
  }
  const first = params[0] as object;
  if (first !== null && typeof first === 'object' && 'params' in first) return params as ParamGroupSpec<O>[];
  return [{ params: params as readonly Parameter[] } as ParamGroupSpec<O>];
}

function isTrainable(p: Parameter): boolean {
  return (p as { requiresGrad?: boolean }).requiresGrad !== false;
}

function cloneOptions(options: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) out[k] = Array.isArray(v) ? [...v] : v;
  return out;
}

export type { Slot };
