/**
 * Placeholders for a statement written for its database: `?` on SQLite, `$1`, `$2`… on PostgreSQL,
 * one per value in the order they appear. A statement is written once with `${p()}` where each value
 * goes, and its values are passed in that order.
 */
export function placeholders(dialect: "sqlite" | "postgres"): () => string {
  let n = 0;
  return dialect === "postgres" ? () => `$${++n}` : () => "?";
}

/**
 * Writes a statement for `dialect`: `statementFor(d)((p) => \`… = ${p()} …\`)`, each `p()` the next
 * value's placeholder. Each statement gets its own numbering.
 */
export function statementFor(dialect: "sqlite" | "postgres"): (write: (p: () => string) => string) => string {
  return (write) => write(placeholders(dialect));
}
