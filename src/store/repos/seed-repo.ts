import type { Store } from "../database.js";
import type { NewProductRow, StockRow } from "./product-repo.js";
import type { CallRow } from "./call-log-repo.js";
import type { MessageLogRow } from "./message-log-repo.js";

export type PriceHistoryRow = { supplierId: number; sku: string; priceFen: number; mallPriceFen: number; at: number; runId: string | null };
export type RunRow = { id: string; supplierId: number; startedAt: number; endedAt: number; countsJson: string; callsMade: number };

/**
 * Bulk writes for filling a database at scale (scripts/seed-scale.ts): plain prepared statements,
 * many rows a transaction. Not used by the gateway itself, whose writes go through the domain repos.
 */
export type SeedRepo = ReturnType<typeof createSeedRepo>;

export function createSeedRepo(store: Store) {
  const { connection: sqlite } = store;
  const product = sqlite.prepare(
    "INSERT INTO products (supplier_id, sku, status, name, model, catalog_id, interface_code, brand_id, brand_name, url, image_path, " +
      "detail_json, attributes_json, promises_json, images_json, shelf_state, price_fen, mall_price_fen, market_price_fen, rejection_json, " +
      "listing_state, source_message_ids_json, detail_read_at, price_read_at, shelf_read_at, created_at, updated_at) " +
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const price = sqlite.prepare("INSERT INTO price_history (supplier_id, sku, price_fen, mall_price_fen, at, run_id) VALUES (?, ?, ?, ?, ?, ?)");
  const stock = sqlite.prepare("INSERT INTO product_stock (supplier_id, sku, area, num, stock_state_id, description, checked_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
  const run = sqlite.prepare(
    "INSERT INTO sync_runs (id, supplier_id, trigger, status, started_at, ended_at, counts_json, calls_made, errors_json) VALUES (?, ?, 'schedule', 'succeeded', ?, ?, ?, ?, '[]')",
  );
  const messageLog = sqlite.prepare(
    "INSERT INTO sync_message_logs (run_id, supplier_id, message_id, type, sku, outcome, reasons_json, duration_ms, call_seqs_json, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const call = sqlite.prepare(
    "INSERT INTO sync_calls (run_id, seq, operation, endpoint, attempt, started_at, duration_ms, outcome, error_code, http_status, batch_size, subject, message) " +
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );

  return {
    /** Runs `work` in one transaction; the caller sizes it (thousands of rows, not millions). */
    inTransaction<T>(work: () => T): T {
      return sqlite.transaction(work).immediate();
    },
    /** Fewer fsyncs and a bigger page cache while seeding: a crash mid-seed means seeding again. */
    bulkMode(): void {
      sqlite.pragma("synchronous = OFF");
      sqlite.pragma("cache_size = -262144");
      sqlite.pragma("temp_store = MEMORY");
    },
    insertProduct(r: NewProductRow): void {
      product.run(
        r.supplierId,
        r.sku,
        r.status,
        r.name,
        r.model,
        r.catalogId,
        r.interfaceCode,
        r.brandId,
        r.brandName,
        r.url,
        r.imagePath,
        r.detailJson,
        r.attributesJson,
        r.promisesJson,
        r.imagesJson,
        r.shelfState,
        r.priceFen,
        r.mallPriceFen,
        r.marketPriceFen,
        r.rejectionJson,
        r.listingState,
        r.sourceMessageIdsJson,
        r.detailReadAt,
        r.priceReadAt,
        r.shelfReadAt,
        r.createdAt,
        r.updatedAt,
      );
    },
    insertPrice(r: PriceHistoryRow): void {
      price.run(r.supplierId, r.sku, r.priceFen, r.mallPriceFen, r.at, r.runId);
    },
    insertStock(r: StockRow): void {
      stock.run(r.supplierId, r.sku, r.area, r.num, r.stockStateId, r.description, r.checkedAt);
    },
    insertRun(r: RunRow): void {
      run.run(r.id, r.supplierId, r.startedAt, r.endedAt, r.countsJson, r.callsMade);
    },
    insertMessageLog(r: Omit<MessageLogRow, "id">): void {
      messageLog.run(r.runId, r.supplierId, r.messageId, r.type, r.sku, r.outcome, r.reasonsJson, r.durationMs, r.callSeqsJson, r.at);
    },
    insertCall(r: CallRow): void {
      call.run(
        r.runId,
        r.seq,
        r.operation,
        r.endpoint,
        r.attempt,
        r.startedAt,
        r.durationMs,
        r.outcome,
        r.errorCode,
        r.httpStatus,
        r.batchSize,
        r.subject,
        r.message,
      );
    },
    /** Folds the WAL into the file and empties it, so the file size is the database size. */
    checkpoint(): void {
      sqlite.pragma("wal_checkpoint(TRUNCATE)");
    },
    /** Rows and bytes (pages used by the table and its indexes) per table. */
    tableSizes(tables: readonly string[]): Array<{ table: string; rows: number; bytes: number }> {
      const bytesOf = store.dialect === "postgres" ? pgBytesOf(store) : sqliteBytesOf(store);
      return tables.map((table) => ({
        table,
        rows: sqlite
          .prepare(`SELECT COUNT(*) FROM "${table.replaceAll('"', "")}"`)
          .pluck()
          .get() as number,
        bytes: bytesOf(table),
      }));
    },
  };
}

function sqliteBytesOf(store: Store): (table: string) => number {
  const statement = store.connection
    .prepare("SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name = ? OR name IN (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?)")
    .pluck();
  return (table) => statement.get(table, table) as number;
}

/** PostgreSQL has no dbstat: the relation's size with its indexes and TOAST, as the server counts it. */
function pgBytesOf(store: Store): (table: string) => number {
  const statement = store.connection.prepare("SELECT pg_total_relation_size(CAST(? AS regclass))").pluck();
  return (table) => statement.get(table) as number;
}
