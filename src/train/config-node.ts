// Node-only: reading a TrainingConfig from a JSON file (the rest of src/train is runtime-neutral).
import { readFile } from 'node:fs/promises';
import { TrainingConfigError, validateConfig, type TrainingConfig } from './config';

/** Reads and validates a JSON config file; a syntax error is a TrainingConfigError on '(file)'. */
export async function loadConfig(path: string): Promise<TrainingConfig> {
  const text = await readFile(path, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TrainingConfigError('(file)', `${path} is not valid JSON: ${(err as Error).message}`);
  }
  return validateConfig(json);
}
