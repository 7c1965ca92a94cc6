import type { NonceRepo, NonceSighting } from "../../store/repos/nonce-repo.js";

/**
 * The replay check of §2.2 as a group commit. Each signed call's nonce joins a pending batch and
 * the call waits; the batch is written in one transaction at the end of the event-loop turn (or
 * after `flushDelayMs`), and each call learns whether its row was new. One transaction per batch
 * instead of one per call takes the per-commit WAL write off every request.
 *
 * Exactness: a nonce already pending is refused at once (two concurrent requests, one wins); a
 * pending nonce that the store already holds (an earlier call, another process on the same file,
 * a call before a restart) is refused when the batch is written. Nothing is decided from memory
 * alone, so restarts and several instances on one database keep replays out.
 */
export type ReplayGuard = {
  /** Resolves true when the nonce is fresh for the account (and is now remembered). */
  claim(accountId: number, nonce: string, seenAt: number): Promise<boolean>;
  /** Writes the pending batch now (shutdown, tests); resolves once it is written. */
  flush(): Promise<void>;
};

type Pending = NonceSighting & { settle(fresh: boolean): void; fail(e: unknown): void };

export function createReplayGuard(repo: NonceRepo, options: { memoryMs: number; flushDelayMs?: number }): ReplayGuard {
  let pending = new Map<string, Pending>();
  let scheduled = false;
  const delayMs = options.flushDelayMs ?? 0;

  // A batch in flight is out of `pending`: a nonce claimed again meanwhile joins the next batch,
  // and the database (which orders the two writes) refuses it there.
  const flush = async () => {
    scheduled = false;
    if (pending.size === 0) return;
    const batch = [...pending.values()];
    pending = new Map();
    let fresh: boolean[];
    try {
      fresh = await repo.rememberAll(batch, options.memoryMs);
    } catch (e) {
      for (const p of batch) p.fail(e);
      return;
    }
    batch.forEach((p, i) => p.settle(fresh[i] === true));
  };

  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    if (delayMs > 0) setTimeout(() => void flush(), delayMs);
    else setImmediate(() => void flush());
  };

  return {
    claim(accountId, nonce, seenAt) {
      const key = `${accountId}\u0000${nonce}`;
      if (pending.has(key)) return Promise.resolve(false);
      return new Promise<boolean>((settle, fail) => {
        pending.set(key, { accountId, nonce, seenAt, settle, fail });
        schedule();
      });
    },
    flush,
  };
}
