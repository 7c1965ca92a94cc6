import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type JSONWebKeySet, createLocalJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SignMode } from "../../src/contract/index.js";
import { CONTRACT_VERSION, KIT_VERSION } from "../../src/conformance/plan.js";
import { GateClosedError } from "../../src/conformance/production-gate.js";
import { createConformanceService } from "../../src/conformance/conformance-service.js";
import { createSigningKeys } from "../../src/conformance/signing-keys.js";
import { createKeyRing } from "../../src/security/key-ring.js";
import { openStore } from "../../src/store/database.js";
import { createConformanceRepo } from "../../src/store/repos/conformance-repo.js";
import { type ConformanceRig, KIT_SUPPLIER, certify, cliEnv, startConformanceRig } from "../helpers/conformance-rig.js";
import { TEST_ACCOUNT } from "../helpers/simulator-harness.js";
import { MallCaller, post } from "../helpers/mall-caller.js";
import { storeBefore } from "../helpers/legacy-store.js";
import { runCliAsync } from "../helpers/run-cli.js";
import { rawSql } from "../helpers/raw-sql.js";

const DAY_MS = 86_400_000;

let rig: ConformanceRig;
beforeAll(async () => {
  rig = await startConformanceRig();
  // The production connection; the sandbox and production are the same reference supplier here.
  await rig.gw.container.supplierConnections.connect({ code: KIT_SUPPLIER, baseUrl: rig.sandbox.url, ...TEST_ACCOUNT, qps: 1000, timeoutMs: 2_000 });
});
afterAll(async () => {
  await rig.close();
});

const jwksOf = async (): Promise<JSONWebKeySet> => {
  const res = await fetch(`${rig.gw.url}/.well-known/jwks.json`);
  expect(res.status).toBe(200);
  return (await res.json()) as JSONWebKeySet;
};

async function refusal(work: () => Promise<unknown>): Promise<string | null> {
  try {
    await work();
    return null;
  } catch (e) {
    if (e instanceof GateClosedError) return e.reason;
    throw e;
  }
}

describe("report, trust mark and production gate", () => {
  it("refuses to pull a supplier without a mark, naming the reason", async () => {
    expect(await refusal(() => rig.gw.container.sync.pull(KIT_SUPPLIER))).toBe("no_mark");
    expect(await refusal(() => rig.gw.container.sync.stock(KIT_SUPPLIER))).toBe("no_mark");
  });

  it("issues a mark whose claims and signature anyone can check offline against /.well-known/jwks.json", async () => {
    const { run, trustMark, report } = await certify(rig);
    expect(run.passed).toBe(true);
    const jwks = await jwksOf();
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).not.toHaveProperty("d");
    const { payload, protectedHeader } = await jwtVerify(trustMark ?? "", createLocalJWKSet(jwks));
    expect(protectedHeader.alg).toBe("ES256");
    const supplier = await rig.gw.container.repos.accounts.supplierByCode(KIT_SUPPLIER);
    expect(payload).toMatchObject({
      supplier_code: KIT_SUPPLIER,
      credit_code: supplier?.creditCode,
      run_id: run.id,
      kit_version: KIT_VERSION,
      contract_version: CONTRACT_VERSION,
      jti: run.markId,
    });
    const reportBytes = readFileSync(run.reportJson);
    expect(payload.report_sha256).toBe((await import("node:crypto")).createHash("sha256").update(reportBytes).digest("hex"));
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(365 * 86_400);
    expect(report.kitVersion).toBe(KIT_VERSION);
    expect(report.supplier).toEqual({ code: KIT_SUPPLIER, name: supplier?.name, creditCode: supplier?.creditCode });

    const verified = await rig.gw.container.conformance.verifyMark(trustMark ?? "", jwks);
    expect(verified).toMatchObject({ ok: true, state: "valid" });
    expect(await rig.gw.container.conformance.gate.verdict(rig.supplierId)).toMatchObject({ open: true, via: "mark" });
  }, 60_000);

  it("signs the JSON report (detached JWS over its SHA-256); a changed report no longer verifies", async () => {
    const run = (await rig.gw.container.conformance.runs({ supplier: KIT_SUPPLIER }))[0];
    if (!run) throw new Error("no run");
    const bytes = readFileSync(run.reportJson);
    const signature = readFileSync(`${run.reportJson}.jws`, "utf8");
    expect(signature.trim()).toMatch(/^[\w-]+\.\.[\w-]+$/);
    const jwks = await jwksOf();
    expect(await rig.gw.container.conformance.verifyReport(bytes, signature, jwks)).toMatchObject({ ok: true, runId: run.id, passed: true });
    const tampered = Buffer.from(bytes.toString("utf8").replace('"passed": false', '"passed": true').replace('"status": "warning"', '"status": "passed"'));
    expect(tampered.equals(bytes)).toBe(false);
    expect(await rig.gw.container.conformance.verifyReport(tampered, signature, jwks)).toMatchObject({ ok: false });
  });

  it("writes a self-contained zh-CN HTML report with the summary, identity, versions and evidence", async () => {
    const run = (await rig.gw.container.conformance.runs({ supplier: KIT_SUPPLIER }))[0];
    const html = readFileSync(run?.reportHtml ?? "", "utf8");
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain("结论：通过");
    expect(html).toContain((await rig.gw.container.repos.accounts.supplierByCode(KIT_SUPPLIER))?.creditCode ?? "?");
    expect(html).toContain(KIT_VERSION);
    expect(html).toContain(CONTRACT_VERSION);
    expect(html).toContain("证据");
    // Nothing loaded from anywhere: no scripts, stylesheets, images or fonts by URL.
    expect(html).not.toMatch(/<script|<link|<img|src=|url\(|@import/i);
    // Secrets never reach the report.
    expect(html).not.toContain(TEST_ACCOUNT.password);
    expect(html).not.toContain(TEST_ACCOUNT.appSecret);
    expect(readFileSync(run?.reportJson ?? "", "utf8")).not.toContain(TEST_ACCOUNT.password);
  });

  it("suspends and revokes with a reason; the gate names each state; a new run certifies again", async () => {
    const c = rig.gw.container.conformance;
    await c.suspend(KIT_SUPPLIER, "接口签名异常，待核查");
    expect(await refusal(() => rig.gw.container.sync.pull(KIT_SUPPLIER))).toBe("suspended");
    expect((await c.standing(KIT_SUPPLIER)).mark).toMatchObject({ state: "suspended", reason: "接口签名异常，待核查" });
    const jwks = await jwksOf();
    expect(await c.verifyMark((await c.standing(KIT_SUPPLIER)).mark?.jws ?? "", jwks)).toMatchObject({ ok: true, state: "suspended" });
    await c.revoke(KIT_SUPPLIER, "多次推送错误价格");
    expect(await refusal(() => rig.gw.container.sync.pull(KIT_SUPPLIER))).toBe("revoked");
    await expect(c.revoke(KIT_SUPPLIER, "again")).rejects.toThrow(/already revoked/);
    await expect(c.suspend(KIT_SUPPLIER, " ")).rejects.toThrow(/reason/);

    const earlier = (await c.runs({ supplier: KIT_SUPPLIER }))[0]?.id;
    const again = await certify(rig);
    expect(again.report.summary.blocking, JSON.stringify(again.run.modules.flatMap((m) => m.steps.filter((x) => x.status === "failed")))).toEqual([]);
    expect(again.run.passed).toBe(true);
    expect(await c.gate.verdict(rig.supplierId)).toMatchObject({ open: true, via: "mark" });
    // Both runs started in the same (frozen) millisecond: the one stored last lists first.
    expect((await c.runs({ supplier: KIT_SUPPLIER })).map((r) => r.id)).toEqual([again.run.id, earlier]);
  }, 60_000);

  it("lets a mark expire after its lifetime, and a waiver opens the gate with its reason", async () => {
    rig.gw.clock.advance(366 * DAY_MS);
    try {
      expect(await refusal(() => rig.gw.container.sync.pull(KIT_SUPPLIER))).toBe("expired");
      expect(await rig.gw.container.conformance.standing(KIT_SUPPLIER)).toMatchObject({ mark: { state: "expired" }, gate: { open: false, reason: "expired" } });
      await rig.gw.container.conformance.waive(KIT_SUPPLIER, "已在中央电子卖场对接运行两年", "admin:test");
      expect(await rig.gw.container.conformance.standing(KIT_SUPPLIER)).toMatchObject({
        gate: { open: true, via: "waiver" },
        waiver: { reason: "已在中央电子卖场对接运行两年", actor: "admin:test" },
      });
    } finally {
      rig.gw.clock.advance(-366 * DAY_MS);
    }
  });
});

/** An admin's admin API session on the rig: the cookie is all a GET needs. */
async function adminCookie(r: ConformanceRig): Promise<string> {
  const password = "correct horse battery staple";
  await r.gw.container.admin.users.create({ username: "admin1", role: "admin", password });
  const res = await fetch(`${r.gw.url}/admin/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "admin1", password }),
  });
  expect(res.status).toBe(200);
  return (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
}

describe("suspending and revoking a supplier", () => {
  it("reaches every mark still in its lifetime: an older mark no longer verifies as valid, from the CLI or the admin API", async () => {
    const fresh = await startConformanceRig();
    try {
      const env = cliEnv(fresh);
      const cookie = await adminCookie(fresh);
      const jwksFile = join(fresh.gw.dir, "jwks.json");
      const verify = (jws: string | null) => runCliAsync(["conformance", "verify", "--mark", jws ?? "", "--jwks", jwksFile, "--json"], env);
      const markStateOfRun = async (runId: string) => {
        const res = await fetch(`${fresh.gw.url}/admin/api/conformance/runs/${runId}`, { headers: { cookie } });
        expect(res.status).toBe(200);
        return ((await res.json()) as { mark: { state: string } }).mark.state;
      };
      const sorted = (ids: ReadonlyArray<string | null>) => [...ids].sort();

      const older = await certify(fresh);
      const newer = await certify(fresh);
      writeFileSync(jwksFile, await (await fetch(`${fresh.gw.url}/.well-known/jwks.json`)).text());
      expect((await verify(older.trustMark)).json).toMatchObject({ ok: true, valid: true, state: "valid" });

      const suspended = await runCliAsync(["conformance", "suspend", "--supplier", KIT_SUPPLIER, "--reason", "正式环境接口签名异常", "--json"], env);
      expect(suspended.json, suspended.stderr).toMatchObject({ ok: true, mark: { id: newer.run.markId, state: "suspended" } });
      const olderSuspended = await verify(older.trustMark);
      expect(olderSuspended.status).toBe(1);
      expect(olderSuspended.json).toMatchObject({ ok: false, valid: false, state: "suspended" });
      expect(await markStateOfRun(older.run.id)).toBe("suspended");
      expect(sorted((suspended.json as { changed: string[] }).changed)).toEqual(sorted([older.run.markId, newer.run.markId]));

      // Revoking on its own: two new marks beside the suspended ones, and every one of the four ends revoked.
      const third = await certify(fresh);
      const fourth = await certify(fresh);
      expect((await verify(third.trustMark)).json).toMatchObject({ ok: true, state: "valid" });
      const revoked = await runCliAsync(["conformance", "revoke", "--supplier", KIT_SUPPLIER, "--reason", "多次推送错误价格", "--json"], env);
      expect(revoked.json, revoked.stderr).toMatchObject({ ok: true, mark: { id: fourth.run.markId, state: "revoked" } });
      for (const mark of [third, older]) {
        const refused = await verify(mark.trustMark);
        expect(refused.status).toBe(1);
        expect(refused.json).toMatchObject({ ok: false, valid: false, state: "revoked" });
        expect(await markStateOfRun(mark.run.id)).toBe("revoked");
      }
      expect(sorted((revoked.json as { changed: string[] }).changed)).toEqual(
        sorted([older.run.markId, newer.run.markId, third.run.markId, fourth.run.markId]),
      );
    } finally {
      await fresh.close();
    }
  }, 240_000);
});

describe("signing keys", () => {
  it("rotates: new marks use the new key, and the old public key stays published after its marks expired", async () => {
    const fresh = await startConformanceRig();
    try {
      const first = await certify(fresh);
      const oldKid = (await fresh.gw.container.conformance.signing.signer()).kid;
      const rotated = await fresh.gw.container.conformance.signing.rotate();
      expect(rotated.retired).toBe(oldKid);
      const published = (await fresh.gw.container.conformance.jwks()).keys.map((k) => k.kid);
      expect(published).toEqual(expect.arrayContaining([oldKid, rotated.kid]));
      expect(await fresh.gw.container.conformance.verifyMark(first.trustMark ?? "")).toMatchObject({ ok: true, kid: oldKid });

      // Its marks expired, the report it signed is still kept: the key stays, and the mark says "expired", not "invalid".
      fresh.gw.clock.advance(366 * DAY_MS);
      expect((await fresh.gw.container.conformance.jwks()).keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, rotated.kid]));
      expect(await fresh.gw.container.conformance.verifyMark(first.trustMark ?? "")).toMatchObject({ ok: true, kid: oldKid, state: "expired" });
      fresh.gw.clock.advance(-366 * DAY_MS);

      // The private key is sealed at rest with the key ring.
      const row = await fresh.gw.container.repos.conformance.keyByKid(rotated.kid);
      expect(row?.privateJwkEnc).toMatch(/^v1:/);
      expect(row?.privateJwkEnc).not.toContain('"d"');
    } finally {
      await fresh.close();
    }
  }, 60_000);

  it("keeps publishing a retired key for the reports it signed: a failed run's report verifies after two rotations", async () => {
    const failing = await startConformanceRig({ knobs: { defects: ["duplicate-order"] } });
    try {
      const env = cliEnv(failing);
      const { run } = await certify(failing);
      expect(run.passed).toBe(false);
      expect(run.markId).toBeNull();
      const signedBy = (await failing.gw.container.conformance.signing.signer()).kid;
      const rotations = [];
      for (let i = 0; i < 2; i++) {
        const rotated = await runCliAsync(["conformance", "rotate-key", "--json"], env);
        expect(rotated.json, rotated.stderr).toMatchObject({ ok: true });
        rotations.push(rotated.json as { kid: string; retired: string });
      }
      expect(rotations[0]?.retired).toBe(signedBy);

      const res = await fetch(`${failing.gw.url}/.well-known/jwks.json`);
      const jwks = (await res.json()) as JSONWebKeySet;
      // The active key and the one that signed the report; the key in between signed nothing.
      expect(jwks.keys.map((k) => k.kid).sort()).toEqual([rotations[1]?.kid, signedBy].sort());
      const jwksFile = join(failing.gw.dir, "jwks.json");
      writeFileSync(jwksFile, JSON.stringify(jwks));
      const verified = await runCliAsync(["conformance", "verify", "--report", run.reportJson, "--jwks", jwksFile, "--json"], env);
      expect(verified.json, verified.stderr).toMatchObject({ ok: true, valid: true, kid: signedBy, runId: run.id, passed: false });
      const detached = readFileSync(`${run.reportJson}.jws`, "utf8");
      expect(await failing.gw.container.conformance.verifyReport(readFileSync(run.reportJson), detached, jwks)).toMatchObject({ ok: true, kid: signedBy });
    } finally {
      await failing.close();
    }
  }, 120_000);

  it("keeps publishing every key of a store upgraded from before keys recorded their first signature", async () => {
    const dir = mkdtempSync(join(tmpdir(), "emall-keys-"));
    try {
      const path = join(dir, "legacy.db");
      const legacy = storeBefore(path, "_signing_key_first_signed");
      const insert = legacy.prepare(
        "INSERT INTO signing_keys (kid, alg, public_jwk_json, private_jwk_enc, created_at, retired_at) VALUES (?, 'ES256', ?, 'v1:sealed', ?, ?)",
      );
      insert.run("key_old", JSON.stringify({ kty: "EC", kid: "key_old" }), 1000, 2000);
      insert.run("key_new", JSON.stringify({ kty: "EC", kid: "key_new" }), 2000, null);
      legacy.close();
      const store = openStore(path);
      try {
        const keys = createSigningKeys(createConformanceRepo(store.sql), createKeyRing("k1", new Map([["k1", randomBytes(32)]])), Date.now);
        expect((await keys.jwks()).keys.map((k) => k.kid).sort()).toEqual(["key_new", "key_old"]);
      } finally {
        store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives marks of an earlier contract edition a re-certify-by date when the change affects their modules, then lapses them", async () => {
    const fresh = await startConformanceRig();
    try {
      await certify(fresh);
      const c = fresh.gw.container;
      // A mark issued under the edition before the current one.
      await rawSql(c.store).run("update trust_marks set contract_version = 'tj-2021.9'");
      const unaffected = createConformanceService({
        repo: c.repos.conformance,
        accounts: c.repos.accounts,
        reference: c.repos.reference,
        keys: c.keys,
        config: c.config,
        clock: c.clock,
        history: [
          { version: "tj-2021.9", affects: [] },
          { version: CONTRACT_VERSION, affects: [] },
        ],
      });
      expect(await unaffected.applyContractChanges()).toBe(0);
      const affected = createConformanceService({
        repo: c.repos.conformance,
        accounts: c.repos.accounts,
        reference: c.repos.reference,
        keys: c.keys,
        config: c.config,
        clock: c.clock,
        history: [
          { version: "tj-2021.9", affects: [] },
          { version: CONTRACT_VERSION, affects: ["orders"] },
        ],
      });
      expect(await affected.applyContractChanges()).toBe(1);
      const mark = (await affected.standing(KIT_SUPPLIER)).mark;
      expect(Date.parse(mark?.recertifyBy ?? "")).toBe(c.clock() + 90 * DAY_MS);
      expect(mark?.state).toBe("valid");
      fresh.gw.clock.advance(91 * DAY_MS);
      expect(await affected.standing(KIT_SUPPLIER)).toMatchObject({ mark: { state: "expired" }, gate: { open: false, reason: "expired" } });
      fresh.gw.clock.advance(-91 * DAY_MS);
    } finally {
      await fresh.close();
    }
  }, 60_000);
});

describe("the supplier's own use of the mall side", () => {
  it("reports token, catalogs, parameters and signing from the sandbox's mall calls, as warnings only", async () => {
    const fresh = await startConformanceRig();
    try {
      const before = await certify(fresh);
      const usage = (r: typeof before) => r.run.modules.find((m) => m.id === "mall-usage")?.steps.map((s) => `${s.id} ${s.status}`);
      expect(usage(before)).toEqual(["mall.token warning", "mall.catalogs warning", "mall.params warning", "mall.signing warning"]);
      expect(before.run.passed).toBe(true);

      const caller = new MallCaller(fresh.gw.url, { ...fresh.mallAccount, signMode: "hmac-sha256" });
      expect((await caller.login()).body.success).toBe(true);
      const catalogs = await caller.call("/gyssc/platform/catalogs");
      const leaf = (catalogs.body.result as Array<{ id: string; isLeaf: number }>).find((c) => c.isLeaf === 1);
      expect((await caller.call("/catalogsParam", { id: leaf?.id })).body.success).toBe(true);
      const after = await certify(fresh);
      expect(usage(after)).toEqual(["mall.token passed", "mall.catalogs passed", "mall.params passed", "mall.signing passed"]);

      expect((await post(`${fresh.gw.url}/brands`, { ...caller.signedFields({}), sign: "0".repeat(64) })).body.code).toBe(5004);
      const badSign = await certify(fresh);
      expect(usage(badSign)).toContain("mall.signing warning");
      expect(badSign.run.passed).toBe(true);
    } finally {
      await fresh.close();
    }
  }, 90_000);
});

describe("advisory runs", () => {
  it("add seeded random and malformed inputs, write a report, and never issue a mark or count as a certification run", async () => {
    const fresh = await startConformanceRig();
    try {
      const { run, report, trustMark } = await fresh.gw.container.conformance.run({
        supplier: KIT_SUPPLIER,
        target: { baseUrl: fresh.sandbox.url, ...TEST_ACCOUNT, signMode: SignMode.HmacSha256, bodyFormat: "form" },
        actor: "test",
        advisory: { seed: 42 },
      });
      expect(run.id).toMatch(/^cadv_/);
      expect(run.passed).toBe(true);
      expect(trustMark).toBeNull();
      expect(report.advisory).toEqual({ seed: 42 });
      const fuzz = run.modules.find((m) => m.id === "fuzz");
      expect(fuzz?.steps.map((s) => `${s.id} ${s.status}`)).toEqual(["fuzz.skus passed", "fuzz.fields passed"]);
      expect(readFileSync(run.reportHtml, "utf8")).toContain("参考性测试");
      expect(await fresh.gw.container.conformance.runs({ supplier: KIT_SUPPLIER })).toEqual([]);
      expect(await fresh.gw.container.conformance.gate.verdict(fresh.supplierId)).toMatchObject({ open: false, reason: "no_mark" });
    } finally {
      await fresh.close();
    }
  }, 60_000);
});

describe("other sign modes and encodings", () => {
  it("certifies a yggc-md5 supplier sending JSON bodies (no nonce or response-signature steps in that plan)", async () => {
    const md5 = await startConformanceRig({ signMode: SignMode.YggcMd5 });
    try {
      const { run } = await certify(md5, SignMode.YggcMd5, "json");
      expect(run.passed).toBe(true);
      const steps = run.modules.flatMap((m) => m.steps.map((s) => s.id));
      expect(steps).not.toContain("token.replayed-nonce");
      expect(steps).not.toContain("answer.signed");
      expect(steps).toContain("token.bad-signature");
    } finally {
      await md5.close();
    }
  }, 60_000);
});
