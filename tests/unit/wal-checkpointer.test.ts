import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type SqliteStore, openStore } from "../../src/store/database.js";
import { createNonceRepo } from "../../src/store/repos/nonce-repo.js";
import { startWalCheckpointer } from "../../src/store/wal-checkpointer.js";

let dir: string;
let store: SqliteStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "emall-wal-"));
  store = openStore(join(dir, "gateway.db"));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("WAL checkpoints off the event loop", () => {
  it("stops the connection checkpointing on commit and folds the WAL back from the worker", async () => {
    const checkpointer = startWalCheckpointer(store, { intervalMs: 3_600_000 });
    expect(store.connection.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
    const nonces = createNonceRepo(store.sql);
    // Far past the 1,000 pages at which this connection would otherwise checkpoint by itself.
    for (let i = 0; i < 3_000; i++) await nonces.remember(1, `n${String(i).padStart(15, "0")}`, Date.now(), 600_000);
    const result = await checkpointer.checkpointNow();
    expect(result.walFrames).toBeGreaterThan(3_000);
    expect(result.checkpointedFrames).toBe(result.walFrames);
    expect(checkpointer.last()).toEqual(result);
    expect(statSync(join(dir, "gateway.db")).size).toBeGreaterThan(3_000 * 20);
    await checkpointer.stop();
    // Without the worker the connection checkpoints by itself again.
    expect(store.connection.pragma("wal_autocheckpoint", { simple: true })).toBe(1_000);
  });
});
