import { execFile, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";

const run = promisify(execFile);

/**
 * A throwaway PostgreSQL cluster for one test file: its own temp directory, reachable only through a
 * unix socket inside it (no TCP port, so parallel test files never collide), trust auth, fsync off.
 */
export type PgCluster = {
  /** postgres:// URL of the cluster's `gateway` database. */
  readonly url: string;
  readonly socketDir: string;
  /** The server's socket itself, in socketDir: where a proxy in front of the cluster connects. */
  readonly socketPath: string;
  /** Creates another empty database in the cluster and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server as an operator would (`pg_ctl stop -m fast`), keeping its data; `startServer` brings it back. */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  stop(): Promise<void>;
};

const SUPERUSER = "postgres";
const START_TIMEOUT_S = 60;
/** The cluster sets no port: the server's socket file is named after PostgreSQL's default one. */
const DEFAULT_PORT = 5432;

/** PG_BIN, else PostgreSQL 15's Debian path, else the newest installed major. */
export function pgBinDir(): string | null {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const preferred = "/usr/lib/postgresql/15/bin";
  if (existsSync(join(preferred, "initdb"))) return preferred;
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const majors = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] ? join(root, majors[0], "bin") : null;
}

export function databaseUrl(socketDir: string, database: string): string {
  // The host is a placeholder: the `host` parameter, a socket directory, is what pg connects to.
  return `postgres://${SUPERUSER}@localhost/${database}?host=${encodeURIComponent(socketDir)}`;
}

export async function startPgCluster(): Promise<PgCluster> {
  const bin = pgBinDir();
  if (!bin) throw new Error("PostgreSQL server binaries not found (install postgresql-15 or set PG_BIN)");
  const dir = mkdtempSync(join(tmpdir(), "emall-pg-"));
  const dataDir = join(dir, "data");
  // initdb refuses to run as root: as root, the cluster belongs to the postgres OS user.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout } = await run("id", ["-u", SUPERUSER]);
    const { stdout: gid } = await run("id", ["-g", SUPERUSER]);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const pgTool = (tool: string, args: string[]) =>
    asRoot ? run("runuser", ["-u", SUPERUSER, "--", join(bin, tool), ...args], { cwd: dir }) : run(join(bin, tool), args, { cwd: dir });

  const serverOptions = [
    "-c listen_addresses=''",
    `-c unix_socket_directories='${dir}'`,
    "-c fsync=off",
    "-c synchronous_commit=off",
    "-c full_page_writes=off",
    "-c max_connections=300",
  ].join(" ");
  const startServer = async () => {
    await pgTool("pg_ctl", ["start", "-D", dataDir, "-w", "-t", String(START_TIMEOUT_S), "-l", join(dir, "server.log"), "-o", serverOptions]);
  };
  try {
    await pgTool("initdb", ["-D", dataDir, "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"]);
    await startServer();
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  const createDatabase = async (name: string) => {
    const admin = new pg.Client({ connectionString: databaseUrl(dir, "postgres") });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${name.replace(/"/g, "")}"`);
    } finally {
      await admin.end();
    }
    return databaseUrl(dir, name);
  };

  let url: string;
  try {
    url = await createDatabase("gateway");
  } catch (e) {
    await pgTool("pg_ctl", ["stop", "-D", dataDir, "-m", "immediate"]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  // A test process that ends without stop() (a failed hook, a crash) still takes its cluster with it.
  const stopOnExit = () => {
    const [command, args] = asRoot ? (["runuser", ["-u", SUPERUSER, "--", join(bin, "pg_ctl")]] as const) : ([join(bin, "pg_ctl"), []] as const);
    spawnSync(command, [...args, "stop", "-D", dataDir, "-m", "immediate"], { cwd: dir, stdio: "ignore" });
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", stopOnExit);

  return {
    url,
    socketDir: dir,
    socketPath: join(dir, `.s.PGSQL.${DEFAULT_PORT}`),
    createDatabase,
    stopServer: async () => {
      await pgTool("pg_ctl", ["stop", "-D", dataDir, "-m", "fast", "-w"]);
    },
    startServer,
    stop: async () => {
      process.removeListener("exit", stopOnExit);
      try {
        await pgTool("pg_ctl", ["stop", "-D", dataDir, "-m", "immediate", "-w"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * A throwaway cluster for the enclosing file or describe block: started before its tests, stopped
 * after them. Answers the running cluster.
 */
export function useThrowawayCluster(): () => PgCluster {
  let cluster: PgCluster | undefined;
  beforeAll(async () => {
    cluster = await startPgCluster();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  return () => {
    if (!cluster) throw new Error("the cluster is not running (used outside a test?)");
    return cluster;
  };
}
