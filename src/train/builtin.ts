/**
 * The built-in model and record source a config describes: the DagNN (src/model/trainable.ts)
 * and the curriculum over generated records (./curriculum.ts). The Trainer builds them when it
 * is given none, and so does every worker replica (./parallel/replica.ts): the same config
 * gives the same model and the same batches on every thread.
 */
import type { Backend } from '../backend/index';
import type { LevelPool } from '../data/source';
import { DagNNModel, UNIT_BOUND_WHILE_FITTING } from '../model/trainable';
import type { TrainingConfig } from './config';
import { Curriculum } from './curriculum';

export function builtInModel(backend: Backend, config: TrainingConfig): DagNNModel {
  return new DagNNModel(backend, {
    hidden: config.model.hidden,
    valueScale: config.model.valueScale,
    binaryUnits: config.model.binaryUnits,
    quadraturePoints: config.model.quadraturePoints,
    rootSteps: config.model.rootSteps,
    decoderBeam: config.model.decoderBeam,
    seed: `${config.seed}/model`,
    loss: { gedWeight: config.nodeLossWeight, auxWeight: config.auxLossWeight },
    // the exact value path: float64 value stream, learned exact/float type, bounded units until snapped
    ...(config.model.exact ? { valueStream: 'host', typeHead: 'exact', unitBound: UNIT_BOUND_WHILE_FITTING } : {}),
  });
}

/** The curriculum of `config` over `pool` (default: generated records). */
export function builtInSource(config: TrainingConfig, pool?: LevelPool): Curriculum {
  return new Curriculum(config, pool);
}
