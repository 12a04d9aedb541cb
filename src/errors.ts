/**
 * The root of every error grapheme-train throws on purpose. Catch `GraphemeError` to tell
 * our typed, located errors from bugs; each subclass says where (column, line, field).
 */
export class GraphemeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
