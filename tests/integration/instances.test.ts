import { mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../src/contract/index.js";
import { startMaintenance } from "../../src/maintenance.js";
import { startGatewayJobs } from "../../src/scheduling/gateway-jobs.js";
import { TICK_MEMORY_MS } from "../../src/store/repos/schedule-repo.js";
import { consoleLogin, getPage, postForm } from "../helpers/console-session.js";
import { type TestGateway, nextCreditCode, startTestGateway, testClock } from "../helpers/harness.js";
import { type Credentials, MallCaller, post } from "../helpers/mall-caller.js";
import { runCliAsync } from "../helpers/run-cli.js";
import { type GatewayProcess, spawnGateway } from "../helpers/gateway-process.js";
import { testDatabaseUrl } from "../helpers/test-database.js";
import { capturingLogger, waitFor } from "../helpers/wait.js";
import { rawSql } from "../helpers/raw-sql.js";

/**
 * Two gateways on ONE database (issue 11 §2) behave as one: replay detection, token state, console
 * sessions and the scheduler. Each gateway has its own container, express app and port, as two
 * processes would; they share only the database and the key file. On SQLite they share one file,
 * as the CLI and the server already do.
 */
const INFO = "/gyssc/platform/info";
const ADMIN_PASSWORD = "correct horse battery staple";

let dir: string;
let env: Record<string, string>;
let a: TestGateway;
let b: TestGateway;
const logs = { a: capturingLogger(), b: capturingLogger() };
const clock = testClock();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "emall-instances-"));
  env = {
    DATABASE_URL: await testDatabaseUrl(dir),
    DATA_ENCRYPTION_KEY_FILE: join(dir, "master.key"),
    CONFORMANCE_REPORT_DIR: join(dir, "conformance"),
    TOKEN_TTL_SECONDS: "3600",
    SCHEDULER_ENABLED: "false",
  };
  a = await startTestGateway(env, clock, logs.a.logger);
  b = await startTestGateway(env, clock, logs.b.logger);
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  rmSync(dir, { recursive: true, force: true });
});

let serial = 0;
/** A supplier created through A, with its mall credentials. */
async function newSupplier(): Promise<{ code: string; credentials: Credentials }> {
  const code = `INST${++serial}${Math.random().toString(36).slice(2, 6).toUpperCase()}`;
  const { credentials } = await a.container.supplierAccounts.create({
    code,
    name: `多实例电商${code}`,
    creditCode: await nextCreditCode(),
    domains: ["item.instances-shop.cn"],
  });
  return { code, credentials: { ...credentials, signMode: "hmac-sha256" } };
}

/** The same supplier's client pointed at the other gateway, holding the token it already has. */
function at(gw: TestGateway, caller: MallCaller): MallCaller {
  const other = new MallCaller(gw.url, caller.credentials, clock.now);
  other.token = caller.token;
  return other;
}

const isReplay = (body: Record<string, unknown>) => body.code === ErrorCode.SignatureInvalid && String(body.desc).includes("nonce");

type AdminSession = { cookie: string; csrf: string };
async function adminApiLogin(gw: TestGateway, username: string): Promise<AdminSession> {
  const res = await fetch(`${gw.url}/admin/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password: ADMIN_PASSWORD }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { csrfToken: string };
  return { cookie: (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "", csrf: body.csrfToken };
}
const adminApi = (gw: TestGateway, s: AdminSession, method: string, path: string, body?: unknown) =>
  fetch(`${gw.url}/admin/api${path}`, {
    method,
    headers: { cookie: s.cookie, "x-csrf-token": s.csrf, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

let adminSerial = 0;
async function newAdmin(): Promise<string> {
  const username = `ops${++adminSerial}`;
  await a.container.admin.users.create({ username, role: "admin", password: ADMIN_PASSWORD });
  return username;
}

describe("replay detection across instances", () => {
  it("a signed call's nonce accepted at A is answered 5004 at B, and a token issued at A works at B", async () => {
    const { credentials } = await newSupplier();
    const callerA = new MallCaller(a.url, credentials, clock.now);
    expect((await callerA.login()).body.success).toBe(true);
    const callerB = at(b, callerA);
    expect((await callerB.call(INFO)).body.success).toBe(true);

    for (let i = 0; i < 5; i++) {
      const fields = callerA.signedFields({});
      expect((await post(`${a.url}${INFO}`, fields)).body.success).toBe(true);
      const again = await post(`${b.url}${INFO}`, fields);
      expect(again.body).toMatchObject({ success: false, code: ErrorCode.SignatureInvalid });
      expect(isReplay(again.body)).toBe(true);
    }
    // And the other way round.
    const fields = callerB.signedFields({});
    expect((await post(`${b.url}${INFO}`, fields)).body.success).toBe(true);
    expect(isReplay((await post(`${a.url}${INFO}`, fields)).body)).toBe(true);
  });

  it("the same signed call sent to A and B at once passes exactly once", async () => {
    const { credentials } = await newSupplier();
    const caller = new MallCaller(b.url, credentials, clock.now);
    expect((await caller.login()).body.success).toBe(true);
    const rounds = await Promise.all(
      Array.from({ length: 30 }, () => {
        const fields = caller.signedFields({});
        return Promise.all([
          post(`${a.url}${INFO}`, fields),
          post(`${b.url}${INFO}`, fields),
          post(`${a.url}${INFO}`, fields),
          post(`${b.url}${INFO}`, fields),
        ]);
      }),
    );
    for (const answers of rounds) {
      expect(answers.filter((x) => x.body.success === true)).toHaveLength(1);
      expect(answers.filter((x) => isReplay(x.body))).toHaveLength(3);
    }
  });

  it("a token call's nonce used at A is refused at B", async () => {
    const { credentials } = await newSupplier();
    const caller = new MallCaller(a.url, credentials, clock.now);
    const fields = caller.tokenFields();
    expect((await post(`${a.url}/gyssc/token`, fields)).body.success).toBe(true);
    expect(isReplay((await post(`${b.url}/gyssc/token`, fields)).body)).toBe(true);
  });
});

describe("token state across instances", () => {
  it("a password rotation through A's admin API ends the supplier's tokens at B at once", async () => {
    const { code, credentials } = await newSupplier();
    const callerA = new MallCaller(a.url, credentials, clock.now);
    expect((await callerA.login()).body.success).toBe(true);
    const callerB = at(b, callerA);
    // B has verified this token and decrypted this secret: whatever it keeps must not outlive the rotation.
    for (let i = 0; i < 3; i++) expect((await callerB.call(INFO)).body.success).toBe(true);

    const admin = await adminApiLogin(a, await newAdmin());
    const rotated = await adminApi(a, admin, "POST", `/suppliers/${code}/rotate`, { password: true, appSecret: false });
    expect(rotated.status).toBe(200);
    const { credentials: fresh } = (await rotated.json()) as { credentials: { password: string } };

    const refused = await callerB.call(INFO);
    expect(refused.body).toMatchObject({ success: false, code: ErrorCode.TokenExpired });
    expect(String(refused.body.desc)).toContain("token_expired");
    expect((await at(a, callerA).call(INFO)).body.code).toBe(ErrorCode.TokenExpired);
    // The old password is refused at B, the new one works there.
    expect((await callerB.login()).body.code).toBe(ErrorCode.PasswordWrong);
    const renewed = new MallCaller(b.url, { ...credentials, password: fresh.password }, clock.now);
    expect((await renewed.login()).body.success).toBe(true);
    expect((await at(a, renewed).call(INFO)).body.success).toBe(true);
  });

  it("an appSecret rotation at B: calls signed with the old secret are refused at A at once", async () => {
    const { code, credentials } = await newSupplier();
    const callerA = new MallCaller(a.url, credentials, clock.now);
    expect((await callerA.login()).body.success).toBe(true);
    expect((await callerA.call(INFO)).body.success).toBe(true);

    const admin = await adminApiLogin(b, await newAdmin());
    const rotated = await adminApi(b, admin, "POST", `/suppliers/${code}/rotate`, { password: false, appSecret: true });
    expect(rotated.status).toBe(200);
    const { credentials: fresh } = (await rotated.json()) as { credentials: { appSecret: string } };

    expect((await callerA.call(INFO)).body.code).toBe(ErrorCode.TokenExpired);
    // A new token signed with the old secret is no good either; the new secret is.
    expect((await callerA.login()).body.code).toBe(ErrorCode.SignatureInvalid);
    const renewed = new MallCaller(a.url, { ...credentials, appSecret: fresh.appSecret }, clock.now);
    expect((await renewed.login()).body.success).toBe(true);
    expect((await at(b, renewed).call(INFO)).body.success).toBe(true);
  });

  it("a supplier disabled from the CLI is refused by A and B at once; enabled through B, A issues tokens again", async () => {
    const { code, credentials } = await newSupplier();
    const callerA = new MallCaller(a.url, credentials, clock.now);
    expect((await callerA.login()).body.success).toBe(true);
    const callerB = at(b, callerA);
    expect((await callerA.call(INFO)).body.success).toBe(true);
    expect((await callerB.call(INFO)).body.success).toBe(true);

    const disabled = await runCliAsync(["supplier", "disable", "--code", code, "--json"], env);
    expect(disabled.json, disabled.stderr).toMatchObject({ ok: true });

    for (const caller of [callerA, callerB]) expect((await caller.call(INFO)).body).toMatchObject({ success: false, code: ErrorCode.TokenExpired });
    expect((await at(b, callerA).login()).body.code).toBe(ErrorCode.UsernameUnknown);

    const admin = await adminApiLogin(b, await newAdmin());
    expect((await adminApi(b, admin, "POST", `/suppliers/${code}/status`, { enabled: true })).status).toBe(200);
    const again = new MallCaller(a.url, credentials, clock.now);
    expect((await again.login()).body.success).toBe(true);
    expect((await at(b, again).call(INFO)).body.success).toBe(true);
    // The token from before the disable stays dead.
    expect((await callerB.call(INFO)).body.code).toBe(ErrorCode.TokenExpired);
  });

  it("a lockout earned at A holds at B, wrong passwords at both count together, and it lifts for both", async () => {
    const { credentials } = await newSupplier();
    const wrongA = new MallCaller(a.url, { ...credentials, password: "wrong-password-0000" }, clock.now);
    const wrongB = at(b, wrongA);
    // Five wrong passwords, split between the instances: the fifth locks the account.
    for (const caller of [wrongA, wrongB, wrongA, wrongB]) expect((await caller.login()).body.code).toBe(ErrorCode.PasswordWrong);
    const fifth = await wrongA.login();
    expect(fifth.body.code).toBe(ErrorCode.PasswordWrong);
    expect(String(fifth.body.desc)).toContain("锁定");

    const right = new MallCaller(b.url, credentials, clock.now);
    const locked = await right.login();
    expect(locked.body).toMatchObject({ success: false, code: ErrorCode.PasswordWrong });
    expect(String(locked.body.desc)).toContain("锁定");

    clock.advance(15 * 60_000 + 1);
    expect((await right.login()).body.success).toBe(true);
    expect((await at(a, right).call(INFO)).body.success).toBe(true);
  });
});

describe("console sessions across instances", () => {
  it("a console login at A works at B, CSRF included; logout at A ends it at B", async () => {
    const { code, credentials } = await newSupplier();
    const username = await newAdmin();
    const s = await consoleLogin(a.url, username, ADMIN_PASSWORD);
    expect(s.csrf).not.toBe("");
    expect((await getPage(b.url, s, "/admin/")).status).toBe(200);

    const caller = new MallCaller(a.url, credentials, clock.now);
    expect((await caller.login()).body.success).toBe(true);
    const page = `/admin/suppliers/${code}`;
    // A's CSRF token is the session's, so B checks it: a wrong one is refused and changes nothing.
    const forged = await postForm(b.url, { ...s, csrf: "not-the-token" }, `${page}/status`, { enabled: "false" });
    expect(forged.status).toBe(403);
    expect((await a.container.supplierAccounts.show(code, false)).status).toBe("active");
    const res = await postForm(b.url, s, `${page}/status`, { enabled: "false" });
    expect(res.status).toBe(303);
    expect((await a.container.supplierAccounts.show(code, false)).status).toBe("disabled");
    expect((await caller.call(INFO)).body.code).toBe(ErrorCode.TokenExpired);

    // The admin API at B takes A's console cookie and CSRF token too.
    const enabled = await adminApi(b, s, "POST", `/suppliers/${code}/status`, { enabled: true });
    expect(enabled.status).toBe(200);
    const me = await adminApi(b, s, "GET", "/session");
    expect(await me.json()).toMatchObject({ username, csrfToken: s.csrf });

    const out = await postForm(a.url, s, "/admin/logout", {});
    expect(out.status).toBe(303);
    const after = await getPage(b.url, s, "/admin/");
    expect(after.status).toBe(303);
    expect(after.headers.get("location")).toContain("/admin/login");
    expect((await adminApi(b, s, "GET", "/session")).status).toBe(401);
    const late = await adminApi(b, s, "POST", `/suppliers/${code}/status`, { enabled: false });
    expect(late.status).toBe(401);
    expect((await b.container.supplierAccounts.show(code, false)).status).toBe("active");
  });

  it("an API login at B gives a session A honours until B logs it out", async () => {
    const username = await newAdmin();
    const s = await adminApiLogin(b, username);
    const created = await adminApi(a, s, "POST", "/users", { username: `${username}-aud`, role: "auditor", password: ADMIN_PASSWORD });
    expect(created.status).toBeLessThan(300);
    expect((await b.container.admin.users.list()).some((u) => u.username === `${username}-aud`)).toBe(true);
    expect((await adminApi(b, s, "POST", "/logout")).status).toBe(200);
    expect((await adminApi(a, s, "GET", "/session")).status).toBe(401);
  });

  it("wrong console passwords at A and B count together: the lock holds at both", async () => {
    const username = await newAdmin();
    const attempt = (gw: TestGateway, password: string) =>
      fetch(`${gw.url}/admin/api/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username, password }) });
    for (const gw of [a, b, a, b, a]) expect((await attempt(gw, "not the password at all")).status).toBe(401);
    expect((await attempt(b, ADMIN_PASSWORD)).status).toBe(429);
    expect((await attempt(a, ADMIN_PASSWORD)).status).toBe(429);
  });
});

describe("scheduler across instances", () => {
  it("runs each tick of a job once in total while both instances' crons fire every second", async () => {
    const job = `probe-${Date.now()}`;
    const ran = { a: [] as number[], b: [] as number[] };
    const probe = (who: "a" | "b") => () => [{ name: job, cron: "* * * * * *", run: async (tickStart: number) => void ran[who].push(tickStart) }];
    const jobsA = startGatewayJobs(a.container, probe("a"));
    const jobsB = startGatewayJobs(b.container, probe("b"));
    try {
      await waitFor("six ticks run", () => ran.a.length + ran.b.length >= 6, 30_000);
    } finally {
      await Promise.all([jobsA.stop(), jobsB.stop()]);
    }
    const all = [...ran.a, ...ran.b];
    // Each tick ran in one instance only, once.
    expect(new Set(all).size).toBe(all.length);
    expect(all.every((t) => t % 1_000 === 0)).toBe(true);
    // Both crons did fire: the instance that did not run a tick found it claimed and stood down.
    const stoodDown = [...logs.a.lines, ...logs.b.lines].filter((l) => l.event === "scheduler.tick.elsewhere" && l.job === job);
    expect(stoodDown.length).toBeGreaterThan(0);
    for (const line of stoodDown) expect(all).toContain(Date.parse(String(line.tick)));
    // The store says who ran each tick, and it is who did.
    const rows = await rawSql(a.container.store).all<{ tick_start: number; instance: string }>(
      "SELECT tick_start, instance FROM scheduler_ticks WHERE job = ? ORDER BY tick_start",
      job,
    );
    expect(rows.map((r) => Number(r.tick_start))).toEqual([...all].sort((x, y) => x - y));
    for (const r of rows) expect(r.instance).toBe(ran.a.includes(Number(r.tick_start)) ? jobsA.instance : jobsB.instance);
  });

  it("claims a tick once whoever asks, never claims one older than its memory, and maintenance forgets old ticks", async () => {
    const repoA = a.container.repos.schedule;
    const repoB = b.container.repos.schedule;
    const now = Date.now();
    const tick = Math.floor(now / 60_000) * 60_000;
    const claims = [
      await repoA.claimTick("pull:X", tick, "a", now),
      await repoB.claimTick("pull:X", tick, "b", now),
      await repoA.claimTick("pull:X", tick, "a2", now),
    ];
    expect(claims).toEqual([true, false, false]);
    expect(await repoB.claimTick("stock:X", tick, "b", now)).toBe(true);
    expect(await repoA.claimTick("pull:X", now - TICK_MEMORY_MS - 1_000, "a", now)).toBe(false);

    const old = now - TICK_MEMORY_MS - 60_000;
    await rawSql(a.container.store).run(
      "INSERT INTO scheduler_ticks (job, tick_start, instance, claimed_at) VALUES (?, ?, ?, ?), (?, ?, ?, ?)",
      "pull:OLD",
      old,
      "gone",
      old,
      "stock:OLD",
      old - 60_000,
      "gone",
      old,
    );
    const count = async (job: string) => Number(await rawSql(a.container.store).value("SELECT COUNT(*) AS n FROM scheduler_ticks WHERE job = ?", job));
    expect((await count("pull:OLD")) + (await count("stock:OLD"))).toBe(2);
    const maintenance = startMaintenance(b.container, { intervalMs: 30 });
    try {
      await waitFor("old ticks pruned", async () => (await count("pull:OLD")) + (await count("stock:OLD")) === 0, 15_000);
    } finally {
      maintenance.stop();
    }
    expect(await count("pull:X")).toBe(1);
    expect(await count("stock:X")).toBe(1);
  });
});

/** The gateway as operators run it (`src/main.ts`), with its scheduler, on an ephemeral port. */
async function startGatewayProcess(): Promise<GatewayProcess> {
  const gw = spawnGateway({ ...env, SCHEDULER_ENABLED: "true", LOG_LEVEL: "debug", HOST: "127.0.0.1", PORT: "0", NODE_ENV: "test" });
  await gw.listening;
  return gw;
}

describe("two gateway processes on one database", () => {
  it("each scheduled pull tick runs in one process only; a nonce used at one process is refused at the other", async () => {
    const { code, credentials } = await newSupplier();
    // A pull every second: the supplier has no trust mark, so each run the scheduler makes is one gate check, logged.
    await a.container.supplierConnections.connect({
      code,
      baseUrl: "http://127.0.0.1:9",
      username: "u",
      password: "p",
      appSecret: "s".repeat(32),
      pullSchedule: "* * * * * *",
      stockSchedule: "0 0 1 1 *",
    });
    const job = `pull:${code}`;
    const gateways = [await startGatewayProcess(), await startGatewayProcess()] as const;
    const runsOf = (gw: GatewayProcess) =>
      gw
        .lines()
        .filter((l) => (l.msg === "scheduler.gate.closed" && l.supplier === code && l.job === "pull") || (l.event === "scheduler.job.failed" && l.job === job))
        .length;
    try {
      const [p, q] = gateways;
      // The processes keep the wall clock, not this file's test clock.
      const caller = new MallCaller(p.url() ?? "", credentials);
      expect((await caller.login()).body.success).toBe(true);
      const fields = caller.signedFields({});
      expect((await post(`${p.url()}${INFO}`, fields)).body.success).toBe(true);
      expect(isReplay((await post(`${q.url()}${INFO}`, fields)).body)).toBe(true);
      expect((await new MallCaller(q.url() ?? "", credentials).login()).body.success).toBe(true);

      const standDowns = (gw: GatewayProcess) => gw.lines().filter((l) => l.event === "scheduler.tick.elsewhere" && l.job === job).length;
      await waitFor("six pull ticks run", () => runsOf(p) + runsOf(q) >= 6 && standDowns(p) + standDowns(q) >= 2, 60_000);
    } finally {
      for (const gw of gateways) gw.process.kill("SIGTERM");
      await Promise.all(gateways.map((gw) => gw.exited));
    }
    // Who ran each tick is in the store; each process ran exactly the ticks it claimed, and no tick twice.
    const rows = await rawSql(a.container.store).all<{ tick_start: number; instance: string }>(
      "SELECT tick_start, instance FROM scheduler_ticks WHERE job = ?",
      job,
    );
    const claimedBy = (gw: GatewayProcess) => rows.filter((r) => r.instance.startsWith(`${hostname()}:${gw.pid}:`)).length;
    const runs = gateways.map(runsOf);
    expect(runs.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(6);
    expect(gateways.map(claimedBy)).toEqual(runs);
    expect(rows).toHaveLength(runs.reduce((x, y) => x + y, 0));
    // Every tick a process stood down from was one the other ran.
    const ticks = new Set(rows.map((r) => Number(r.tick_start)));
    for (const gw of gateways) {
      for (const l of gw.lines().filter((x) => x.event === "scheduler.tick.elsewhere" && x.job === job))
        expect(ticks.has(Date.parse(String(l.tick)))).toBe(true);
    }
  }, 120_000);
});
