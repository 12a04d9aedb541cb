import { OptimizerConfigError } from './errors';

export interface NumberRule {
  /** smallest allowed value (inclusive unless `minExclusive`) */
  min?: number;
  minExclusive?: boolean;
  /** largest allowed value (inclusive unless `maxExclusive`) */
  max?: number;
  maxExclusive?: boolean;
  integer?: boolean;
}

/** Throws OptimizerConfigError naming `field` unless `value` is a finite number obeying `rule`. */
export function checkNumber(field: string, value: unknown, rule: NumberRule = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new OptimizerConfigError(field, `expected a finite number, got ${describe(value)}`);
  }
  if (rule.integer && !Number.isInteger(value)) throw new OptimizerConfigError(field, `expected an integer, got ${value}`);
  if (rule.min !== undefined && (rule.minExclusive ? value <= rule.min : value < rule.min)) {
    throw new OptimizerConfigError(field, `expected a value ${rule.minExclusive ? '>' : '>='} ${rule.min}, got ${value}`);
  }
  if (rule.max !== undefined && (rule.maxExclusive ? value >= rule.max : value > rule.max)) {
    throw new OptimizerConfigError(field, `expected a value ${rule.maxExclusive ? '<' : '<='} ${rule.max}, got ${value}`);
  }
  return value;
}

export function checkBoolean(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new OptimizerConfigError(field, `expected true or false, got ${describe(value)}`);
  return value;
}

export function checkChoice<T extends string>(field: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new OptimizerConfigError(field, `expected one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${describe(value)}`);
  }
  return value as T;
}

/** Throws when `options` has a key that is not in `known` (catches typos such as `weight_decay`). */
export function checkKnownKeys(field: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new OptimizerConfigError(`${field}.${key}`, `unknown option (known: ${known.join(', ')})`);
    }
  }
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  return String(value);
}
