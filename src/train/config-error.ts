import { GraphemeError } from '../errors';

/** A field of a TrainingConfig that is wrong: names the field (dotted path) and says why. */
export class TrainingConfigError extends GraphemeError {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}
