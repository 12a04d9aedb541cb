/**
 * JSON that gives back every number bit for bit: NaN, ±Infinity and −0 (which JSON.stringify
 * writes as null, null and 0) travel as { $number: "NaN" | "Infinity" | "-Infinity" | "-0" }.
 * Finite doubles already round-trip exactly (JSON.stringify writes the shortest text that
 * parses back to the same double).
 */
export function toExactJson(value: unknown): string {
  return JSON.stringify(value, (_, v) => (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0)) ? { $number: Object.is(v, -0) ? '-0' : String(v) } : v));
}

export function fromExactJson(text: string): unknown {
  // a reviver costs a call per value (3–5× the parse): only a text that holds a marker needs one
  if (!text.includes('{"$number":')) return JSON.parse(text);
  return JSON.parse(text, (_, v) => (v !== null && typeof v === 'object' && typeof v.$number === 'string' && Object.keys(v).length === 1 ? Number(v.$number) : v));
}
