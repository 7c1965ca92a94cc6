import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { ErrorCode } from "../../src/contract/index.js";
import { type Store, openPgStore, withTransaction } from "../../src/store/database.js";
import { PgCommitUnknownError, PgConnection } from "../../src/store/pg-sync/pg-connection.js";
import { PgConnectionLostError, PgSyncBridge, PgUnavailableError } from "../../src/store/pg-sync/sync-bridge.js";
import { type GatewayProcess, killHard } from "../helpers/gateway-process.js";
import { probeHealthz } from "../helpers/healthz-prober.js";
import { servedGateway } from "../helpers/served-gateway.js";
import { useThrowawayCluster } from "../helpers/pg-cluster.js";
import { installWorkerFaults } from "../helpers/pg-worker-faults.js";
import { waitFor } from "../helpers/wait.js";

/**
 * The PostgreSQL bridge when the server ends its connection inside a transaction, and when its
 * worker thread dies: a transaction lands whole or not at all, and the gateway keeps answering.
 */
const cluster = useThrowawayCluster();
const ROUNDS = 6;
const pause = new Int32Array(new SharedArrayBuffer(4));
const sleepSync = (ms: number) => Atomics.wait(pause, 0, 0, ms);

/**
 * pg_terminate_backend from a plain pg client in another process (the transaction body is
 * synchronous), returning once the backend is gone.
 */
function terminateBackend(url: string, pid: number): void {
  execFileSync(process.execPath, ["-e", TERMINATE], {
    env: { ...process.env, URL: url, PID: String(pid) },
    stdio: ["ignore", "ignore", "inherit"],
    timeout: 20_000,
  });
}

/** The same in `afterMs`, without waiting: for a moment when the caller is blocked in a statement. */
function terminateBackendSoon(url: string, pid: number, afterMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["-e", TERMINATE], { env: { ...process.env, URL: url, PID: String(pid), AFTER_MS: String(afterMs) }, timeout: 20_000 }, (e) =>
      e ? reject(e) : resolve(),
    );
  });
}

const TERMINATE = `
    const pg = require("pg");
    (async () => {
      await new Promise((r) => setTimeout(r, Number(process.env.AFTER_MS ?? 0)));
      const c = new pg.Client({ connectionString: process.env.URL });
      await c.connect();
      await c.query("SELECT pg_terminate_backend($1)", [Number(process.env.PID)]);
      while ((await c.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1", [Number(process.env.PID)])).rowCount > 0) await new Promise((r) => setTimeout(r, 5));
      await c.end();
    })().catch((e) => { console.error(e); process.exit(1); });`;

async function admin(url: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

const idsOf = (store: Store, round: number) => store.connection.prepare("SELECT id FROM fault_rows WHERE round = ? ORDER BY id").pluck().all(round);

describe("a transaction whose connection the server ends between statements", () => {
  it("lands whole after a re-run, never in part, when its backend is terminated", async () => {
    const url = await cluster().createDatabase("terminated");
    const store = openPgStore(url);
    try {
      store.connection.exec("CREATE TABLE fault_rows (round int, id int, PRIMARY KEY (round, id))");
      const insert = store.connection.prepare("INSERT INTO fault_rows (round, id) VALUES (?, ?)");
      for (let round = 0; round < ROUNDS; round++) {
        // The drop comes after the first or the second of three inserts.
        const dropAfter = 1 + (round % 2);
        let attempts = 0;
        withTransaction(store, () => {
          attempts++;
          for (let id = 1; id <= 3; id++) {
            insert.run(round, id);
            if (attempts === 1 && id === dropAfter) terminateBackend(url, store.connection.prepare("SELECT pg_backend_pid()").pluck().get() as number);
          }
        });
        expect(idsOf(store, round), `round ${round}`).toEqual([1, 2, 3]);
        expect(attempts, `round ${round}`).toBe(2);
      }
    } finally {
      store.close();
    }
  }, 120_000);

  it("lands whole or not at all under idle_in_transaction_session_timeout, and fails typed when every run pauses", async () => {
    const url = await cluster().createDatabase("idle");
    openPgStore(url).close();
    await admin(url, "CREATE TABLE fault_rows (round int, id int, PRIMARY KEY (round, id))");
    await admin(url, "ALTER DATABASE idle SET idle_in_transaction_session_timeout = '5ms'");
    const store = openPgStore(url);
    try {
      const insert = store.connection.prepare("INSERT INTO fault_rows (round, id) VALUES (?, ?)");
      for (let round = 0; round < ROUNDS; round++) {
        // Even rounds pause on the first run only; odd rounds on every run, so every run is cut off.
        const pausesAlways = round % 2 === 1;
        let attempts = 0;
        const run = () =>
          withTransaction(store, () => {
            attempts++;
            insert.run(round, 1);
            if (attempts === 1 || pausesAlways) sleepSync(100);
            insert.run(round, 2);
            insert.run(round, 3);
          });
        if (pausesAlways) {
          let thrown: unknown;
          try {
            run();
          } catch (e) {
            thrown = e;
          }
          expect(idsOf(store, round), `round ${round}`).toEqual([]);
          expect(thrown).toBeInstanceOf(PgConnectionLostError);
          expect(attempts).toBeGreaterThan(1);
        } else {
          run();
          expect(idsOf(store, round), `round ${round}`).toEqual([1, 2, 3]);
          // Run again after the cut, and whole; on a loaded machine the run after it may be cut too.
          expect(attempts).toBeGreaterThanOrEqual(2);
        }
      }
    } finally {
      store.close();
    }
  }, 120_000);
});

describe("a COMMIT whose answer is lost", () => {
  it("is reported as unknown, not as success and not run again", async () => {
    const url = await cluster().createDatabase("commit_lost");
    const store = openPgStore(url);
    try {
      // A deferred trigger that sleeps makes COMMIT itself take a second: the backend is ended inside it.
      store.connection.exec(`
        CREATE TABLE commit_rows (id int PRIMARY KEY);
        CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(1); RETURN NULL; END $$;
        CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON commit_rows DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit();`);
      let attempts = 0;
      let terminated: Promise<void> | undefined;
      let thrown: unknown;
      try {
        withTransaction(store, () => {
          attempts++;
          store.connection.prepare("INSERT INTO commit_rows (id) VALUES (?)").run(attempts);
          terminated = terminateBackendSoon(url, store.connection.prepare("SELECT pg_backend_pid()").pluck().get() as number, 300);
        });
      } catch (e) {
        thrown = e;
      }
      await terminated;
      expect(thrown).toBeInstanceOf(PgCommitUnknownError);
      expect(thrown).toBeInstanceOf(PgUnavailableError);
      expect(attempts).toBe(1);
    } finally {
      store.close();
    }
  }, 60_000);
});

describe("the bridge's worker thread dying", () => {
  let dir: string;
  let uninstall: (() => void) | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "emall-pg-faults-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => uninstall?.());

  it("fails the statement in flight when its worker exits, throws or hangs, well before the statement timeout, and a new worker serves the next ones", async () => {
    const faultFile = join(dir, "in-flight");
    uninstall = installWorkerFaults(faultFile);
    const url = await cluster().createDatabase("in_flight");
    const db = new PgConnection(new PgSyncBridge({ url, migrationsFolder: null, statementTimeoutMs: 20_000, lockTimeoutMs: 2_000 }), "test");
    try {
      expect(db.prepare("SELECT 1").pluck().get()).toBe(1);
      // A worker that exits or throws says so as it ends; one that hangs is found by its silent heartbeat (3 s).
      for (const [mode, withinMs] of [
        ["exit", 1_000],
        ["throw", 1_000],
        ["hang", 5_000],
      ] as const) {
        writeFileSync(faultFile, mode);
        const started = Date.now();
        expect(() => db.prepare("SELECT pg_sleep(10)").get()).toThrow(PgUnavailableError);
        expect(Date.now() - started, mode).toBeLessThan(withinMs);
        // The replacement starts after a pause; until then a statement fails at once.
        const refusedAt = Date.now();
        expect(() => db.prepare("SELECT 1").get()).toThrow(PgUnavailableError);
        expect(Date.now() - refusedAt).toBeLessThan(50);
        expect(await waitFor("a new worker", () => tryGet(() => db.prepare("SELECT 42").pluck().get()), 10_000)).toBe(42);
      }
    } finally {
      db.close();
    }
  }, 60_000);

  describe("while the gateway serves", () => {
    const INFO = "/gyssc/platform/info";
    let gateway: GatewayProcess | undefined;
    afterAll(async () => {
      if (gateway) await killHard(gateway.process);
    });

    it("keeps /healthz answering, answers mall calls 5099 at once while it is down, and serves again once a worker lives", async () => {
      const faultFile = join(dir, "served");
      const served = await servedGateway({
        databaseUrl: await cluster().createDatabase("served"),
        dir,
        supplier: { code: "PGFAULT", name: "故障测试电商", domain: "item.pg-fault.cn" },
        env: { PG_WORKER_FAULT_FILE: faultFile },
        preload: ["./tests/helpers/pg-worker-faults-preload.ts"],
      });
      gateway = served.gateway;
      const { base, caller } = served;
      expect((await caller.login()).body.success).toBe(true);
      expect((await caller.call(INFO)).body.success).toBe(true);

      // /healthz probed throughout, one request at a time.
      const prober = probeHealthz(base);

      // The worker throws, and every replacement throws as it starts, until the fault is lifted.
      writeFileSync(`${faultFile}.down`, "");
      writeFileSync(faultFile, "throw");
      const timed = async () => {
        const started = performance.now();
        const answer = await caller.call(INFO);
        return { body: answer.body, ms: performance.now() - started };
      };
      await waitFor("a mall call refused", async () => (await timed()).body.success === false, 10_000);
      for (let i = 0; i < 10; i++) {
        const { body, ms } = await timed();
        expect(body).toMatchObject({ success: false, code: ErrorCode.Other });
        expect(String(body.desc)).toContain("系统繁忙，请稍后再试");
        // Well within the statement timeout (15 s).
        expect(ms).toBeLessThan(1_000);
      }
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      const probedWhileDown = prober.times.length + 30;
      await waitFor("/healthz probed while the worker is down", () => prober.times.length >= probedWhileDown, 20_000);

      rmSync(`${faultFile}.down`);
      await waitFor("mall calls served again", async () => (await caller.call(INFO)).body.success === true, 20_000, 100);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const healthz = await prober.stop();

      expect(gateway.process.exitCode).toBeNull();
      expect(Math.max(...healthz)).toBeLessThan(50);
    }, 120_000);
  });
});

function tryGet<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
