import type { Store } from "../../src/store/database.js";
import type { SqlStore } from "../../src/store/sql/sql-store.js";
import { numbered } from "./raw-sql.js";

type PlanNode = { "Node Type": string; "Relation Name"?: string; "Index Name"?: string; Plans?: PlanNode[] };

/** A plan (EXPLAIN (FORMAT JSON)'s one row) in SQLite's words. */
function planWords(row: Record<string, unknown> | undefined): string {
  const json = Object.values(row ?? {})[0];
  const [top] = (typeof json === "string" ? JSON.parse(json) : json) as Array<{ Plan: PlanNode }>;
  const out: string[] = [];
  const walk = (node: PlanNode) => {
    const type = node["Node Type"];
    if (type === "Seq Scan") out.push(`SCAN ${node["Relation Name"]}`);
    else if (type === "Sort") out.push("USE TEMP B-TREE");
    // Rows come in index order and only ties on the leading keys are sorted: SQLite's words for it.
    else if (type === "Incremental Sort") out.push("USE TEMP B-TREE FOR RIGHT PART OF ORDER BY");
    else if (node["Index Name"]) out.push(`SEARCH ${node["Relation Name"]} USING ${node["Index Name"]}`);
    for (const child of node.Plans ?? []) walk(child);
  };
  if (top) walk(top.Plan);
  return out.join(" | ");
}

/**
 * PostgreSQL's plan of a statement in the words of SQLite's EXPLAIN QUERY PLAN: a sequential scan
 * reads "SCAN <table>", a sort "USE TEMP B-TREE", an index read "SEARCH <table> USING <index>".
 * Planned with sequential scans and sorts priced out, so a plan that still has one shows that no
 * index serves the read (on a test's small tables a scan may otherwise be the cheaper plan).
 * Written with `?` placeholders, as a test's own statements are (raw-sql.ts).
 */
export function pgPlanWords(store: Store, sql: string, args: readonly unknown[]): Promise<string> {
  return pgPlanWordsOnPool(store.sql, numbered(sql), args);
}

/** The same for a statement of the asynchronous store (`$n` placeholders), planned in one of its transactions. */
export function pgPlanWordsOnPool(sql: SqlStore, text: string, args: readonly unknown[]): Promise<string> {
  return sql.transaction(async (tx) => {
    await tx.run("SET LOCAL enable_seqscan = off");
    await tx.run("SET LOCAL enable_sort = off");
    return planWords(await tx.get(`EXPLAIN (FORMAT JSON) ${text}`, args));
  });
}
