// npx tsx scripts/fuzz.ts [runs] [seed]: the reliability fuzz of test/reliability at any size.
// Prints how many texts parsed, how many threw a GraphemeError, and every other throw.
import fc from 'fast-check';
import { parse } from '../src/engine/index';
import { exercise, expressionText } from '../test/reliability/fuzz';

const runs = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? 1);
let parsed = 0;
let typed = 0;
const escaped: { text: string; error: unknown }[] = [];
const started = performance.now();
for (const text of fc.sample(expressionText, { numRuns: runs, seed })) {
  const error = exercise(text);
  if (error !== null) escaped.push({ text, error });
  else {
    try {
      parse(text);
      parsed++;
    } catch {
      typed++;
    }
  }
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`${runs} texts (seed ${seed}) in ${seconds} s: ${parsed} parsed, ${typed} threw a GraphemeError, ${escaped.length} threw anything else`);
for (const { text, error } of escaped.slice(0, 20)) console.log(JSON.stringify(text.slice(0, 200)), '->', error);
process.exitCode = escaped.length > 0 ? 1 : 0;
