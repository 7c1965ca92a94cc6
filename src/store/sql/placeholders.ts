/**
 * Writes a statement for its database: `statementFor(d)((p) => \`… = ${p()} …\`)`, each `p()` the
 * next value's placeholder — `?` on SQLite, `$1`, `$2`… on PostgreSQL — so the values are passed in
 * the order they appear. Each statement gets its own numbering.
 */
export function statementFor(dialect: "sqlite" | "postgres"): (write: (p: () => string) => string) => string {
  return (write) => {
    let n = 0;
    return write(dialect === "postgres" ? () => `$${++n}` : () => "?");
  };
}
