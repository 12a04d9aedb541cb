/**
 * Small layers for custom models, on the tape's ops: a model in a few lines.
 *
 *   const net = new Sequential([new Linear(backend, 2, 16, { init: 'he' }), 'relu', new Linear(backend, 16, 1)]);
 *   const y = net.forward(tape, x);                  // x: batch × 2 on `tape`
 *   new AdamW(net.parameters(), { lr: 1e-2 });
 *
 * Initialisers (weights; biases start at 0), from a seeded PRNG so a model is reproducible:
 *   'glorot'  N(0, 2 / (fanIn + fanOut))    Glorot & Bengio 2010, for tanh / sigmoid / linear outputs
 *   'he'      N(0, 2 / fanIn)               He et al. 2015, for ReLU
 */
import { ops, Parameter, type Tape, type Tensor, type TensorLike } from '../autograd/index';
import type { Backend } from '../backend/index';
import { GraphemeError } from '../errors';
import { Prng } from '../util/prng';

export class LayerError extends GraphemeError {}

export type Initializer = 'glorot' | 'he';

export interface LinearLayerOptions {
  /** default 'glorot' */
  init?: Initializer;
  /** default true */
  bias?: boolean;
  /** seed of the weights (default 0; Sequential gives each layer its own) */
  seed?: number | string;
  /** parameter name prefix (default 'linear'): names key checkpoints, so they must be unique in a model */
  name?: string;
}

/** y = x·W + b, W: in × out. */
export class Linear {
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(backend: Backend, readonly inFeatures: number, readonly outFeatures: number, options: LinearLayerOptions = {}) {
    for (const [field, v] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new LayerError(`Linear: ${field} must be a positive integer, got ${v}`);
    }
    const init = options.init ?? 'glorot';
    if (init !== 'glorot' && init !== 'he') throw new LayerError(`Linear: init must be 'glorot' or 'he', got '${String(init)}'`);
    const std = init === 'he' ? Math.sqrt(2 / inFeatures) : Math.sqrt(2 / (inFeatures + outFeatures));
    const prng = new Prng(options.seed ?? 0);
    const name = options.name ?? 'linear';
    this.weight = new Parameter(backend, [inFeatures, outFeatures], `${name}.weight`, Float32Array.from({ length: inFeatures * outFeatures }, () => prng.normal(0, std)));
    this.bias = options.bias === false ? null : new Parameter(backend, [outFeatures], `${name}.bias`);
  }

  forward(tape: Tape, x: TensorLike): Tensor {
    if (x.cols !== this.inFeatures) throw new LayerError(`Linear: input has ${x.cols} columns, the layer takes ${this.inFeatures}`);
    return ops.linear(tape, x, this.weight, this.bias ?? undefined);
  }

  parameters(): Parameter[] {
    return this.bias === null ? [this.weight] : [this.weight, this.bias];
  }
}

export type Activation = 'relu' | 'tanh' | 'sigmoid' | 'gelu';
const ACTIVATIONS: Record<Activation, (tape: Tape, x: TensorLike) => Tensor> = { relu: ops.relu, tanh: ops.tanh, sigmoid: ops.sigmoid, gelu: ops.gelu };

/** Layers applied in order: Linear layers and activation names. */
export class Sequential {
  constructor(readonly layers: readonly (Linear | Activation)[]) {
    layers.forEach((l, i) => {
      if (typeof l === 'string' && !(l in ACTIVATIONS)) throw new LayerError(`Sequential: layers[${i}] '${l}' is not one of ${Object.keys(ACTIVATIONS).join(', ')}`);
    });
  }

  forward(tape: Tape, x: TensorLike): Tensor {
    let h: TensorLike = x;
    for (const l of this.layers) h = typeof l === 'string' ? ACTIVATIONS[l](tape, h) : l.forward(tape, h);
    return h as Tensor;
  }

  parameters(): Parameter[] {
    return this.layers.flatMap((l) => (typeof l === 'string' ? [] : l.parameters()));
  }
}

export interface MlpOptions {
  /** between the layers (default 'relu'); the last layer is linear */
  activation?: Activation;
  /** default: 'he' for relu/gelu, 'glorot' otherwise */
  init?: Initializer;
  seed?: number | string;
  /** parameter name prefix (default 'mlp'): layer i is `${name}.${i}` */
  name?: string;
}

/** A multilayer perceptron over `sizes` = [in, hidden…, out]: Linear, activation, …, Linear. */
export function mlp(backend: Backend, sizes: readonly number[], options: MlpOptions = {}): Sequential {
  if (sizes.length < 2) throw new LayerError(`mlp: sizes needs at least [in, out], got [${sizes.join(', ')}]`);
  const activation = options.activation ?? 'relu';
  const init = options.init ?? (activation === 'relu' || activation === 'gelu' ? 'he' : 'glorot');
  const name = options.name ?? 'mlp';
  const layers: (Linear | Activation)[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    if (i > 0) layers.push(activation);
    layers.push(new Linear(backend, sizes[i], sizes[i + 1], { init, seed: `${options.seed ?? 0}/${i}`, name: `${name}.${i}` }));
  }
  return new Sequential(layers);
}
