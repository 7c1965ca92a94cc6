import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestGateway, nextCreditCode, startTestGateway } from "../helpers/harness.js";
import { runCliAsync } from "../helpers/run-cli.js";
import { onPostgres } from "../helpers/test-database.js";
import { rawSql } from "../helpers/raw-sql.js";

const PASSWORD = "correct horse battery staple";

/**
 * An audited change and its audit row commit together: with the audit log refusing writes (a
 * trigger stands in for a full disk or a locked table), the change itself must not happen.
 */
describe("audit rows share the transaction of the change they record", () => {
  let gw: TestGateway;
  let cookie = "";
  let csrf = "";
  const failAudit = (on: boolean) =>
    rawSql(gw.container.store).exec(
      onPostgres
        ? on
          ? "CREATE FUNCTION audit_down() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit log unavailable'; END $$; " +
            "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_down();"
          : "DROP TRIGGER audit_down ON audit_log; DROP FUNCTION audit_down();"
        : on
          ? "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END;"
          : "DROP TRIGGER audit_down;",
    );
  const statusOf = async (code: string) => (await gw.container.supplierAccounts.show(code, false)).status;

  beforeAll(async () => {
    gw = await startTestGateway();
    await gw.container.admin.users.create({ username: "root1", role: "admin", password: PASSWORD });
    await gw.container.supplierAccounts.create({ code: "ATOM", name: "原子电商", creditCode: await nextCreditCode(), domains: ["item.atom-shop.cn"] });
    const login = await fetch(`${gw.url}/admin/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "root1", password: PASSWORD }),
    });
    cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    csrf = ((await login.json()) as { csrfToken: string }).csrfToken;
  });
  afterAll(() => gw.close());

  it("admin API: a supplier is not disabled when its audit row cannot be written", async () => {
    await failAudit(true);
    try {
      const res = await fetch(`${gw.url}/admin/api/suppliers/ATOM/status`, {
        method: "POST",
        headers: { cookie, "x-csrf-token": csrf, "content-type": "application/json" },
        body: JSON.stringify({ enabled: false }),
      });
      expect(res.status).toBe(500);
      expect(await statusOf("ATOM")).toBe("active");
    } finally {
      await failAudit(false);
    }
    const res = await fetch(`${gw.url}/admin/api/suppliers/ATOM/status`, {
      method: "POST",
      headers: { cookie, "x-csrf-token": csrf, "content-type": "application/json" },
      body: JSON.stringify({ enabled: false }),
    });
    expect(res.status).toBe(200);
    expect(await statusOf("ATOM")).toBe("disabled");
    expect(await gw.container.admin.audit.list({ action: "supplier.status", limit: 5 })).toHaveLength(1);
  });

  it("admin API: no session is created when the login's audit row cannot be written", async () => {
    const before = (await rawSql(gw.container.store).get<{ n: number }>("SELECT count(*) AS n FROM admin_sessions")) ?? { n: -1 };
    await failAudit(true);
    try {
      const res = await fetch(`${gw.url}/admin/api/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "root1", password: PASSWORD }),
      });
      expect(res.status).toBe(500);
      expect(res.headers.get("set-cookie")).toBeNull();
    } finally {
      await failAudit(false);
    }
    const after = (await rawSql(gw.container.store).get<{ n: number }>("SELECT count(*) AS n FROM admin_sessions")) ?? { n: -2 };
    expect(after.n).toBe(before.n);
  });

  it("CLI: `supplier sign-mode` changes nothing when its audit row cannot be written", async () => {
    const env = { DATABASE_URL: gw.config.DATABASE_URL, DATA_ENCRYPTION_KEY_FILE: gw.config.DATA_ENCRYPTION_KEY_FILE };
    await failAudit(true);
    try {
      const r = await runCliAsync(["supplier", "sign-mode", "--code", "ATOM", "--mode", "yggc-md5", "--json"], env);
      expect(r.status).not.toBe(0);
    } finally {
      await failAudit(false);
    }
    expect((await gw.container.supplierAccounts.show("ATOM", false)).signMode).toBe("hmac-sha256");
    const ok = await runCliAsync(["supplier", "sign-mode", "--code", "ATOM", "--mode", "yggc-md5", "--json"], env);
    expect(ok.json).toMatchObject({ ok: true, supplier: { signMode: "yggc-md5" } });
  });

  it("admin API: a user whose audit row cannot be written is neither created nor changed (hashing happens before the transaction)", async () => {
    const post = (method: string, path: string, body: unknown) =>
      fetch(`${gw.url}/admin/api${path}`, {
        method,
        headers: { cookie, "x-csrf-token": csrf, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    await failAudit(true);
    try {
      expect((await post("POST", "/users", { username: "ghost1", role: "auditor", password: PASSWORD })).status).toBe(500);
      expect((await post("PATCH", "/users/root1", { role: "auditor" })).status).toBe(500);
    } finally {
      await failAudit(false);
    }
    expect((await gw.container.admin.users.list()).map((u) => u.username)).not.toContain("ghost1");
    expect((await gw.container.admin.users.show("root1")).role).toBe("admin");
    expect((await post("POST", "/users", { username: "ghost1", role: "auditor", password: PASSWORD })).status).toBe(201);
    expect((await gw.container.admin.audit.list({ action: "user.create", limit: 5 })).map((r) => r.target)).toEqual(["ghost1"]);
  });

  it("CLI: `users role` changes nothing when its audit row cannot be written", async () => {
    const env = { DATABASE_URL: gw.config.DATABASE_URL, DATA_ENCRYPTION_KEY_FILE: gw.config.DATA_ENCRYPTION_KEY_FILE };
    await failAudit(true);
    try {
      const r = await runCliAsync(["users", "role", "--username", "ghost1", "--role", "admin", "--json"], env);
      expect(r.status).not.toBe(0);
    } finally {
      await failAudit(false);
    }
    expect((await gw.container.admin.users.show("ghost1")).role).toBe("auditor");
  });

  it("a supplier's secrets are not rotated when the rotation's audit row cannot be written (admin API and CLI)", async () => {
    const env = { DATABASE_URL: gw.config.DATABASE_URL, DATA_ENCRYPTION_KEY_FILE: gw.config.DATA_ENCRYPTION_KEY_FILE };
    const version = async () => (await gw.container.supplierAccounts.show("ATOM", false)).credentialsVersion;
    const before = await version();
    await failAudit(true);
    try {
      const res = await fetch(`${gw.url}/admin/api/suppliers/ATOM/rotate`, {
        method: "POST",
        headers: { cookie, "x-csrf-token": csrf, "content-type": "application/json" },
        body: JSON.stringify({ password: true, appSecret: true }),
      });
      expect(res.status).toBe(500);
      expect((await res.text()).includes("appSecret")).toBe(false);
      expect((await runCliAsync(["supplier", "rotate", "--code", "ATOM", "--json"], env)).status).not.toBe(0);
    } finally {
      await failAudit(false);
    }
    expect(await version()).toBe(before);
    const rotated = await runCliAsync(["supplier", "rotate", "--code", "ATOM", "--json"], env);
    expect(rotated.json).toMatchObject({ ok: true });
    expect(await version()).toBe((before ?? 0) + 1);
  });
});
