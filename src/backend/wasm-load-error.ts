import { GraphemeError } from '../errors';

/** The kernel module could not be found, fetched or read. */
export class WasmLoadError extends GraphemeError {}
