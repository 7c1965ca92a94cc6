import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, databaseTarget, loadConfig } from "../../src/config/config.js";

/**
 * DATABASE_URL selects the store: a postgres:// or postgresql:// URL is PostgreSQL, anything else a
 * SQLite path. Until the repositories run on PostgreSQL, a start with such a URL stops in one line
 * and leaves nothing on disk (it used to open a SQLite file named "postgres:/…").
 */
const REPO = resolve(".");
const TSX = pathToFileURL(join(REPO, "node_modules/tsx/dist/loader.mjs")).href;
const PG_URL = "postgres://gateway:s3cret-pw@127.0.0.1:1/gateway";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs an entry point of the repository from an empty temp directory, so anything it creates shows. */
function runFromEmptyDir(entry: string, args: string[], databaseUrl: string) {
  const cwd = mkdtempSync(join(tmpdir(), "emall-dburl-"));
  dirs.push(cwd);
  const result = spawnSync(process.execPath, ["--import", TSX, join(REPO, entry), ...args], {
    cwd,
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: "0", NODE_ENV: "test", LOG_LEVEL: "info", FIXTURES_DIR: join(REPO, "fixtures"), DATA_ENCRYPTION_KEY_FILE: "./master.key" },
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

describe("starting with a PostgreSQL DATABASE_URL", () => {
  it("stops the gateway with one clear line and exit 78, creating nothing", () => {
    const run = runFromEmptyDir("src/main.ts", [], PG_URL);
    const errLines = run.stderr.trim().split("\n");
    expect(errLines).toEqual([expect.stringMatching(/^DATABASE_URL selects PostgreSQL, which this version cannot run on yet .*set DATABASE_URL to a SQLite file path$/)]);
    expect(run.status).toBe(78);
    expect(run.stdout).not.toMatch(/listening/);
    expect(run.stderr + run.stdout).not.toContain("s3cret-pw");
    expect(run.created).toEqual([]);
  });

  it("stops the CLI the same way, as a config error in its JSON answer", () => {
    const run = runFromEmptyDir("src/cli/main.ts", ["supplier", "list", "--json"], "postgresql://gateway@db.internal/gateway");
    expect(run.status).toBe(78);
    const last = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "null") as { ok: boolean; error: { kind: string; message: string } };
    expect(last.ok).toBe(false);
    expect(last.error.kind).toBe("config");
    expect(last.error.message).toMatch(/^DATABASE_URL selects PostgreSQL/);
    expect(run.created).toEqual([]);
  });

  it("still starts on a SQLite path (the same run, only DATABASE_URL differs)", () => {
    const run = runFromEmptyDir("src/cli/main.ts", ["supplier", "list", "--json"], "./gateway.db");
    expect(run.status).toBe(0);
    expect(run.created).toContain("gateway.db");
  });
});
