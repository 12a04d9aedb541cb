/** The node mapping an edit script is induced by, in the caller's node ids. */
export interface EditMapping {
  /** every node kept: [id in a, id in b], ordered by the id in a */
  pairs: Array<[number, number]>;
  /** the kept pairs whose substitution cost is not zero */
  relabelled: Array<[number, number]>;
  /** ids of a's nodes the script deletes */
  deleted: number[];
  /** ids of b's nodes the script inserts */
  inserted: number[];
}
