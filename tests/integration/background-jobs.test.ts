import Database from "better-sqlite3";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { installProcessHandlers } from "../../src/lib/process-handlers.js";
import { startMaintenance } from "../../src/maintenance.js";
import { startGatewayJobs } from "../../src/scheduling/gateway-jobs.js";
import { type TestGateway, nextCreditCode, startTestGateway, testClock } from "../helpers/harness.js";
import { capturingLogger, waitFor } from "../helpers/wait.js";
import { rawSql } from "../helpers/raw-sql.js";

/** A second connection that holds the lock nonce cleanup needs until `commit`. */
async function holdWriteLock(url: string, dialect: "sqlite" | "postgres"): Promise<{ commit(): Promise<void>; close(): Promise<void> }> {
  if (dialect === "postgres") {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query("BEGIN");
    await client.query("LOCK TABLE request_nonces IN ACCESS EXCLUSIVE MODE");
    return {
      commit: async () => void (await client.query("COMMIT")),
      close: () => client.end(),
    };
  }
  const db = new Database(url);
  db.exec("BEGIN IMMEDIATE");
  return {
    commit: async () => void db.exec("COMMIT"),
    close: async () => void db.close(),
  };
}

let gw: TestGateway | undefined;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  await gw?.close();
  gw = undefined;
});

describe("background jobs never take the process down (issue 9.14)", () => {
  it("nonce cleanup logs a busy database (SQLITE_BUSY; PostgreSQL's lock timeout) and prunes on a later tick", async () => {
    const { logger, lines } = capturingLogger();
    gw = await startTestGateway({}, testClock(), logger);
    const { container } = gw;
    // SQLite waits for the lock this long instead of its 5 s; PostgreSQL's lock_timeout stays as it is.
    if (container.store.dialect === "sqlite") container.store.connection.pragma("busy_timeout = 20");
    const account = container.repos.accounts;
    await container.supplierAccounts.create({ code: "NONCE", name: "重放", creditCode: await nextCreditCode(), domains: ["a.example.cn"] });
    const accountId = (await account.supplierByCode("NONCE"))?.id ?? -1;
    await container.repos.nonces.remember(accountId, "old-nonce", gw.clock.now() - 3_600_000, 600_000);

    // Another process holds the write lock (on PostgreSQL, the table's lock) for a while.
    const other = await holdWriteLock(gw.config.DATABASE_URL, container.store.dialect);
    cleanups.push(() => other.close());
    const maintenance = startMaintenance(container, { intervalMs: 30 });
    cleanups.push(() => maintenance.stop());
    // Every prune fails while the lock is held; the tick prune may say so first.
    const nonceFailure = (l: (typeof lines)[number]) => l.event === "maintenance.job.failed" && l.job === "nonce-prune";
    await waitFor("the failure logged", () => lines.some(nonceFailure), 15_000);
    const failure = lines.find(nonceFailure);
    expect(failure).toMatchObject({ level: 50, job: "nonce-prune", err: { code: container.store.dialect === "postgres" ? "55P03" : "SQLITE_BUSY" } });

    await other.commit();
    const remaining = async () => Number(await rawSql(container.store).value("SELECT count(*) FROM request_nonces"));
    await waitFor("everything pruned", async () => (await remaining()) === 0, 15_000);
  });

  it("the scheduler keeps its other jobs when one schedule cannot be read, and a throwing job keeps firing", async () => {
    const { logger, lines } = capturingLogger();
    gw = await startTestGateway({ SCHEDULER_ENABLED: "false" }, testClock(), logger);
    const { container } = gw;
    await container.supplierAccounts.create({ code: "CRON", name: "排程", creditCode: await nextCreditCode(), domains: ["a.example.cn"] });
    await container.supplierConnections.connect({ code: "CRON", baseUrl: "http://127.0.0.1:9", username: "u", password: "p", appSecret: "s".repeat(32) });
    // A schedule edited by hand into something cron cannot read.
    await rawSql(container.store).run("UPDATE supplier_connections SET pull_schedule = 'every minute'");
    let fired = 0;
    const jobs = startGatewayJobs(
      container,
      () => [
        {
          name: "throws",
          cron: "* * * * * *",
          run: () => {
            fired++;
            throw new Error("job blew up");
          },
        },
      ],
      { reloadIntervalMs: 50 },
    );
    cleanups.push(() => jobs.stop());
    await waitFor("two firings", () => fired >= 2, 10_000);
    expect(lines.find((l) => l.event === "scheduler.job.invalid")).toMatchObject({ job: "pull:CRON", cron: "every minute" });
    expect(lines.find((l) => l.event === "scheduler.job.failed")).toMatchObject({ job: "throws", err: { message: "job blew up" } });
    expect(lines.some((l) => l.event === "scheduler.job.scheduled" && l.job === "stock:CRON")).toBe(true);
  });

  it("logs an unhandled rejection with its context and goes on", async () => {
    const { logger, lines } = capturingLogger();
    const exits: number[] = [];
    const uninstall = installProcessHandlers(logger, (code) => exits.push(code));
    cleanups.push(uninstall);
    const reason = Object.assign(new Error("lost promise"), { code: "SQLITE_BUSY" });
    process.emit("unhandledRejection", reason, Promise.resolve());
    expect(lines.find((l) => l.event === "process.unhandled_rejection")).toMatchObject({
      level: 50,
      reasonType: "Error",
      pid: process.pid,
      err: { message: "lost promise", code: "SQLITE_BUSY", stack: expect.stringContaining("lost promise") },
    });
    expect(exits).toEqual([]);
  });
});
