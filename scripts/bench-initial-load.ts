import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createProgressLine } from "../src/cli/progress-line.js";
import { loadConfig } from "../src/config/config.js";
import { createContainer } from "../src/container.js";
import { silentLogger } from "../src/lib/logger.js";
import { creditCodeCheckChar } from "../src/security/credit-code.js";
import { startPgCluster } from "../tests/helpers/pg-cluster.js";
import { benchDatabaseOptions, databaseLabel, delayedDatabase } from "./bench-database.js";
import { BENCH_ACCOUNT, BENCH_DOMAIN, procCpuSeconds, startBenchSupplier } from "./bench-supplier-process.js";

/**
 * Initial load (issue 13 §3.3): one supplier announcing --products skus (type 6 state 1, every sku
 * the reference supplier's generator seeded) at a --qps limit, which the supplier enforces for all
 * its endpoints together (over the limit it answers 5099 请求过于频繁) and the connection is set to.
 * The supplier runs in its own process; the gateway (puller, store) in this one.
 * Prints, each against its goal as a ratio:
 *   - calls/s over the run ÷ the limit (goal ≥ 0.90);
 *   - supplier calls ÷ the §3 minimum (goal ≤ 1.05): a token, the type-6 pages and one empty page
 *     per type (S-2), a delete per page (S-3), S-4 + S-5 per sku, S-6/S-7/S-9/S-10 per 100 skus;
 *   - RSS of this process sampled through the run: start, peak, end, and the slope over the second
 *     half (goal: flat, ≤ 1 MB/min);
 * and the machine's load (`uptime`) before and after. On a terminal the run shows the CLI's progress line.
 * With --token-ttl the supplier's tokens live that many seconds (§2.1 expires_in): the client renews
 * them as the run goes, and the summary counts logins and calls refused 5005 (goal: none).
 * --postgres: the gateway's database is a throwaway local PostgreSQL cluster (tests/helpers/pg-cluster.ts)
 * instead of a SQLite file; --rtt-ms N puts a delay proxy of N/2 ms each way between them (scripts/bench-database.ts).
 * Usage: npm run bench:initial-load -- [--products 100000] [--qps 200] [--concurrency 16] [--latency-ms 0] [--token-ttl 43200] [--postgres [--rtt-ms N]]
 */
const { values } = parseArgs({
  options: {
    products: { type: "string", default: "100000" },
    qps: { type: "string", default: "200" },
    concurrency: { type: "string", default: "16" },
    "latency-ms": { type: "string", default: "0" },
    "invalid-share": { type: "string", default: "0.1" },
    "token-ttl": { type: "string", default: "43200" },
    postgres: { type: "boolean", default: false },
    "rtt-ms": { type: "string" },
  },
});
const DATABASE = benchDatabaseOptions("bench-initial-load", values.postgres, values["rtt-ms"]);
const PRODUCTS = Number(values.products);
const QPS = Number(values.qps);
const CONCURRENCY = Number(values.concurrency);
const LATENCY_MS = Number(values["latency-ms"]);
const INVALID_SHARE = Number(values["invalid-share"]);
const TOKEN_TTL_SECONDS = Number(values["token-ttl"]);
for (const [name, n] of Object.entries({ products: PRODUCTS, qps: QPS, concurrency: CONCURRENCY, "latency-ms": LATENCY_MS, "token-ttl": TOKEN_TTL_SECONDS })) {
  if (!Number.isInteger(n) || n < 0 || (name !== "latency-ms" && n < 1)) {
    console.error(`bench-initial-load: --${name} must be a whole number`);
    process.exit(64);
  }
}

const GOALS = { qpsShare: 0.9, callsOverMinimum: 1.05, rssSlopeMbPerMin: 1 };
const PAGE = 100; // §3: messages a page, ids a delete, skus a batch call
const POLLED_TYPES = 4; // a drain asks each type until an empty page
const BATCH_CALLS_PER_100 = 4; // S-6, S-7, S-9, S-10
const RSS_SAMPLE_MS = 1_000;
const MB = 1024 * 1024;

/** The §3 minimum for N added skus (see the header). */
const minimumCalls = (n: number) => 1 + Math.ceil(n / PAGE) + POLLED_TYPES + Math.ceil(n / PAGE) + 2 * n + BATCH_CALLS_PER_100 * Math.ceil(n / PAGE);

/** Least-squares slope of RSS against time, in MB a minute. */
function slopeMbPerMin(samples: ReadonlyArray<{ at: number; rss: number }>): number {
  if (samples.length < 2) return 0;
  const meanT = samples.reduce((s, x) => s + x.at, 0) / samples.length;
  const meanR = samples.reduce((s, x) => s + x.rss, 0) / samples.length;
  let num = 0;
  let den = 0;
  for (const x of samples) {
    num += (x.at - meanT) * (x.rss - meanR);
    den += (x.at - meanT) ** 2;
  }
  return den === 0 ? 0 : ((num / den) * 60_000) / MB;
}

const uptime = () => {
  try {
    return execFileSync("uptime", { encoding: "utf8" }).trim();
  } catch {
    return "(uptime unavailable)";
  }
};

async function main(): Promise<void> {
  const loadBefore = uptime();
  const dir = mkdtempSync(join(tmpdir(), "emall-bench-initial-load-"));
  const seeding = Date.now();
  const supplier = await startBenchSupplier(PRODUCTS, ["--invalid-share", String(INVALID_SHARE)]);
  console.error(
    `supplier: ${PRODUCTS.toLocaleString("en")} products seeded in ${((Date.now() - seeding) / 1000).toFixed(1)} s, ${supplier.pending.toLocaleString("en")} messages in its pool`,
  );
  const cluster = DATABASE.postgres ? await startPgCluster() : null;
  const delayed = cluster && DATABASE.rttMs !== null ? await delayedDatabase(cluster, "gateway", DATABASE.rttMs) : null;
  const databaseUrl = delayed?.url ?? cluster?.url ?? join(dir, "gateway.db");
  const container = await createContainer(
    loadConfig({ DATABASE_URL: databaseUrl, DATA_ENCRYPTION_KEY_FILE: join(dir, "master.key"), SCHEDULER_ENABLED: "false", LOG_LEVEL: "warn" }),
    silentLogger(),
  );
  try {
    await fetch(`${supplier.url}/_sim/knobs`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ supplierQps: QPS, endpoints: { "*": { latencyMs: LATENCY_MS } }, tokenTtlSeconds: TOKEN_TTL_SECONDS }),
    });
    await container.referenceLoader.seedIfEmpty("./fixtures");
    const first17 = "91120116MA05BENC1";
    await container.supplierAccounts.create({
      code: "BENCH",
      name: "压测电商",
      creditCode: first17 + (creditCodeCheckChar(first17) ?? "0"),
      domains: [BENCH_DOMAIN],
    });
    await container.supplierConnections.connect({
      code: "BENCH",
      baseUrl: supplier.url,
      ...BENCH_ACCOUNT,
      signMode: "hmac-sha256",
      qps: QPS,
      maxConcurrent: CONCURRENCY,
      timeoutMs: 10_000,
    });
    // Throughput is measured here, not certification: the gate is waived with the reason recorded.
    await container.conformance.waive("BENCH", "initial-load benchmark against the reference supplier", "bench-initial-load");

    const samples: Array<{ at: number; rss: number }> = [];
    const sample = () => samples.push({ at: performance.now(), rss: process.memoryUsage().rss });
    sample();
    const sampler = setInterval(sample, RSS_SAMPLE_MS);
    const progress = createProgressLine(process.stderr);
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const supplierCpuBefore = procCpuSeconds(supplier.child.pid ?? 0);
    // The last page stored ends the pull phase (S-2/S-3 are sequential by contract); applying follows.
    let pulledAt = started;
    let attempt;
    try {
      attempt = await container.sync.pull("BENCH", "manual", (event) => {
        if (event.phase === "pull") pulledAt = performance.now();
        progress.update(event);
      });
    } finally {
      progress.end();
      clearInterval(sampler);
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuShare = (cpu.user + cpu.system) / 1e6 / seconds;
    const supplierCpuShare = (procCpuSeconds(supplier.child.pid ?? 0) - supplierCpuBefore) / seconds;
    sample();
    if (!attempt.ran) throw new Error("lease busy");
    const s = attempt.summary;

    const minimum = minimumCalls(PRODUCTS);
    const callsPerSecond = s.callsMade / seconds;
    const [start, end] = [samples[0], samples.at(-1)];
    const peak = Math.max(...samples.map((x) => x.rss));
    const half = samples.filter((x) => x.at >= started + (performance.now() - started) / 2);
    const slope = slopeMbPerMin(half);
    const calls = await container.sync.callsOf(s.runId);
    const tooFast = calls.filter((c) => c.message?.includes("频繁")).length;
    const tokenExpired = calls.filter((c) => c.errorCode === 5005).length;
    const c6 = s.counts["6"];
    const mb = (b: number | undefined) => `${((b ?? 0) / MB).toFixed(0)} MB`;
    console.log(
      [
        "",
        `initial load: ${PRODUCTS.toLocaleString("en")} type-6 messages at ${QPS} QPS (supplier-enforced, connection maxConcurrent ${CONCURRENCY}, supplier latency ${LATENCY_MS} ms, tokens living ${TOKEN_TTL_SECONDS} s)${DATABASE.postgres ? `, database ${databaseLabel(DATABASE)}` : ""}`,
        `  run ${s.status} in ${seconds.toFixed(1)} s (pull ≈${((pulledAt - started) / 1000).toFixed(1)} s, apply ${((performance.now() - pulledAt) / 1000).toFixed(1)} s) → ${Math.round(PRODUCTS / seconds).toLocaleString("en")} msgs/s; CPU of one core: gateway ${(cpuShare * 100).toFixed(0)} %, supplier ${(supplierCpuShare * 100).toFixed(0)} %; received ${c6?.received ?? 0}, applied ${c6?.applied ?? 0}, rejected ${c6?.rejected ?? 0}, failed ${c6?.failed ?? 0}; pending after ${s.pendingInInbox}; errors ${s.errors.length}`,
        `  QPS used:  ${callsPerSecond.toFixed(1)} calls/s ÷ ${QPS} = ${(callsPerSecond / QPS).toFixed(3)} (goal ≥ ${GOALS.qpsShare} → ${(callsPerSecond / QPS / GOALS.qpsShare).toFixed(3)}× of goal)`,
        `  calls:     ${s.callsMade.toLocaleString("en")} ÷ minimum ${minimum.toLocaleString("en")} = ${(s.callsMade / minimum).toFixed(4)}× (goal ≤ ${GOALS.callsOverMinimum}×); ${tooFast} refused as too fast  ${JSON.stringify(s.callsByOperation)}`,
        `  tokens:    ${s.callsByOperation.token ?? 0} logins; ${tokenExpired} calls refused 5005 token_expired (goal 0)`,
        `  memory:    RSS start ${mb(start?.rss)}, peak ${mb(peak)}, end ${mb(end?.rss)}; second-half slope ${slope.toFixed(2)} MB/min (goal ≤ ${GOALS.rssSlopeMbPerMin} MB/min → ${(slope / GOALS.rssSlopeMbPerMin).toFixed(2)}×; ${samples.length} samples)`,
        `  load before: ${loadBefore}`,
        `  load after:  ${uptime()}`,
        "",
      ].join("\n"),
    );
  } finally {
    await container.supplierConnections.closeAll();
    container.close();
    supplier.child.disconnect();
    await delayed?.proxy.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
