import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  SIGN_HEADER,
  SIGN_TIMESTAMP_HEADER,
  SignMode,
  type SupplierOperationName,
  formatBeijingTimestamp,
  serializeSuccess,
  signResponse,
  supplierOperations,
} from "../../src/contract/index.js";
import { createHttpTransport, type Transport, type TransportResult } from "../../src/supplier/http-transport.js";
import { SupplierClient, type SupplierConnection } from "../../src/supplier/supplier-client.js";
import { SupplierError, supplierErrorKinds } from "../../src/supplier/supplier-error.js";
import type { RunningSimulator } from "../../src/simulator/simulator-server.js";
import { TEST_ACCOUNT, TEST_PLATFORM_CODE, launchSimulator } from "../helpers/simulator-harness.js";
import { FUZZ_RUNS, anyJson, deepJson, fuzzParams, leaksInternals, mutate, mutation, oddValue } from "../helpers/fuzz-kit.js";

/**
 * Fuzz of the supplier client's reading of every S-x answer, in process: a transport hands back
 * whatever bytes the generator makes — mutations of real answers of the reference supplier, random
 * JSON, invalid UTF-8, deep and huge bodies, odd statuses, missing and wrong signatures. The client
 * must answer a CallResult and never throw; data comes back only when it is signed, enveloped and of
 * the operation's shape; everything else is a typed SupplierError.
 */

// Properties run hundreds of HTTP cases; two shared cores can make that slow, never wrong.
vi.setConfig({ testTimeout: 120_000 });

const SECRET = TEST_ACCOUNT.appSecret;
type Op = SupplierOperationName;

const conn = (baseUrl: string): SupplierConnection => ({
  supplier: "FUZZ",
  baseUrl,
  username: TEST_ACCOUNT.username,
  password: TEST_ACCOUNT.password,
  appSecret: SECRET,
  signMode: SignMode.HmacSha256,
  platformCode: TEST_PLATFORM_CODE,
  qps: 100_000,
  maxConcurrent: 4,
  timeoutMs: 5_000,
});

/** Each operation called the way the puller and the order pusher call it. */
const invoke: Record<Op, (c: SupplierClient) => Promise<{ ok: boolean; value?: unknown; error?: unknown }>> = {
  token: (c) => c.token(),
  messagePool: (c) => c.getMessagePool(6),
  messageDelete: (c) => c.delMessagePool(["1", "2"]),
  detail: (c) => c.detail("100001"),
  attributes: (c) => c.attributes("100001"),
  promise: (c) => c.promises(["100001", "100002"]),
  shelfStates: (c) => c.shelfStates(["100001", "100002"]),
  stocks: (c) => c.stocks(["100001"], "120000_120100_120101"),
  images: (c) => c.images(["100001"]),
  prices: (c) => c.prices(["100001", "100002"]),
  submitOrder: (c) =>
    c.submitOrder({
      yggc_order: "YG1",
      sku: [{ sku: "100001", num: 1, priceFen: 1000 }],
      name: "张三",
      mobile: "13812345678",
      province: "120000",
      city: "120100",
      county: "120101",
      address: "南京路118号",
      invoice_title: "天津市和平区教育局",
      invoice_type: 1,
      invoice_org_code: "11120101MB1234567X",
      payment: 2,
      orderPriceFen: 2000,
      freightFen: 1000,
    }),
  confirmOrder: (c) => c.confirmOrder("SO1"),
};

/** Real answers of the reference supplier, one per operation: the seeds the mutations start from. */
const samples = new Map<Op, unknown>();
let sim: RunningSimulator;

beforeAll(async () => {
  sim = await launchSimulator({ products: 5, invalidShare: 0 });
  const real = createHttpTransport({ maxSockets: 2 });
  const recording: Transport = {
    async post(request) {
      const answer = await real.post(request);
      const op = (Object.keys(supplierOperations) as Op[]).find((name) => request.url.endsWith(supplierOperations[name].path));
      if (answer.ok && op) samples.set(op, (JSON.parse(answer.response.body.toString("utf8")) as { result: unknown }).result);
      return answer;
    },
    close: () => real.close(),
  };
  const client = new SupplierClient(conn(sim.url), { transport: recording });
  const sku = sim.sim.exportTruth().products[0]?.sku ?? "";
  const page = await client.getMessagePool(6);
  expect(page.ok).toBe(true);
  await client.detail(sku);
  await client.attributes(sku);
  await client.promises([sku]);
  await client.shelfStates([sku]);
  await client.stocks([sku], "120000_120100_120101");
  await client.images([sku]);
  await client.prices([sku]);
  await client.delMessagePool(page.ok ? page.value.slice(0, 1).map((m) => m.id) : []);
  await client.close();
  samples.set("submitOrder", { mall_order_id: "SO1", yggc_order: "YG1", sku: [{ sku: "100001", num: 1, price: 10 }], orderPrice: 10, freight: 10 });
  samples.set("confirmOrder", true);
  for (const op of Object.keys(supplierOperations) as Op[]) {
    expect(samples.has(op), op).toBe(true);
    expect(supplierOperations[op].result.safeParse(samples.get(op)).success, `${op} sample is valid`).toBe(true);
  }
});
afterAll(() => sim.close());

type Answer = { label: string; status: number; body: Buffer; sign: "good" | "bad" | "none"; contentType?: string };

const TOKEN_BODY = () => serializeSuccess({ access_token: "tok_fuzz", expires_at: formatBeijingTimestamp(Date.now() + 3_600_000), expires_in: 3_600 });

function answers(op: Op): fc.Arbitrary<Answer> {
  const sample = () => samples.get(op);
  const text = (label: string, body: string, status = 200): Answer => ({ label, status, body: Buffer.from(body, "utf8"), sign: "good" });
  const signMode = fc.constantFrom<Answer["sign"]>("good", "good", "good", "bad", "none");
  return fc.oneof(
    // A real answer with one field changed, dropped or repeated, at any depth.
    fc.tuple(fc.nat(), mutation, signMode).map(([pick, m, sign]) => ({
      ...text(`mutated ${JSON.stringify(m).slice(0, 60)} at ${pick}`, JSON.stringify({ success: true, result: mutate(sample(), pick, m) }) ?? ""),
      sign,
    })),
    // The real answer, unsigned or badly signed: never used.
    fc.constantFrom<Answer["sign"]>("bad", "none").map((sign) => ({ ...text("real answer", serializeSuccess(sample())), sign })),
    // A refusal, with any code and desc.
    fc.tuple(oddValue, oddValue, signMode).map(([code, desc, sign]) => ({ ...text("refusal", JSON.stringify({ success: false, code, desc })), sign })),
    fc.tuple(anyJson, signMode).map(([v, sign]) => ({ ...text("any JSON", JSON.stringify(v)), sign })),
    fc.tuple(anyJson, signMode).map(([v, sign]) => ({ ...text("any result", JSON.stringify({ success: true, result: v })), sign })),
    fc.uint8Array({ maxLength: 400 }).map((b) => ({ label: "random bytes", status: 200, body: Buffer.from(b), sign: "good" as const })),
    fc.constant<Answer>({
      label: "invalid UTF-8 inside a string",
      status: 200,
      body: Buffer.concat([Buffer.from('{"success":true,"result":"'), Buffer.from([0xc3, 0x28, 0xff, 0xed, 0xa0, 0x80]), Buffer.from('"}')]),
      sign: "good",
    }),
    fc.constantFrom<"array" | "object">("array", "object").map((kind) => text(`deep ${kind}`, `{"success":true,"result":${deepJson(20_000, kind)}}`)),
    fc.constant(0).map(() => text("duplicate keys", `{"success":false,"success":true,"result":${JSON.stringify(sample())},"result":null}`)),
    fc.integer({ min: 1, max: 3 }).map((mib) => {
      const one = JSON.stringify(sample()) ?? "null";
      return text(
        `${mib} MiB result`,
        `{"success":true,"result":[${Array.from({ length: Math.ceil((mib * 1024 * 1024) / one.length) }, () => one).join(",")}]}`,
      );
    }),
    fc
      .tuple(fc.constantFrom(100, 204, 301, 302, 400, 401, 403, 404, 405, 408, 413, 429, 500, 502, 503, 504, 599), signMode)
      .map(([status, sign]) => ({ ...text(`HTTP ${status}`, serializeSuccess(sample()), status), sign })),
    fc
      .constantFrom("text/html", "text/plain", "application/xml")
      .map((ct) => ({ ...text(`content type ${ct}`, "<html><body>502 Bad Gateway</body></html>"), contentType: ct, sign: "none" as const })),
  );
}

/** A transport that answers S-1 with a good token and the operation under test with `answer`. */
function fakeTransport(op: Op, answer: Answer, seen: { calls: number }): Transport {
  return {
    async post(request): Promise<TransportResult> {
      const isToken = request.url.endsWith(supplierOperations.token.path);
      if (!isToken || op === "token") seen.calls++;
      const body = isToken && op !== "token" ? Buffer.from(TOKEN_BODY()) : answer.body;
      const sign = isToken && op !== "token" ? "good" : answer.sign;
      const headers: Record<string, string> = { "content-type": answer.contentType ?? "application/json;charset=UTF-8" };
      if (sign !== "none") {
        const timestamp = formatBeijingTimestamp(Date.now());
        const good = signResponse(SECRET, timestamp, body);
        headers[SIGN_TIMESTAMP_HEADER.toLowerCase()] = timestamp;
        headers[SIGN_HEADER.toLowerCase()] = sign === "good" ? good : `${good.slice(0, -1)}${good.endsWith("0") ? "1" : "0"}`;
      }
      return { ok: true, response: { status: isToken && op !== "token" ? 200 : answer.status, headers, body } };
    },
    close() {},
  };
}

describe.each(Object.keys(supplierOperations) as Op[])("fuzz of the answer to %s", (op) => {
  it(`${supplierOperations[op].id}: a CallResult every time; data only when signed and of the contract's shape`, async () => {
    await fc.assert(
      fc.asyncProperty(answers(op), async (answer) => {
        const seen = { calls: 0 };
        const client = new SupplierClient(conn("http://supplier.fuzz"), {
          transport: fakeTransport(op, answer, seen),
          sleep: () => Promise.resolve(),
          random: () => 0,
        });
        let outcome: Awaited<ReturnType<(typeof invoke)[Op]>>;
        try {
          outcome = await invoke[op](client);
        } finally {
          await client.close();
        }
        const where = `${op} ${answer.label} HTTP ${answer.status} sign ${answer.sign}: ${answer.body.subarray(0, 200).toString("utf8")}`;
        if (outcome.ok) {
          expect(answer.sign, where).toBe("good");
          expect(answer.status, where).toBe(200);
          // What the client hands back is what the contract allows for this operation.
          const value = outcome.value;
          if (op === "token") {
            expect(typeof value === "string" && value.length > 0, where).toBe(true);
            return;
          }
          expect(supplierOperations[op].result.safeParse(value).success || Array.isArray(value), where).toBe(true);
          if (Array.isArray(value)) expect(supplierOperations[op].result.safeParse(value.slice(0, 100)).success, where).toBe(true);
        } else {
          const error = outcome.error as SupplierError;
          expect(error, where).toBeInstanceOf(SupplierError);
          expect(supplierErrorKinds as readonly string[], where).toContain(error.kind);
          expect(typeof error.message, where).toBe("string");
          expect(error.message.length, where).toBeLessThan(2_000);
          expect(leaksInternals(error.message), where).toBe(false);
          expect(error.attempts, where).toBeGreaterThanOrEqual(1);
          expect(seen.calls, where).toBe(error.attempts);
        }
      }),
      fuzzParams(Math.max(50, Math.round(FUZZ_RUNS * 0.8))),
    );
  });
});
