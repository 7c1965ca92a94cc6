import fc from "fast-check";
import type { z } from "zod";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type MallOperationName, allErrorCodes, mallOperations } from "../../src/contract/index.js";
import { type TestGateway, nextCreditCode, startTestGateway } from "../helpers/harness.js";
import { MallCaller } from "../helpers/mall-caller.js";
import {
  type RawReply,
  type WireBody,
  fuzzParams,
  hostileBody,
  leaksInternals,
  nonPostMethod,
  oddFields,
  oddValue,
  oversizedBody,
  rawRequest,
  wireHeaders,
} from "../helpers/fuzz-kit.js";

/**
 * Fuzz of the mall side (M-1…M-7) through the real express app: whatever a supplier sends, the
 * answer is one line of JSON in the contract's envelope with a contract code, HTTP 200 (405 for
 * another method, 413 over 1 MiB), never a 5xx, never a stack trace, and the server keeps answering.
 */

// Properties run hundreds of HTTP cases; two shared cores can make that slow, never wrong.
vi.setConfig({ testTimeout: 120_000 });

const AUTH_FIELDS = ["token", "timestamp", "nonce", "sign", "username", "password", "platformCode"] as const;
const operations = Object.entries(mallOperations) as Array<[MallOperationName, (typeof mallOperations)[MallOperationName]]>;
const fieldNames = (name: MallOperationName): string[] => [...AUTH_FIELDS, ...Object.keys((mallOperations[name].request as unknown as z.ZodObject).shape)];

let gw: TestGateway;
let caller: MallCaller;

beforeAll(async () => {
  gw = await startTestGateway();
  const { credentials } = await gw.container.supplierAccounts.create({
    code: "FZ",
    name: "模糊测试电商",
    creditCode: await nextCreditCode(),
    domains: ["item.fuzz.cn"],
  });
  caller = new MallCaller(gw.url, { ...credentials, signMode: "hmac-sha256" }, gw.clock.now, "json");
  const login = await caller.login();
  expect(login.body.success, login.text).toBe(true);
});
afterAll(() => gw.close());

/** The contract's promise for any answer on a mall path (§1, §6.2). */
function expectCleanEnvelope(reply: RawReply, allowed: readonly number[], context: string): void {
  const where = `${context} → HTTP ${reply.status} ${reply.text.slice(0, 300)}`;
  expect(reply.status, where).not.toBe(0); // the socket was cut: no answer at all
  expect(allowed, where).toContain(reply.status);
  expect(String(reply.headers["content-type"]), where).toMatch(/^application\/json;\s*charset=UTF-8$/i);
  expect(reply.text, where).not.toMatch(/[\r\n]/);
  expect(leaksInternals(reply.text), where).toBe(false);
  const body = JSON.parse(reply.text) as { success?: unknown; code?: unknown; desc?: unknown; result?: unknown };
  if (body.success === true) {
    expect(reply.status, where).toBe(200);
    expect(body, where).toHaveProperty("result");
    return;
  }
  expect(body.success, where).toBe(false);
  expect(typeof body.desc, where).toBe("string");
  expect(allErrorCodes as readonly unknown[], where).toContain(body.code);
}

function send(path: string, wire: WireBody, method = "POST"): Promise<RawReply> {
  return rawRequest(gw.url, { method, path, headers: wireHeaders(wire), body: wire.body });
}

async function stillServing(): Promise<void> {
  const reply = await rawRequest(gw.url, {
    path: "/gyssc/platform/info",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(caller.signedFields({})),
  });
  expect(reply.status).toBe(200);
  expect(JSON.parse(reply.text)).toMatchObject({ success: true });
}

describe.each(operations)("fuzz %s", (name, operation) => {
  const names = fieldNames(name);

  it(`${operation.id}: hostile bodies get a clean envelope with a contract code`, async () => {
    await fc.assert(
      fc.asyncProperty(hostileBody(names), async (wire) => {
        expectCleanEnvelope(await send(operation.path, wire), [200], `${operation.id} ${wire.label}`);
      }),
      fuzzParams(),
    );
    await stillServing();
  });

  it(`${operation.id}: signed calls with wrong-typed fields are refused with a code the operation declares`, async () => {
    const ownFields = Object.keys((operation.request as unknown as z.ZodObject).shape);
    const fields = ownFields.length > 0 ? oddFields(ownFields) : fc.dictionary(fc.string({ maxLength: 8 }), oddValue, { maxKeys: 4 });
    const codes = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fields, fc.boolean(), async (own, asForm) => {
        // Signed over exactly what is sent, so the call passes §2.2 and reaches the operation's own checks.
        const signed = name === "token" ? caller.tokenFields(own) : caller.signedFields(own);
        const wire: WireBody = asForm
          ? {
              label: "signed form",
              contentType: "application/x-www-form-urlencoded",
              body: Buffer.from(
                new URLSearchParams(
                  Object.entries(signed).map(([k, v]): [string, string] => [k, typeof v === "string" ? v : (JSON.stringify(v) ?? "")]),
                ).toString(),
              ),
            }
          : { label: "signed JSON", contentType: "application/json", body: Buffer.from(JSON.stringify(signed)) };
        const reply = await send(operation.path, wire);
        expectCleanEnvelope(reply, [200], `${operation.id} ${wire.label} ${JSON.stringify(own).slice(0, 200)}`);
        const body = JSON.parse(reply.text) as { success: boolean; code?: number };
        codes.set(body.code ?? 0, (codes.get(body.code ?? 0) ?? 0) + 1);
        if (!body.success) expect(operation.errors as readonly number[], `${operation.id} answered ${reply.text}`).toContain(body.code);
      }),
      fuzzParams(),
    );
    // The generator must get past authentication, or this property tests nothing of the operation.
    const pastAuth = [...codes].filter(([code]) => ![5001, 5004, 5005, 5006].includes(code)).reduce((n, [, count]) => n + count, 0);
    expect(pastAuth, JSON.stringify([...codes])).toBeGreaterThan(0);
    await stillServing();
  });

  it(`${operation.id}: any other method is 405 with the envelope`, async () => {
    await fc.assert(
      fc.asyncProperty(nonPostMethod, hostileBody(names), async (method, wire) => {
        const reply = await send(operation.path, method === "HEAD" ? { ...wire, body: Buffer.alloc(0) } : wire, method);
        if (method === "HEAD") {
          expect(reply.status).toBe(405); // no body on HEAD
          return;
        }
        expectCleanEnvelope(reply, [405], `${operation.id} ${method} ${wire.label}`);
      }),
      fuzzParams(30),
    );
  });

  it(`${operation.id}: a body over 1 MiB is 413 with the envelope`, async () => {
    for (const kind of ["json", "form"] as const) {
      const reply = await send(operation.path, oversizedBody(1024 * 1024 + 1, kind));
      expectCleanEnvelope(reply, [413], `${operation.id} 1 MiB + 1 ${kind}`);
      const wire = oversizedBody(2 * 1024 * 1024, kind);
      const chunked = await rawRequest(gw.url, { path: operation.path, headers: wireHeaders(wire), body: wire.body, chunked: true });
      expectCleanEnvelope(chunked, [413], `${operation.id} 2 MiB chunked ${kind}`);
    }
    await stillServing();
  });
});

describe("fuzz of the paths around the mall's", () => {
  it("unknown and near-miss paths answer HTTP 200 with 5099", async () => {
    const near = fc.oneof(
      fc.constantFrom(...operations.map(([, op]) => op.path)).map((p) => p.toUpperCase()),
      fc.constantFrom(...operations.map(([, op]) => op.path)).map((p) => `${p}/`),
      fc.constantFrom(...operations.map(([, op]) => op.path)).map((p) => `${p}%00`),
      fc.webPath().filter((p) => !p.startsWith("/admin") && !p.startsWith("/docs") && p !== "/"),
      fc.constantFrom("/%", "/%E0%A4%A", "/gyssc/%FF%FE", "/..%2f..%2fetc/passwd", "//gyssc/token"),
    );
    await fc.assert(
      fc.asyncProperty(near, hostileBody(["x"]), async (path, wire) => {
        const reply = await send(path, wire);
        expectCleanEnvelope(reply, [200, 413], `${path} ${wire.label}`);
        if (reply.status === 200) expect(JSON.parse(reply.text)).toMatchObject({ success: false, code: 5099 });
      }),
      fuzzParams(100),
    );
    await stillServing();
  });
});
