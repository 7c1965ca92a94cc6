import { type SQL, and, asc, count, desc, eq, getTableColumns, gte, inArray, lt, or, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Store } from "../database.js";
import { withTransaction } from "../database.js";
import {
  adminLoginFailures,
  adminSessions,
  adminUsers,
  messageInbox,
  orderEvents,
  orders,
  products,
  syncCalls,
  syncMessageLogs,
  syncRuns,
} from "../schema/index.js";

export type AdminUserRow = typeof adminUsers.$inferSelect;
export type AdminRole = AdminUserRow["role"];
export type AdminSessionRow = typeof adminSessions.$inferSelect;
export type ProductListRow = Omit<typeof products.$inferSelect, "detailJson" | "attributesJson" | "promisesJson" | "imagesJson">;

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

/** Admin users, sessions, login failures, and the read models the console needs. The only SQL of src/admin. */
export type AdminRepo = ReturnType<typeof createAdminRepo>;

export function createAdminRepo(store: Store) {
  const { db } = store;
  const sessionByHash = db
    .select()
    .from(adminSessions)
    .where(eq(adminSessions.idHash, sql.placeholder("idHash")))
    .prepare();
  const userById = db
    .select()
    .from(adminUsers)
    .where(eq(adminUsers.id, sql.placeholder("id")))
    .prepare();
  const onPostgres = store.dialect === "postgres";
  // PostgreSQL has no FTS5 table: its trigram index (products_name_trgm_idx, pg_trgm) serves the
  // name's ILIKE directly, and the planner weighs it against the other filters in one statement.
  const nameMatches = onPostgres
    ? undefined
    : store.connection.prepare<[string, number, number, number], { rowid: number }>(
        // CAST: numbers arrive bound as REAL, and FTS5 seeks its doclists only on an INTEGER rowid bound (≈70 ms → 1 ms).
        "SELECT rowid FROM products_name_fts WHERE products_name_fts MATCH ? AND rowid > CAST(? AS INTEGER) AND rowid <= CAST(? AS INTEGER) ORDER BY rowid LIMIT ?",
      );
  // Name and brand match regardless of case, as SQLite's LIKE (ASCII) and its trigram table do.
  const containsText = (column: SQLiteColumn, text: string): SQL =>
    onPostgres ? sql`${column} ILIKE ${likeText(text)} ESCAPE '\\'` : sql`${column} LIKE ${likeText(text)} ESCAPE '\\'`;
  const supplierIdRange = store.connection.prepare<[number], { lo: number | null; hi: number | null }>(
    "SELECT MIN(id) AS lo, MAX(id) AS hi FROM products WHERE supplier_id = ?",
  );
  const { detailJson: _d, attributesJson: _a, promisesJson: _p, imagesJson: _i, ...listColumns } = getTableColumns(products);

  /** The filters of a search (all but the name's trigram step), in id order after `afterId`. */
  const selectProducts = (q: ProductSearch, extra?: SQL): ProductListRow[] => {
    // On a chunk of ids the primary key leads (rows come in id order, no sort): the unary + keeps
    // the planner off the other columns' indexes.
    const col = (column: SQLiteColumn): SQL => (q.ids === undefined ? sql`${column}` : sql`+${column}`);
    const c = [
      extra,
      q.ids === undefined ? undefined : inArray(products.id, [...q.ids]),
      q.supplierId === undefined ? undefined : eq(col(products.supplierId), q.supplierId),
      q.sku === undefined ? undefined : eq(col(products.sku), q.sku),
      q.name === undefined ? undefined : containsText(products.name, q.name),
      q.interfaceCode === undefined ? undefined : or(eq(col(products.interfaceCode), q.interfaceCode), eq(col(products.catalogId), q.interfaceCode)),
      q.brand === undefined ? undefined : or(eq(products.brandId, q.brand), containsText(products.brandName, q.brand)),
      q.status === undefined ? undefined : eq(col(products.status), q.status),
      q.listingState === undefined ? undefined : eq(col(products.listingState), q.listingState),
      q.afterId === undefined ? undefined : sql`${products.id} > ${q.afterId}`,
    ].filter((x) => x !== undefined);
    return db
      .select(listColumns)
      .from(products)
      .where(and(...c))
      .orderBy(asc(products.id))
      .limit(q.limit)
      .all();
  };
  const pageOf = (rows: ProductListRow[], limit: number): ProductPage => ({ rows, nextAfterId: rows.length === limit ? (rows.at(-1)?.id ?? null) : null });

  /** Name matches a chunk at a time; the other filters apply to each chunk. */
  const namePage = (q: ProductSearch): ProductPage => {
    const match = `"${(q.name ?? "").replace(/"/g, '""')}"`;
    let after = q.afterId ?? 0;
    let upTo = Number.MAX_SAFE_INTEGER;
    if (q.supplierId !== undefined) {
      // A supplier's products lie within its id range: the index scan starts and stops there.
      const range = supplierIdRange.get(q.supplierId);
      if (!range || range.lo === null || range.hi === null) return { rows: [], nextAfterId: null };
      after = Math.max(after, range.lo - 1);
      upTo = range.hi;
    }
    const rest = { ...q, name: undefined, afterId: undefined };
    const out: ProductListRow[] = [];
    for (let chunk = 0; chunk < NAME_CHUNKS_MAX; chunk += 1) {
      const ids = (nameMatches?.all(match, after, upTo, NAME_CHUNK) ?? []).map((r) => r.rowid);
      if (ids.length === 0) return { rows: out, nextAfterId: null };
      out.push(...selectProducts({ ...rest, ids, limit: q.limit - out.length }));
      if (out.length === q.limit) return pageOf(out, q.limit);
      after = ids[ids.length - 1] ?? after;
      if (ids.length < NAME_CHUNK) return { rows: out, nextAfterId: null };
    }
    // The scan budget is spent: the page ends here, and the cursor resumes the scan where it stopped.
    return { rows: out, nextAfterId: after };
  };

  return {
    userByUsername: (username: string): AdminUserRow | undefined => db.select().from(adminUsers).where(eq(adminUsers.username, username)).get(),
    userById: (id: number): AdminUserRow | undefined => userById.get({ id }),
    listUsers: (): AdminUserRow[] => db.select().from(adminUsers).orderBy(asc(adminUsers.username)).all(),
    createUser(row: Omit<AdminUserRow, "id">): AdminUserRow {
      return db.insert(adminUsers).values(row).returning().get();
    },
    updateUser(id: number, change: Partial<Pick<AdminUserRow, "passwordHash" | "role" | "status" | "supplierId">>, now: number): void {
      db.update(adminUsers)
        .set({ ...change, updatedAt: now })
        .where(eq(adminUsers.id, id))
        .run();
    },

    createSession: (row: AdminSessionRow): void => void db.insert(adminSessions).values(row).run(),
    sessionByHash: (idHash: string): AdminSessionRow | undefined => sessionByHash.get({ idHash }),
    touchSession: (idHash: string, lastSeenAt: number, expiresAt: number): void =>
      void db.update(adminSessions).set({ lastSeenAt, expiresAt }).where(eq(adminSessions.idHash, idHash)).run(),
    deleteSession: (idHash: string): void => void db.delete(adminSessions).where(eq(adminSessions.idHash, idHash)).run(),
    /** Every session of a user ends (password change, disable, role change). */
    deleteSessionsOf: (userId: number): number => db.delete(adminSessions).where(eq(adminSessions.userId, userId)).run().changes,
    pruneSessions: (now: number): number => db.delete(adminSessions).where(lt(adminSessions.expiresAt, now)).run().changes,

    /**
     * Counts a login attempt before its password is verified, in one IMMEDIATE transaction: with
     * `limit` attempts already in the window (failed or still in flight) it refuses, so parallel
     * attempts never get more verifications than the lockout allows. `prior` is how many the
     * window held before this one. Rows older than the window are dropped on the way, so
     * attempts on made-up usernames do not pile up.
     */
    beginLoginAttempt(username: string, now: number, windowMs: number, limit: number): { ok: true; prior: number } | { ok: false } {
      return withTransaction(store, () => {
        const since = now - windowMs;
        db.delete(adminLoginFailures).where(lt(adminLoginFailures.at, since)).run();
        const prior =
          db
            .select({ n: count() })
            .from(adminLoginFailures)
            .where(and(eq(adminLoginFailures.username, username), gte(adminLoginFailures.at, since)))
            .get()?.n ?? 0;
        if (prior >= limit) return { ok: false };
        db.insert(adminLoginFailures).values({ username, at: now }).run();
        return { ok: true, prior };
      });
    },
    loginFailuresSince: (username: string, since: number): number =>
      db
        .select({ n: count() })
        .from(adminLoginFailures)
        .where(and(eq(adminLoginFailures.username, username), gte(adminLoginFailures.at, since)))
        .get()?.n ?? 0,
    clearLoginFailures: (username: string): void => void db.delete(adminLoginFailures).where(eq(adminLoginFailures.username, username)).run(),

    /**
     * Keyset pages of a product search, in id order. A name of three characters or more is found
     * through the trigram index a chunk at a time (within the supplier's id range when one is
     * given), the other filters applying to each chunk; a shorter name falls back to LIKE. On
     * PostgreSQL one statement answers a page, its ILIKE served by the pg_trgm index. The
     * catalog filter matches interfaceCode or catalogId: each side pages on its own index and the
     * two are merged, so neither scans the table.
     */
    productPage(q: ProductSearch): ProductPage {
      if (q.name !== undefined && [...q.name].length >= TRIGRAM && !onPostgres) return namePage(q);
      const { interfaceCode, ...rest } = q;
      if (interfaceCode === undefined || q.ids !== undefined) return pageOf(selectProducts(q), q.limit);
      const merged = new Map<number, ProductListRow>();
      for (const side of [products.interfaceCode, products.catalogId]) {
        for (const row of selectProducts({ ...rest }, eq(side, interfaceCode))) merged.set(row.id, row);
      }
      return pageOf([...merged.values()].sort((a, b) => a.id - b.id).slice(0, q.limit), q.limit);
    },

    /** The rows of one page (see productPage); a page cut short by the name scan budget shows fewer. */
    searchProducts(q: ProductSearch): ProductListRow[] {
      return this.productPage(q).rows;
    },

    /** Message outcomes per supplier and hour (epoch-ms bucket start) since `since`. */
    outcomesPerHour(since: number, supplierId?: number) {
      const hour = sql<number>`(${syncMessageLogs.at} / 3600000) * 3600000`;
      return db
        .select({ supplierId: syncMessageLogs.supplierId, hour, outcome: syncMessageLogs.outcome, n: count() })
        .from(syncMessageLogs)
        .where(and(gte(syncMessageLogs.at, since), supplierId === undefined ? undefined : eq(syncMessageLogs.supplierId, supplierId)))
        .groupBy(syncMessageLogs.supplierId, hour, syncMessageLogs.outcome)
        .all();
    },

    /** Supplier calls of runs started since `since`, newest first, at most `limit` (latency and error charts). */
    callsSince(since: number, limit: number, supplierId?: number) {
      return db
        .select({ supplierId: syncRuns.supplierId, startedAt: syncCalls.startedAt, durationMs: syncCalls.durationMs, outcome: syncCalls.outcome })
        .from(syncCalls)
        .innerJoin(syncRuns, eq(syncRuns.id, syncCalls.runId))
        .where(and(gte(syncRuns.startedAt, since), supplierId === undefined ? undefined : eq(syncRuns.supplierId, supplierId)))
        .orderBy(desc(syncRuns.startedAt))
        .limit(limit)
        .all();
    },

    /** Order transitions per day (epoch-ms bucket start) and state reached, since `since`. */
    orderTransitionsPerDay(since: number, supplierId?: number) {
      const day = sql<number>`((${orderEvents.at} + 28800000) / 86400000) * 86400000 - 28800000`;
      return db
        .select({ day, state: orderEvents.toState, n: count() })
        .from(orderEvents)
        .innerJoin(orders, eq(orders.id, orderEvents.orderId))
        .where(and(gte(orderEvents.at, since), supplierId === undefined ? undefined : eq(orders.supplierId, supplierId)))
        .groupBy(day, orderEvents.toState)
        .all();
    },

    messageLogById: (id: number) => db.select().from(syncMessageLogs).where(eq(syncMessageLogs.id, id)).get(),

    /** Per supplier: the last run, the inbox backlog and the message outcomes since `since` (dashboard). */
    supplierHealth(supplierIds: readonly number[], since: number) {
      if (supplierIds.length === 0) return [];
      const ids = [...supplierIds];
      const backlog = new Map(
        db
          .select({ supplierId: messageInbox.supplierId, n: count() })
          .from(messageInbox)
          .where(and(inArray(messageInbox.supplierId, ids), inArray(messageInbox.status, ["pending", "quarantined"])))
          .groupBy(messageInbox.supplierId)
          .all()
          .map((r) => [r.supplierId, r.n]),
      );
      const outcomes = db
        .select({ supplierId: syncMessageLogs.supplierId, outcome: syncMessageLogs.outcome, n: count() })
        .from(syncMessageLogs)
        .where(and(inArray(syncMessageLogs.supplierId, ids), gte(syncMessageLogs.at, since)))
        .groupBy(syncMessageLogs.supplierId, syncMessageLogs.outcome)
        .all();
      return ids.map((supplierId) => {
        const mine = outcomes.filter((o) => o.supplierId === supplierId);
        const total = mine.reduce((s, o) => s + o.n, 0);
        const failed = mine.filter((o) => o.outcome === "failed" || o.outcome === "quarantined").reduce((s, o) => s + o.n, 0);
        return {
          supplierId,
          lastRun: db.select().from(syncRuns).where(eq(syncRuns.supplierId, supplierId)).orderBy(desc(syncRuns.startedAt)).limit(1).get() ?? null,
          backlog: backlog.get(supplierId) ?? 0,
          messages: total,
          failed,
        };
      });
    },
  };
}
