import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NONCE_MEMORY_SECONDS } from "../../src/contract/index.js";
import { type TestGateway, nextCreditCode, startTestGateway, testClock } from "../helpers/harness.js";
import { type Credentials, MallCaller, post } from "../helpers/mall-caller.js";
import { testDatabaseUrl } from "../helpers/test-database.js";

/**
 * The replay store (§2.2) through the real HTTP stack: signed calls are remembered in batches,
 * and a nonce still wins exactly once — concurrently, across a restart and across two gateways
 * on one database file.
 */
const INFO = "/gyssc/platform/info";

let dir: string;
let databaseUrl: string;
const clock = testClock();
const sharedDb = () => ({ DATABASE_URL: databaseUrl, DATA_ENCRYPTION_KEY_FILE: join(dir, "master.key"), TOKEN_TTL_SECONDS: "3600" });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "emall-replay-"));
  databaseUrl = await testDatabaseUrl(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function newCaller(gw: TestGateway): Promise<MallCaller> {
  const code = `R${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
  const { credentials } = await gw.container.supplierAccounts.create({
    code,
    name: `重放电商${code}`,
    creditCode: await nextCreditCode(),
    domains: ["item.example-shop.cn"],
  });
  const caller = new MallCaller(gw.url, { ...credentials, signMode: "hmac-sha256" } satisfies Credentials, clock.now);
  expect((await caller.login()).body.success).toBe(true);
  return caller;
}

const outcome = (body: Record<string, unknown>) =>
  body.success === true ? "ok" : body.code === 5004 && String(body.desc).includes("nonce") ? "replay" : `other:${JSON.stringify(body)}`;

describe("replay store", () => {
  it("lets exactly one of many concurrent calls with the same nonce through", async () => {
    const gw = await startTestGateway(sharedDb(), clock);
    try {
      const caller = await newCaller(gw);
      for (let round = 0; round < 5; round++) {
        const fields = caller.signedFields({});
        const answers = await Promise.all(Array.from({ length: 24 }, () => post(`${gw.url}${INFO}`, fields)));
        const outcomes = answers.map((a) => outcome(a.body));
        expect(outcomes.filter((o) => o === "ok")).toHaveLength(1);
        expect(outcomes.filter((o) => o === "replay")).toHaveLength(23);
      }
      // Distinct nonces sent together (one batch) all pass.
      const distinct = await Promise.all(Array.from({ length: 40 }, () => caller.call(INFO)));
      expect(distinct.map((a) => outcome(a.body))).toEqual(Array.from({ length: 40 }, () => "ok"));
    } finally {
      await gw.close();
    }
  });

  it("refuses a nonce used before the gateway restarted on the same database", async () => {
    const first = await startTestGateway(sharedDb(), clock);
    const caller = await newCaller(first);
    const used = Array.from({ length: 10 }, () => caller.signedFields({}));
    // Sent together and the gateway closed at once: the batch they wait on is written before close.
    const answers = await Promise.all(used.map((fields) => post(`${first.url}${INFO}`, fields)));
    expect(answers.every((a) => a.body.success === true)).toBe(true);
    await first.close();

    const second = await startTestGateway(sharedDb(), clock);
    try {
      for (const fields of used) expect(outcome((await post(`${second.url}${INFO}`, fields)).body)).toBe("replay");
      const fresh = new MallCaller(second.url, caller.credentials, clock.now);
      fresh.token = caller.token;
      expect((await fresh.call(INFO)).body.success).toBe(true);
    } finally {
      await second.close();
    }
  });

  it("lets a nonce through exactly once when two gateways share one database", async () => {
    const a = await startTestGateway(sharedDb(), clock);
    const b = await startTestGateway(sharedDb(), clock);
    try {
      const caller = await newCaller(a);
      const bodies = Array.from({ length: 60 }, () => caller.signedFields({}));
      const answers = await Promise.all(
        bodies.map((fields) => Promise.all([post(`${a.url}${INFO}`, fields), post(`${b.url}${INFO}`, fields), post(`${a.url}${INFO}`, fields)])),
      );
      for (const trio of answers) {
        const outcomes = trio.map((x) => outcome(x.body));
        expect(outcomes.filter((o) => o === "ok")).toHaveLength(1);
        expect(outcomes.filter((o) => o === "replay")).toHaveLength(2);
      }
      // Both gateways answered some first: the race was real, not one instance doing all the work.
      const winners = answers.map((trio) => trio.findIndex((x) => x.body.success === true));
      expect(new Set(winners).size).toBeGreaterThan(1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("accepts a nonce again once it is outside the memory window", async () => {
    const gw = await startTestGateway(sharedDb(), clock);
    try {
      const caller = await newCaller(gw);
      const nonce = "n0nceReusedAfterTheWindow";
      expect((await caller.call(INFO, {}, { nonce })).body.success).toBe(true);
      expect(outcome((await caller.call(INFO, {}, { nonce })).body)).toBe("replay");
      clock.advance(NONCE_MEMORY_SECONDS * 1000 - 60_000);
      expect((await caller.login()).body.success).toBe(true);
      expect(outcome((await caller.call(INFO, {}, { nonce })).body)).toBe("replay");
      clock.advance(61_000);
      const later = await caller.login();
      expect(later.body.success).toBe(true);
      expect((await caller.call(INFO, {}, { nonce })).body.success).toBe(true);
    } finally {
      await gw.close();
    }
  });

  it("answers a batch per sighting in order: a nonce twice in one batch is fresh only the first time", async () => {
    const gw = await startTestGateway(sharedDb(), clock);
    try {
      const nonces = gw.container.repos.nonces;
      const now = clock.now();
      const memoryMs = NONCE_MEMORY_SECONDS * 1000;
      const batch = ["batchNonceB00000001", "batchNonceA00000001", "batchNonceB00000001", "batchNonceC00000001"].map((nonce) => ({
        accountId: 7,
        nonce,
        seenAt: now,
      }));
      expect(await nonces.rememberAll(batch, memoryMs)).toEqual([true, true, false, true]);
      expect(await nonces.rememberAll([{ accountId: 8, nonce: "batchNonceA00000001", seenAt: now }, ...batch.slice(0, 2)], memoryMs)).toEqual([
        true,
        false,
        false,
      ]);
      expect(await nonces.rememberAll([], memoryMs)).toEqual([]);
    } finally {
      await gw.close();
    }
  });

  it("prunes the nonces seen before a cutoff, in chunks, and keeps the rest refused", async () => {
    const gw = await startTestGateway(sharedDb(), clock);
    try {
      const nonces = gw.container.repos.nonces;
      const memoryMs = NONCE_MEMORY_SECONDS * 1000;
      const old = clock.now() - 10 * memoryMs;
      const expired = Array.from({ length: 2_500 }, (_, i) => ({ accountId: 9, nonce: `prunedNonce${String(i).padStart(8, "0")}`, seenAt: old }));
      expect((await nonces.rememberAll(expired, memoryMs)).every(Boolean)).toBe(true);
      const kept = { accountId: 9, nonce: "keptNonce0000000001", seenAt: clock.now() };
      expect(await nonces.rememberAll([kept], memoryMs)).toEqual([true]);
      expect(await nonces.pruneChunkBefore(old + 1)).toBe(2_000);
      expect(await nonces.pruneBefore(old + 1)).toBe(500);
      expect(await nonces.pruneBefore(old + 1)).toBe(0);
      expect(await nonces.rememberAll([kept], memoryMs)).toEqual([false]);
    } finally {
      await gw.close();
    }
  });
});
