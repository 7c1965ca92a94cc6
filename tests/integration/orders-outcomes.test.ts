import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../src/contract/index.js";
import { createLogger } from "../../src/lib/logger.js";
import type { OrderDetail, OrderView } from "../../src/orders/order-service.js";
import type { OrderAnswerChange } from "../../src/simulator/simulator-knobs.js";
import { createOrderRepo } from "../../src/store/repos/order-repo.js";
import { orderableSkus } from "../helpers/order-products.js";
import { AREA, type OrderRig, orderFile, orderSteps, startOrderRig } from "../helpers/order-rig.js";
import { runCliAsync as runCli } from "../helpers/run-cli.js";

const ACTOR = "user:test-staff";
const ADMIN_PASSWORD = "correct horse battery staple";
/** Past any push backoff of one attempt (DEFAULT_PUSH_POLICY: 5 s base). */
const AFTER_BACKOFF_MS = 60_000;

describe("order outcomes by failure class, S-11 answer check, staff retry and supplier pause", () => {
  let rig: OrderRig;
  let skus: string[];
  const logLines: Array<Record<string, unknown>> = [];
  let admin: { cookie: string; csrf: string };

  const { service, freshSku, simProduct, create, push } = orderSteps(() => ({ rig, skus }), ACTOR);
  const knobs = () => rig.running.sim.knobs;
  const show = async (yggcOrder: string): Promise<OrderDetail> => {
    const shown = await service().show(yggcOrder);
    if (!shown.ok) throw shown.error;
    return shown.value;
  };
  const simOrdersOf = (yggcOrder: string) => rig.running.sim.exportTruth().orders.filter((o) => o.yggc_order === yggcOrder);
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${rig.gw.url}/admin/api${path}`, {
      method,
      headers: { cookie: admin.cookie, "x-csrf-token": admin.csrf, "content-type": "application/json", origin: rig.gw.url },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) logLines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    rig = await startOrderRig({ sim: { products: 160, offShelfShare: 0 }, logger: createLogger({ level: "info", destination: sink }) });
    skus = orderableSkus(rig.running.sim.exportTruth().products, AREA.province, 20)
      .filter((t) => t.stock !== null)
      .map((t) => t.sku);
    await rig.gw.container.admin.users.create({ username: "orders-admin", role: "admin", password: ADMIN_PASSWORD });
    const login = await fetch(`${rig.gw.url}/admin/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "orders-admin", password: ADMIN_PASSWORD }),
    });
    admin = { cookie: (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "", csrf: ((await login.json()) as { csrfToken: string }).csrfToken };
  });
  afterAll(async () => {
    await rig.close();
  });

  describe("S-11 answer check (§5): another freight, line price, quantity or sku set is never confirmed", () => {
    const mismatched = new Map<Exclude<OrderAnswerChange, "malformed">, OrderView>();

    it.each(["freight", "price", "num", "skus"] as const)(
      "an answer with a changed %s fails the order as a mismatch, with both sets of figures, and sends no S-12",
      async (change) => {
        const sku = freshSku();
        const order = await create(orderFile([{ sku, num: 2 }]));
        knobs().apply({ orderAnswerChange: change });
        let pushed: OrderView;
        try {
          pushed = await push(order.yggc_order);
        } finally {
          knobs().apply({ orderAnswerChange: null });
        }
        expect(pushed.state).toBe("failed");
        expect(pushed.failure).toMatchObject({ kind: "mismatch" });
        const [atSupplier, ...more] = simOrdersOf(order.yggc_order);
        expect(more).toHaveLength(0);
        // Made once at the supplier, never confirmed: no S-12 went out.
        expect(atSupplier).toMatchObject({ state: "submitted", confirmCount: 0 });
        expect(pushed.mall_order_id).toBe(atSupplier?.mall_order_id);

        const check = pushed.answerCheck;
        expect(check?.ours).toEqual({ lines: [{ sku, num: 2, priceFen: order.lines[0]?.priceFen }], goodsFen: order.goodsFen, freightFen: order.freightFen });
        const theirs = check?.theirs;
        const expected = {
          freight: () => expect(theirs?.freightFen).toBe(order.freightFen + 1_000),
          price: () => expect(theirs?.lines[0]?.priceFen).toBe((order.lines[0]?.priceFen ?? 0) + 100),
          num: () => expect(theirs?.lines[0]?.num).toBe(3),
          skus: () => expect(theirs?.lines.map((l) => l.sku)).toEqual([`${sku}X`]),
        }[change];
        expected();
        expect(check?.differences.length).toBeGreaterThan(0);
        expect(pushed.failure?.reason).toContain(check?.differences[0] ?? "?");

        const timeline = (await show(order.yggc_order)).timeline;
        expect(timeline.map((e) => e.step)).not.toContain("confirm");
        const checked = timeline.find((e) => e.step === "answer-check");
        expect(checked).toMatchObject({ toState: "failed", mallOrderId: atSupplier?.mall_order_id });
        expect(checked?.supplierDesc).toContain("supplier");
        mismatched.set(change, pushed);
      },
    );

    it("shows the figures side by side in orders show, the admin API and the console order page", async () => {
      const order = mismatched.get("freight");
      if (!order) throw new Error("no mismatched order");
      const detail = await api("GET", `/orders/${order.yggc_order}`);
      expect(detail.status).toBe(200);
      expect(detail.json).toMatchObject({
        order: { state: "failed", failure: { kind: "mismatch" }, answerCheck: { theirs: { freightFen: order.freightFen + 1_000 } } },
      });

      const page = await fetch(`${rig.gw.url}/admin/orders/${order.yggc_order}`, { headers: { cookie: admin.cookie } });
      const html = await page.text();
      expect(page.status).toBe(200);
      expect(html).toContain("电商应答核对");
      expect(html).toContain((order.freightFen / 100 + 10).toFixed(2));
      expect(html).toContain("重新推送");

      const env = { DATABASE_URL: rig.gw.config.DATABASE_URL, DATA_ENCRYPTION_KEY_FILE: rig.gw.config.DATA_ENCRYPTION_KEY_FILE, NODE_ENV: "test" };
      const cli = await runCli(["orders", "show", "--order", order.yggc_order], env);
      expect(cli.status, cli.stderr).toBe(0);
      expect(cli.stdout).toContain("S-11 answer check — ours:");
      expect(cli.stdout).toContain(`freight ${((order.freightFen + 1_000) / 100).toFixed(2)}`);
    });

    it("staff retry resubmits the same yggc_order, checks the answer again and confirms: one supplier order each", async () => {
      const viaApi = mismatched.get("price");
      if (!viaApi) throw new Error("no mismatched order");
      const retried = await api("POST", `/orders/${viaApi.yggc_order}/retry`, {});
      expect(retried.status).toBe(200);
      expect(retried.json).toMatchObject({ order: { state: "confirmed", answerCheck: null, failure: null } });
      for (const [change, order] of mismatched) {
        if (change !== "price") {
          const again = await service().retry(order.yggc_order, ACTOR);
          expect(again.ok && again.value.state, change).toBe("confirmed");
        }
        const [atSupplier, ...more] = simOrdersOf(order.yggc_order);
        expect(more).toHaveLength(0);
        expect(atSupplier).toMatchObject({ state: "confirmed", submitCount: 2, mall_order_id: order.mall_order_id });
      }
    });
  });

  describe("transient refusals back off and are retried by the pusher, never final", () => {
    it.each(["系统异常，请稍后再试", "服务超时", "请求超时", "系统繁忙"])(
      "5099 %s keeps the order pushable; the next push after the backoff confirms it",
      async (desc) => {
        const order = await create(orderFile([{ sku: freshSku() }]));
        // The client tries a submit 3 times (retry-policy); every answer is the temporary wording.
        knobs().refuseNext("submitOrder", { code: ErrorCode.Other, desc }, 3);
        const first = await push(order.yggc_order);
        expect(first).toMatchObject({ state: "submitting", failure: null });
        expect(first.nextAttemptAt).toBeGreaterThan(rig.gw.clock.now());
        expect(simOrdersOf(order.yggc_order)).toHaveLength(0);
        expect((await show(order.yggc_order)).timeline.at(-1)?.supplierDesc).toContain("transient");

        rig.gw.clock.advance(AFTER_BACKOFF_MS);
        const second = await push(order.yggc_order);
        expect(second.state).toBe("confirmed");
        expect(simOrdersOf(order.yggc_order)).toHaveLength(1);
      },
    );

    it("5005 after the client's own re-login is retried after a backoff, and the order confirms", async () => {
      const order = await create(orderFile([{ sku: freshSku() }]));
      const client = await rig.gw.container.supplierConnections.clientFor(rig.supplier.id);
      const logins = client.loginCount;
      knobs().inject("submitOrder", "token-expiry", 2);
      const first = await push(order.yggc_order);
      expect(first).toMatchObject({ state: "submitting", failure: null });
      expect(client.loginCount).toBeGreaterThan(logins);
      expect((await show(order.yggc_order)).timeline.at(-1)).toMatchObject({ supplierCode: 5005 });
      rig.gw.clock.advance(AFTER_BACKOFF_MS);
      expect((await push(order.yggc_order)).state).toBe("confirmed");
      expect(simOrdersOf(order.yggc_order)).toHaveLength(1);
    });
  });

  describe("a malformed S-11 answer decides nothing", () => {
    it("a signed answer that breaks the result shape keeps the order in submitting, unconfirmed; the next push confirms the one supplier order", async () => {
      const order = await create(orderFile([{ sku: freshSku() }]));
      knobs().apply({ orderAnswerChange: "malformed" });
      let first: OrderView;
      try {
        first = await push(order.yggc_order);
      } finally {
        knobs().apply({ orderAnswerChange: null });
      }
      expect(first).toMatchObject({ state: "submitting", failure: null, mall_order_id: null });
      expect((await show(order.yggc_order)).timeline.at(-1)).toMatchObject({ errorKind: "contract" });
      expect((await show(order.yggc_order)).timeline.at(-1)?.supplierDesc).toContain("malformed");
      expect(simOrdersOf(order.yggc_order)[0]).toMatchObject({ state: "submitted", confirmCount: 0 });

      rig.gw.clock.advance(AFTER_BACKOFF_MS);
      expect((await push(order.yggc_order)).state).toBe("confirmed");
      const [atSupplier, ...more] = simOrdersOf(order.yggc_order);
      expect(more).toHaveLength(0);
      expect(atSupplier).toMatchObject({ state: "confirmed", submitCount: 2 });
    });
  });

  describe("unsigned refusals (§2.3) may make us retry, never decide", () => {
    it("an unsigned 已下架 leaves the order pushable; the signed one fails it for good, and staff cannot retry that", async () => {
      const sku = freshSku();
      const order = await create(orderFile([{ sku }]));
      simProduct(sku).shelfState = 0;
      knobs().apply({ unsignedRefusals: true });
      let first: OrderView;
      try {
        first = await push(order.yggc_order);
      } finally {
        knobs().apply({ unsignedRefusals: false });
      }
      expect(first).toMatchObject({ state: "submitting", failure: null });
      const last = (await show(order.yggc_order)).timeline.at(-1);
      expect(last?.supplierDesc).toContain("已下架");
      expect(last?.supplierDesc).toContain("transient");

      rig.gw.clock.advance(AFTER_BACKOFF_MS);
      const second = await push(order.yggc_order);
      expect(second).toMatchObject({ state: "failed", failure: { kind: "refused", code: 5099 } });
      expect(second.failure?.reason).toContain("已下架");
      const retry = await service().retry(order.yggc_order, ACTOR);
      expect(retry.ok).toBe(false);
      expect(!retry.ok && retry.error.kind).toBe("conflict");
      expect(simOrdersOf(order.yggc_order)).toHaveLength(0);
    });

    it("an unsigned refusal with a business word, repeated past the limit, gives up (retryable) rather than failing as refused", async () => {
      const sku = freshSku();
      const order = await create(orderFile([{ sku }]));
      knobs().refuseNext("submitOrder", { code: ErrorCode.Other, desc: `库存不足: ${sku}`, unsigned: true }, 3);
      const impatient = createOrderRepo(rig.gw.container.store.sql);
      // One attempt left before the limit: the order has used up all but its last push attempt.
      const claimed = await impatient.claim((await show(order.yggc_order)).id, "test", rig.gw.clock.now(), 60_000);
      if (!claimed) throw new Error("not claimed");
      await impatient.apply(claimed.id, "test", rig.gw.clock.now(), 60_000, { state: "submitting", pushAttempts: 11 }, null);
      await impatient.release(claimed.id, "test");
      const pushed = await push(order.yggc_order);
      expect(pushed).toMatchObject({ state: "failed", failure: { kind: "gave_up" } });
      const retried = await service().retry(order.yggc_order, ACTOR);
      expect(retried.ok && retried.value.state).toBe("confirmed");
      expect(simOrdersOf(order.yggc_order)).toHaveLength(1);
    });
  });

  describe("configuration failures pause the supplier's order pushes and alert; the order is not at fault", () => {
    it.each([
      [ErrorCode.RequiredFieldMissing, "缺少必填参数"],
      [ErrorCode.SignatureInvalid, "签名错误"],
    ])("%s pauses the supplier (admin API and console show it), the order stays pushable and confirms once an admin resumes", async (code, desc) => {
      const order = await create(orderFile([{ sku: freshSku() }]));
      const other = await create(orderFile([{ sku: freshSku() }]));
      knobs().refuseNext("submitOrder", { code, desc }, 1);
      const before = logLines.length;
      const pushed = await push(order.yggc_order);
      expect(pushed).toMatchObject({ state: "submitting", failure: null, pushAttempts: 0, pushPause: { supplier: rig.supplier.code, code } });

      const alerts = logLines.slice(before).filter((l) => l.msg === "order.push.supplier_paused");
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({
        level: 50,
        alert: "supplier_order_pushes_paused",
        supplier: rig.supplier.code,
        code,
        yggcOrder: order.yggc_order,
        failureClass: "configuration",
      });

      // Every order of the supplier waits: the scheduler claims none, a hand push is refused.
      expect(
        (await createOrderRepo(rig.gw.container.store.sql).claimDue("probe", rig.gw.clock.now() + 3_600_000, 60_000, 1_000)).map((o) => o.supplierId),
      ).not.toContain(rig.supplier.id);
      const blocked = await service().push(other.yggc_order, ACTOR);
      expect(!blocked.ok && blocked.error.message).toContain("paused");

      const pauses = await api("GET", "/order-pushes");
      expect(pauses.json).toMatchObject({ pauses: [{ supplier: rig.supplier.code, code, yggc_order: order.yggc_order }] });
      const supplier = await api("GET", `/suppliers/${rig.supplier.code}`);
      expect(supplier.json).toMatchObject({ orderPushPause: { code } });
      const detail = await api("GET", `/orders/${other.yggc_order}`);
      expect(detail.json).toMatchObject({ order: { state: "created", pushPause: { code } } });
      const page = await (await fetch(`${rig.gw.url}/admin/orders`, { headers: { cookie: admin.cookie } })).text();
      expect(page).toContain("推送已暂停");
      const supplierPage = await (await fetch(`${rig.gw.url}/admin/suppliers/${rig.supplier.code}`, { headers: { cookie: admin.cookie } })).text();
      expect(supplierPage).toContain("推送已暂停");
      expect(supplierPage).toContain(`/admin/order-pushes/${rig.supplier.code}/resume`);

      // The console's resume button: one admin API route behind a CSRF-checked form post.
      const resumed = await fetch(`${rig.gw.url}/admin/order-pushes/${rig.supplier.code}/resume`, {
        method: "POST",
        headers: { cookie: admin.cookie },
        body: new URLSearchParams({ _csrf: admin.csrf }),
        redirect: "manual",
      });
      expect(resumed.status).toBe(303);
      expect(resumed.headers.get("location")).toBe("/admin/orders?msg=resumed");
      expect((await rig.gw.container.admin.audit.list({ action: "order.resume", limit: 1 }))[0]).toMatchObject({
        actor: "orders-admin",
        target: rig.supplier.code,
      });
      expect((await api("POST", `/order-pushes/${rig.supplier.code}/resume`, {})).status).toBe(409);
      expect((await push(order.yggc_order)).state).toBe("confirmed");
      expect((await push(other.yggc_order)).state).toBe("confirmed");
      expect(simOrdersOf(order.yggc_order)).toHaveLength(1);
      expect(simOrdersOf(other.yggc_order)).toHaveLength(1);
    });

    it("the CLI lists the pause and resumes it; orders show names it", async () => {
      const order = await create(orderFile([{ sku: freshSku() }]));
      knobs().refuseNext("submitOrder", { code: ErrorCode.PlatformCodeInvalid, desc: "platformCode 无效" }, 1);
      expect((await push(order.yggc_order)).pushPause).not.toBeNull();
      const env = { DATABASE_URL: rig.gw.config.DATABASE_URL, DATA_ENCRYPTION_KEY_FILE: rig.gw.config.DATA_ENCRYPTION_KEY_FILE, NODE_ENV: "test" };
      const shown = await runCli(["orders", "show", "--order", order.yggc_order], env);
      expect(shown.stdout).toContain("PAUSED");
      const supplierShown = await runCli(["supplier", "show", "--code", rig.supplier.code, "--json"], env);
      expect(supplierShown.json).toMatchObject({ ok: true, orderPushPause: { code: 5013 } });
      const listed = await runCli(["orders", "pauses", "--json"], env);
      expect(listed.json).toMatchObject({ ok: true, pauses: [{ supplier: rig.supplier.code, code: 5013 }] });
      const resumed = await runCli(["orders", "resume", "--supplier", rig.supplier.code, "--json"], env);
      expect(resumed.json).toMatchObject({ ok: true, resumed: { supplier: rig.supplier.code } });
      expect(await service().pauses()).toEqual([]);
      expect((await push(order.yggc_order)).state).toBe("confirmed");
    });
  });

  describe("order intake: S-8 stock check (§6)", () => {
    it("asks S-8 again when it fails transiently past the client's own retries, and takes the order", async () => {
      // The client tries a read 4 times; the fifth failure falls on the intake's second round.
      knobs().inject("stocks", "http-5xx", 5);
      const created = await service().create(orderFile([{ sku: freshSku() }]), ACTOR);
      expect(created.ok && created.value.state).toBe("created");
    });

    it("gives up after a bounded number of rounds when S-8 keeps failing", async () => {
      // 3 rounds × 4 client attempts = 12; one more is left untouched.
      knobs().refuseNext("stocks", { code: ErrorCode.Other, desc: "系统繁忙，请稍后再试" }, 13);
      const created = await service().create(orderFile([{ sku: freshSku() }]), ACTOR);
      expect(created.ok).toBe(false);
      expect(!created.ok && created.error.kind).toBe("unavailable");
      expect(!created.ok && created.error.message).toContain("3 rounds");
      expect(knobs().takeRefusal("stocks")).not.toBeNull();
      expect(knobs().takeRefusal("stocks")).toBeNull();
    });

    it("a signed refusal of S-8 still refuses the order, without asking again", async () => {
      knobs().refuseNext("stocks", { code: ErrorCode.Other, desc: "该地区暂不支持配送" }, 2);
      const sku = freshSku();
      const first = await service().create(orderFile([{ sku }]), ACTOR);
      expect(first.ok).toBe(false);
      expect(!first.ok && first.error.message).toContain("refused");
      // Asked once: the second canned refusal is still there for the next order.
      const second = await service().create(orderFile([{ sku }]), ACTOR);
      expect(second.ok).toBe(false);
      const third = await service().create(orderFile([{ sku }]), ACTOR);
      expect(third.ok).toBe(true);
    });
  });
});
