import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createReplayGuard } from "../../src/mall/auth/replay-guard.js";
import { type Store, openStore } from "../../src/store/database.js";
import { type NonceRepo, createNonceRepo } from "../../src/store/repos/nonce-repo.js";

const MEMORY_MS = 600_000;
let dir: string;
let store: Store;
let repo: NonceRepo;
let batches: number[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "emall-nonce-"));
  store = openStore(join(dir, "gateway.db"));
  const real = createNonceRepo(store.sql);
  batches = [];
  repo = { ...real, rememberAll: (s, m) => (batches.push(s.length), real.rememberAll(s, m)) };
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("replay guard (group commit)", () => {
  it("writes the nonces of one event-loop turn in one transaction and lets each through once", async () => {
    const guard = createReplayGuard(repo, { memoryMs: MEMORY_MS });
    const now = Date.now();
    const nonces = Array.from({ length: 200 }, (_, i) => `nonce${String(i).padStart(12, "0")}`);
    const first = await Promise.all(nonces.map((n) => guard.claim(1, n, now)));
    expect(first.every(Boolean)).toBe(true);
    expect(batches).toEqual([200]);
    const again = await Promise.all(nonces.map((n) => guard.claim(1, n, now + 1)));
    expect(again.some(Boolean)).toBe(false);
    // The same nonce from another account is its own.
    expect(await guard.claim(2, nonces[0] ?? "", now)).toBe(true);
  });

  it("refuses a nonce already pending, and one the store holds from another writer", async () => {
    const guard = createReplayGuard(repo, { memoryMs: MEMORY_MS });
    const now = Date.now();
    const [a, b] = await Promise.all([guard.claim(7, "sameNonce0000000", now), guard.claim(7, "sameNonce0000000", now)]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    // Another process on the file wrote this one while it was pending here.
    const pending = guard.claim(7, "otherWriter000000", now);
    const other = openStore(join(dir, "gateway.db"));
    await createNonceRepo(other.sql).remember(7, "otherWriter000000", now, MEMORY_MS);
    other.close();
    expect(await pending).toBe(false);
  });

  it("fails every waiting call when the batch cannot be written, instead of letting it through", async () => {
    const guard = createReplayGuard(repo, { memoryMs: MEMORY_MS });
    const claims = [guard.claim(1, "n000000000000001", 1), guard.claim(1, "n000000000000002", 1)];
    store.close();
    await expect(Promise.all(claims)).rejects.toThrow();
    store = openStore(join(dir, "gateway.db"));
  });
});
