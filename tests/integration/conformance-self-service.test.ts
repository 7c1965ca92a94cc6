import { type AddressInfo, type Socket, createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type ConformanceRig, KIT_SUPPLIER, startConformanceRig } from "../helpers/conformance-rig.js";
import { nextCreditCode } from "../helpers/harness.js";
import { TEST_ACCOUNT } from "../helpers/simulator-harness.js";
import { consoleLogin, getPage, postForm } from "../helpers/console-session.js";
import { PASSWORD, type Session, apiCall, apiLogin } from "../helpers/two-supplier-world.js";
import { waitFor } from "../helpers/wait.js";
import { rawSql } from "../helpers/raw-sql.js";

/**
 * §1 of the standard: the docking test tool is for suppliers to simulate docking themselves. A
 * supplier user registers its sandbox and starts a run through the admin API (the portal's door);
 * the run is queued and executes in the background, one per supplier at a time, within a daily cap.
 */
let rig: ConformanceRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

type RunAnswer = {
  run: { id: string; status: string; progress?: Array<{ id: string; status: string }>; markId?: string | null; modules?: unknown[]; error?: string | null };
};

async function world(env: Record<string, string> = {}) {
  rig = await startConformanceRig({}, env);
  const c = rig.gw.container;
  await c.supplierAccounts.create({ code: "OTHER", name: "另一家电商", creditCode: await nextCreditCode(), domains: ["item.other-shop.cn"] });
  await c.admin.users.create({ username: "kit-ops", role: "supplier", supplier: KIT_SUPPLIER, password: PASSWORD });
  await c.admin.users.create({ username: "admin", role: "admin", password: PASSWORD });
  return { rig, supplier: await apiLogin(rig.gw.url, "kit-ops"), admin: await apiLogin(rig.gw.url, "admin") };
}

const sandboxBody = (r: ConformanceRig, extra: Record<string, unknown> = {}) => ({ baseUrl: r.sandbox.url, ...TEST_ACCOUNT, ...extra });

async function finished(r: ConformanceRig, s: Session, id: string): Promise<RunAnswer["run"]> {
  return waitFor(
    `run ${id} to end`,
    async () => {
      const run = ((await (await apiCall(r.gw.url, s, "GET", `/conformance/runs/${id}`)).json()) as RunAnswer).run;
      return run.status === "queued" || run.status === "running" ? null : run;
    },
    60_000,
    100,
  );
}

describe("self-service certification through the admin API", () => {
  it("a supplier user starts a run for itself: 202 queued, then passed with its mark; the sandbox secrets are stored sealed", async () => {
    const { rig: r, supplier } = await world();
    const started = await apiCall(r.gw.url, supplier, "POST", "/conformance/runs", sandboxBody(r));
    expect(started.status).toBe(202);
    const body = (await started.json()) as RunAnswer;
    expect(body).toEqual({ run: { id: expect.stringMatching(/^crun_/), status: "queued" } });

    const run = await finished(r, supplier, body.run.id);
    expect(run.status).toBe("passed");
    expect(run.markId).toMatch(/^mark_/);
    expect(run.modules?.length).toBeGreaterThan(5);
    const standing = (await (await apiCall(r.gw.url, supplier, "GET", `/suppliers/${KIT_SUPPLIER}/trust-mark`)).json()) as { gate: { open: boolean } };
    expect(standing.gate.open).toBe(true);

    const stored = await rawSql(r.gw.container.store).all<Record<string, string>>("SELECT password_enc, app_secret_enc, base_url FROM conformance_sandboxes");
    expect(stored).toHaveLength(1);
    expect(stored[0]?.base_url).toBe(r.sandbox.url);
    expect(JSON.stringify(stored)).not.toContain(TEST_ACCOUNT.password);
    expect(JSON.stringify(stored)).not.toContain(TEST_ACCOUNT.appSecret);
    expect(await r.gw.container.conformanceRuns.sandbox(KIT_SUPPLIER)).toMatchObject({
      baseUrl: r.sandbox.url,
      username: TEST_ACCOUNT.username,
      password: "••••••",
      appSecret: "••••••",
    });
  });

  it("answers a supplier user naming another supplier exactly as an unknown one, and staff must name the supplier", async () => {
    const { rig: r, supplier, admin } = await world();
    const other = await apiCall(r.gw.url, supplier, "POST", "/conformance/runs", sandboxBody(r, { supplier: "OTHER" }));
    const unknown = await apiCall(r.gw.url, supplier, "POST", "/conformance/runs", sandboxBody(r, { supplier: "NOSUCH" }));
    expect(other.status).toBe(404);
    expect(unknown.status).toBe(404);
    type Failure = { error: { requestId?: string; message: string } };
    const strip = (b: Failure) => ({ ...b.error, requestId: undefined, message: b.error.message.replace("OTHER", "X").replace("NOSUCH", "X") });
    expect(strip((await other.json()) as Failure)).toEqual(strip((await unknown.json()) as Failure));

    const unnamed = await apiCall(r.gw.url, admin, "POST", "/conformance/runs", sandboxBody(r));
    expect(unnamed.status).toBe(400);
    expect(await unnamed.json()).toMatchObject({ error: { code: "invalid_input", fields: [{ field: "body.supplier" }] } });
    const badUrl = await apiCall(r.gw.url, admin, "POST", "/conformance/runs", sandboxBody(r, { supplier: KIT_SUPPLIER, baseUrl: "ftp://x" }));
    expect(badUrl.status).toBe(400);
    expect(await rawSql(r.gw.container.store).value("SELECT count(*) FROM conformance_jobs")).toBe(0);
  });

  it("runs one at a time per supplier and caps the runs a day; the daily cap is a setting", async () => {
    const { rig: r, supplier, admin } = await world({ CONFORMANCE_RUNS_PER_DAY: "2" });
    const first = (await (await apiCall(r.gw.url, supplier, "POST", "/conformance/runs", sandboxBody(r))).json()) as RunAnswer;
    const second = await apiCall(r.gw.url, admin, "POST", "/conformance/runs", sandboxBody(r, { supplier: KIT_SUPPLIER }));
    expect(second.status).toBe(409);
    expect(((await second.json()) as { error: { message: string } }).error.message).toContain(first.run.id);
    await finished(r, supplier, first.run.id);

    const again = (await (await apiCall(r.gw.url, supplier, "POST", "/conformance/runs", sandboxBody(r))).json()) as RunAnswer;
    await finished(r, supplier, again.run.id);
    const third = await apiCall(r.gw.url, supplier, "POST", "/conformance/runs", sandboxBody(r));
    expect(third.status).toBe(429);
    expect(await third.json()).toMatchObject({ error: { code: "rate_limited" } });
    // A new day (Beijing time) gives the supplier its runs again (and a new session: the old one lapsed).
    r.gw.clock.advance(24 * 3600_000);
    const nextDay = await apiLogin(r.gw.url, "kit-ops");
    const tomorrow = await apiCall(r.gw.url, nextDay, "POST", "/conformance/runs", sandboxBody(r));
    expect(tomorrow.status).toBe(202);
    await finished(r, nextDay, ((await tomorrow.json()) as RunAnswer).run.id);
  });

  it("marks a run whose process died interrupted once its lease runs out, never leaving it running, and lets the supplier start again", async () => {
    const { rig: r, supplier } = await world({ CONFORMANCE_RUN_LEASE_MS: "1000" });
    const c = r.gw.container;
    // A run another instance took and then lost with its process: running, its lease not renewed.
    const supplierId = r.supplierId;
    const now = c.clock();
    await rawSql(c.store).run(
      "INSERT INTO conformance_jobs (id, supplier_id, status, actor, requested_at, started_at, holder, lease_until, progress_json) VALUES (?, ?, 'running', 'user:kit-ops', ?, ?, 'gone-host:1:x', ?, '[]')",
      "crun_deadprocess1",
      supplierId,
      now,
      now,
      now + 1000,
    );
    const blocked = await apiCall(r.gw.url, supplier, "POST", "/conformance/runs", sandboxBody(r));
    expect(blocked.status).toBe(409);
    r.gw.clock.advance(1_001);
    c.conformanceRuns.start();
    const dead = await finished(r, supplier, "crun_deadprocess1");
    expect(dead).toMatchObject({ status: "interrupted", error: expect.stringContaining("stopped") });
    const restarted = await apiCall(r.gw.url, supplier, "POST", "/conformance/runs", sandboxBody(r));
    expect(restarted.status).toBe(202);
    expect((await finished(r, supplier, ((await restarted.json()) as RunAnswer).run.id)).status).toBe("passed");
  });

  it("the portal: a supplier user registers its sandbox and starts a run from the console, follows it as server-sent events, and runs again without retyping its secrets", async () => {
    const { rig: r } = await world();
    const url = r.gw.url;
    const portal = await consoleLogin(url, "kit-ops", PASSWORD);
    const before = await (await getPage(url, portal, "/admin/conformance/runs")).text();
    expect(before).toContain("自助对接测试");
    expect(before).toContain('name="password"');

    const posted = await postForm(url, portal, "/admin/conformance/runs", {
      baseUrl: r.sandbox.url,
      username: TEST_ACCOUNT.username,
      password: TEST_ACCOUNT.password,
      appSecret: TEST_ACCOUNT.appSecret,
      signMode: "hmac-sha256",
      encoding: "form",
    });
    expect(posted.status).toBe(303);
    const location = posted.headers.get("location") ?? "";
    expect(location).toMatch(/^\/admin\/conformance\/runs\/crun_[\w-]+\?msg=queued$/);
    const id = /crun_[\w-]+/.exec(location)?.[0] ?? "";

    // The events: progress as modules start and end, then done; the stream closes by itself.
    const events = await fetch(`${url}/admin/conformance/runs/${id}/events`, { headers: { cookie: portal.cookie } });
    expect(events.status).toBe(200);
    expect(events.headers.get("content-type")).toContain("text/event-stream");
    const stream = await events.text();
    const progress = [...stream.matchAll(/^event: progress\ndata: (.*)$/gm)].map(
      (m) => JSON.parse(m[1] ?? "{}") as { status: string; progress: Array<{ id: string; status: string }> },
    );
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)?.status).toBe("passed");
    // The last event keeps the module list, as the run ended.
    expect(progress.at(-1)?.progress.length).toBeGreaterThan(5);
    expect(progress.at(-1)?.progress.every((m) => m.status !== "running")).toBe(true);
    expect(stream).toMatch(/event: done\ndata: \{"status":"passed"\}/);

    const page = await (await getPage(url, portal, `/admin/conformance/runs/${id}`)).text();
    expect(page).toContain("报告 SHA-256");
    expect(page).toContain(`/admin/api/conformance/runs/${id}/report.html`);

    // Registered: the form shows the sandbox with its secrets masked, and a run without them reuses them.
    const after = await (await getPage(url, portal, "/admin/conformance/runs")).text();
    expect(after).toContain(r.sandbox.url);
    expect(after).toContain("••••••");
    expect(after).not.toContain(TEST_ACCOUNT.password);
    expect(after).not.toContain(TEST_ACCOUNT.appSecret);
    if (r.sandbox.sim.pool.pending(6) === 0) r.sandbox.sim.changes.publishPool();
    const again = await postForm(url, portal, "/admin/conformance/runs", {
      baseUrl: r.sandbox.url,
      username: TEST_ACCOUNT.username,
      password: "",
      appSecret: "",
      signMode: "hmac-sha256",
      encoding: "form",
    });
    expect(again.status).toBe(303);
    const secondId = /crun_[\w-]+/.exec(again.headers.get("location") ?? "")?.[0] ?? "";
    const supplier = await apiLogin(url, "kit-ops");
    expect((await finished(r, supplier, secondId)).status).toBe("passed");

    // Another supplier's run, or none, answers before any stream opens.
    const missing = await fetch(`${url}/admin/conformance/runs/crun_nosuchrun/events`, { headers: { cookie: portal.cookie } });
    expect(missing.status).toBe(404);
    expect((await fetch(`${url}/admin/conformance/runs/${id}/events`)).status).toBe(401);
  });

  it("the console refuses a sandbox form with bad fields beside each field, and without registered secrets asks for them", async () => {
    const { rig: r } = await world();
    const portal = await consoleLogin(r.gw.url, "kit-ops", PASSWORD);
    const refused = await postForm(r.gw.url, portal, "/admin/conformance/runs", {
      baseUrl: "not a url",
      username: TEST_ACCOUNT.username,
      password: "",
      appSecret: "",
      signMode: "hmac-sha256",
      encoding: "form",
    });
    expect(refused.status).toBe(400);
    const text = await refused.text();
    expect(text).toContain("请按字段旁的提示修改后再提交");
    expect(text).toContain('value="not a url"');
    const noSecrets = await postForm(r.gw.url, portal, "/admin/conformance/runs", {
      baseUrl: r.sandbox.url,
      username: TEST_ACCOUNT.username,
      password: "",
      appSecret: "",
      signMode: "hmac-sha256",
      encoding: "form",
    });
    expect(noSecrets.status).toBe(400);
    expect(await rawSql(r.gw.container.store).value("SELECT count(*) FROM conformance_jobs")).toBe(0);
  });

  it("runs at most CONFORMANCE_MAX_CONCURRENT_RUNS at once across suppliers: the next waits queued", async () => {
    const { rig: r, admin } = await world({ CONFORMANCE_MAX_CONCURRENT_RUNS: "1" });
    const c = r.gw.container;
    // OTHER certifies against the same sandbox; a little latency keeps each run going for a while.
    r.sandbox.sim.knobs.apply({ endpoints: { "*": { latencyMs: 15 } } });
    const first = (await (await apiCall(r.gw.url, admin, "POST", "/conformance/runs", sandboxBody(r, { supplier: KIT_SUPPLIER }))).json()) as RunAnswer;
    await waitFor("the first run to start", async () => (await c.conformanceRuns.job(first.run.id))?.status === "running", 10_000);
    const second = (await (await apiCall(r.gw.url, admin, "POST", "/conformance/runs", sandboxBody(r, { supplier: "OTHER" }))).json()) as RunAnswer;
    const statuses = new Set<string>();
    await waitFor(
      "the first run to end",
      async () => {
        // The second's status read first: seen running, the first had ended before that read, so a
        // "running/running" can only mean both ran at once (read the other way round, the first could
        // end and the second start between the two reads).
        const b = (await c.conformanceRuns.job(second.run.id))?.status;
        const a = (await c.conformanceRuns.job(first.run.id))?.status;
        statuses.add(`${a}/${b}`);
        return a !== "running" && a !== "queued";
      },
      60_000,
    );
    expect(statuses.has("running/queued")).toBe(true);
    expect(statuses.has("running/running")).toBe(false);
    expect((await finished(r, admin, second.run.id)).status).not.toBe("queued");
  });

  it("interrupts a run whose sandbox never answers once CONFORMANCE_RUN_TIMEOUT_MS has passed, and records no result for it", async () => {
    const { rig: r, supplier } = await world({ CONFORMANCE_RUN_TIMEOUT_MS: "10000" });
    // A sandbox that takes connections and never answers.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      const started = (await (
        await apiCall(r.gw.url, supplier, "POST", "/conformance/runs", sandboxBody(r, { baseUrl: `http://127.0.0.1:${port}` }))
      ).json()) as RunAnswer;
      const ended = await finished(r, supplier, started.run.id);
      expect(ended).toMatchObject({ status: "interrupted", error: expect.stringContaining("took longer than") });
      expect(await rawSql(r.gw.container.store).value("SELECT count(*) FROM conformance_runs")).toBe(0);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  }, 60_000);
});
