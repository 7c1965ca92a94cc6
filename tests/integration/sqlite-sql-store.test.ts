import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqliteSqlStore } from "../../src/store/sql/sqlite-sql-store.js";
import { type SqlStore, TransactionOverError } from "../../src/store/sql/sql-store.js";

/**
 * The asynchronous store over a real SQLite file: a transaction has the connection to itself for
 * the whole of its body, so another caller's statement never lands inside it (and is never rolled
 * back with it).
 */
let dir = "";
let connection: Database.Database;
let store: SqlStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "emall-sql-store-"));
  connection = new Database(join(dir, "store.db"));
  connection.pragma("journal_mode = WAL");
  connection.exec("CREATE TABLE rows_of (id INTEGER PRIMARY KEY, source TEXT NOT NULL)");
  store = openSqliteSqlStore(connection);
});

afterEach(async () => {
  await store.close();
  connection.close();
  rmSync(dir, { recursive: true, force: true });
});

const sources = async () => (await store.all<{ source: string }>("SELECT source FROM rows_of ORDER BY id")).map((r) => r.source);

describe("the SQLite store's transactions", () => {
  it("keeps another caller's statement out of a transaction that is rolled back", async () => {
    let insideOpen: () => void = () => undefined;
    const opened = new Promise<void>((resolve) => (insideOpen = resolve));
    const body = store
      .transaction(async (tx) => {
        await tx.run("INSERT INTO rows_of (source) VALUES (?)", ["body"]);
        insideOpen();
        // While the body waits, another caller writes: its row must not join this transaction.
        await sleep(50);
        throw new Error("rolled back");
      })
      .catch((e: unknown) => e);
    await opened;
    const other = store.run("INSERT INTO rows_of (source) VALUES (?)", ["other"]);
    expect((await body) as Error).toHaveProperty("message", "rolled back");
    expect(await other).toBe(1);
    expect(await sources()).toEqual(["other"]);
  });

  it("runs transactions one after another, each whole, in the order they were asked for", async () => {
    await Promise.all(
      ["a", "b", "c"].map((name) =>
        store.transaction(async (tx) => {
          await tx.run("INSERT INTO rows_of (source) VALUES (?)", [`${name}1`]);
          await sleep(5);
          await tx.run("INSERT INTO rows_of (source) VALUES (?)", [`${name}2`]);
        }),
      ),
    );
    expect(await sources()).toEqual(["a1", "a2", "b1", "b2", "c1", "c2"]);
  });

  it("goes on after a failed transaction and refuses a statement through its handle afterwards", async () => {
    let leaked: SqlStore | null = null;
    await store
      .transaction(async (tx) => {
        leaked = tx as SqlStore;
        await tx.run("INSERT INTO rows_of (source) VALUES (?)", ["lost"]);
        await tx.run("INSERT INTO no_such_table (x) VALUES (1)");
      })
      .catch(() => undefined);
    await store.transaction((tx) => tx.run("INSERT INTO rows_of (source) VALUES (?)", ["kept"]));
    expect(await sources()).toEqual(["kept"]);
    await expect((leaked as unknown as SqlStore).run("INSERT INTO rows_of (source) VALUES (?)", ["late"])).rejects.toBeInstanceOf(TransactionOverError);
    expect(connection.inTransaction).toBe(false);
  });

  it("runs afterCommit effects after COMMIT, never for a rolled-back body, and at once on the store itself", async () => {
    const effects: string[] = [];
    await store.transaction(async (tx) => {
      tx.afterCommit(() => effects.push("committed"));
      await tx.run("INSERT INTO rows_of (source) VALUES ('a')");
      expect(effects).toEqual([]);
    });
    expect(effects).toEqual(["committed"]);
    await store
      .transaction(async (tx) => {
        tx.afterCommit(() => effects.push("rolled back"));
        throw new Error("abandoned");
      })
      .catch(() => undefined);
    store.afterCommit(() => effects.push("store"));
    expect(effects).toEqual(["committed", "store"]);
    expect(store.changes.live).toBe(false);
  });

  it("answers rows, a first row and changed-row counts", async () => {
    expect(await store.run("INSERT INTO rows_of (source) VALUES (?), (?)", ["x", "y"])).toBe(2);
    expect(await store.get<{ n: number }>("SELECT count(*) AS n FROM rows_of")).toEqual({ n: 2 });
    expect(await store.get("SELECT source FROM rows_of WHERE source = ?", ["z"])).toBeUndefined();
    expect(await store.all("SELECT source FROM rows_of WHERE source > ? ORDER BY source", ["a"])).toEqual([{ source: "x" }, { source: "y" }]);
    expect(await store.ping()).toBe(true);
  });

  it("tells the caller of a transaction that held the writer over a second", async () => {
    const slow: number[] = [];
    const watched = openSqliteSqlStore(connection, (ms) => slow.push(ms));
    await watched.transaction((tx) => tx.run("INSERT INTO rows_of (source) VALUES (?)", ["quick"]));
    expect(slow).toEqual([]);
    await watched.transaction(async (tx) => {
      await tx.run("INSERT INTO rows_of (source) VALUES (?)", ["slow"]);
      // A body waiting on something else than its statements, as a supplier call would.
      await sleep(1_100);
    });
    expect(slow).toHaveLength(1);
    expect(slow[0]).toBeGreaterThanOrEqual(1_000);
  });
});
