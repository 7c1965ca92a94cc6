import { describe, expect, it } from "vitest";
import { SignMode } from "../../src/contract/index.js";
import { type ModuleResult, type StepResult, modulesAffectedSince, moduleStatus, runPassed } from "../../src/conformance/plan.js";
import { buildReport } from "../../src/conformance/report.js";
import { reportHtml } from "../../src/conformance/report-html.js";
import { certificationPlan } from "../../src/conformance/runner.js";
import { moneyProblems } from "../../src/conformance/modules/answers-module.js";

const step = (over: Partial<StepResult>): StepResult => ({
  id: "x",
  title: "x",
  section: "§1",
  required: true,
  changesState: false,
  status: "passed",
  detail: "",
  evidence: [],
  ...over,
});
const mod = (steps: StepResult[]): ModuleResult => ({ id: "token", title: "t", section: "§2", status: moduleStatus(steps), steps });

describe("certification plan", () => {
  it("says which steps change the test environment, and drops hmac-only steps in yggc-md5", () => {
    const hmac = certificationPlan(SignMode.HmacSha256).flatMap((m) => m.steps);
    expect(hmac.filter((s) => s.changesState).map((s) => s.id)).toEqual([
      "pool.delete-idempotent",
      "pool.deleted-gone",
      "order.submit",
      "order.resubmit",
      "order.confirm-twice",
      "catalog.read",
    ]);
    const md5 = certificationPlan(SignMode.YggcMd5).flatMap((m) => m.steps.map((s) => s.id));
    expect(hmac.map((s) => s.id).filter((id) => !md5.includes(id))).toEqual(["token.replayed-nonce", "answer.signed"]);
    expect(new Set(hmac.map((s) => s.id)).size).toBe(hmac.length);
  });

  it("needs every required step passed: a warning or a not-implemented required step is not a pass", () => {
    expect(runPassed([mod([step({}), step({ required: false, status: "warning" })])])).toBe(true);
    expect(runPassed([mod([step({ status: "warning" })])])).toBe(false);
    expect(runPassed([mod([step({ status: "not_implemented" })])])).toBe(false);
    expect(moduleStatus([step({}), step({ required: false, status: "warning" })])).toBe("warning");
  });

  it("knows which modules a later contract edition affects", () => {
    const history = [
      { version: "a", affects: [] },
      { version: "b", affects: ["orders" as const] },
      { version: "c", affects: ["token" as const, "orders" as const] },
    ];
    expect(modulesAffectedSince("a", history)).toEqual(["orders", "token"]);
    expect(modulesAffectedSince("c", history)).toEqual([]);
  });

  it("finds money with more than 2 decimals anywhere in an answer (§1)", () => {
    expect(moneyProblems([{ sku: "1", price: 12.5, mall_price: 13 }])).toEqual([]);
    expect(moneyProblems({ sku: [{ sku: "1", num: 1, price: 9.999 }], orderPrice: "10.001", freight: 0 })).toEqual([
      "result.sku.0.price = 9.999",
      "result.orderPrice = 10.001",
    ]);
  });

  it("escapes what a supplier answered in the HTML report", () => {
    const report = buildReport({
      runId: "crun_x",
      issuer: { platformCode: "TJZFCG", platformName: "卖场" },
      supplier: { code: "S", name: "<b>名</b>", creditCode: "911" },
      sandboxBaseUrl: "http://127.0.0.1:1",
      signMode: "hmac-sha256",
      kitVersion: "1",
      contractVersion: "c",
      startedAt: new Date(0).toISOString(),
      endedAt: new Date(0).toISOString(),
      modules: [mod([step({ status: "failed", evidence: [{ got: "<script>alert(1)</script>", response: { status: 200, body: '"><img src=x>' } }] })])],
      passed: false,
    });
    const page = reportHtml(report, { digest: "d", jws: "j" });
    expect(page).not.toContain("<script>alert");
    expect(page).not.toContain("<img src=x>");
    expect(page).toContain("&lt;script&gt;");
    expect(page).toContain("&lt;b&gt;名&lt;/b&gt;");
    expect(report.summary.blocking).toEqual([{ module: "token", step: "x", title: "x", status: "failed" }]);
  });
});
