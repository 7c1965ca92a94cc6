import { describe, expect, it } from "vitest";
import { openPgStore } from "../../src/store/database.js";
import { PgConnection } from "../../src/store/pg-sync/pg-connection.js";
import { PgQueryError, PgSyncBridge } from "../../src/store/pg-sync/sync-bridge.js";
import { useThrowawayCluster } from "../helpers/pg-cluster.js";

/** The synchronous PostgreSQL connection the repositories run on, against a real cluster. */
const cluster = useThrowawayCluster();

const connect = (url: string, statementTimeoutMs = 5_000) =>
  new PgConnection(new PgSyncBridge({ url, migrationsFolder: null, statementTimeoutMs, lockTimeoutMs: 2_000 }), "test");

describe("the synchronous PostgreSQL connection", () => {
  it("reads 64-bit integers and sums as numbers and booleans as 1/0, as the SQLite store does", async () => {
    const db = connect(await cluster().createDatabase("types"));
    try {
      expect(db.prepare("SELECT 1795700799734::bigint AS at, sum(x)::numeric AS total, true AS yes, false AS no FROM (VALUES (1), (2)) v(x)").get()).toEqual({
        at: 1795700799734,
        total: 3,
        yes: 1,
        no: 0,
      });
      expect(db.prepare("SELECT count(*) FROM (VALUES (1), (2)) v(x)").pluck().get()).toBe(2);
      // Named values a statement does not use bind nothing, as in better-sqlite3.
      expect(db.prepare("SELECT count(*) FROM (VALUES (1), (2)) v(x)").pluck().get({ limit: 10, offset: 0 })).toBe(2);
      expect(db.prepare("SELECT @a::int + 1").pluck().get({ a: 1, unused: 9 })).toBe(2);
    } finally {
      db.close();
    }
  });

  it("commits a transaction's work, rolls all of it back when the work throws, and a nested one back to its savepoint", async () => {
    const db = connect(await cluster().createDatabase("tx"));
    try {
      db.exec("CREATE TABLE t (id int PRIMARY KEY, v text)");
      const insert = db.prepare("INSERT INTO t (id, v) VALUES (?, ?)");
      db.transaction(() => insert.run(1, "a"))();
      expect(() =>
        db.transaction(() => {
          insert.run(2, "b");
          throw new Error("no");
        })(),
      ).toThrow("no");
      db.transaction(() => {
        insert.run(3, "c");
        expect(() => db.transaction(() => insert.run(1, "duplicate"))()).toThrow(PgQueryError);
        insert.run(4, "d");
      })();
      expect(db.prepare("SELECT id FROM t ORDER BY id").pluck().all()).toEqual([1, 3, 4]);
      expect(db.inTransaction).toBe(false);
    } finally {
      db.close();
    }
  });

  it("reports a constraint violation with its SQLSTATE and the statement, never the values", async () => {
    const db = connect(await cluster().createDatabase("errors"));
    try {
      db.exec("CREATE TABLE u (k text PRIMARY KEY)");
      db.prepare("INSERT INTO u (k) VALUES (?)").run("secret-value");
      let caught: unknown;
      try {
        db.prepare("INSERT INTO u (k) VALUES (?)").run("secret-value");
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(PgQueryError);
      expect((caught as PgQueryError).code).toBe("23505");
      expect((caught as PgQueryError).message).toContain("INSERT INTO u (k) VALUES ($1)");
      expect((caught as PgQueryError).message).not.toContain("secret-value");
    } finally {
      db.close();
    }
  });

  it("runs a transaction again when another instance's concurrent transaction made it fail to serialise", async () => {
    const url = await cluster().createDatabase("serial");
    const a = connect(url);
    const b = connect(url);
    try {
      a.exec("CREATE TABLE chain (id int PRIMARY KEY, prev int)");
      a.prepare("INSERT INTO chain (id, prev) VALUES (1, NULL)").run();
      let attempts = 0;
      // Both read the head and append after it: under SQLite's single writer one would wait; here
      // the second to commit loses, and is run again, reading the new head.
      a.transaction(() => {
        attempts++;
        const head = a.prepare("SELECT max(id) FROM chain").pluck().get() as number;
        if (attempts === 1) b.transaction(() => b.prepare("INSERT INTO chain (id, prev) VALUES (?, ?)").run(2, 1))();
        a.prepare("INSERT INTO chain (id, prev) VALUES (?, ?)").run(head + 1, head);
      })();
      expect(attempts).toBe(2);
      expect(a.prepare("SELECT id, prev FROM chain ORDER BY id").raw().all()).toEqual([
        [1, null],
        [2, 1],
        [3, 2],
      ]);
    } finally {
      a.close();
      b.close();
    }
  });

  it("bounds a statement by the statement timeout, and the connection answers the next query", async () => {
    const db = connect(await cluster().createDatabase("timeout"), 300);
    try {
      expect(() => db.prepare("SELECT pg_sleep(5)").get()).toThrow(/statement timeout/);
      expect(db.prepare("SELECT 42").pluck().get()).toBe(42);
    } finally {
      db.close();
    }
  });

  it("opens the store: migrates on the first connection, and a second store on the same database finds nothing to do", async () => {
    const url = await cluster().createDatabase("store");
    const first = openPgStore(url);
    const second = openPgStore(url);
    try {
      expect(first.dialect).toBe("postgres");
      const applied = first.connection.prepare("SELECT count(*) FROM drizzle.__drizzle_migrations").pluck().get();
      expect(applied).toBeGreaterThan(0);
      expect(second.connection.prepare("SELECT count(*) FROM drizzle.__drizzle_migrations").pluck().get()).toBe(applied);
    } finally {
      first.close();
      second.close();
    }
  });

  it("fails to open with the URL's password left out of everything it says", () => {
    let message = "";
    try {
      openPgStore("postgres://gateway:s3cret-pw@127.0.0.1:1/gateway");
    } catch (e) {
      message = e instanceof Error ? e.message : String(e);
    }
    expect(message).not.toBe("");
    expect(message).not.toContain("s3cret-pw");
  });
});
