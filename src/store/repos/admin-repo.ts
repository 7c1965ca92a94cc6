import { getTableColumns } from "drizzle-orm";
import { adminSessions, adminUsers, type orderEvents, products, type syncCalls, syncMessageLogs, syncRuns } from "../schema/index.js";
import { statementFor } from "../sql/placeholders.js";
import type { SqlRunner, SqlStore } from "../sql/sql-store.js";
import { columnNames, selectColumns } from "./row-sql.js";

export type AdminUserRow = typeof adminUsers.$inferSelect;
export type AdminRole = AdminUserRow["role"];
export type AdminSessionRow = typeof adminSessions.$inferSelect;
export type ProductListRow = Omit<typeof products.$inferSelect, "detailJson" | "attributesJson" | "promisesJson" | "imagesJson">;
type MessageLogRow = typeof syncMessageLogs.$inferSelect;
type SyncRunRow = typeof syncRuns.$inferSelect;
type CallPoint = Pick<typeof syncCalls.$inferSelect, "startedAt" | "durationMs" | "outcome"> & { supplierId: number };
type OutcomesInHour = { supplierId: number; hour: number; outcome: MessageLogRow["outcome"]; n: number };
type TransitionsInDay = { day: number; state: (typeof orderEvents.$inferSelect)["toState"]; n: number };
type AdminUserChange = Partial<Pick<AdminUserRow, "passwordHash" | "role" | "status" | "supplierId">>;

export type ProductSearch = {
  supplierId?: number;
  sku?: string;
  name?: string;
  interfaceCode?: string;
  brand?: string;
  status?: "active" | "rejected" | "delisted";
  listingState?: "none" | "applied" | "approved" | "refused";
  afterId?: number;
  /** Only these ids (a chunk of name matches). */
  ids?: readonly number[];
  limit: number;
};

/** The trigram tokenizer indexes runs of three characters; a shorter name cannot use it. */
const TRIGRAM = 3;
/**
 * Name matches read per step, and the most steps one page may take. A common name under a
 * selective filter can need more: the page then ends early with a cursor where the scan stopped,
 * so every page answers in bounded time and paging on still finds every match.
 */
const NAME_CHUNK = 1_000;
const NAME_CHUNKS_MAX = 20;

/** One page of a product search; `nextAfterId` continues it (null: nothing more matches). */
export type ProductPage = { rows: ProductListRow[]; nextAfterId: number | null };

/** LIKE with the caller's % and _ taken literally. */
const likeText = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const USER = selectColumns(adminUsers);
const SESSION = selectColumns(adminSessions);
const MESSAGE_LOG = selectColumns(syncMessageLogs);
const RUN = selectColumns(syncRuns);
const PRODUCT_LIST = (() => {
  const { detailJson: _d, attributesJson: _a, promisesJson: _p, imagesJson: _i, ...listColumns } = getTableColumns(products);
  return Object.entries(listColumns)
    .map(([key, column]) => `"${column.name}" AS "${key}"`)
    .join(", ");
})();
/** Epoch-ms buckets: the hour, and the Beijing day (UTC+8) as staff read it. */
const HOUR = "(at / 3600000) * 3600000";
const DAY = "((order_events.at + 28800000) / 86400000) * 86400000 - 28800000";

/** Admin users, sessions, login failures, and the read models the console needs. The only SQL of src/admin. */
export type AdminRepo = ReturnType<typeof createAdminRepo>;

export function createAdminRepo(sql: SqlStore) {
  const { dialect } = sql;
  const onPostgres = dialect === "postgres";
  const statement = statementFor(dialect);
  /** A list parameter as its database reads it: a typed array on PostgreSQL, a JSON array read with json_each on SQLite. */
  const list = (values: readonly unknown[]): unknown => (onPostgres ? [...values] : JSON.stringify(values));
  /** `column` is one of the list's values (see `list`); PostgreSQL finds each on the column's index whatever the statistics. */
  const inList = (column: string, p: () => string, type: "int" | "bigint") =>
    onPostgres ? `${column} = ANY(ARRAY(SELECT unnest(${p()}::${type}[])))` : `${column} IN (SELECT value FROM json_each(${p()}))`;
  // Name and brand match regardless of case, as SQLite's LIKE (ASCII) and its trigram table do.
  const contains = (column: string, p: () => string) => `${column} ${onPostgres ? "ILIKE" : "LIKE"} ${p()} ESCAPE '\\'`;

  const S = {
    userByUsername: statement((p) => `SELECT ${USER} FROM admin_users WHERE username = ${p()}`),
    userById: statement((p) => `SELECT ${USER} FROM admin_users WHERE id = ${p()}`),
    listUsers: `SELECT ${USER} FROM admin_users ORDER BY username`,
    createUser: statement(
      (p) =>
        `INSERT INTO admin_users (username, password_hash, role, supplier_id, status, created_at, updated_at) ` +
        `VALUES (${p()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()}) RETURNING ${USER}`,
    ),

    createSession: statement(
      (p) =>
        `INSERT INTO admin_sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) VALUES (${p()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()})`,
    ),
    sessionByHash: statement((p) => `SELECT ${SESSION} FROM admin_sessions WHERE id_hash = ${p()}`),
    touchSession: statement((p) => `UPDATE admin_sessions SET last_seen_at = ${p()}, expires_at = ${p()} WHERE id_hash = ${p()}`),
    deleteSession: statement((p) => `DELETE FROM admin_sessions WHERE id_hash = ${p()}`),
    deleteSessionsOf: statement((p) => `DELETE FROM admin_sessions WHERE user_id = ${p()}`),
    pruneSessions: statement((p) => `DELETE FROM admin_sessions WHERE expires_at < ${p()}`),

    pruneLoginFailures: statement((p) => `DELETE FROM admin_login_failures WHERE at < ${p()}`),
    loginFailures: statement((p) => `SELECT count(*) AS n FROM admin_login_failures WHERE username = ${p()} AND at >= ${p()}`),
    insertLoginFailure: statement((p) => `INSERT INTO admin_login_failures (username, at) VALUES (${p()}, ${p()})`),
    clearLoginFailures: statement((p) => `DELETE FROM admin_login_failures WHERE username = ${p()}`),

    // SQLite only: PostgreSQL has no FTS5 table (see productPage).
    // CAST: numbers arrive bound as REAL, and FTS5 seeks its doclists only on an INTEGER rowid bound (≈70 ms → 1 ms).
    nameMatches:
      "SELECT rowid FROM products_name_fts WHERE products_name_fts MATCH ? AND rowid > CAST(? AS INTEGER) AND rowid <= CAST(? AS INTEGER) ORDER BY rowid LIMIT ?",
    supplierIdRange: "SELECT MIN(id) AS lo, MAX(id) AS hi FROM products WHERE supplier_id = ?",

    outcomesPerHour: (bySupplier: boolean) =>
      statement(
        (p) =>
          `SELECT supplier_id AS "supplierId", ${HOUR} AS hour, outcome, count(*) AS n FROM sync_message_logs ` +
          `WHERE at >= ${p()}${bySupplier ? ` AND supplier_id = ${p()}` : ""} GROUP BY supplier_id, ${HOUR}, outcome`,
      ),
    callsSince: (bySupplier: boolean) =>
      statement(
        (p) =>
          `SELECT sync_runs.supplier_id AS "supplierId", sync_calls.started_at AS "startedAt", sync_calls.duration_ms AS "durationMs", sync_calls.outcome ` +
          `FROM sync_calls INNER JOIN sync_runs ON sync_runs.id = sync_calls.run_id ` +
          `WHERE sync_runs.started_at >= ${p()}${bySupplier ? ` AND sync_runs.supplier_id = ${p()}` : ""} ORDER BY sync_runs.started_at DESC LIMIT ${p()}`,
      ),
    orderTransitionsPerDay: (bySupplier: boolean) =>
      statement(
        (p) =>
          `SELECT ${DAY} AS day, order_events.to_state AS state, count(*) AS n ` +
          `FROM order_events INNER JOIN orders ON orders.id = order_events.order_id ` +
          `WHERE order_events.at >= ${p()}${bySupplier ? ` AND orders.supplier_id = ${p()}` : ""} GROUP BY ${DAY}, order_events.to_state`,
      ),
    messageLogById: statement((p) => `SELECT ${MESSAGE_LOG} FROM sync_message_logs WHERE id = ${p()}`),
    backlog: statement(
      (p) =>
        `SELECT supplier_id AS "supplierId", count(*) AS n FROM message_inbox ` +
        `WHERE ${inList("supplier_id", p, "int")} AND status IN ('pending', 'quarantined') GROUP BY supplier_id`,
    ),
    outcomesOf: statement(
      (p) =>
        `SELECT supplier_id AS "supplierId", outcome, count(*) AS n FROM sync_message_logs ` +
        `WHERE ${inList("supplier_id", p, "int")} AND at >= ${p()} GROUP BY supplier_id, outcome`,
    ),
    lastRun: statement((p) => `SELECT ${RUN} FROM sync_runs WHERE supplier_id = ${p()} ORDER BY started_at DESC LIMIT 1`),
  };
  const chart = {
    outcomesPerHour: [S.outcomesPerHour(false), S.outcomesPerHour(true)] as const,
    callsSince: [S.callsSince(false), S.callsSince(true)] as const,
    orderTransitionsPerDay: [S.orderTransitionsPerDay(false), S.orderTransitionsPerDay(true)] as const,
  };

  /**
   * The filters of a search (all but the name's trigram step), in id order after `afterId`; `side`
   * is one of the catalog filter's two columns, searched on its own index. Filters vary per call,
   * so the statement is written per call, from this fixed set of conditions.
   */
  const selectProducts = (q: ProductSearch, side?: { column: "interface_code" | "catalog_id"; value: string }): Promise<ProductListRow[]> => {
    // On a chunk of ids the primary key leads (rows come in id order, no sort): the unary + keeps
    // the planner off the other columns' indexes.
    const col = (column: string) => (q.ids === undefined ? column : `+${column}`);
    const values: unknown[] = [];
    const text = statement((p) => {
      const where: string[] = [];
      const add = (condition: string, ...bound: unknown[]) => {
        where.push(condition);
        values.push(...bound);
      };
      if (side !== undefined) add(`${side.column} = ${p()}`, side.value);
      if (q.ids !== undefined) add(inList("id", p, "int"), list(q.ids));
      if (q.supplierId !== undefined) add(`${col("supplier_id")} = ${p()}`, q.supplierId);
      if (q.sku !== undefined) add(`${col("sku")} = ${p()}`, q.sku);
      if (q.name !== undefined) add(contains("name", p), likeText(q.name));
      if (q.interfaceCode !== undefined) add(`(${col("interface_code")} = ${p()} OR ${col("catalog_id")} = ${p()})`, q.interfaceCode, q.interfaceCode);
      if (q.brand !== undefined) add(`(brand_id = ${p()} OR ${contains("brand_name", p)})`, q.brand, likeText(q.brand));
      if (q.status !== undefined) add(`${col("status")} = ${p()}`, q.status);
      if (q.listingState !== undefined) add(`${col("listing_state")} = ${p()}`, q.listingState);
      if (q.afterId !== undefined) add(`id > ${p()}`, q.afterId);
      values.push(q.limit);
      return `SELECT ${PRODUCT_LIST} FROM products${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY id LIMIT ${p()}`;
    });
    return sql.all<ProductListRow>(text, values);
  };
  const pageOf = (rows: ProductListRow[], limit: number): ProductPage => ({ rows, nextAfterId: rows.length === limit ? (rows.at(-1)?.id ?? null) : null });

  /** SQLite: name matches a chunk at a time from the trigram table; the other filters apply to each chunk. */
  const namePage = async (q: ProductSearch): Promise<ProductPage> => {
    const match = `"${(q.name ?? "").replace(/"/g, '""')}"`;
    let after = q.afterId ?? 0;
    let upTo = Number.MAX_SAFE_INTEGER;
    if (q.supplierId !== undefined) {
      // A supplier's products lie within its id range: the index scan starts and stops there.
      const range = await sql.get<{ lo: number | null; hi: number | null }>(S.supplierIdRange, [q.supplierId]);
      if (!range || range.lo === null || range.hi === null) return { rows: [], nextAfterId: null };
      after = Math.max(after, range.lo - 1);
      upTo = range.hi;
    }
    const rest = { ...q, name: undefined, afterId: undefined };
    const out: ProductListRow[] = [];
    for (let chunk = 0; chunk < NAME_CHUNKS_MAX; chunk += 1) {
      const ids = (await sql.all<{ rowid: number }>(S.nameMatches, [match, after, upTo, NAME_CHUNK])).map((r) => r.rowid);
      if (ids.length === 0) return { rows: out, nextAfterId: null };
      out.push(...(await selectProducts({ ...rest, ids, limit: q.limit - out.length })));
      if (out.length === q.limit) return pageOf(out, q.limit);
      after = ids[ids.length - 1] ?? after;
      if (ids.length < NAME_CHUNK) return { rows: out, nextAfterId: null };
    }
    // The scan budget is spent: the page ends here, and the cursor resumes the scan where it stopped.
    return { rows: out, nextAfterId: after };
  };

  /**
   * Keyset pages of a product search, in id order. A name of three characters or more is found
   * through the trigram index a chunk at a time (within the supplier's id range when one is
   * given), the other filters applying to each chunk; a shorter name falls back to LIKE. On
   * PostgreSQL one statement answers a page, its ILIKE served by the pg_trgm index
   * (products_name_trgm_idx), and the planner weighs it against the other filters. The catalog
   * filter matches interfaceCode or catalogId: each side pages on its own index and the two are
   * merged, so neither scans the table.
   */
  const productPage = async (q: ProductSearch): Promise<ProductPage> => {
    if (q.name !== undefined && [...q.name].length >= TRIGRAM && !onPostgres) return namePage(q);
    const { interfaceCode, ...rest } = q;
    if (interfaceCode === undefined || q.ids !== undefined) return pageOf(await selectProducts(q), q.limit);
    const merged = new Map<number, ProductListRow>();
    for (const column of ["interface_code", "catalog_id"] as const) {
      for (const row of await selectProducts({ ...rest }, { column, value: interfaceCode })) merged.set(row.id, row);
    }
    return pageOf([...merged.values()].sort((a, b) => a.id - b.id).slice(0, q.limit), q.limit);
  };

  const loginFailures = async (db: SqlRunner, username: string, since: number): Promise<number> =>
    Number((await db.get<{ n: number }>(S.loginFailures, [username, since]))?.n ?? 0);
  /** The last login attempt of this process to be counted: the next one waits for it (see beginLoginAttempt). */
  let lastAttempt: Promise<unknown> = Promise.resolve();

  return {
    userByUsername: (username: string, tx: SqlRunner = sql): Promise<AdminUserRow | undefined> => tx.get<AdminUserRow>(S.userByUsername, [username]),
    userById: (id: number, tx: SqlRunner = sql): Promise<AdminUserRow | undefined> => tx.get<AdminUserRow>(S.userById, [id]),
    listUsers: (): Promise<AdminUserRow[]> => sql.all<AdminUserRow>(S.listUsers),
    async createUser(row: Omit<AdminUserRow, "id">, tx: SqlRunner = sql): Promise<AdminUserRow> {
      const created = await tx.get<AdminUserRow>(S.createUser, [
        row.username,
        row.passwordHash,
        row.role,
        row.supplierId,
        row.status,
        row.createdAt,
        row.updatedAt,
      ]);
      if (!created) throw new Error(`admin user ${row.username} was not created`);
      return created;
    },
    async updateUser(id: number, change: AdminUserChange, now: number, tx: SqlRunner = sql): Promise<void> {
      const changes: Record<string, unknown> = { ...change, updatedAt: now };
      const keys = Object.keys(changes).filter((k) => changes[k] !== undefined);
      const names = columnNames(adminUsers, keys);
      const text = statement((p) => `UPDATE admin_users SET ${names.map((n) => `"${n}" = ${p()}`).join(", ")} WHERE id = ${p()}`);
      await tx.run(text, [...keys.map((k) => changes[k]), id]);
    },

    /** In `tx` when given (the login's, with its audit row). */
    async createSession(row: AdminSessionRow, tx: SqlRunner = sql): Promise<void> {
      await tx.run(S.createSession, [row.idHash, row.userId, row.csrfToken, row.createdAt, row.lastSeenAt, row.expiresAt]);
    },
    /** Every console request reads its session: one statement on the pool. */
    sessionByHash: (idHash: string): Promise<AdminSessionRow | undefined> => sql.get<AdminSessionRow>(S.sessionByHash, [idHash]),
    async touchSession(idHash: string, lastSeenAt: number, expiresAt: number): Promise<void> {
      await sql.run(S.touchSession, [lastSeenAt, expiresAt, idHash]);
    },
    async deleteSession(idHash: string, tx: SqlRunner = sql): Promise<void> {
      await tx.run(S.deleteSession, [idHash]);
    },
    /** Every session of a user ends (password change, disable, role change). */
    deleteSessionsOf: (userId: number, tx: SqlRunner = sql): Promise<number> => tx.run(S.deleteSessionsOf, [userId]),
    pruneSessions: (now: number, tx: SqlRunner = sql): Promise<number> => tx.run(S.pruneSessions, [now]),

    /**
     * Counts a login attempt before its password is verified, in one transaction: with `limit`
     * attempts already in the window (failed or still in flight) it refuses, so parallel attempts
     * never get more verifications than the lockout allows. `prior` is how many the window held
     * before this one. Rows older than the window are dropped on the way, so attempts on made-up
     * usernames do not pile up.
     *
     * The attempts of one process take turns, as they did on SQLite's single writer: on PostgreSQL
     * every attempt reads and writes the same few index pages, so parallel SERIALIZABLE attempts
     * (a spray over many usernames) would mostly fail each other and run out of reruns. Attempts
     * from other instances still meet as SERIALIZABLE transactions: a loser runs again and counts
     * the winner's row.
     */
    beginLoginAttempt(username: string, now: number, windowMs: number, limit: number): Promise<{ ok: true; prior: number } | { ok: false }> {
      const since = now - windowMs;
      const attempt = lastAttempt.then(() =>
        sql.transaction(async (tx): Promise<{ ok: true; prior: number } | { ok: false }> => {
          await tx.run(S.pruneLoginFailures, [since]);
          const prior = await loginFailures(tx, username, since);
          if (prior >= limit) return { ok: false };
          await tx.run(S.insertLoginFailure, [username, now]);
          return { ok: true, prior };
        }),
      );
      lastAttempt = attempt.catch(() => undefined);
      return attempt;
    },
    loginFailuresSince: (username: string, since: number): Promise<number> => loginFailures(sql, username, since),
    async clearLoginFailures(username: string, tx: SqlRunner = sql): Promise<void> {
      await tx.run(S.clearLoginFailures, [username]);
    },

    productPage,

    /** The rows of one page (see productPage); a page cut short by the name scan budget shows fewer. */
    async searchProducts(q: ProductSearch): Promise<ProductListRow[]> {
      return (await productPage(q)).rows;
    },

    /** Message outcomes per supplier and hour (epoch-ms bucket start) since `since`. */
    outcomesPerHour(since: number, supplierId?: number) {
      return supplierId === undefined
        ? sql.all<OutcomesInHour>(chart.outcomesPerHour[0], [since])
        : sql.all<OutcomesInHour>(chart.outcomesPerHour[1], [since, supplierId]);
    },

    /** Supplier calls of runs started since `since`, newest first, at most `limit` (latency and error charts). */
    callsSince(since: number, limit: number, supplierId?: number) {
      return supplierId === undefined
        ? sql.all<CallPoint>(chart.callsSince[0], [since, limit])
        : sql.all<CallPoint>(chart.callsSince[1], [since, supplierId, limit]);
    },

    /** Order transitions per day (epoch-ms bucket start) and state reached, since `since`. */
    orderTransitionsPerDay(since: number, supplierId?: number) {
      return supplierId === undefined
        ? sql.all<TransitionsInDay>(chart.orderTransitionsPerDay[0], [since])
        : sql.all<TransitionsInDay>(chart.orderTransitionsPerDay[1], [since, supplierId]);
    },

    messageLogById: (id: number): Promise<MessageLogRow | undefined> => sql.get<MessageLogRow>(S.messageLogById, [id]),

    /** Per supplier: the last run, the inbox backlog and the message outcomes since `since` (dashboard). */
    async supplierHealth(supplierIds: readonly number[], since: number) {
      if (supplierIds.length === 0) return [];
      const ids = [...supplierIds];
      const backlog = new Map((await sql.all<{ supplierId: number; n: number }>(S.backlog, [list(ids)])).map((r) => [r.supplierId, r.n]));
      const outcomes = await sql.all<{ supplierId: number; outcome: MessageLogRow["outcome"]; n: number }>(S.outcomesOf, [list(ids), since]);
      const health = [];
      for (const supplierId of ids) {
        const mine = outcomes.filter((o) => o.supplierId === supplierId);
        const total = mine.reduce((s, o) => s + o.n, 0);
        const failed = mine.filter((o) => o.outcome === "failed" || o.outcome === "quarantined").reduce((s, o) => s + o.n, 0);
        health.push({
          supplierId,
          lastRun: (await sql.get<SyncRunRow>(S.lastRun, [supplierId])) ?? null,
          backlog: backlog.get(supplierId) ?? 0,
          messages: total,
          failed,
        });
      }
      return health;
    },
  };
}
