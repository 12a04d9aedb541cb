import { GraphemeError } from '../errors';

/** A bad optimizer, schedule or clipping argument; `field` says which one (e.g. `paramGroups[1].betas[0]`). */
export class OptimizerConfigError extends GraphemeError {
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
  }
}

/** A state dict that does not fit the object it is loaded into; `field` locates the mismatch. */
export class StateDictError extends GraphemeError {
  constructor(readonly field: string, message: string) {
    super(`state dict ${field}: ${message}`);
  }
}
