import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PgConnectionLostError, PgQueryError, PgUnavailableError } from "../../src/store/sql/pg-errors.js";
import { openPgPoolStore, type PgPoolOptions } from "../../src/store/sql/pg-pool-store.js";
import { type SqlStore, TransactionOverError } from "../../src/store/sql/sql-store.js";
import { databaseUrl, useThrowawayCluster } from "../helpers/pg-cluster.js";

/**
 * The store on a pg.Pool, on a throwaway cluster: a transaction lands whole or not at all when the
 * server ends its connection, loses a race, or a statement runs too long, and no statement holds
 * the event loop.
 */
const cluster = useThrowawayCluster();
let url = "";
const opened: SqlStore[] = [];

function open(options: Partial<PgPoolOptions> = {}): SqlStore {
  const store = openPgPoolStore({ url, poolSize: 4, statementTimeoutMs: 5_000, lockTimeoutMs: 2_000, ...options });
  opened.push(store);
  return store;
}

async function admin<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<R>(text, values)).rows;
  } finally {
    await c.end();
  }
}

/** Ends the backend and returns once it is gone. */
async function terminate(pid: number): Promise<void> {
  await admin("SELECT pg_terminate_backend($1)", [pid]);
  while ((await admin("SELECT 1 FROM pg_stat_activity WHERE pid = $1", [pid])).length > 0) await sleep(5);
}

beforeAll(async () => {
  url = await cluster().createDatabase("pool");
  await admin("CREATE TABLE rows_of (round int, id int, PRIMARY KEY (round, id))");
  await admin("CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)");
  await admin("INSERT INTO counter VALUES (1, 0)");
});

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

const idsOf = async (store: SqlStore, round: number) =>
  (await store.all<{ id: number }>("SELECT id FROM rows_of WHERE round = $1 ORDER BY id", [round])).map((r) => r.id);

describe("a transaction whose connection the server ends", () => {
  it("runs again from its start when its backend is terminated between statements, and lands whole", async () => {
    const store = open();
    let runs = 0;
    await store.transaction(async (tx) => {
      runs++;
      await tx.run("INSERT INTO rows_of (round, id) VALUES ($1, $2)", [1, 1]);
      if (runs === 1) {
        const me = await tx.get<{ pid: number }>("SELECT pg_backend_pid() AS pid");
        await terminate(me?.pid ?? 0);
      }
      await tx.run("INSERT INTO rows_of (round, id) VALUES ($1, $2)", [1, 2]);
      await tx.run("INSERT INTO rows_of (round, id) VALUES ($1, $2)", [1, 3]);
    });
    expect(runs).toBe(2);
    expect(await idsOf(store, 1)).toEqual([1, 2, 3]);
  });

  it("loses the transaction of a body that waits on something else than its statements, and lands nothing of it", async () => {
    const store = open({ idleInTransactionMs: 50 });
    let runs = 0;
    await store.transaction(async (tx) => {
      runs++;
      await tx.run("INSERT INTO rows_of (round, id) VALUES ($1, $2)", [2, 1]);
      // The first run waits as a supplier call would: the server ends the session under it.
      if (runs === 1) await sleep(400);
      await tx.run("INSERT INTO rows_of (round, id) VALUES ($1, $2)", [2, 2]);
    });
    expect(runs).toBe(2);
    expect(await idsOf(store, 2)).toEqual([1, 2]);

    // A body that always waits fails after a bounded number of runs, with none of its rows kept.
    let always = 0;
    const failed = await store
      .transaction(async (tx) => {
        always++;
        await tx.run("INSERT INTO rows_of (round, id) VALUES ($1, $2)", [3, always]);
        await sleep(300);
        await tx.run("INSERT INTO rows_of (round, id) VALUES ($1, $2)", [3, 100 + always]);
      })
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(PgConnectionLostError);
    expect(always).toBeGreaterThan(1);
    expect(always).toBeLessThanOrEqual(4);
    expect(await idsOf(store, 3)).toEqual([]);
  });

  it("runs the losers of a serialisation race again until every increment lands", async () => {
    const store = open({ poolSize: 8 });
    await store.run("UPDATE counter SET n = 0 WHERE id = 1");
    const RACERS = 8;
    let runs = 0;
    await Promise.all(
      Array.from({ length: RACERS }, () =>
        store.transaction(async (tx) => {
          runs++;
          const row = await tx.get<{ n: number }>("SELECT n FROM counter WHERE id = 1");
          await sleep(10);
          await tx.run("UPDATE counter SET n = $1 WHERE id = 1", [(row?.n ?? 0) + 1]);
        }),
      ),
    );
    expect((await store.get<{ n: number }>("SELECT n FROM counter WHERE id = 1"))?.n).toBe(RACERS);
    // They really raced: some ran more than once.
    expect(runs).toBeGreaterThan(RACERS);
  });
});

describe("the transaction handle", () => {
  it("rolls back on the body's own error, runs it once, and refuses statements after the body ended", async () => {
    const store = open();
    let runs = 0;
    let leaked: Parameters<Parameters<SqlStore["transaction"]>[0]>[0] | null = null;
    const failed = await store
      .transaction(async (tx) => {
        runs++;
        leaked = tx;
        await tx.run("INSERT INTO rows_of (round, id) VALUES ($1, $2)", [4, 1]);
        throw new Error("the body changed its mind");
      })
      .catch((e: unknown) => e);
    expect((failed as Error).message).toBe("the body changed its mind");
    expect(runs).toBe(1);
    expect(await idsOf(store, 4)).toEqual([]);
    const late = await (leaked as unknown as SqlStore).run("INSERT INTO rows_of (round, id) VALUES ($1, $2)", [4, 2]).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(TransactionOverError);
    expect(await idsOf(store, 4)).toEqual([]);
  });

  it("runs afterCommit effects once, after the attempt that commits, and never for one that rolls back", async () => {
    const store = open();
    const effects: string[] = [];
    let runs = 0;
    await store.transaction(async (tx) => {
      runs++;
      tx.afterCommit(() => effects.push(`run ${runs}`));
      await tx.run("INSERT INTO rows_of (round, id) VALUES ($1, $2)", [6, runs]);
      if (runs === 1) {
        const me = await tx.get<{ pid: number }>("SELECT pg_backend_pid() AS pid");
        await terminate(me?.pid ?? 0);
      }
      await tx.run("INSERT INTO rows_of (round, id) VALUES ($1, $2)", [6, 10 + runs]);
      expect(effects).toEqual([]);
    });
    expect(runs).toBe(2);
    expect(effects).toEqual(["run 2"]);
    await store
      .transaction(async (tx) => {
        tx.afterCommit(() => effects.push("rolled back"));
        await tx.run("INSERT INTO rows_of (round, id) VALUES ($1, $2)", [6, 99]);
        throw new Error("abandoned");
      })
      .catch(() => undefined);
    expect(effects).toEqual(["run 2"]);
    expect(await idsOf(store, 6)).toEqual([2, 12]);
  });

  it("gives a real duplicate back to the caller as its SQLSTATE after the bounded re-run", async () => {
    const store = open();
    await store.run("INSERT INTO rows_of (round, id) VALUES ($1, $2)", [5, 1]);
    const failed = await store.transaction((tx) => tx.run("INSERT INTO rows_of (round, id) VALUES ($1, $2)", [5, 1])).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(PgQueryError);
    expect((failed as PgQueryError).code).toBe("23505");
  });
});

describe("time", () => {
  it("ends a statement at the statement timeout, and the pool goes on answering", async () => {
    const store = open({ statementTimeoutMs: 300 });
    const started = performance.now();
    const failed = await store.get("SELECT pg_sleep(5)").catch((e: unknown) => e);
    const tookMs = performance.now() - started;
    expect(failed).toBeInstanceOf(PgQueryError);
    expect((failed as PgQueryError).code).toBe("57014");
    expect(tookMs).toBeLessThan(2_000);
    expect(await store.ping()).toBe(true);
  });

  it("never holds the event loop while statements run", async () => {
    const store = open();
    let worstLagMs = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      worstLagMs = Math.max(worstLagMs, now - last - 5);
      last = now;
    }, 5);
    try {
      await Promise.all([store.get("SELECT pg_sleep(0.4)"), store.transaction((tx) => tx.get("SELECT pg_sleep(0.3)"))]);
    } finally {
      clearInterval(timer);
    }
    expect(worstLagMs).toBeLessThan(100);
  });

  it("says a database that cannot be reached is unavailable, within the connect timeout", async () => {
    const nowhere = mkdtempSync(join(tmpdir(), "emall-no-pg-"));
    try {
      const store = open({ url: databaseUrl(nowhere, "gateway"), statementTimeoutMs: 1_000 });
      const started = performance.now();
      const failed = await store.get("SELECT 1").catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(PgUnavailableError);
      const inTransaction = await store.transaction((tx) => tx.get("SELECT 1")).catch((e: unknown) => e);
      expect(inTransaction).toBeInstanceOf(PgUnavailableError);
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(await store.ping()).toBe(false);
    } finally {
      rmSync(nowhere, { recursive: true, force: true });
    }
  });
});
