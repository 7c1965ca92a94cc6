/**
 * Placeholders for a statement written for its database: `?` on SQLite, `$1`, `$2`… on PostgreSQL,
 * one per value in the order they appear. A statement is written once with `${p()}` where each value
 * goes, and its values are passed in that order.
 */
export function placeholders(dialect: "sqlite" | "postgres"): () => string {
  let n = 0;
  return dialect === "postgres" ? () => `$${++n}` : () => "?";
}
