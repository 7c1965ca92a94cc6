import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NONCE_MEMORY_SECONDS } from "../../src/contract/index.js";
import { openPgStore, openStore } from "../../src/store/database.js";
import type { NonceSighting } from "../../src/store/repos/nonce-repo.js";
import { onPostgres, testDatabaseUrl } from "../helpers/test-database.js";

/**
 * The replay store's group commit with several instances writing at the same moment, each in its own
 * process (in one process the synchronous store runs one batch at a time, so no race is possible).
 * A nonce sent to every instance is fresh at exactly one of them.
 */
const INSTANCES = 3;
const ROUNDS = 12;
const MEMORY_MS = NONCE_MEMORY_SECONDS * 1000;

type Reply = { ready?: boolean; answers?: boolean[][] };

let dir: string;
const writers: Array<{ child: ChildProcess; next: () => Promise<Reply> }> = [];

function startWriter(url: string): { child: ChildProcess; next: () => Promise<Reply> } {
  const child = spawn(process.execPath, ["--import", "tsx", "tests/helpers/nonce-writer-process.ts"], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, NONCE_WRITER_DATABASE_URL: url },
  });
  const inbox: Reply[] = [];
  const waiters: Array<(r: Reply) => void> = [];
  const deliver = (r: Reply) => {
    const waiter = waiters.shift();
    if (waiter) waiter(r);
    else inbox.push(r);
  };
  child.on("message", (m: Reply) => deliver(m));
  // A writer that dies answers every later wait with nothing, so the test fails at once.
  child.on("exit", () => {
    for (let i = 0; i < ROUNDS + 1; i++) deliver({});
  });
  const next = () => new Promise<Reply>((resolve) => (inbox.length > 0 ? resolve(inbox.shift() as Reply) : waiters.push(resolve)));
  return { child, next };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "emall-replay-instances-"));
  const url = await testDatabaseUrl(dir);
  // Migrated once before the writers open it, as a deployed database is.
  (onPostgres ? await openPgStore(url) : openStore(url)).close();
  for (let i = 0; i < INSTANCES; i++) writers.push(startWriter(url));
  for (const w of writers) expect((await w.next()).ready).toBe(true);
}, 120_000);

afterAll(async () => {
  await Promise.all(
    writers.map(async ({ child }) => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.send("close");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null) child.kill();
    }),
  );
  rmSync(dir, { recursive: true, force: true });
});

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe("replay store with several instances on one database", () => {
  it("accepts each nonce at exactly one instance when their batches carrying it commit at once", async () => {
    const now = Date.now();
    const winners = new Map<string, number[]>();
    for (let round = 0; round < ROUNDS; round++) {
      const pool = [1, 2].flatMap((accountId) => Array.from({ length: 40 }, (_, n) => ({ accountId, nonce: `instanceRace${round}x${n}`, seenAt: now })));
      for (const s of pool) winners.set(`${s.accountId}/${s.nonce}`, []);
      // Every instance gets the round's nonces in its own order, cut into its own batches.
      const plans: NonceSighting[][][] = writers.map(() => {
        const order = shuffled(pool);
        const cut = 1 + Math.floor(Math.random() * (order.length - 1));
        return [order.slice(0, cut), order.slice(cut)];
      });
      // Sent in a new order each round, so no instance is always the first to start.
      const replies: Array<boolean[][] | undefined> = [];
      await Promise.all(
        shuffled(writers.map((w, i) => ({ w, i }))).map(async ({ w, i }) => {
          w.child.send({ batches: plans[i], memoryMs: MEMORY_MS });
          replies[i] = (await w.next()).answers;
        }),
      );
      replies.forEach((answers, i) => {
        expect(answers, `instance ${i} answered`).toBeDefined();
        plans[i]?.forEach((batch, b) =>
          batch.forEach((s, n) => {
            if (answers?.[b]?.[n] === true) winners.get(`${s.accountId}/${s.nonce}`)?.push(i);
          }),
        );
      });
    }
    expect(winners.size).toBe(ROUNDS * 80);
    for (const [key, at] of winners) expect(at, key).toHaveLength(1);
    // More than one instance won some nonces: the batches really overlapped.
    expect(new Set([...winners.values()].map((at) => at[0])).size).toBeGreaterThan(1);
  }, 120_000);
});
