import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import autocannon from "autocannon";
import { formatBeijingTimestamp, signRequest } from "../src/contract/index.js";
import { loadConfig } from "../src/config/config.js";
import { createContainer } from "../src/container.js";
import { newNonce } from "../src/lib/ids.js";
import { silentLogger } from "../src/lib/logger.js";
import type { DelayProxyProcess } from "../tests/helpers/delay-proxy.js";
import { type PgCluster, startPgCluster } from "../tests/helpers/pg-cluster.js";
import { benchDatabaseOptions, delayedDatabase } from "./bench-database.js";
import { freePort } from "./free-port.js";
import type { GcFigures } from "./gc-window.js";

/**
 * Signed, token-verified mall calls against a bare express endpoint serving the same bytes, in one
 * run, each server in its own process (the fixed-rate phase runs first, printed second):
 *   1. saturation (autocannon, closed loop): requests/s, p50/p99, server CPU per request, ratios;
 *   2. fixed offered load (--rate, default 300/s), open loop: every request is sent at its scheduled
 *      time whatever the earlier ones are doing, and its latency counts from that time, so a stall
 *      shows in every request it delays (no coordinated omission). autocannon's overallRate is not
 *      used for this: it measures from when it sent, and it sends late when connections are busy.
 * Usage: npm run bench:mall [-- --seconds 10 --connections 50 --rate 300 --rate-seconds 10 --only brands|catalogs --log-level warn] [--postgres [--rtt-ms N]]
 * (--seconds 0 skips the saturation phase, --rate 0 the fixed-rate one.)
 * --postgres: a second gateway, on a throwaway local PostgreSQL cluster over its unix socket, serves
 * the same signed /brands in both phases, after the SQLite one; the run ends with PostgreSQL's
 * figures as ratios of SQLite's. --rtt-ms N: a third gateway reaches the cluster through a delay
 * proxy adding N/2 ms each way (scripts/bench-database.ts), its figures also as a ratio of the local
 * cluster's. Each gateway has a database of its own; catalogs are measured on SQLite only.
 */
const args = new Map(process.argv.slice(2).flatMap((a, i, all) => (a.startsWith("--") ? [[a.slice(2), all[i + 1] ?? ""]] : [])));
const SECONDS = Number(args.get("seconds") ?? 10);
const CONNECTIONS = Number(args.get("connections") ?? 50);
/** --only brands|catalogs: one signed endpoint (with the baseline), e.g. while profiling. */
const ONLY = args.get("only");
const RATE = Number(args.get("rate") ?? 300);
const RATE_SECONDS = Number(args.get("rate-seconds") ?? 10);
const WARMUP_SECONDS = 2;
/** The gateway's LOG_LEVEL; at info and below it writes an access line per request, to BENCH dir/gateway.log. */
const LOG_LEVEL = args.get("log-level") ?? "warn";
const QUIET_LEVELS = new Set(["warn", "error", "fatal", "silent"]);
const GOALS = { saturationRatio: 0.6, fixedRateP99Ms: 10 };
const DATABASE = benchDatabaseOptions("bench-mall-api", args.has("postgres"), args.get("rtt-ms"));
/** Issue 20's goals: PostgreSQL local ≥ 0.75× SQLite's req/s; 1 ms each way ≥ 0.5× local's, p99 ≤ 25 ms at 300/s. */
const PG_GOALS = { localRatio: 0.75, awayRatio: 0.5, awayP99Ms: 25 };
/** Rows name a gateway on PostgreSQL after the endpoint: wider names, wider first column. */
const NAME_WIDTH = DATABASE.postgres ? 30 : 24;

/** Where the servers' GC probes (scripts/bench-gc-probe.ts) write their figures. */
let gcDir = "";

async function startProcess(
  script: string,
  env: Record<string, string>,
  stdout: "inherit" | number = "inherit",
): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  // BENCH_CPU_PROFILE_DIR=dir writes a V8 CPU profile of each server, to see where its time goes.
  const profile = process.env.BENCH_CPU_PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE_DIR}`] : [];
  // BENCH_NODE_FLAGS="--trace-gc" (or any V8/Node flags) for the servers only.
  const extra = process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(" ").filter(Boolean) : [];
  const probe = ["--import", pathToFileURL(resolve("scripts/bench-gc-probe.ts")).href];
  const child = spawn(process.execPath, [...profile, ...extra, "--import", "tsx", ...probe, script], {
    env: { ...process.env, ...env, PORT: String(port), BENCH_GC_DIR: gcDir },
    stdio: ["ignore", stdout, "inherit"],
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${script} exited ${child.exitCode}`);
    const up = await fetch(`http://127.0.0.1:${port}/`, { method: "POST" }).then(
      () => true,
      () => false,
    );
    if (up) return { child, port };
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill();
  throw new Error(`${script} did not start listening on ${port}`);
}

type Result = {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  refused: number;
  cpuUsPerRequest: number;
  gc: GcFigures;
  requests: number;
};

/**
 * The server's GC figures since the previous call: the probe in the server answers SIGUSR2 by
 * writing them, so a phase is bracketed by two calls.
 */
async function gcSince(pid: number): Promise<GcFigures> {
  const file = join(gcDir, `gc-${pid}.json`);
  const serialOf = () => (existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { serial: number }).serial : 0);
  const before = serialOf();
  process.kill(pid, "SIGUSR2");
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    try {
      const figures = JSON.parse(readFileSync(file, "utf8")) as GcFigures & { serial: number };
      if (figures.serial > before) return figures;
    } catch {
      // not written yet, or caught mid-write
    }
  }
  throw new Error(`no GC figures from ${pid}`);
}

/** GC per 1,000 requests: scavenges and mark-compacts (count, pause ms), and old space filled per request. */
function gcLine(gc: GcFigures, requests: number): string {
  const per = 1000 / Math.max(1, requests);
  const pauseMs = gc.minor.pauseMs + gc.major.pauseMs + gc.incremental.pauseMs;
  return (
    `scavenges ${(gc.minor.count * per).toFixed(1)} (${(gc.minor.pauseMs * per).toFixed(1)} ms), ` +
    `mark-compacts ${(gc.major.count * per).toFixed(2)} (${((gc.major.pauseMs + gc.incremental.pauseMs) * per).toFixed(1)} ms with incremental steps), ` +
    `all pauses ${(pauseMs * per).toFixed(1)} ms; old space filled ${(gc.oldSpaceFilledBytes / Math.max(1, requests) / 1024).toFixed(2)} KB/request`
  );
}

const load = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(" ");

/**
 * The server's own CPU time (user + system, from /proc) per request. On two cores the load
 * generator shares the machine and can be the limit, so req/s alone understates what a server
 * can do; CPU per request is the capacity figure that does not depend on the client.
 */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return Number(fields[11]) + Number(fields[12]);
}
const TICKS_PER_SECOND = 100;

/**
 * Signed bodies are made before the run, each with its own nonce, so the load generator spends
 * no more per request on a signed call than on the bare one and the ratio measures the server.
 */
const SIGNED_BODIES_PER_RUN = 150_000;

type OpenLoopResult = {
  name: string;
  sent: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  failed: number;
  refused: number;
  /** The load generator's own event-loop delay, p99 and max (ms): a stall here delays sends and reads, and shows in every latency. */
  clientDelayP99: number;
  clientDelayMax: number;
  cpuUsPerRequest?: number;
  gc?: GcFigures;
};

/**
 * Open loop at a fixed rate: request i is due at start + i/rate and is sent then (on a fresh
 * connection if every open one is busy); its latency runs from when it was due to its last byte.
 */
async function openLoop(name: string, url: string, body: () => string, rate: number, seconds: number): Promise<OpenLoopResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1_000 });
  const total = Math.round(rate * seconds);
  const latencies = new Float64Array(total);
  const intervalMs = 1000 / rate;
  let failed = 0;
  let refused = 0;
  let done = 0;
  const target = new URL(url);
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const start = performance.now() + 100;
  await new Promise<void>((resolve) => {
    const finish = (i: number, ms: number) => {
      latencies[i] = ms;
      if (++done === total) resolve();
    };
    const send = (i: number, due: number) => {
      const payload = body();
      const req = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: "POST",
          agent,
          headers: { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(payload) },
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (text += c));
          res.on("end", () => {
            if (!text.startsWith('{"success":true')) refused++;
            finish(i, performance.now() - due);
          });
        },
      );
      req.on("error", () => {
        failed++;
        finish(i, performance.now() - due);
      });
      req.end(payload);
    };
    let issued = 0;
    const tick = () => {
      const now = performance.now();
      while (issued < total && start + issued * intervalMs <= now) {
        send(issued, start + issued * intervalMs);
        issued++;
      }
      if (issued < total) setTimeout(tick, Math.max(0, start + issued * intervalMs - performance.now()));
    };
    setTimeout(tick, Math.max(0, start - performance.now()));
  });
  delay.disable();
  agent.destroy();
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return {
    name,
    sent: total,
    p50: at(0.5),
    p99: at(0.99),
    p999: at(0.999),
    max: sorted[sorted.length - 1] ?? 0,
    failed,
    refused,
    clientDelayP99: delay.percentile(99) / 1e6,
    clientDelayMax: delay.max / 1e6,
  };
}

async function run(name: string, url: string, body: () => string, serverPid: number): Promise<Result> {
  let refused = 0;
  await gcSince(serverPid);
  const ticksBefore = cpuTicks(serverPid);
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [
      {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        setupRequest: (req) => ({ ...req, body: body() }),
        // Failures are HTTP 200 envelopes (§1), so success is read from the body, not the status.
        onResponse: (_status, responseBody) => {
          if (!responseBody.startsWith('{"success":true')) refused++;
        },
      },
    ],
  });
  const cpuSeconds = (cpuTicks(serverPid) - ticksBefore) / TICKS_PER_SECOND;
  const gc = await gcSince(serverPid);
  const cpuUsPerRequest = (cpuSeconds * 1e6) / Math.max(1, result.requests.total);
  return {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
    refused,
    cpuUsPerRequest,
    gc,
    requests: result.requests.total,
  };
}

/** A gateway process on one database, with the token of the bench supplier it was seeded with. */
type Gateway = {
  child: ChildProcess;
  port: number;
  base: string;
  /** Signed bodies for one run, each with its own nonce, handed out in turn. */
  signed: (fields: Record<string, string>, count?: number) => () => string;
};

/**
 * Seeds `seedUrl` (the reference data and the bench supplier), starts the gateway on `gatewayUrl`
 * (the same database, or the same through a delay proxy) and logs the supplier in.
 */
async function startGateway(dir: string, seedUrl: string, gatewayUrl: string): Promise<Gateway> {
  const env = { DATABASE_URL: seedUrl, DATA_ENCRYPTION_KEY_FILE: join(dir, "master.key"), LOG_LEVEL };
  const container = await createContainer(loadConfig(env), silentLogger());
  await container.referenceLoader.seedIfEmpty("./fixtures");
  const { credentials } = await container.supplierAccounts.create({
    code: "BENCH",
    name: "压测电商",
    creditCode: "91110000802100433B",
    domains: ["item.bench.cn"],
  });
  await container.close();

  const { child, port } = await startProcess(
    "src/main.ts",
    { ...env, DATABASE_URL: gatewayUrl },
    QUIET_LEVELS.has(LOG_LEVEL) ? "inherit" : openSync(join(dir, "gateway.log"), "a"),
  );
  const base = `http://127.0.0.1:${port}`;
  const tokenFields = { username: credentials.username, password: credentials.password, timestamp: formatBeijingTimestamp(Date.now()), nonce: newNonce() };
  const login = await fetch(`${base}/gyssc/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...tokenFields, sign: signRequest(credentials.appSecret, tokenFields) }),
  });
  const token = ((await login.json()) as { result: { access_token: string } }).result.access_token;
  const signed = (fields: Record<string, string>, count = SIGNED_BODIES_PER_RUN) => {
    const timestamp = formatBeijingTimestamp(Date.now());
    const bodies = Array.from({ length: count }, () => {
      const all = { token, timestamp, nonce: newNonce(), ...fields };
      return new URLSearchParams({ ...all, sign: signRequest(credentials.appSecret, all) }).toString();
    });
    let next = 0;
    return () => bodies[next++ % bodies.length] ?? "";
  };
  return { child, port, base, signed };
}

/** With --postgres, the gateways beside the SQLite one: a row name for each and its process. */
type PgGateway = Gateway & { name: string; away: boolean };

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "emall-bench-"));
  gcDir = dir;
  const gateway = await startGateway(dir, join(dir, "gateway.db"), join(dir, "gateway.db"));
  const { base, signed } = gateway;
  let bare: { child: ChildProcess; port: number } | undefined;
  let cluster: PgCluster | null = null;
  let proxy: DelayProxyProcess | null = null;
  const pgGateways: PgGateway[] = [];
  try {
    if (DATABASE.postgres) {
      cluster = await startPgCluster();
      pgGateways.push({ ...(await startGateway(dir, cluster.url, cluster.url)), name: "brands (signed) PG", away: false });
      if (DATABASE.rttMs !== null) {
        // A database of its own, seeded directly; only the gateway's statements take the proxy.
        const seedUrl = await cluster.createDatabase("gateway_away");
        const delayed = await delayedDatabase(cluster, "gateway_away", DATABASE.rttMs);
        proxy = delayed.proxy;
        pgGateways.push({ ...(await startGateway(dir, seedUrl, delayed.url)), name: `brands (signed) PG ${DATABASE.rttMs} ms RTT`, away: true });
      }
    }
    // The baseline serves the exact bytes of a signed /brands answer, so both write the same body.
    const sample = await fetch(`${base}/brands`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: signed({}, 1)() });
    const bodyFile = join(dir, "brands-answer.json");
    writeFileSync(bodyFile, await sample.text());
    bare = await startProcess("scripts/bench-bare-server.ts", { BENCH_BODY_FILE: bodyFile });
    const bareUrl = `http://127.0.0.1:${bare.port}/bare`;

    const gatewayPid = gateway.child.pid ?? 0;
    // The open loop runs first, while the load generator's heap holds only its few thousand bodies:
    // collecting the saturation runs' 150,000 would stall the sender and show in every latency.
    const loadBeforeOpenLoop = load();
    const fixed: OpenLoopResult[] = [];
    if (RATE > 0) {
      // Each server first gets WARMUP_SECONDS of the same load, not counted: JIT and connections.
      const bodies = Math.ceil(RATE * (RATE_SECONDS + WARMUP_SECONDS));
      const servers: Array<readonly [string, string, () => string, number]> = [
        ["bare express, same bytes", bareUrl, () => "a=1", bare.child.pid ?? 0],
        ["brands (signed)", `${base}/brands`, signed({}, bodies), gatewayPid],
        ...pgGateways.map((g) => [g.name, `${g.base}/brands`, g.signed({}, bodies), g.child.pid ?? 0] as const),
      ];
      for (const [name, url, body, pid] of servers) {
        await openLoop(name, url, body, RATE, WARMUP_SECONDS);
        await gcSince(pid);
        const ticksBefore = cpuTicks(pid);
        const r = await openLoop(name, url, body, RATE, RATE_SECONDS);
        r.cpuUsPerRequest = (((cpuTicks(pid) - ticksBefore) / TICKS_PER_SECOND) * 1e6) / r.sent;
        r.gc = await gcSince(pid);
        fixed.push(r);
      }
    }
    const loadAfterOpenLoop = load();

    const results: Result[] = [];
    if (SECONDS > 0) {
      results.push(await run("bare express, same bytes", bareUrl, () => "a=1", bare.child.pid ?? 0));
      if (ONLY !== "catalogs") results.push(await run("brands (signed)", `${base}/brands`, signed({}), gatewayPid));
      if (ONLY !== "brands") results.push(await run("catalogs flat (signed)", `${base}/gyssc/platform/catalogs`, signed({}), gatewayPid));
      if (ONLY !== "catalogs") for (const g of pgGateways) results.push(await run(g.name, `${g.base}/brands`, g.signed({}), g.child.pid ?? 0));
    }

    const baseline = results[0] ?? { rps: 1, cpuUsPerRequest: 1 };
    if (results.length > 0) {
      console.log(
        `\n${CONNECTIONS} connections, ${SECONDS} s each, gateway LOG_LEVEL=${LOG_LEVEL}, ${new Date().toISOString()}; load average (1/5/15 min) before ${loadAfterOpenLoop}, after ${load()}`,
      );
      console.log(`${"endpoint".padEnd(NAME_WIDTH + 2)}req/s   ratio  p50 ms  p99 ms  server CPU µs/req  capacity ratio  errors/non-2xx/refused`);
      for (const r of results) {
        console.log(
          `${r.name.padEnd(NAME_WIDTH)}  ${r.rps.toFixed(0).padStart(6)}  ${(r.rps / baseline.rps).toFixed(2).padStart(5)}  ${String(r.p50).padStart(6)}  ${String(r.p99).padStart(6)}  ${r.cpuUsPerRequest.toFixed(0).padStart(17)}  ${(baseline.cpuUsPerRequest / r.cpuUsPerRequest).toFixed(2).padStart(14)}  ${r.errors}/${r.non2xx}/${r.refused}`,
        );
      }
      console.log("ratio: req/s against bare; capacity ratio: bare's server CPU per request over this one's (1/CPU = the most req/s one core serves)");
      for (const r of results) console.log(`GC per 1,000 requests, ${r.name}: ${gcLine(r.gc, r.requests)}`);
      const brands = results.find((r) => r.name.startsWith("brands"));
      if (brands) {
        const ratio = brands.rps / baseline.rps;
        const capacity = baseline.cpuUsPerRequest / brands.cpuUsPerRequest;
        console.log(
          `goal: brands at saturation ≥ ${GOALS.saturationRatio} of bare: req/s ratio ${ratio.toFixed(2)} (${(ratio / GOALS.saturationRatio).toFixed(2)} of the goal), capacity ratio ${capacity.toFixed(2)} (${(capacity / GOALS.saturationRatio).toFixed(2)} of the goal)`,
        );
      }
    }
    if (fixed.length > 0) {
      console.log(
        `\nopen loop, ${RATE} requests/s offered for ${RATE_SECONDS} s, latency from each request's scheduled start; load average before ${loadBeforeOpenLoop}, after ${loadAfterOpenLoop}`,
      );
      console.log(
        `${"endpoint".padEnd(NAME_WIDTH + 2)}sent   p50 ms  p99 ms  p99.9 ms  max ms  failed/refused  server CPU µs/req  client loop delay p99/max ms`,
      );
      for (const r of fixed) {
        console.log(
          `${r.name.padEnd(NAME_WIDTH)}  ${String(r.sent).padStart(5)}  ${r.p50.toFixed(2).padStart(6)}  ${r.p99.toFixed(2).padStart(6)}  ${r.p999.toFixed(2).padStart(8)}  ${r.max.toFixed(1).padStart(6)}  ${`${r.failed}/${r.refused}`.padStart(14)}  ${(r.cpuUsPerRequest ?? 0).toFixed(0).padStart(17)}  ${r.clientDelayP99.toFixed(1)}/${r.clientDelayMax.toFixed(1)}`,
        );
      }
      for (const r of fixed) if (r.gc) console.log(`GC per 1,000 requests, ${r.name}: ${gcLine(r.gc, r.sent)}`);
      const signedP99 = fixed.find((r) => r.name.startsWith("brands"))?.p99 ?? 0;
      console.log(
        `goal: brands p99 ≤ ${GOALS.fixedRateP99Ms} ms at ${RATE}/s: ${signedP99.toFixed(2)} ms (${(signedP99 / GOALS.fixedRateP99Ms).toFixed(2)} of the limit; bare ${(fixed[0]?.p99 ?? 0).toFixed(2)} ms)`,
      );
    }
    if (DATABASE.postgres) printPostgres(results, fixed, pgGateways);
  } finally {
    gateway.child.kill("SIGTERM");
    bare?.child.kill("SIGTERM");
    // The PostgreSQL gateways go before their database does, so they stop without losing it first.
    await Promise.all(pgGateways.map((g) => stopProcess(g.child)));
    await proxy?.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

/**
 * Signed /brands on PostgreSQL against SQLite in the same run (req/s at saturation, and the server's
 * CPU a request: the gateway's own, not the database server's), and through the delay proxy against
 * the local cluster; then p99 at the offered rate of each. Ratios against issue 20's goals.
 */
function printPostgres(results: readonly Result[], fixed: readonly OpenLoopResult[], pgGateways: readonly PgGateway[]): void {
  const local = pgGateways.find((g) => !g.away);
  const away = pgGateways.find((g) => g.away);
  const saturation = (name: string | undefined) => results.find((r) => r.name === name);
  const sqlite = saturation("brands (signed)");
  const pg = saturation(local?.name);
  const pgAway = saturation(away?.name);
  const lines = [
    `
PostgreSQL, signed /brands, each gateway on its own database (${DATABASE.rttMs === null ? "local cluster" : `local cluster, and through a delay proxy at ${DATABASE.rttMs} ms RTT`}):`,
  ];
  const rps = (r: Result) => `${r.rps.toFixed(0)} req/s (gateway CPU ${r.cpuUsPerRequest.toFixed(0)} µs/req)`;
  if (sqlite && pg) {
    const ratio = pg.rps / sqlite.rps;
    lines.push(
      `  saturation, ${CONNECTIONS} connections: SQLite ${rps(sqlite)}, PostgreSQL ${rps(pg)} → ${ratio.toFixed(2)}× SQLite's (goal ≥ ${PG_GOALS.localRatio}× → ${(ratio / PG_GOALS.localRatio).toFixed(2)} of the goal); capacity ratio ${(sqlite.cpuUsPerRequest / pg.cpuUsPerRequest).toFixed(2)}`,
    );
  }
  if (pg && pgAway) {
    const ratio = pgAway.rps / pg.rps;
    lines.push(
      `  saturation at ${DATABASE.rttMs} ms RTT: ${rps(pgAway)} → ${ratio.toFixed(2)}× local PostgreSQL's (goal ≥ ${PG_GOALS.awayRatio}× at 1 ms each way → ${(ratio / PG_GOALS.awayRatio).toFixed(2)} of the goal)`,
    );
  }
  const p99 = (name: string | undefined) => fixed.find((r) => r.name === name)?.p99;
  const [sqliteP99, pgP99, awayP99] = [p99("brands (signed)"), p99(local?.name), p99(away?.name)];
  if (sqliteP99 !== undefined && pgP99 !== undefined) {
    const parts = [`SQLite ${sqliteP99.toFixed(2)} ms`, `PostgreSQL ${pgP99.toFixed(2)} ms (${(pgP99 / sqliteP99).toFixed(2)}× SQLite's)`];
    if (awayP99 !== undefined) {
      parts.push(
        `PostgreSQL at ${DATABASE.rttMs} ms RTT ${awayP99.toFixed(2)} ms (goal ≤ ${PG_GOALS.awayP99Ms} ms at 1 ms each way → ${(awayP99 / PG_GOALS.awayP99Ms).toFixed(2)} of the limit)`,
      );
    }
    lines.push(`  p99 at ${RATE} requests/s offered, open loop: ${parts.join(", ")}`);
  }
  console.log(lines.join("\n"));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
