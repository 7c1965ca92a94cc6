import type { Server } from "node:http";
import { networkInterfaces } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { ErrorCode, formatBeijingTimestamp } from "../../src/contract/index.js";
import { createServer, listen } from "../../src/server.js";
import { type TestGateway, startTestGateway, testClock } from "../helpers/harness.js";
import { type OrderRig, orderFile, startOrderRig } from "../helpers/order-rig.js";
import { type PullerWorld, pullOnce, startPullerWorld } from "../helpers/puller-harness.js";
import { promtool } from "../helpers/promtool.js";
import { onPostgres } from "../helpers/test-database.js";
import { rawSql } from "../helpers/raw-sql.js";

let gw: TestGateway | undefined;
let world: PullerWorld | undefined;
let rig: OrderRig | undefined;
afterEach(async () => {
  await gw?.close();
  await world?.close();
  await rig?.close();
  gw = undefined;
  world = undefined;
  rig = undefined;
});

const TOKEN = "metrics-token-0123456789abcdef";

/** One sample's value from a Prometheus text exposition, or undefined when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = line.slice(name.length).split(" ")[0] ?? "";
    if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) return Number(line.split(" ").at(-1));
  }
  return undefined;
}

describe("health and readiness", () => {
  it("answers /healthz, and /readyz with the database, migrations and scheduler checks", async () => {
    gw = await startTestGateway();
    const health = await fetch(`${gw.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });

    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { status: string; checks: Record<string, { ok: boolean; detail: string }> };
    expect(body.status).toBe("ready");
    expect(body.checks.database?.ok).toBe(true);
    expect(body.checks.migrations).toEqual({ ok: true, detail: expect.stringMatching(/^current \(\d{4}_\w+\)$/) as unknown });
    expect(body.checks.scheduler?.detail).toBe("starting");
  });

  it("is not ready when a migration this build ships is missing from the database", async () => {
    gw = await startTestGateway();
    // drizzle's pg migrator keeps its ledger in its own schema.
    const ledger = onPostgres ? "drizzle.__drizzle_migrations" : "__drizzle_migrations";
    await rawSql(gw.container.store).run(`DELETE FROM ${ledger} WHERE created_at = (SELECT MAX(created_at) FROM ${ledger})`);
    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { checks: Record<string, { ok: boolean; detail: string }> };
    expect(body.checks.migrations?.ok).toBe(false);
    expect(body.checks.migrations?.detail).toMatch(/applied, this build ships/);
  });

  it("is not ready once the gateway is stopping or its scheduler has stopped", async () => {
    gw = await startTestGateway();
    gw.container.runtime.scheduler = "stopped";
    gw.container.runtime.stopping = true;
    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { checks: Record<string, { ok: boolean; detail: string }> };
    expect(body.checks.scheduler).toEqual({ ok: false, detail: "stopped" });
    expect(body.checks.accepting).toEqual({ ok: false, detail: "shutting down" });
  });

  it("keeps health and metrics out of the docking paths: a POST there is still the envelope's unknown path", async () => {
    gw = await startTestGateway();
    const res = await fetch(`${gw.url}/healthz`, { method: "POST" });
    expect(await res.json()).toMatchObject({ success: false, code: ErrorCode.Other });
  });
});

describe("/metrics access", () => {
  it("without METRICS_TOKEN answers loopback callers", async () => {
    gw = await startTestGateway();
    const res = await fetch(`${gw.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await res.text()).toMatch(/^emall_process_resident_memory_bytes \d+/m);
  });

  const external = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
  it.skipIf(external === undefined)(`without METRICS_TOKEN refuses a caller from another address (${external ?? "no such interface here"})`, async () => {
    gw = await startTestGateway();
    const server: Server = createServer(createApp(gw.container), { ...gw.config, HOST: "0.0.0.0", ALLOW_PLAIN_HTTP: true });
    const address = await listen(server, 0, "0.0.0.0");
    try {
      const res = await fetch(`http://${external ?? ""}:${address.port}/metrics`);
      expect(res.status).toBe(403);
      expect(await res.text()).toMatch(/METRICS_TOKEN/);
      expect((await fetch(`http://${external ?? ""}:${address.port}/healthz`)).status).toBe(200);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("with METRICS_TOKEN wants the bearer token, from any caller", async () => {
    gw = await startTestGateway({ METRICS_TOKEN: TOKEN });
    const none = await fetch(`${gw.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await fetch(`${gw.url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    expect((await fetch(`${gw.url}/metrics`, { headers: { Authorization: TOKEN } })).status).toBe(401);
    const ok = await fetch(`${gw.url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("emall_http_requests_total");
  });
});

describe("what /metrics tells", () => {
  it("counts requests by route, auth failures by code, supplier calls, messages, runs, backlog, quarantine and orders; promtool accepts it", async () => {
    world = await startPullerWorld({ products: 30, invalidShare: 0.2 });
    const { gw: gateway } = world;
    const summary = await pullOnce(world);
    expect(summary.status).toBe("succeeded");

    // A token login for an unknown username (5002) and a call with a bad token (5005), twice each.
    for (let i = 0; i < 2; i++) {
      await fetch(`${gateway.url}/gyssc/token`, {
        method: "POST",
        body: new URLSearchParams({ username: "nobody", password: "x", timestamp: formatBeijingTimestamp(Date.now()), nonce: `n${i}abcdefgh`, sign: "00" }),
      });
      await fetch(`${gateway.url}/brands`, { method: "POST", body: new URLSearchParams({ token: "not-a-token", platformCode: "TJZFCG" }) });
    }
    await fetch(`${gateway.url}/no/such/path/${Date.now()}`);
    // Quarantine one message by hand, as repeated failures would.
    await rawSql(gateway.container.store).run("UPDATE message_inbox SET status = 'quarantined' WHERE seq = (SELECT MIN(seq) FROM message_inbox)");

    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    const received = summary.counts["6"]?.received ?? 0;
    expect(received).toBe(30);
    expect(sample(text, "emall_sync_messages_total", { supplier: world.code, type: "6", outcome: "received" })).toBe(30);
    expect(sample(text, "emall_sync_messages_total", { supplier: world.code, type: "6", outcome: "rejected" })).toBe(summary.counts["6"]?.rejected);
    expect(sample(text, "emall_sync_runs_total", { supplier: world.code, trigger: "manual", status: "succeeded" })).toBe(1);
    expect(sample(text, "emall_supplier_calls_total", { supplier: world.code, operation: "detail", outcome: "ok" })).toBe(summary.callsByOperation.detail);
    expect(sample(text, "emall_supplier_call_duration_seconds_count", { supplier: world.code, operation: "prices" })).toBe(summary.callsByOperation.prices);
    expect(sample(text, "emall_mall_auth_failures_total", { code: "5002" })).toBe(2);
    expect(sample(text, "emall_mall_auth_failures_total", { code: "5005" })).toBe(2);
    expect(sample(text, "emall_http_requests_total", { route: "/brands", status: "200" })).toBe(2);
    expect(sample(text, "emall_http_requests_total", { route: "unmatched" })).toBe(1);
    expect(sample(text, "emall_http_request_duration_seconds_count", { route: "/gyssc/token" })).toBe(2);
    expect(sample(text, "emall_quarantine_messages", { supplier: world.code })).toBe(1);
    expect(sample(text, "emall_pool_backlog_messages", { supplier: world.code })).toBe(0);
    expect(sample(text, "emall_nodejs_heap_size_used_bytes")).toBeGreaterThan(0);
    for (const name of text.match(/^# TYPE (\S+)/gm) ?? []) expect(name.slice("# TYPE ".length)).toMatch(/^emall_/);

    const checked = promtool(["check", "metrics"], text);
    expect(checked.output).toBe("");
    expect(checked.status).toBe(0);
  });

  it("reports the supplier's refusals as too fast under their own outcome", async () => {
    world = await startPullerWorld({ products: 30, invalidShare: 0 });
    world.sim.sim.knobs.apply({ endpoints: { detail: { qps: 2 } } });
    await pullOnce(world);
    const text = await (await fetch(`${world.gw.url}/metrics`)).text();
    expect(sample(text, "emall_supplier_calls_total", { supplier: world.code, operation: "detail", outcome: "refused_too_fast" })).toBeGreaterThan(0);
  });

  it("shows orders by state, how long the oldest has waited in an open one, and live leases by holder", async () => {
    const clock = testClock();
    rig = await startOrderRig({ clock, sim: { products: 20, offShelfShare: 0 } });
    const { container } = rig.gw;
    const skus = (await container.repos.products.list(rig.supplier.id)).filter((p) => p.status === "active" && p.shelfState === 1).map((p) => p.sku);
    for (const sku of skus.slice(0, 3)) {
      const created = await container.orders.service.create(orderFile([{ sku }]), "user:test");
      if (!created.ok) throw created.error;
    }
    clock.advance(90_000);
    expect(await container.repos.syncLeases.acquireLease(rig.supplier.id, "host-a:42:run_1", "run_1", clock.now(), 60_000)).toBe(true);
    const text = await (await fetch(`${rig.gw.url}/metrics`)).text();
    expect(sample(text, "emall_orders", { state: "created" })).toBe(3);
    expect(sample(text, "emall_order_oldest_in_state_seconds", { state: "created" })).toBe(90);
    expect(sample(text, "emall_lease_holders", { kind: "sync", holder: "host-a:42" })).toBe(1);
  });
});
