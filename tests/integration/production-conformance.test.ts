import { afterEach, describe, expect, it } from "vitest";
import { SignMode } from "../../src/contract/index.js";
import { createContainer } from "../../src/container.js";
import { silentLogger } from "../../src/lib/logger.js";
import { beijingDay } from "../../src/conformance/production-conformance.js";
import type { RunningSimulator } from "../../src/simulator/simulator-server.js";
import { type PullerWorld, SIM_DOMAIN, pullOnce, startPullerWorld } from "../helpers/puller-harness.js";
import { cliEnv } from "../helpers/conformance-rig.js";
import { runCliAsync } from "../helpers/run-cli.js";
import { TEST_ACCOUNT, launchSimulator } from "../helpers/simulator-harness.js";
import { consoleLogin, getPage, postForm } from "../helpers/console-session.js";
import { PASSWORD, apiCall, apiLogin } from "../helpers/two-supplier-world.js";

/**
 * The mark keeps being earned: the reference supplier's production calls are scored per day with
 * the kit's checks, and a defect switched on in production (answers without X-Sign) lowers the score
 * and brings the policy: a warning, then a suspension proposed to an admin, or made on its own.
 */
let world: PullerWorld | undefined;
let sandbox: RunningSimulator | undefined;
afterEach(async () => {
  await world?.close();
  await sandbox?.close();
  world = sandbox = undefined;
});

const DAY_MS = 86_400_000;
type Day = {
  day: string;
  score: number;
  action: string;
  proposal: string | null;
  checks: Array<{ check: string; total: number; failed: number; passed: boolean; evidence: Array<{ field: string | null }> }>;
};

async function certifiedWorld(env: Record<string, string>) {
  world = await startPullerWorld({ products: 20, invalidShare: 0 }, env);
  const c = world.gw.container;
  sandbox = await launchSimulator({ domain: SIM_DOMAIN, products: 12 });
  const certified = await c.conformance.run({
    supplier: world.code,
    target: { baseUrl: sandbox.url, ...TEST_ACCOUNT, signMode: SignMode.HmacSha256, bodyFormat: "form" },
    actor: "test:production",
  });
  expect(certified.run.passed).toBe(true);
  await c.admin.users.create({ username: "admin", role: "admin", password: PASSWORD });
  await c.admin.users.create({ username: "sim-ops", role: "supplier", supplier: world.code, password: PASSWORD });
  return { w: world, c };
}

/** A day of production: some price changes at the supplier and a pull. */
async function dayOfWork(w: PullerWorld): Promise<void> {
  for (const p of w.sim.sim.products.all().slice(0, 5)) w.sim.sim.changes.apply("price", p);
  await pullOnce(w);
}

describe("production conformance", () => {
  it("scores the reference supplier's production days; answers without X-Sign lower the score, a bad day warns, the second proposes a suspension an admin approves", async () => {
    const { w, c } = await certifiedWorld({ CONFORMANCE_PRODUCTION_BAD_DAYS: "2" });
    const day1 = beijingDay(c.clock());
    // Day 1: healthy. (The world's first pull happened on day 1 too.) Each day is scored once it has ended.
    await dayOfWork(w);
    w.gw.clock.advance(DAY_MS);
    // Logged in afresh each time: a day passes between calls, and sessions lapse.
    const evaluate = async (day: string) => {
      const admin = await apiLogin(w.gw.url, "admin");
      return ((await (await apiCall(w.gw.url, admin, "POST", `/suppliers/${w.code}/production-conformance/evaluate`, { day })).json()) as { day: Day | null })
        .day;
    };
    const first = await evaluate(day1);
    expect(first).toMatchObject({ day: day1, score: 100, action: "none" });
    expect(first?.checks.map((ch) => ch.check)).toEqual(expect.arrayContaining(["signature", "envelope", "availability", "latency", "too_fast", "quarantine"]));
    expect(first?.checks.find((ch) => ch.check === "signature")?.total).toBeGreaterThan(3);

    // Day 2: the supplier's answers lose their X-Sign.
    w.sim.sim.knobs.apply({ defects: ["unsigned-answers"] });
    await dayOfWork(w);
    const day2 = beijingDay(c.clock());
    w.gw.clock.advance(DAY_MS);
    const second = await evaluate(day2);
    expect(second?.score).toBeLessThan(90);
    const signature = second?.checks.find((ch) => ch.check === "signature");
    expect(signature).toMatchObject({ passed: false });
    expect(signature?.failed).toBeGreaterThan(0);
    expect(signature?.evidence[0]?.field).toBe("X-Sign");
    expect(second?.action).toBe("warn");
    // Evaluated again, the day is not acted on twice.
    expect((await evaluate(day2))?.action).toBe("warn");

    // Day 3: still unsigned; two bad days in a row: a suspension is proposed to an admin.
    await dayOfWork(w);
    const day3 = beijingDay(c.clock());
    w.gw.clock.advance(DAY_MS);
    const third = await evaluate(day3);
    expect(third).toMatchObject({ action: "propose", proposal: "open" });
    expect((await c.conformance.standing(w.code)).mark?.state).toBe("valid");
    const audited = (await c.admin.audit.list({ action: "conformance.production_", limit: 10 })).map((r) => r.action);
    expect(audited).toEqual(expect.arrayContaining(["conformance.production_warn", "conformance.production_propose"]));

    // The supplier reads its own scores in the portal's API; the admin decides.
    const own = await apiLogin(w.gw.url, "sim-ops");
    const admin = await apiLogin(w.gw.url, "admin");
    const seen = (await (await apiCall(w.gw.url, own, "GET", `/suppliers/${w.code}/production-conformance`)).json()) as {
      days: Day[];
      policy: { policy: string };
    };
    expect(seen.days.map((d) => [d.day, d.action])).toEqual([
      [day3, "propose"],
      [day2, "warn"],
      [day1, "none"],
    ]);
    expect(seen.policy.policy).toBe("propose");
    // In the console: the supplier reads its score and failing checks; an admin decides on the supplier page.
    const portal = await (await getPage(w.gw.url, await consoleLogin(w.gw.url, "sim-ops", PASSWORD), "/admin/conformance/runs")).text();
    expect(portal).toContain("生产环境合规");
    expect(portal).toContain("应答签名");
    const staff = await consoleLogin(w.gw.url, "admin", PASSWORD);
    const page = await (await getPage(w.gw.url, staff, `/admin/suppliers/${w.code}`)).text();
    expect(page).toContain("每日合规得分");
    expect(page).toContain("[X-Sign]");
    expect(page).toContain(`/admin/suppliers/${w.code}/production-conformance/${day3}/decide`);
    // Another instance, which has not read this supplier yet, decides inside a transaction as the route does.
    const other = await createContainer(w.gw.config, silentLogger());
    try {
      expect(await other.store.sql.transaction((tx) => other.production.decide(w.code, "2000-01-01", "dismiss", "user:test", "none open", tx))).toEqual({
        ok: false,
        reason: "not_found",
      });
    } finally {
      await other.close();
    }
    const decided = await postForm(w.gw.url, staff, `/admin/suppliers/${w.code}/production-conformance/${day3}/decide`, {
      decision: "approve",
      reason: "生产环境应答连续两天无签名",
    });
    expect(decided.status).toBe(303);
    expect(await c.conformance.standing(w.code)).toMatchObject({ mark: { state: "suspended" }, gate: { open: false } });
    expect(
      (await apiCall(w.gw.url, admin, "POST", `/suppliers/${w.code}/production-conformance/${day3}/decide`, { decision: "approve", reason: "again" })).status,
    ).toBe(404);

    // The score gauge and its alert's input.
    const scrape = await (await fetch(`${w.gw.url}/metrics`)).text();
    expect(scrape).toMatch(new RegExp(`emall_supplier_conformance_score\\{supplier="${w.code}"\\} ${third?.score}`));
  });

  it("under the suspend policy suspends the supplier's marks on its own after the bad days, audited", async () => {
    const { w, c } = await certifiedWorld({ CONFORMANCE_PRODUCTION_POLICY: "suspend", CONFORMANCE_PRODUCTION_BAD_DAYS: "1" });
    w.sim.sim.knobs.apply({ defects: ["unsigned-answers"] });
    await dayOfWork(w);
    const day = beijingDay(c.clock());
    w.gw.clock.advance(DAY_MS);
    const scored = await c.production.evaluate(w.code, day);
    expect(scored).toMatchObject({ action: "suspend" });
    expect(await c.conformance.standing(w.code)).toMatchObject({ mark: { state: "suspended" }, gate: { open: false } });
    expect(await c.admin.audit.list({ action: "conformance.production_suspend", limit: 5 })).toHaveLength(1);

    // From the CLI on the same database: the day as scored; scoring it again acts no second time.
    await c.production.flush();
    const env = cliEnv({ gw: w.gw });
    const listed = await runCliAsync(["conformance", "production", "--supplier", w.code, "--json"], env);
    expect(listed.json, listed.stderr).toMatchObject({
      ok: true,
      supplier: w.code,
      days: [{ day, action: "suspend", checks: expect.arrayContaining([expect.objectContaining({ check: "signature", passed: false })]) }],
    });
    // The CLI's own clock says today (Beijing time) has not ended: it is not scored.
    const today = beijingDay(Date.now());
    const early = await runCliAsync(["conformance", "evaluate", "--supplier", w.code, "--day", today, "--json"], env);
    expect(early.json, early.stderr).toMatchObject({ ok: false, error: { kind: "usage", message: expect.stringContaining("has not ended yet") } });
    expect(await c.admin.audit.list({ action: "conformance.production_suspend", limit: 5 })).toHaveLength(1);
    const unknown = await runCliAsync(["conformance", "production", "--supplier", "NOPE", "--json"], env);
    expect(unknown.json).toMatchObject({ ok: false, error: { kind: "not_found" } });
  });

  it("holds back a waived supplier without a mark by withdrawing its waiver, and scores only days that have ended", async () => {
    world = await startPullerWorld({ products: 20, invalidShare: 0 }, { CONFORMANCE_PRODUCTION_POLICY: "suspend", CONFORMANCE_PRODUCTION_BAD_DAYS: "1" });
    const w = world;
    const c = w.gw.container;
    await c.admin.users.create({ username: "admin", role: "admin", password: PASSWORD });
    expect(await c.conformance.standing(w.code)).toMatchObject({ mark: null, gate: { open: true, via: "waiver" } });
    w.sim.sim.knobs.apply({ defects: ["unsigned-answers"] });
    await dayOfWork(w);
    const day = beijingDay(c.clock());
    const admin = await apiLogin(w.gw.url, "admin");
    const evaluate = (d: string) => apiCall(w.gw.url, admin, "POST", `/suppliers/${w.code}/production-conformance/evaluate`, { day: d });
    // Today has not ended; a day that does not exist is no day.
    for (const bad of [day, "2026-02-30", "9999-12-31"]) {
      const refused = await evaluate(bad);
      expect(refused.status, bad).toBe(400);
      expect(await refused.json()).toMatchObject({ error: { code: "invalid_input", fields: [{ field: "body.day" }] } });
    }
    expect((await c.production.history(w.code))?.days).toEqual([]);
    w.gw.clock.advance(DAY_MS);
    const scored = (await (
      await apiCall(w.gw.url, await apiLogin(w.gw.url, "admin"), "POST", `/suppliers/${w.code}/production-conformance/evaluate`, { day })
    ).json()) as { day: Day };
    expect(scored.day).toMatchObject({ day, action: "suspend" });
    expect(await c.conformance.standing(w.code)).toMatchObject({ mark: null, waiver: null, gate: { open: false } });
    const [audited] = await c.admin.audit.list({ action: "conformance.production_suspend", limit: 1 });
    expect(JSON.parse(audited?.summaryJson ?? "{}")).toMatchObject({ after: { suspendedMarks: [], waiverEnded: true } });
  });
});
