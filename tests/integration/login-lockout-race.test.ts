import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { FAILED_LOGIN_AUDIT_ROWS_PER_MINUTE } from "../../src/admin/admin-sessions.js";
import type * as PasswordHash from "../../src/security/password-hash.js";
import { verifyPassword } from "../../src/security/password-hash.js";
import { type TestGateway, nextCreditCode, startTestGateway } from "../helpers/harness.js";
import { MallCaller, post } from "../helpers/mall-caller.js";

// The real scrypt check, counted: the lockout must bound how often it runs, not only what it answers.
vi.mock("../../src/security/password-hash.js", async (importOriginal) => {
  const real = await importOriginal<typeof PasswordHash>();
  return { ...real, verifyPassword: vi.fn(real.verifyPassword) };
});
const verifications = vi.mocked(verifyPassword);

const LOCKOUT_FAILURES = 5;
const PARALLEL = 30;

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.close());
beforeEach(() => {
  verifications.mockClear();
});

const adminLogin = (username: string, password: string) =>
  fetch(`${gw.url}/admin/api/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username, password }) });

describe("login lockout under parallel wrong passwords", () => {
  it("M-1: 30 parallel wrong passwords run scrypt at most 5 times and lock the account", async () => {
    const { credentials } = await gw.container.supplierAccounts.create({
      code: "RACE",
      name: "并发电商",
      creditCode: await nextCreditCode(),
      domains: ["item.race-shop.cn"],
    });
    const wrong = new MallCaller(gw.url, { ...credentials, password: "wrong-password-0000", signMode: "hmac-sha256" }, gw.clock.now);
    const answers = await Promise.all(Array.from({ length: PARALLEL }, () => post(`${gw.url}/gyssc/token`, wrong.tokenFields())));
    expect(answers.every((a) => a.body.code === 5003)).toBe(true);
    expect(verifications.mock.calls.length).toBeLessThanOrEqual(LOCKOUT_FAILURES);
    expect(answers.filter((a) => String(a.body.desc).includes("锁定")).length).toBeGreaterThanOrEqual(PARALLEL - LOCKOUT_FAILURES);

    verifications.mockClear();
    const right = new MallCaller(gw.url, { ...credentials, signMode: "hmac-sha256" }, gw.clock.now);
    const locked = await right.login();
    expect(locked.body).toMatchObject({ success: false, code: 5003 });
    expect(String(locked.body.desc)).toContain("锁定");
    expect(verifications).not.toHaveBeenCalled();

    gw.clock.advance(15 * 60_000 + 1);
    expect((await right.login()).body.success).toBe(true);
  });

  it("admin API: 30 parallel wrong passwords run scrypt at most 5 times, lock the username, and write at most 2 audit rows", async () => {
    await gw.container.admin.users.create({ username: "raced", role: "admin", password: "correct horse battery staple" });
    verifications.mockClear();
    const statuses = await Promise.all(Array.from({ length: PARALLEL }, async () => (await adminLogin("raced", "not the password at all")).status));
    expect(verifications.mock.calls.length).toBeLessThanOrEqual(LOCKOUT_FAILURES);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(LOCKOUT_FAILURES);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(PARALLEL - LOCKOUT_FAILURES);
    expect((await adminLogin("raced", "correct horse battery staple")).status).toBe(429);
    const rows = await gw.container.admin.audit.list({ actor: "raced", action: "session.login", limit: 100 });
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThanOrEqual(2);
  });

  it("admin API: a spray over many usernames writes a bounded number of audit rows, and the next row counts the rest", async () => {
    gw.clock.advance(60_000);
    const before = (await gw.container.admin.audit.list({ action: "session.login", limit: 1000 })).length;
    const SPRAY = FAILED_LOGIN_AUDIT_ROWS_PER_MINUTE + 15;
    const statuses = await Promise.all(Array.from({ length: SPRAY }, async (_, i) => (await adminLogin(`sprayed${i}`, "guess-guess-guess")).status));
    expect(statuses.every((s) => s === 401)).toBe(true);
    const written = (await gw.container.admin.audit.list({ action: "session.login", limit: 1000 })).length - before;
    expect(written).toBe(FAILED_LOGIN_AUDIT_ROWS_PER_MINUTE);

    gw.clock.advance(60_000);
    expect((await adminLogin("sprayed-late", "guess-guess-guess")).status).toBe(401);
    const [latest] = await gw.container.admin.audit.list({ action: "session.login", limit: 1 });
    expect(JSON.parse(latest?.summaryJson ?? "{}")).toMatchObject({ failedLoginsNotAudited: SPRAY - FAILED_LOGIN_AUDIT_ROWS_PER_MINUTE });
  });
});
