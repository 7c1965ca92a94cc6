import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/lib/logger.js";
import { orderableSkus } from "../helpers/order-products.js";
import { AREA, type OrderRig, VAT_BLOCK, orderFile, startOrderRig } from "../helpers/order-rig.js";
import { runCliAsync } from "../helpers/run-cli.js";
import { rawSql } from "../helpers/raw-sql.js";

/**
 * Orders full of bad personal data, through the admin API and the CLI; afterwards no value may be
 * found in the audit log, the gateway's log lines, the CLI's log output or the sync logs.
 */
const PERSONAL = {
  name: "欧阳秘密",
  address: "秘密路4号机密大厦13楼",
  badMobile: "+8613899990000",
  badZip: "30A041",
  badEmail: "ouyang.mimi@@mail.example",
  phone: "022-8888-7777",
  bankCode: `6222${"9".repeat(70)}`,
  invoiceName: "司马财务",
  invoiceMobile: "13700001111",
  receipt: "收票秘密路99号",
} as const;

const PASSWORD = "correct horse battery staple";

describe("personal data never reaches the audit log or the logs", () => {
  let rig: OrderRig;
  const lines: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), "emall-pii-"));
  const cliOutput: string[] = [];
  let cookie = "";
  let csrf = "";

  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${rig.gw.url}/admin/api${path}`, {
      method,
      headers: { cookie, "x-csrf-token": csrf, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    rig = await startOrderRig({ logger: createLogger({ level: "trace", destination: sink }) });
    await rig.gw.container.admin.users.create({ username: "buyer1", role: "procurement", password: PASSWORD });
    const login = await fetch(`${rig.gw.url}/admin/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "buyer1", password: PASSWORD }),
    });
    cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    csrf = ((await login.json()) as { csrfToken: string }).csrfToken;
  });
  afterAll(async () => {
    await rig.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses each bad order naming the field and the rule, then finds none of the values anywhere", async () => {
    const [sku] = orderableSkus(rig.running.sim.exportTruth().products, AREA.province);
    if (!sku) throw new Error("no orderable sku");
    const items = [{ sku: sku.sku }];
    const base = { name: PERSONAL.name, address: PERSONAL.address, phone: PERSONAL.phone };
    const bad: Array<Record<string, unknown>> = [
      orderFile(items, { ...base, mobile: PERSONAL.badMobile }),
      orderFile(items, { ...base, zip: PERSONAL.badZip, email: PERSONAL.badEmail }),
      orderFile(items, {
        ...base,
        ...VAT_BLOCK,
        invoice_name: PERSONAL.invoiceName,
        invoice_mobile: PERSONAL.invoiceMobile,
        invoice_receipt_address: PERSONAL.receipt,
        invoice_bank_code: PERSONAL.bankCode,
      }),
      orderFile(items, { ...base, mobile: PERSONAL.badMobile, zip: PERSONAL.badZip, email: PERSONAL.badEmail, invoice_type: 2 }),
    ];
    const answers: string[] = [];
    for (const order of bad) {
      const res = await api("POST", "/orders", order);
      expect(res.status).toBe(400);
      answers.push(await res.text());
    }
    expect(answers.join("\n")).toMatch(/mobile/);
    expect(answers.join("\n")).toMatch(/zip/);

    const env = { DATABASE_URL: rig.gw.config.DATABASE_URL, DATA_ENCRYPTION_KEY_FILE: rig.gw.config.DATA_ENCRYPTION_KEY_FILE, LOG_LEVEL: "trace" };
    for (const [i, order] of bad.entries()) {
      const file = join(dir, `order-${i}.json`);
      writeFileSync(file, JSON.stringify(order));
      const r = await runCliAsync(["orders", "create", "--file", file, "--json"], env);
      expect(r.json).toMatchObject({ ok: false });
      expect(String((r.json?.error as { message?: string } | undefined)?.message)).toMatch(/mobile|zip|email|invoice/);
      cliOutput.push(r.stdout, r.stderr);
    }

    // A good order with the same kind of data goes through and is pushed: its values must not leak either.
    const good = await api(
      "POST",
      "/orders",
      orderFile(items, {
        ...base,
        mobile: PERSONAL.invoiceMobile,
        ...VAT_BLOCK,
        invoice_name: PERSONAL.invoiceName,
        invoice_receipt_address: PERSONAL.receipt,
      }),
    );
    expect(good.status).toBe(201);
    const { order } = (await good.json()) as { order: { yggc_order: string } };
    expect((await api("POST", `/orders/${order.yggc_order}/push`, {})).status).toBe(200);
    const pull = await rig.gw.container.sync.pull(rig.supplier.code, "manual");
    expect(pull.ran).toBe(true);

    expect(lines.join("")).toContain("order.push.settled");
    const db = rawSql(rig.gw.container.store);
    const dump = async (table: string) => JSON.stringify(await db.all(`SELECT * FROM ${table}`));
    const audit = await dump("audit_log");
    expect(audit).toContain("order.create");
    expect(audit).toContain("refused");
    const places: Record<string, string> = {
      audit,
      syncLogs: (await dump("sync_message_logs")) + (await dump("sync_runs")) + (await dump("sync_calls")),
      gatewayLog: lines.join(""),
      cliOutput: cliOutput.join("\n"),
      apiAnswers: answers.join("\n"),
    };
    for (const [place, text] of Object.entries(places)) {
      for (const [field, value] of Object.entries(PERSONAL)) expect(text.includes(value), `${field} in ${place}`).toBe(false);
      for (const [field, value] of Object.entries(VAT_BLOCK)) if (typeof value === "string") expect(text.includes(value), `${field} in ${place}`).toBe(false);
    }
  });

  it("drops personal-data fields from any audit summary a caller hands in", async () => {
    const row = await rig.gw.container.admin.audit.record({
      actor: "ops",
      action: "test.summary",
      summary: {
        after: {
          mobile: PERSONAL.invoiceMobile,
          contactPhone: PERSONAL.phone,
          consignee: { name: PERSONAL.name },
          invoice_bank_code: PERSONAL.bankCode,
          state: "created",
        },
      },
    });
    expect(JSON.parse(row.summaryJson)).toEqual({
      after: {
        mobile: "[personal data]",
        contactPhone: "[personal data]",
        consignee: "[personal data]",
        invoice_bank_code: "[personal data]",
        state: "created",
      },
    });
  });
});
