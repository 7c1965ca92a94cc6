import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, databaseTarget, loadConfig } from "../../src/config/config.js";
import { useThrowawayCluster } from "../helpers/pg-cluster.js";

/**
 * DATABASE_URL selects the store: a postgres:// or postgresql:// URL is PostgreSQL, anything else a
 * SQLite path. A PostgreSQL database that cannot be opened stops the gateway and the CLI in one line
 * that names it without its password (exit 69, EX_UNAVAILABLE) and leaves nothing on disk; one that
 * can be reached is migrated and served.
 */
const REPO = resolve(".");
const TSX = pathToFileURL(join(REPO, "node_modules/tsx/dist/loader.mjs")).href;
/** Nothing listens on port 1: the connection is refused at once. */
const PG_URL = "postgres://gateway:s3cret-pw@127.0.0.1:1/gateway";
const ENTRY_ENV = { PORT: "0", NODE_ENV: "test", LOG_LEVEL: "info", FIXTURES_DIR: join(REPO, "fixtures"), DATA_ENCRYPTION_KEY_FILE: "./master.key" };

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs an entry point of the repository from an empty temp directory, so anything it creates shows. */
function emptyDir(): string {
  const cwd = mkdtempSync(join(tmpdir(), "emall-dburl-"));
  dirs.push(cwd);
  return cwd;
}

/** Runs an entry point of the repository from an empty temp directory, so anything it creates shows. */
function runFromEmptyDir(entry: string, args: string[], databaseUrl: string) {
  const cwd = emptyDir();
  const result = spawnSync(process.execPath, ["--import", TSX, join(REPO, entry), ...args], {
    cwd,
    env: { ...process.env, DATABASE_URL: databaseUrl, ...ENTRY_ENV },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { ...result, created: readdirSync(cwd) };
}

describe("DATABASE_URL in the config", () => {
  it("recognises postgres:// and postgresql:// URLs as PostgreSQL", () => {
    expect(databaseTarget(loadConfig({ DATABASE_URL: PG_URL }))).toEqual({ kind: "postgres", url: PG_URL });
    const viaSocket = "postgresql:///gateway?host=/var/run/postgresql";
    expect(databaseTarget(loadConfig({ DATABASE_URL: viaSocket }))).toEqual({ kind: "postgres", url: viaSocket });
  });

  it("keeps every other value a SQLite path, with or without file:", () => {
    expect(databaseTarget(loadConfig({}))).toEqual({ kind: "sqlite", path: "./data/emall-gateway.db" });
    expect(databaseTarget(loadConfig({ DATABASE_URL: "file:/srv/gw/gateway.db" }))).toEqual({ kind: "sqlite", path: "/srv/gw/gateway.db" });
    expect(databaseTarget(loadConfig({ DATABASE_URL: "data/postgres.db" }))).toEqual({ kind: "sqlite", path: "data/postgres.db" });
  });

  it("refuses a postgres: value that is no usable URL, instead of taking it for a file name", () => {
    const problem = (value: string) => {
      try {
        loadConfig({ DATABASE_URL: value });
        return null;
      } catch (e) {
        return e instanceof ConfigError ? e.message : String(e);
      }
    };
    expect(problem("postgres:/gateway")).toMatch(/DATABASE_URL: a PostgreSQL URL starts with postgres:\/\/ or postgresql:\/\//);
    expect(problem("postgresql://db.example:5432")).toMatch(/DATABASE_URL: the PostgreSQL URL names no database/);
    expect(problem("postgres:///gateway")).toMatch(/DATABASE_URL: the PostgreSQL URL names no host/);
    expect(problem("postgres://u:p@db.example:5432/gw")).toBeNull();
  });
});

describe("starting with a PostgreSQL DATABASE_URL that cannot be reached", () => {
  it("stops the gateway with one line naming the database without its password, exit 69, creating nothing", () => {
    const run = runFromEmptyDir("src/main.ts", [], PG_URL);
    const errLines = run.stderr.trim().split("\n");
    expect(errLines).toEqual([
      expect.stringMatching(/^cannot open the PostgreSQL database postgres:\/\/gateway:\*\*\*@127\.0\.0\.1:1\/gateway: .*ECONNREFUSED/),
    ]);
    expect(run.status).toBe(69);
    expect(run.stdout).not.toMatch(/listening/);
    expect(run.stderr + run.stdout).not.toContain("s3cret-pw");
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.created).toEqual([]);
  });

  it("stops the CLI the same way, as a database error in its JSON answer", () => {
    const run = runFromEmptyDir("src/cli/main.ts", ["supplier", "list", "--json"], PG_URL);
    expect(run.status).toBe(69);
    const lines = run.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const answer = JSON.parse(lines[0] ?? "null") as { ok: boolean; error: { kind: string; message: string } };
    expect(answer).toEqual({
      ok: false,
      error: { kind: "database", message: expect.stringMatching(/^cannot open the PostgreSQL database postgres:\/\/gateway:\*\*\*@127\.0\.0\.1:1\/gateway: /) },
    });
    expect(run.stderr + run.stdout).not.toContain("s3cret-pw");
    expect(run.stderr).toBe("");
    expect(run.created).toEqual([]);
  });

  it("says so to a person in one line on stderr without --json", () => {
    const run = runFromEmptyDir("src/cli/main.ts", ["supplier", "list"], PG_URL);
    expect(run.status).toBe(69);
    expect(run.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^cannot open the PostgreSQL database postgres:\/\/gateway:\*\*\*@127\.0\.0\.1:1\/gateway: /),
    ]);
    expect(run.stdout).toBe("");
    expect(run.created).toEqual([]);
  });

  it("still starts on a SQLite path (the same run, only DATABASE_URL differs)", () => {
    const run = runFromEmptyDir("src/cli/main.ts", ["supplier", "list", "--json"], "./gateway.db");
    expect(run.status).toBe(0);
    expect(run.created).toContain("gateway.db");
  });
});

describe("starting with a PostgreSQL DATABASE_URL that can be reached", () => {
  const cluster = useThrowawayCluster();

  it("names a database the server does not have in the same one line, exit 69", () => {
    const missing = cluster().url.replace("/gateway?", "/no_such_db?");
    const run = runFromEmptyDir("src/cli/main.ts", ["supplier", "list", "--json"], missing);
    expect(run.status).toBe(69);
    const answer = JSON.parse(run.stdout.trim()) as { ok: boolean; error: { kind: string; message: string } };
    expect(answer.error.kind).toBe("database");
    expect(answer.error.message).toMatch(/no_such_db.*: database "no_such_db" does not exist$/);
    expect(run.created).toEqual([]);
  });

  it("migrates it and serves: /readyz ready, then SIGTERM exits 0; no SQLite file is made", async () => {
    const cwd = emptyDir();
    const child = spawn(process.execPath, ["--import", TSX, join(REPO, "src/main.ts")], {
      cwd,
      env: { ...process.env, DATABASE_URL: cluster().url, ...ENTRY_ENV, SCHEDULER_ENABLED: "true" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    try {
      let url: string | undefined;
      const until = Date.now() + 60_000;
      while (!(url = /"url":"(http:\/\/[^"]+)"/.exec(out)?.[1]) && child.exitCode === null && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(url, out).toBeDefined();
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: "ready", checks: { database: { ok: true }, migrations: { ok: true } } });
      child.kill("SIGTERM");
      expect(await exited, out).toBe(0);
      expect(out).toMatch(/"event":"server.stopped"/);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    expect(readdirSync(cwd).filter((f) => f !== "master.key")).toEqual([]);
    const db = new pg.Client({ connectionString: cluster().url });
    await db.connect();
    try {
      // Reference data was seeded into PostgreSQL, not anywhere else.
      const { rows } = await db.query<{ n: string }>("SELECT COUNT(*) AS n FROM catalogs");
      expect(Number(rows[0]?.n)).toBeGreaterThan(0);
    } finally {
      await db.end();
    }
  }, 120_000);
});
