import { setTimeout as sleep } from "node:timers/promises";
import type { PgDb } from "../pg-database.js";
import { takeCallToken } from "./call-bucket.js";
import { type CallSlot, claimSlot, ensureSlots, releaseSlot, renewSlot } from "./call-slots.js";

/** A supplier's limits as configured on its connection (supplier_connections.max_concurrent, .qps). */
export type CallLimits = {
  readonly maxConcurrent: number;
  readonly qps: number;
  /** Calls that may go at once after a quiet spell; 1 spaces every call 1/qps apart, as the in-process limiter does. */
  readonly burst?: number;
};

export type BudgetRefusal = { readonly code: "call_budget_wait_exceeded"; readonly message: string };
export type BudgetResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly refusal: BudgetRefusal };

export type CallBudget = {
  /** Runs `call` within the supplier's limits as shared by all instances: a slot first, then a token. */
  withCall<T>(supplierId: number, limits: CallLimits, call: () => Promise<T>): Promise<BudgetResult<T>>;
};

export type CallBudgetOptions = {
  /** Names this instance in the slots it holds. */
  readonly instance: string;
  /** How long a killed instance's slot stays taken; renewed every third of it while a call runs. */
  readonly slotLeaseMs?: number;
  /** How long a call may wait for a slot before it is refused. */
  readonly maxWaitMs?: number;
};

/** Longer than any supplier call's timeout is not needed: a running call renews its slot. */
const SLOT_LEASE_MS = 15_000;
const MAX_WAIT_MS = 60_000;
/** Pause between claims when every slot is held: short next to a call, jittered so instances do not poll in step. */
const SLOT_POLL_MIN_MS = 5;
const SLOT_POLL_MAX_MS = 25;

export function createCallBudget(db: PgDb, options: CallBudgetOptions): CallBudget {
  const slotLeaseMs = options.slotLeaseMs ?? SLOT_LEASE_MS;
  const maxWaitMs = options.maxWaitMs ?? MAX_WAIT_MS;
  const ensured = new Map<number, number>();

  async function waitForSlot(supplierId: number, maxConcurrent: number): Promise<CallSlot | null> {
    if ((ensured.get(supplierId) ?? 0) < maxConcurrent) {
      await ensureSlots(db, supplierId, maxConcurrent);
      ensured.set(supplierId, maxConcurrent);
    }
    const giveUpAt = Date.now() + maxWaitMs;
    for (;;) {
      const slot = await claimSlot(db, supplierId, maxConcurrent, options.instance, slotLeaseMs);
      if (slot || Date.now() >= giveUpAt) return slot;
      await sleep(SLOT_POLL_MIN_MS + Math.random() * (SLOT_POLL_MAX_MS - SLOT_POLL_MIN_MS));
    }
  }

  return {
    async withCall(supplierId, limits, call) {
      const slot = await waitForSlot(supplierId, limits.maxConcurrent);
      if (!slot) {
        return { ok: false, refusal: { code: "call_budget_wait_exceeded", message: `supplier ${supplierId}: no call slot of ${limits.maxConcurrent} came free within ${maxWaitMs} ms` } };
      }
      // The lease is renewed until the call ends; a renewal that fails only matters to an instance
      // stalled past the lease, which cannot be helped from inside it.
      const renewal = setInterval(() => void renewSlot(db, slot, slotLeaseMs).catch(() => undefined), Math.max(1, Math.floor(slotLeaseMs / 3)));
      try {
        const waitMs = await takeCallToken(db, supplierId, limits.qps, limits.burst ?? 1);
        if (waitMs > 0) await sleep(waitMs);
        return { ok: true, value: await call() };
      } finally {
        clearInterval(renewal);
        await releaseSlot(db, slot);
      }
    },
  };
}
