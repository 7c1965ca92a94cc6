import { openPgStore, openStore } from "../../src/store/database.js";
import { type NonceSighting, createNonceRepo } from "../../src/store/repos/nonce-repo.js";

/**
 * One gateway instance's replay store in a process of its own, so several write at truly the same
 * time (in one process the synchronous store serialises them). Over IPC: sends { ready } once open;
 * { batches, memoryMs } is answered with { answers }, one rememberAll result per batch; "close" ends it.
 */
const url = process.env.NONCE_WRITER_DATABASE_URL ?? "";
const store = /^postgres(ql)?:\/\//.test(url) ? await openPgStore(url) : openStore(url);
const repo = createNonceRepo(store.sql);

process.on("message", async (message: "close" | { batches: NonceSighting[][]; memoryMs: number }) => {
  if (message === "close") {
    store.close();
    process.exit(0);
  }
  const answers: boolean[][] = [];
  for (const batch of message.batches) answers.push(await repo.rememberAll(batch, message.memoryMs));
  process.send?.({ answers });
});
process.send?.({ ready: true });
