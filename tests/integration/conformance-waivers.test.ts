import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProductionGate } from "../../src/conformance/production-gate.js";
import { openStore } from "../../src/store/database.js";
import { createConformanceRepo } from "../../src/store/repos/conformance-repo.js";
import { type ConformanceRig, KIT_SUPPLIER, certify, cliEnv, startConformanceRig } from "../helpers/conformance-rig.js";
import { consoleLogin, getPage, postForm } from "../helpers/console-session.js";
import { storeBefore } from "../helpers/legacy-store.js";
import { runCliAsync } from "../helpers/run-cli.js";

const PASSWORD = "correct horse battery staple";

let rig: ConformanceRig;
let env: Record<string, string>;
const cli = (args: string[]) => runCliAsync([...args, "--json"], env);
const gateOf = async () => {
  const listed = await cli(["conformance", "list", "--supplier", KIT_SUPPLIER]);
  expect(listed.json, listed.stderr).toMatchObject({ ok: true });
  return listed.json as { gate: { open: boolean; via: string | null; reason: string | null }; waiver: { reason: string } | null };
};

beforeAll(async () => {
  rig = await startConformanceRig();
  env = cliEnv(rig);
  expect((await certify(rig)).run.passed).toBe(true);
  await rig.gw.container.admin.users.create({ username: "admin1", role: "admin", password: PASSWORD });
}, 60_000);
afterAll(async () => rig?.close());

describe("gate waivers", () => {
  it("a suspension or revocation issued after a waiver ends it: the gate blocks; a waiver granted after the decision opens it again", async () => {
    expect((await cli(["supplier", "waive-gate", "--code", KIT_SUPPLIER, "--reason", "已在中央电子卖场对接运行"])).json).toMatchObject({ ok: true });
    const suspended = await cli(["conformance", "suspend", "--supplier", KIT_SUPPLIER, "--reason", "价格推送异常"]);
    expect(suspended.json, suspended.stderr).toMatchObject({ ok: true, mark: { state: "suspended" }, waiverEnded: { reason: "已在中央电子卖场对接运行" } });
    expect(await gateOf()).toMatchObject({ gate: { open: false, reason: "suspended" }, waiver: null });
    expect(rig.gw.container.conformance.gate.isOpen(rig.supplierId)).toBe(false);

    expect((await cli(["supplier", "waive-gate", "--code", KIT_SUPPLIER, "--reason", "核查后恢复对接"])).json).toMatchObject({ ok: true });
    expect(await gateOf()).toMatchObject({ gate: { open: true, via: "waiver" }, waiver: { reason: "核查后恢复对接" } });

    const revoked = await cli(["conformance", "revoke", "--supplier", KIT_SUPPLIER, "--reason", "多次违规"]);
    expect(revoked.json, revoked.stderr).toMatchObject({ ok: true, mark: { state: "revoked" }, waiverEnded: { reason: "核查后恢复对接" } });
    expect(await gateOf()).toMatchObject({ gate: { open: false, reason: "revoked" }, waiver: null });

    const audit = await cli(["audit", "list", "--action", "conformance.revoke"]);
    expect(JSON.stringify(audit.json)).toMatch(/"before":\{[^}]*"waived":true/);
  }, 120_000);

  it("supplier withdraw-waiver ends a waiver with the reason, audited; the gate blocks; withdrawing none is a not-found error", async () => {
    expect((await cli(["supplier", "waive-gate", "--code", KIT_SUPPLIER, "--reason", "已与其他卖场对接"])).json).toMatchObject({ ok: true });
    expect((await gateOf()).gate).toMatchObject({ open: true, via: "waiver" });

    const noReason = await cli(["supplier", "withdraw-waiver", "--code", KIT_SUPPLIER]);
    expect(noReason.status).toBe(64);
    expect(noReason.json).toMatchObject({ ok: false, error: { kind: "usage" } });

    const withdrawn = await cli(["supplier", "withdraw-waiver", "--code", KIT_SUPPLIER, "--reason", "豁免依据已失效"]);
    expect(withdrawn.status, withdrawn.stderr).toBe(0);
    expect(withdrawn.json).toMatchObject({
      ok: true,
      withdrawn: { supplier: KIT_SUPPLIER, reason: "已与其他卖场对接" },
      reason: "豁免依据已失效",
      gate: { open: false, reason: "revoked" },
    });
    expect(await gateOf()).toMatchObject({ gate: { open: false, reason: "revoked" }, waiver: null });

    const again = await cli(["supplier", "withdraw-waiver", "--code", KIT_SUPPLIER, "--reason", "再次撤回"]);
    expect(again.status).toBe(1);
    expect(again.json).toMatchObject({ ok: false, error: { kind: "not_found", message: `supplier ${KIT_SUPPLIER} has no gate waiver` } });
    // A person reads one line, not a stack trace.
    const text = await runCliAsync(["supplier", "withdraw-waiver", "--code", KIT_SUPPLIER, "--reason", "再次撤回"], env);
    expect(text.status).toBe(1);
    expect(text.stderr.trim()).toBe(`error: supplier ${KIT_SUPPLIER} has no gate waiver`);
    const unknown = await cli(["supplier", "withdraw-waiver", "--code", "NOSUCH", "--reason", "x"]);
    expect(unknown.status).toBe(1);
    expect(unknown.json).toMatchObject({ ok: false, error: { kind: "not_found", message: "no supplier with code NOSUCH" } });

    const audit = await cli(["audit", "list", "--action", "supplier.withdraw_waiver"]);
    const entries = (audit.json as { entries: Array<{ outcome: string; summary: unknown }> }).entries;
    expect(entries.map((e) => e.outcome).sort()).toEqual(["ok", "refused", "refused", "refused"]);
    expect(JSON.stringify(entries)).toContain("豁免依据已失效");
  }, 120_000);

  it("the supplier page offers an admin the withdrawal where the waiver is shown, CSRF-checked, in zh-CN", async () => {
    const admin = await consoleLogin(rig.gw.url, "admin1", PASSWORD);
    const page = `/admin/suppliers/${KIT_SUPPLIER}`;
    const action = `${page}/gate-waiver/withdraw`;
    expect(await (await getPage(rig.gw.url, admin, page)).text()).not.toContain(`action="${action}"`);
    const missing = await postForm(rig.gw.url, admin, action, { reason: "无豁免时撤回" });
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain(`电商 ${KIT_SUPPLIER} 没有准入豁免`);

    await rig.gw.container.conformance.waive(KIT_SUPPLIER, "已在中央电子卖场对接运行", "admin:test");
    const waived = await (await getPage(rig.gw.url, admin, page)).text();
    const card = waived.slice(waived.indexOf('id="conformance"'));
    expect(card).toContain("已豁免：已在中央电子卖场对接运行");
    expect(card).toMatch(
      new RegExp(`<form[^>]*action="${action}"><input type="hidden" name="_csrf"[^>]*><label>撤回豁免的原因（必填）<input name="reason" required`),
    );

    expect((await postForm(rig.gw.url, { ...admin, csrf: "forged" }, action, { reason: "x" })).status).toBe(403);
    expect(rig.gw.container.conformance.gate.isOpen(rig.supplierId)).toBe(true);
    const done = await postForm(rig.gw.url, admin, action, { reason: "豁免依据已失效" });
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toContain(page);
    expect(rig.gw.container.conformance.gate.verdict(rig.supplierId)).toMatchObject({ open: false, reason: "revoked" });
    const after = await (await getPage(rig.gw.url, admin, page)).text();
    expect(after).toContain("拦截：标识已撤销");
    expect(after).toContain(`action="${page}/gate-waiver"`);
    const audit = rig.gw.container.admin.audit.list({ limit: 5 }).map((e) => `${e.action} ${e.outcome} ${e.actor}`);
    expect(audit).toContain("supplier.withdraw_waiver ok admin1");
  });
});

describe("upgrading a store", () => {
  it("ends the waivers a later suspension or revocation should have ended, and keeps the rest", () => {
    const dir = mkdtempSync(join(tmpdir(), "emall-waivers-"));
    try {
      // The store as it was before the rule.
      const path = join(dir, "legacy.db");
      const legacy = storeBefore(path, "_end_waivers_before_suspension");
      // [supplier, mark state, when it was decided, when the waiver was granted]
      const cases = [
        ["SUSPENDED_AFTER", "suspended", 2000, 1000],
        ["REVOKED_AFTER", "revoked", 2000, 1000],
        ["WAIVED_AFTER", "revoked", 2000, 3000],
        ["VALID", "valid", null, 1000],
      ] as const;
      cases.forEach(([code, state, decidedAt, waivedAt], i) => {
        const id = Number(legacy.prepare("INSERT INTO suppliers (code, name, credit_code) VALUES (?, ?, ?)").run(code, code, `CREDIT${i}`).lastInsertRowid);
        legacy
          .prepare(
            "INSERT INTO trust_marks (id, supplier_id, run_id, kid, jws, kit_version, contract_version, issued_at, expires_at, state, state_reason, state_changed_at) VALUES (?, ?, ?, 'key_x', 'jws', 'k', 'c', 500, ?, ?, ?, ?)",
          )
          .run(`mark_${i}`, id, `crun_${i}`, Date.now() + 86_400_000, state, decidedAt === null ? null : "原因", decidedAt);
        legacy.prepare("INSERT INTO gate_waivers (supplier_id, reason, actor, created_at) VALUES (?, '豁免', 'admin', ?)").run(id, waivedAt);
      });
      legacy.close();

      const store = openStore(path);
      try {
        const left = store.connection.prepare("SELECT s.code FROM gate_waivers w JOIN suppliers s ON s.id = w.supplier_id ORDER BY s.code").pluck().all();
        expect(left).toEqual(["VALID", "WAIVED_AFTER"]);
        const gate = createProductionGate(createConformanceRepo(store), Date.now);
        const verdict = (code: string) => gate.verdict(Number(store.connection.prepare("SELECT id FROM suppliers WHERE code = ?").pluck().get(code)));
        expect(verdict("SUSPENDED_AFTER")).toMatchObject({ open: false, reason: "suspended" });
        expect(verdict("WAIVED_AFTER")).toMatchObject({ open: true, via: "waiver" });
      } finally {
        store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
