import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdminRole } from "../../src/store/repos/admin-repo.js";
import { type ConformanceRig, KIT_SUPPLIER, certify, startConformanceRig } from "../helpers/conformance-rig.js";

const PASSWORD = "correct horse battery staple";
type Session = { cookie: string; csrf: string };

let rig: ConformanceRig;
let url: string;
let runId: string;
const sessions = {} as Record<AdminRole, Session>;

async function session(username: string): Promise<Session> {
  const res = await fetch(`${url}/admin/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { csrfToken: string };
  return { cookie: (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "", csrf: body.csrfToken };
}

function call(s: Session, method: string, path: string, body?: unknown) {
  return fetch(`${url}${path}`, {
    method,
    redirect: "manual",
    headers: { cookie: s.cookie, "x-csrf-token": s.csrf, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

beforeAll(async () => {
  rig = await startConformanceRig();
  url = rig.gw.url;
  for (const role of ["admin", "procurement", "auditor"] as const) {
    await rig.gw.container.admin.users.create({ username: `${role}1`, role, password: PASSWORD });
    sessions[role] = await session(`${role}1`);
  }
  const { run } = await certify(rig);
  runId = run.id;
}, 60_000);
afterAll(async () => rig?.close());

describe("conformance in the admin API and console", () => {
  it("lists runs and shows one with its evidence; the report downloads byte for byte as signed", async () => {
    const list = (await (await call(sessions.auditor, "GET", `/admin/api/conformance/runs?supplier=${KIT_SUPPLIER}`)).json()) as {
      runs: Array<{ id: string; passed: boolean }>;
    };
    expect(list.runs.map((r) => r.id)).toEqual([runId]);
    const shown = (await (await call(sessions.admin, "GET", `/admin/api/conformance/runs/${runId}`)).json()) as {
      report: { modules: Array<{ steps: Array<{ evidence: unknown[] }> }> };
      reportSha256: string;
      mark: { state: string };
    };
    expect(shown.mark.state).toBe("valid");
    expect(shown.report.modules.flatMap((m) => m.steps).some((s) => s.evidence.length > 0)).toBe(true);

    const file = await call(sessions.admin, "GET", `/admin/api/conformance/runs/${runId}/report.json`);
    expect(file.headers.get("content-disposition")).toContain(`${runId}.json`);
    const bytes = Buffer.from(await file.arrayBuffer());
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(shown.reportSha256);
    const jws = await (await call(sessions.admin, "GET", `/admin/api/conformance/runs/${runId}/report.json.jws`)).text();
    expect(await rig.gw.container.conformance.verifyReport(bytes, jws)).toMatchObject({ ok: true });
    const html = await (await call(sessions.admin, "GET", `/admin/api/conformance/runs/${runId}/report.html`)).text();
    expect(html).toContain("电子卖场对接测试报告");
    const mark = await (await call(sessions.admin, "GET", `/admin/api/conformance/runs/${runId}/mark.jws`)).text();
    expect(mark.trim()).toBe((await rig.gw.container.conformance.standing(KIT_SUPPLIER)).mark?.jws);

    expect((await call(sessions.procurement, "GET", "/admin/api/conformance/runs")).status).toBe(403);
  });

  it("suspends, revokes and waives with a reason (admins only), audited, and shows the state on the supplier page and dashboard", async () => {
    const path = `/admin/api/suppliers/${KIT_SUPPLIER}`;
    expect((await call(sessions.auditor, "POST", `${path}/trust-mark/suspend`, { reason: "x" })).status).toBe(403);
    const noReason = await call(sessions.admin, "POST", `${path}/trust-mark/suspend`, {});
    expect(noReason.status).toBe(400);
    expect(((await noReason.json()) as { error: { fields: Array<{ field: string }> } }).error.fields[0]?.field).toBe("body.reason");

    const valid = await (await call(sessions.admin, "GET", `/admin/suppliers/${KIT_SUPPLIER}`)).text();
    expect(valid).not.toContain("尚未接入");
    expect(valid.split('id="conformance"').length, "the standing is shown once").toBe(2);
    const card = valid.slice(valid.indexOf('id="conformance"'));
    expect(card).toContain("有效");
    expect(card).toContain(`href="/admin/conformance/runs/${runId}"`);
    expect(card).toMatch(/至 <time datetime="[^"]+" class="mono">\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})? 北京时间<\/time>/);
    expect(card).toContain("生产准入</dt>");
    expect(card).toContain("准入豁免</dt>");
    for (const action of ["trust-mark/suspend", "trust-mark/revoke", "gate-waiver"])
      expect(card).toContain(`action="/admin/suppliers/${KIT_SUPPLIER}/${action}"`);

    // The console form posts through the same admin route: CSRF-checked and audited.
    const forged = await fetch(`${url}/admin/suppliers/${KIT_SUPPLIER}/trust-mark/suspend`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: sessions.admin.cookie },
      body: new URLSearchParams({ _csrf: "forged", reason: "x" }),
    });
    expect(forged.status).toBe(403);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(card)?.[1] ?? "";
    const suspended = await fetch(`${url}/admin/suppliers/${KIT_SUPPLIER}/trust-mark/suspend`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: sessions.admin.cookie },
      body: new URLSearchParams({ _csrf: csrf, reason: "价格推送异常" }),
    });
    expect(suspended.status).toBe(303);
    expect(suspended.headers.get("location")).toContain(`/admin/suppliers/${KIT_SUPPLIER}`);
    expect((await (await call(sessions.admin, "GET", `${path}/trust-mark`)).json()) as unknown).toMatchObject({
      mark: { state: "suspended", reason: "价格推送异常" },
    });
    const standing = (await (await call(sessions.auditor, "GET", `${path}/trust-mark`)).json()) as { gate: { open: boolean; reason: string } };
    expect(standing.gate).toMatchObject({ open: false, reason: "suspended" });

    const dashboard = (await (await call(sessions.admin, "GET", "/admin/api/dashboard")).json()) as {
      suppliers: Array<{ code: string; trustMark: { state: string; gate: { open: boolean } } }>;
    };
    expect(dashboard.suppliers.find((s) => s.code === KIT_SUPPLIER)?.trustMark).toMatchObject({ state: "suspended", gate: { open: false } });

    const page = await (await call(sessions.admin, "GET", `/admin/suppliers/${KIT_SUPPLIER}`)).text();
    expect(page).toContain("正式环境信任标识");
    expect(page).toContain("已暂停");
    expect(page).toContain("价格推送异常");
    expect(page).toContain("拦截：标识已暂停");

    expect((await call(sessions.admin, "POST", `${path}/trust-mark/revoke`, { reason: "多次违规" })).status).toBe(200);
    expect((await call(sessions.admin, "POST", `${path}/trust-mark/revoke`, { reason: "again" })).status).toBe(409);
    const waived = await call(sessions.admin, "POST", `${path}/gate-waiver`, { reason: "已与中央电子卖场对接" });
    expect(await waived.json()).toMatchObject({ waiver: { reason: "已与中央电子卖场对接", actor: "admin1" } });
    const after = await (await call(sessions.admin, "GET", `/admin/suppliers/${KIT_SUPPLIER}`)).text();
    expect(after).toContain("已豁免：已与中央电子卖场对接");
    const home = await (await call(sessions.admin, "GET", "/admin/")).text();
    expect(home).toContain("放行（豁免）");

    const audit = rig.gw.container.admin.audit.list({ limit: 20 }).map((e) => `${e.action} ${e.outcome}`);
    expect(audit).toEqual(expect.arrayContaining(["conformance.suspend ok", "conformance.revoke ok", "conformance.revoke refused", "supplier.waive_gate ok"]));
  });

  it("renders the runs list and a run page with modules, steps, evidence and downloads", async () => {
    const list = await (await call(sessions.auditor, "GET", "/admin/conformance/runs")).text();
    expect(list).toContain(runId);
    const page = await (await call(sessions.auditor, "GET", `/admin/conformance/runs/${runId}`)).text();
    for (const text of ["S-1 授权获取 Access Token", "重放的 nonce", "证据", `/admin/api/conformance/runs/${runId}/report.json`, "可打印报告", "已撤销"])
      expect(page).toContain(text);
    expect((await call(sessions.procurement, "GET", `/admin/conformance/runs/${runId}`)).status).toBe(403);
  });

  it("exports each supplier's mark state to /metrics", async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toMatch(new RegExp(`emall_trust_mark_state\\{supplier="${KIT_SUPPLIER}",state="(valid|suspended|revoked|expired)"\\} 1`));
    expect(text).toContain(`emall_trust_mark_expiry_timestamp_seconds{supplier="${KIT_SUPPLIER}"}`);
  });

  it("publishes the signing keys at /.well-known/jwks.json without the private part", async () => {
    const res = await fetch(`${url}/.well-known/jwks.json`);
    expect(res.headers.get("content-type")).toContain("application/jwk-set+json");
    const jwks = (await res.json()) as { keys: Array<Record<string, string>> };
    expect(jwks.keys[0]).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
    expect(jwks.keys[0]).not.toHaveProperty("d");
  });
});
