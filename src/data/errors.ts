import { GraphemeError } from '../errors';

/** A bad argument to the data layer (split fractions, batch size, level spec, mixture); `field` names it. */
export class DataOptionError extends GraphemeError {
  constructor(readonly field: string, readonly reason: string) {
    super(`${field}: ${reason}`);
  }
}
