import { type ChildProcess, spawn } from "node:child_process";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * `npm run simulator` driven end to end by a client written only from the contract text: its own
 * canonical string, HMAC, MD5, timestamps and response-signature check — nothing from src/.
 */
const ROOT = join(import.meta.dirname, "../..");
const CREDS = { username: "cli_mall", password: "cli-Pa55w0rd", appSecret: "cli-secret-0123456789abcdef0123456789" };

function beijingNow(): string {
  return new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 19).replace("T", " ");
}
function canonical(fields: Record<string, string>): string {
  return Object.keys(fields)
    .filter((k) => k !== "sign" && fields[k] !== "")
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map((k) => `${k}=${fields[k]}`)
    .join("&");
}
const hmac = (text: string) => createHmac("sha256", CREDS.appSecret).update(text).digest("hex");
const nonce = () => randomBytes(16).toString("hex");

async function start(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/simulator/main.ts",
      "--port",
      "0",
      "--username",
      CREDS.username,
      "--password",
      CREDS.password,
      "--app-secret",
      CREDS.appSecret,
      "--log-level",
      "warn",
      ...args,
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.stderr?.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`simulator exited ${code}: ${out}`)));
  });
  return { child, url };
}

type Json = { success: boolean; result?: unknown; code?: number; desc?: string };

describe.each(["hmac-sha256", "yggc-md5"] as const)("npm run simulator (%s) driven by an independent client", (mode) => {
  let child: ChildProcess;
  let url = "";
  let token = "";

  async function send(path: string, fields: Record<string, string>): Promise<Json> {
    const res = await fetch(url + path, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields),
    });
    const body = Buffer.from(await res.arrayBuffer());
    if (mode === "hmac-sha256") {
      const ts = res.headers.get("x-sign-timestamp") ?? "";
      const expected = createHmac("sha256", CREDS.appSecret).update(`${ts}\n`).update(body).digest("hex");
      expect(res.headers.get("x-sign")).toBe(expected);
    }
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    return JSON.parse(body.toString("utf8")) as Json;
  }
  async function call(path: string, fields: Record<string, string>): Promise<unknown> {
    const all: Record<string, string> = { ...fields, token, platformCode: "TJZFCG" };
    if (mode === "hmac-sha256") {
      all.timestamp = beijingNow();
      all.nonce = nonce();
      all.sign = hmac(canonical(all));
    }
    const answer = await send(path, all);
    if (!answer.success) throw new Error(`${path}: ${answer.code} ${answer.desc}`);
    return answer.result;
  }

  beforeAll(async () => {
    ({ child, url } = await start(["--sign-mode", mode, "--products", "120", "--seed", "42"]));
  });
  afterAll(() => {
    child.kill("SIGTERM");
  });

  it("gets a token, drains and deletes the pool, reads every product call, submits and confirms", async () => {
    const timestamp = beijingNow();
    const login: Record<string, string> = { username: CREDS.username, password: CREDS.password, timestamp };
    if (mode === "hmac-sha256") {
      login.nonce = nonce();
      login.sign = hmac(canonical(login));
    } else {
      login.sign = createHash("md5")
        .update(CREDS.username + CREDS.password + timestamp + CREDS.password)
        .digest("hex");
    }
    const issued = await send("/api/auth2/access_token", login);
    expect(issued.success).toBe(true);
    token = (issued.result as { access_token: string }).access_token;

    const skus: string[] = [];
    for (let page = 0; page < 5; page++) {
      const messages = (await call("/api/product/getMessagePool", { type: "6" })) as Array<{ id: string; result: { skuId: string } }>;
      if (messages.length === 0) break;
      skus.push(...messages.map((m) => m.result.skuId));
      expect(await call("/api/product/delMessagePool", { messageId: messages.map((m) => m.id).join(",") })).toBe(true);
    }
    expect(skus).toHaveLength(120);

    const sku = skus[0] ?? "";
    expect((await call("/api/product/detail_standard", { sku })) as { sku: string }).toMatchObject({ sku });
    expect(Array.isArray(await call("/api/product/product_attributes_standard", { sku }))).toBe(true);
    const batch = skus.slice(0, 100).join(",");
    for (const path of ["product_promise", "shelf_states", "images", "prices"]) {
      expect(await call(`/api/product/${path}`, { sku: batch })).toHaveLength(100);
    }
    const stocks = (await call("/api/product/stocks", { sku: batch, area: "120000_120100_120101" })) as Array<{ sku: string; num: number }>;
    const prices = (await call("/api/product/prices", { sku: batch })) as Array<{ sku: string; price: number }>;
    const shelf = (await call("/api/product/shelf_states", { sku: batch })) as Array<{ sku: string; state: number }>;
    const pick = prices.find((p) => shelf.find((s) => s.sku === p.sku)?.state === 1 && (stocks.find((s) => s.sku === p.sku)?.num ?? 0) !== 0);
    expect(pick).toBeDefined();

    const fields = {
      yggc_order: `CLI-${mode}`,
      sku: JSON.stringify([{ sku: pick?.sku, num: 1, price: pick?.price }]),
      name: "赵六",
      province: "120000",
      city: "120100",
      county: "120101",
      address: "和平区南京路1号",
      mobile: "13700000000",
      invoice_title: "某局",
      invoice_type: "1",
      invoice_org_code: "X1",
      payment: "2",
      order_price: String(pick?.price),
      freight: "0",
    };
    const order = (await call("/api/order/submit", fields)) as { mall_order_id: string };
    expect(((await call("/api/order/submit", fields)) as { mall_order_id: string }).mall_order_id).toBe(order.mall_order_id);
    expect(await call("/api/order/confirm", { order_id: order.mall_order_id })).toBe(true);
    expect(await call("/api/order/confirm", { order_id: order.mall_order_id })).toBe(true);

    const truth = (await (await fetch(`${url}/_sim/truth`)).json()) as { orders: Array<{ state: string }>; pendingMessages: number };
    expect(truth.orders.map((o) => o.state)).toEqual(["confirmed"]);
    expect(truth.pendingMessages).toBe(0);
  });
});
