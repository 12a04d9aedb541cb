/**
 * Text from untrusted input, made safe to put in a message: control characters (NUL, ESC,
 * DEL, C1) and lone surrogates are written as escapes (`\u0000`), and a long text keeps
 * its start and end around an elision that says how much is left out. A terminal never
 * receives raw control bytes, and a multi-megabyte expression costs one short line.
 */

/** The longest excerpt put in a message, in characters (before escaping). */
export const EXCERPT_LENGTH = 80;

function escapeChar(code: number): string {
  switch (code) {
    case 9:
      return '\\t';
    case 10:
      return '\\n';
    case 13:
      return '\\r';
    default:
      return `\\u${code.toString(16).padStart(4, '0')}`;
  }
}

/** `text` with control characters and lone surrogates escaped (nothing else changes). */
export function escapeControl(text: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let bad = c < 0x20 || (c >= 0x7f && c <= 0x9f);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++; // a proper pair
        continue;
      }
      bad = true;
    } else if (c >= 0xdc00 && c <= 0xdfff) bad = true;
    if (!bad) continue;
    out += text.slice(from, i) + escapeChar(c);
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** At most `max` characters of `text` (start … end), escaped for a message. */
export function excerpt(text: string, max = EXCERPT_LENGTH): string {
  if (text.length <= max) return escapeControl(text);
  const head = Math.ceil((max - 1) / 2);
  const tail = max - 1 - head;
  // never cut a surrogate pair in half
  let a = head;
  if (a > 0 && a < text.length && text.charCodeAt(a - 1) >= 0xd800 && text.charCodeAt(a - 1) <= 0xdbff) a--;
  let b = text.length - tail;
  if (b < text.length && text.charCodeAt(b) >= 0xdc00 && text.charCodeAt(b) <= 0xdfff) b++;
  return `${escapeControl(text.slice(0, a))}…[${b - a} more characters]…${escapeControl(text.slice(b))}`;
}

/** Whether `text` is well-formed UTF-16 (no lone surrogate), i.e. encodes to UTF-8 and back unchanged. */
export function isWellFormed(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c >= 0xdc00) return false;
    const next = text.charCodeAt(i + 1);
    if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
    i++;
  }
  return true;
}
