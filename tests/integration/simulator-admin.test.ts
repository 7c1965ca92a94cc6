import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SignMode } from "../../src/contract/index.js";
import type { RunningSimulator } from "../../src/simulator/simulator-server.js";
import { launchSimulator, post, tokenFields } from "../helpers/simulator-harness.js";

describe("simulator control surface /_sim", () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await launchSimulator({ products: 30 });
  });
  afterAll(() => sim.close());
  const json = (method: string, path: string, body?: unknown) =>
    fetch(sim.url + path, { method, headers: { "Content-Type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });

  it("sets knobs, rejects nonsense, and injects a fault into the next call", async () => {
    expect((await json("PUT", "/_sim/knobs", { endpoints: { prices: { faults: { "http-5xx": 2 } } } })).status).toBe(400);
    const set = await json("PUT", "/_sim/knobs", { endpoints: { prices: { latencyMs: 5, faults: { timeout: 0 } } }, duplicateMessages: 0.5 });
    expect(await set.json()).toMatchObject({ endpoints: { prices: { latencyMs: 5 } }, duplicateMessages: 0.5 });
    expect((await json("DELETE", "/_sim/knobs")).status).toBe(204);
    expect((await json("POST", "/_sim/faults", { endpoint: "token", fault: "http-5xx" })).status).toBe(204);
    const faulted = await post(sim.url + "/api/auth2/access_token", tokenFields(SignMode.HmacSha256));
    expect(faulted.status).toBe(502);
    const next = await post(sim.url + "/api/auth2/access_token", tokenFields(SignMode.HmacSha256));
    expect(next.status).toBe(200);
  });

  it("applies changes and scenarios, and shows pending messages and truth", async () => {
    const before = ((await (await json("GET", "/_sim/messages")).json()) as unknown[]).length;
    const changes = (await (await json("POST", "/_sim/changes", { count: 5 })).json()) as Array<{ kind: string; messageIds: string[] }>;
    expect(changes).toHaveLength(5);
    const after = ((await (await json("GET", "/_sim/messages")).json()) as unknown[]).length;
    expect(after).toBe(before + changes.reduce((n, c) => n + c.messageIds.length, 0));
    expect((await json("POST", "/_sim/scenarios/price-war")).status).toBe(200);
    expect((await json("POST", "/_sim/scenarios/nope")).status).toBe(404);
    const truth = (await (await json("GET", "/_sim/truth")).json()) as { products: Array<{ valid: boolean }>; platformCode: string };
    expect(truth.platformCode).toBe("TJZFCG");
    expect(truth.products.length).toBeGreaterThanOrEqual(30);
  });
});
