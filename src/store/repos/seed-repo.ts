import { priceHistory, products, productStock, syncCalls, syncMessageLogs, syncRuns } from "../schema/index.js";
import type { SqlRunner, SqlStore, Transaction } from "../sql/sql-store.js";
import type { NewProductRow, StockRow } from "./product-repo.js";
import { CALL_KEYS, type CallRow } from "./call-log-repo.js";
import type { MessageLogRow } from "./message-log-repo.js";
import { bulkInsert, rowInsert } from "./bulk-rows.js";

export type PriceHistoryRow = { supplierId: number; sku: string; priceFen: number; mallPriceFen: number; at: number; runId: string | null };
export type RunRow = { id: string; supplierId: number; startedAt: number; endedAt: number; countsJson: string; callsMade: number };

/** Rows one PostgreSQL statement carries: a product row is a few kilobytes of JSON, so a few megabytes a statement at most. */
const BULK_CHUNK_ROWS = 1_000;

const KEYS = {
  products: [
    "supplierId",
    "sku",
    "status",
    "name",
    "model",
    "catalogId",
    "interfaceCode",
    "brandId",
    "brandName",
    "url",
    "imagePath",
    "detailJson",
    "attributesJson",
    "promisesJson",
    "imagesJson",
    "shelfState",
    "priceFen",
    "mallPriceFen",
    "marketPriceFen",
    "rejectionJson",
    "listingState",
    "sourceMessageIdsJson",
    "detailReadAt",
    "priceReadAt",
    "shelfReadAt",
    "createdAt",
    "updatedAt",
  ],
  prices: ["supplierId", "sku", "priceFen", "mallPriceFen", "at", "runId"],
  stock: ["supplierId", "sku", "area", "num", "stockStateId", "description", "checkedAt"],
  runs: ["id", "supplierId", "trigger", "status", "startedAt", "endedAt", "countsJson", "callsMade", "errorsJson"],
  messageLogs: ["runId", "supplierId", "messageId", "type", "sku", "outcome", "reasonsJson", "durationMs", "callSeqsJson", "at"],
  calls: CALL_KEYS,
} as const;
const TABLES = { products, prices: priceHistory, stock: productStock, runs: syncRuns, messageLogs: syncMessageLogs, calls: syncCalls };

/**
 * Bulk writes for filling a database at scale (scripts/seed-scale.ts): many rows a transaction, on
 * PostgreSQL a chunk of rows a statement (bulk-rows.ts), on SQLite a prepared statement per row.
 * Not used by the gateway itself, whose writes go through the domain repos.
 */
export type SeedRepo = ReturnType<typeof createSeedRepo>;

export function createSeedRepo(sql: SqlStore) {
  const onPostgres = sql.dialect === "postgres";
  type Kind = keyof typeof KEYS;
  const kinds = Object.keys(KEYS) as Kind[];
  const W = Object.fromEntries(kinds.map((kind) => [kind, onPostgres ? bulkInsert(TABLES[kind], KEYS[kind]) : rowInsert(TABLES[kind], KEYS[kind])])) as Record<
    Kind,
    ReturnType<typeof bulkInsert> | ReturnType<typeof rowInsert>
  >;
  const write = async (tx: SqlRunner, kind: Kind, rows: ReadonlyArray<Readonly<Record<string, unknown>>>): Promise<void> => {
    const w = W[kind];
    if ("json" in w) for (let i = 0; i < rows.length; i += BULK_CHUNK_ROWS) await tx.run(w.sql, [w.json(rows.slice(i, i + BULK_CHUNK_ROWS))]);
    else for (const row of rows) await tx.run(w.sql, w.values(row));
  };
  const S = {
    /** SQLite only: fewer fsyncs and a bigger page cache while seeding. */
    bulkMode: ["PRAGMA synchronous = OFF", "PRAGMA cache_size = -262144", "PRAGMA temp_store = MEMORY"],
    /** SQLite only: folds the WAL into the file and empties it. */
    checkpoint: "PRAGMA wal_checkpoint(TRUNCATE)",
    sqliteBytes:
      "SELECT COALESCE(SUM(pgsize), 0) AS \"bytes\" FROM dbstat WHERE name = ? OR name IN (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?)",
    /** PostgreSQL has no dbstat: the relation's size with its indexes and TOAST, as the server counts it. */
    pgBytes: 'SELECT pg_total_relation_size(CAST($1 AS regclass)) AS "bytes"',
  };

  return {
    /**
     * Runs `work` in one transaction; the caller sizes it (thousands of rows, not millions). On
     * PostgreSQL it may run again from its start: the caller builds its rows before, not inside.
     */
    inTransaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
      return sql.transaction(work);
    },
    /** Fewer fsyncs and a bigger page cache while seeding, on SQLite: a crash mid-seed means seeding again. PostgreSQL is left as its server is configured. */
    async bulkMode(): Promise<void> {
      if (onPostgres) return;
      for (const pragma of S.bulkMode) await sql.run(pragma);
    },
    insertProducts: (tx: SqlRunner, rows: readonly NewProductRow[]): Promise<void> => write(tx, "products", rows),
    insertPrices: (tx: SqlRunner, rows: readonly PriceHistoryRow[]): Promise<void> => write(tx, "prices", rows),
    insertStock: (tx: SqlRunner, rows: readonly StockRow[]): Promise<void> => write(tx, "stock", rows),
    /** A finished pull that brought the seeded rows in; in `tx` when given. */
    insertRun: (r: RunRow, tx: SqlRunner = sql): Promise<void> => write(tx, "runs", [{ ...r, trigger: "schedule", status: "succeeded", errorsJson: "[]" }]),
    insertMessageLogs: (tx: SqlRunner, rows: ReadonlyArray<Omit<MessageLogRow, "id">>): Promise<void> => write(tx, "messageLogs", rows),
    insertCalls: (tx: SqlRunner, rows: readonly CallRow[]): Promise<void> => write(tx, "calls", rows),
    /** Folds SQLite's WAL into the file and empties it, so the file size is the database size. Nothing to fold on PostgreSQL. */
    async checkpoint(): Promise<void> {
      if (!onPostgres) await sql.all(S.checkpoint);
    },
    /** Rows and bytes (pages used by the table and its indexes) per table. */
    async tableSizes(tables: readonly string[]): Promise<Array<{ table: string; rows: number; bytes: number }>> {
      const out: Array<{ table: string; rows: number; bytes: number }> = [];
      for (const table of tables) {
        const name = table.replaceAll('"', "");
        const rows = await sql.get<{ n: number }>(`SELECT COUNT(*) AS "n" FROM "${name}"`);
        const bytes = onPostgres ? await sql.get<{ bytes: number }>(S.pgBytes, [table]) : await sql.get<{ bytes: number }>(S.sqliteBytes, [table, table]);
        out.push({ table, rows: Number(rows?.n ?? 0), bytes: Number(bytes?.bytes ?? 0) });
      }
      return out;
    },
  };
}
