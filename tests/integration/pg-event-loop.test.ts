import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../src/container.js";
import type { RunningSimulator } from "../../src/simulator/simulator-server.js";
import { type DelayProxyProcess, proxiedDatabaseUrl, startDelayProxyProcess } from "../helpers/delay-proxy.js";
import { type GatewayProcess, killHard, spawnGateway } from "../helpers/gateway-process.js";
import { probeHealthz } from "../helpers/healthz-prober.js";
import { useThrowawayCluster } from "../helpers/pg-cluster.js";
import { startProcessWorld } from "../helpers/process-world.js";
import { waitFor } from "../helpers/wait.js";

/**
 * A gateway process reaching PostgreSQL through a proxy that adds 1 ms each way, draining a pool of
 * price messages (type 2): its event loop is never held waiting for the database, so /healthz keeps
 * answering at once while the drain's statements travel (issue 20, fault test 4).
 */
const cluster = useThrowawayCluster();
const DATABASE = "eventloop";
const PRICE_MESSAGES = 6_000;
const HEALTHZ_P99_MS = 20;
const CODE = "PGLOOP";

let dir = "";
let sim: RunningSimulator;
let proxy: DelayProxyProcess | undefined;
let gateway: GatewayProcess | undefined;
let container: Container | undefined;
let supplierId = -1;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "emall-pg-loop-"));
  // The products are in before the gateway under test starts: what it drains is type 2 alone.
  const world = await startProcessWorld({
    databaseUrl: await cluster().createDatabase(DATABASE),
    dir,
    code: CODE,
    name: "事件循环测试电商",
    simulator: { products: 200 },
    connection: { qps: 1_000, maxConcurrent: 8, timeoutMs: 5_000 },
  });
  ({ sim, container, supplierId } = world);
  proxy = await startDelayProxyProcess({ target: { path: cluster().socketPath }, oneWayMs: 1 });
  gateway = spawnGateway({ ...world.env, DATABASE_URL: proxiedDatabaseUrl(proxy.port, DATABASE) });
  await gateway.listening;
}, 120_000);

afterAll(async () => {
  if (gateway) await killHard(gateway.process);
  await proxy?.close();
  sim?.sim.stop();
  await sim?.close();
  await container?.close();
  rmSync(dir, { recursive: true, force: true });
});

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.POSITIVE_INFINITY;

describe("the event loop while a drain waits on a distant database", () => {
  it(`answers /healthz with a p99 of at most ${HEALTHZ_P99_MS} ms during a type-2 drain with 1 ms each way to PostgreSQL`, async () => {
    const base = gateway?.url() ?? "";
    const products = sim.sim.exportTruth().products;
    for (let i = 0; i < PRICE_MESSAGES; i++) sim.sim.changes.apply("price", sim.sim.products.get(products[i % products.length]?.sku ?? ""));
    const published = sim.sim.pool.pending();
    expect(published).toBeGreaterThanOrEqual(PRICE_MESSAGES);

    // The scheduler starts a pull within a second; the probes cover the drain from its first page.
    const prober = await probeHealthz(base);
    await waitFor("the drain taking messages", () => sim.sim.pool.pending() < published, 20_000);
    await waitFor("the pool drained", () => sim.sim.pool.pending() === 0, 120_000);
    const times = (await prober.stop()).sort((a, b) => a - b);

    // The drain ran against the database through the proxy: its messages are settled there.
    const settled = await container?.store.sql.get<{ n: number }>(
      "SELECT count(*) AS n FROM message_inbox WHERE supplier_id = $1 AND type = 2 AND status <> 'pending'",
      [supplierId],
    );
    expect(Number(settled?.n ?? 0)).toBeGreaterThan(0);
    expect(times.length, "probes during the drain").toBeGreaterThan(50);
    const p99 = percentile(times, 0.99);
    expect(
      p99,
      `/healthz p50 ${percentile(times, 0.5).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${times.at(-1)?.toFixed(1)} ms over ${times.length} probes`,
    ).toBeLessThanOrEqual(HEALTHZ_P99_MS);
  }, 180_000);
});
