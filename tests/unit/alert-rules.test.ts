import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createGatewayMetrics } from "../../src/ops/gateway-metrics.js";
import { registerStoreGauges } from "../../src/ops/store-gauges.js";
import type { OpsRepo } from "../../src/store/repos/ops-repo.js";
import { promtool } from "../helpers/promtool.js";

const DIR = "src/ops/alerts";
const RULES = `${DIR}/emall-gateway.rules.yml`;
const rulesText = readFileSync(RULES, "utf8");
const alerts = [...rulesText.matchAll(/^\s+- alert: (\w+)$/gm)].map((m) => m[1] ?? "");
const runbooks = readFileSync("docs/runbooks.md", "utf8");

describe("the Prometheus alert rules", () => {
  it("cover every trouble operators asked for", () => {
    expect(alerts.sort()).toEqual(
      [
        "EmallMallAuthFailureSpike",
        "EmallOrderStuck",
        "EmallPoolBacklogGrowing",
        "EmallQuarantineGrowing",
        "EmallSupplierCallsTooFast",
        "EmallSupplierConformanceLow",
        "EmallSupplierRunsFailing",
        "EmallTrustMarkExpiring",
      ].sort(),
    );
  });

  it("pass promtool check rules", () => {
    const { status, output } = promtool(["check", "rules", RULES]);
    expect(output).toContain("SUCCESS: 8 rules found");
    expect(status).toBe(0);
  });

  it("fire on the trouble they name and stay quiet otherwise (promtool test rules)", () => {
    const { status, output } = promtool(["test", "rules", `${DIR}/emall-gateway.rules.test.yml`]);
    expect(output).toContain("SUCCESS");
    expect(status).toBe(0);
  });

  it("only use series the gateway exposes", async () => {
    const metrics = createGatewayMetrics();
    const none: OpsRepo = {
      inbox: async () => [],
      orderStates: async () => [],
      openOrderStates: [],
      leases: async () => [],
      migrations: async () => ({ applied: 0, expected: 0, current: true, latest: null }),
      releaseLeasesOf: async () => ({ sync: 0, orders: 0 }),
    };
    registerStoreGauges(metrics, none, Date.now);
    const exposed = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
    const used = new Set(rulesText.match(/emall_[a-z_]+/g) ?? []);
    expect(used.size).toBeGreaterThan(5);
    for (const name of used) expect(exposed, `${name} is used by a rule`).toContain(name);
  });

  it("each have a summary, and a runbook section in docs/runbooks.md that the annotation points to", () => {
    const blocks = rulesText.split(/^\s+- alert: /m).slice(1);
    for (const block of blocks) {
      const name = block.split("\n")[0] ?? "";
      expect(block, name).toMatch(/summary: "/);
      expect(block, name).toContain(`runbook: "docs/runbooks.md#${name.toLowerCase()}"`);
      const section = runbooks.split(/^## /m).find((s) => s.startsWith(`${name}\n`));
      expect(section, `docs/runbooks.md has "## ${name}"`).toBeDefined();
      expect(section ?? "", name).toMatch(/\*\*Summary\*\*/);
      expect(section ?? "", name).toMatch(/\*\*Runbook\*\*/);
    }
  });
});
