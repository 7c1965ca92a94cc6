import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, mallOperations } from "../../src/contract/index.js";
import { type GatewayProcess, killHard } from "../helpers/gateway-process.js";
import { probeHealthz } from "../helpers/healthz-prober.js";
import { servedGateway } from "../helpers/served-gateway.js";
import { useThrowawayCluster } from "../helpers/pg-cluster.js";
import { waitFor } from "../helpers/wait.js";

/**
 * PostgreSQL stopped under a serving gateway (`pg_ctl stop -m fast`) and started again: the process
 * stays alive and answers /healthz at once, says it is not ready, answers signed mall calls with the
 * 5099 envelope without waiting on the database, and serves again on its own once the server is back.
 */
const cluster = useThrowawayCluster();
/** As long as an operator's restart or a short failover: every pooled connection fails, and probes and mall calls land throughout. */
const DOWN_MS = 30_000;
let dir = "";
let gateway: GatewayProcess | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "emall-pg-outage-"));
});
afterAll(async () => {
  if (gateway) await killHard(gateway.process);
  rmSync(dir, { recursive: true, force: true });
});

describe("the database going away and coming back", () => {
  it("keeps /healthz answering, answers mall calls 5099 within the statement timeout and /readyz 503 while it is down, and resumes without an operator", async () => {
    const served = await servedGateway({
      databaseUrl: await cluster().createDatabase("outage"),
      dir,
      supplier: { code: "PGOUTAGE", name: "停库测试电商", domain: "item.pg-outage.cn" },
    });
    gateway = served.gateway;
    const { base, caller } = served;
    const BRANDS = mallOperations.brands.path;
    expect((await caller.login()).body.success).toBe(true);
    expect((await caller.call(BRANDS, { pageNo: 1, pageSize: 5 })).body.success).toBe(true);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);

    const prober = await probeHealthz(base);

    await cluster().stopServer();
    const downAt = performance.now();
    try {
      while (performance.now() - downAt < DOWN_MS) {
        const started = performance.now();
        const answer = await caller.call(BRANDS, { pageNo: 1, pageSize: 5 });
        const ms = performance.now() - started;
        expect(answer.body).toMatchObject({ success: false, code: ErrorCode.Other });
        expect(String(answer.body.desc)).toContain("系统繁忙，请稍后再试");
        // The statement timeout is 15 s; a server that is gone is said far sooner.
        expect(ms).toBeLessThan(6_000);
        const ready = await fetch(`${base}/readyz`);
        expect(ready.status).toBe(503);
        expect(((await ready.json()) as { checks: { database: { ok: boolean } } }).checks.database.ok).toBe(false);
      }
    } finally {
      await cluster().startServer();
    }

    await waitFor("mall calls served again", async () => (await caller.call(BRANDS, { pageNo: 1, pageSize: 5 })).body.success === true, 30_000, 100);
    await waitFor("ready again", async () => (await fetch(`${base}/readyz`)).status === 200, 30_000, 100);
    const healthz = await prober.stop();

    expect(gateway.process.exitCode).toBeNull();
    expect(healthz.length).toBeGreaterThan(50);
    // Every probe answered 200 within 50 ms (a failed one counts as infinite), from a prober in a
    // process of its own. A loop held by a wait on the database would show as seconds (the connect
    // and statement timeouts).
    const sorted = [...healthz].sort((a, b) => a - b);
    expect(
      sorted.at(-1),
      `/healthz p50 ${sorted[Math.floor(sorted.length / 2)]?.toFixed(1)} ms, slowest ${sorted
        .slice(-5)
        .map((t) => t.toFixed(1))
        .join(", ")} ms`,
    ).toBeLessThanOrEqual(50);
  }, 120_000);
});
