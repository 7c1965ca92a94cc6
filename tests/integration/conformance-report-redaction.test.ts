import { readFileSync } from "node:fs";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SignMode } from "../../src/contract/index.js";
import { type ConformanceRig, KIT_SUPPLIER, startConformanceRig } from "../helpers/conformance-rig.js";
import { TEST_ACCOUNT } from "../helpers/simulator-harness.js";

/**
 * A sandbox that answers in pretty-printed JSON: the reference supplier behind a proxy that
 * re-indents every JSON answer (as some supplier frameworks do), keeping every issued token.
 */
async function prettyPrintingSandbox(upstream: string): Promise<{ url: string; tokens: Set<string>; close(): Promise<void> }> {
  const tokens = new Set<string>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const answer = await fetch(`${upstream}${req.url ?? "/"}`, {
          method: req.method,
          headers: { "content-type": req.headers["content-type"] ?? "application/x-www-form-urlencoded" },
          body: Buffer.concat(chunks),
        });
        let body = await answer.text();
        try {
          const json = JSON.parse(body) as { result?: { access_token?: unknown } };
          if (typeof json.result?.access_token === "string") tokens.add(json.result.access_token);
          body = JSON.stringify(json, null, 2);
        } catch {
          // not JSON: passed on as it came
        }
        const headers: Record<string, string> = {};
        answer.headers.forEach((value, name) => {
          if (name !== "content-length" && name !== "transfer-encoding" && name !== "connection") headers[name] = value;
        });
        res.writeHead(answer.status, headers).end(body);
      })().catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tokens,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let rig: ConformanceRig;
beforeAll(async () => {
  rig = await startConformanceRig();
});
afterAll(async () => {
  await rig.close();
});

describe("a signed conformance report never carries the sandbox's credentials", () => {
  it("redacts the access token from pretty-printed JSON answers in the report's JSON and its HTML page", async () => {
    const sandbox = await prettyPrintingSandbox(rig.sandbox.url);
    try {
      const { run, report } = await rig.gw.container.conformance.run({
        supplier: KIT_SUPPLIER,
        target: { baseUrl: sandbox.url, ...TEST_ACCOUNT, signMode: SignMode.HmacSha256, bodyFormat: "form" },
        actor: "test:conformance",
      });
      expect(sandbox.tokens.size).toBeGreaterThan(0);
      const json = readFileSync(run.reportJson, "utf8");
      const html = readFileSync(run.reportHtml, "utf8");
      for (const token of sandbox.tokens) {
        expect(json).not.toContain(token);
        expect(html).not.toContain(token);
      }
      for (const secret of [TEST_ACCOUNT.password, TEST_ACCOUNT.appSecret]) {
        expect(json).not.toContain(secret);
        expect(html).not.toContain(secret);
      }

      // The multi-line answers are failed, with the S-1 answer among the evidence, layout and all.
      const envelope = report.modules.find((m) => m.id === "answers")?.steps.find((s) => s.id === "answer.envelope");
      expect(envelope?.status).toBe("failed");
      const bodies = (envelope?.evidence ?? []).map((e) => (e.response && "body" in e.response ? e.response.body : ""));
      expect(bodies.some((b) => b.includes('"access_token": "***"'))).toBe(true);
      expect(html).toContain("&quot;access_token&quot;: &quot;***&quot;");
    } finally {
      await sandbox.close();
    }
  }, 60_000);
});
