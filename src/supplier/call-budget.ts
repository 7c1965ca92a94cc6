import { setTimeout as sleep } from "node:timers/promises";

/** One of a supplier's maxConcurrent call slots, held until released or until its lease runs out. */
export type SlotClaim = { readonly slot: number; readonly holder: string };

/**
 * A supplier's maxConcurrent and QPS shared by every gateway instance on one database (the store
 * implements it). Each method is one short statement: the waiting happens here, in the client.
 */
export type SharedCallBudget = {
  /** A free slot below maxConcurrent, now held for leaseMs; null when every slot is held. */
  claimSlot(maxConcurrent: number, leaseMs: number): SlotClaim | null;
  /** Extends a held slot's lease; false when it had run out and another caller took the slot. */
  renewSlot(claim: SlotClaim, leaseMs: number): boolean;
  releaseSlot(claim: SlotClaim): void;
  /** Books one call at callsPerSecond (a bucket of `burst`); the ms to wait before making it. */
  bookCall(callsPerSecond: number, burst: number): number;
};

export type SharedLimits = { readonly maxConcurrent: number; readonly qps: number };

/**
 * A slot outlives the instance that holds it by at most this long: a killed instance's slots come
 * back after it. A running call renews its slot every third of it, so a call may take longer.
 */
export const SLOT_LEASE_MS = 5_000;
/** Pause between claims while every slot is held: short next to a call, jittered so instances do not claim in step. */
const SLOT_POLL_MIN_MS = 3;
const SLOT_POLL_MAX_MS = 15;
/**
 * The shared bucket books calls a little under the limit. A supplier stamps each call on arrival and
 * counts the last second; calls booked 1/qps apart arrive up to a scheduling delay later, so a
 * bucket at exactly qps lets a delayed call and an on-time one land in one second.
 */
const SHARED_RATE_MARGIN = 0.025;
/** One call at a time after a quiet spell: the bucket spaces every call, as a supplier's sliding second counts them. */
const SHARED_BURST = 1;

/** Why a call never got its turn: the client closed or its run stopped while it waited for a slot. */
export type BudgetStop = () => Error | null;

/** The shared budget could not be asked (the database failed): the call was not sent, and may be tried again. */
export class CallBudgetUnavailable extends Error {
  override readonly name = "CallBudgetUnavailable";
}

function asked<T>(question: () => T): T {
  try {
    return question();
  } catch (err) {
    throw new CallBudgetUnavailable(`the shared call budget is unavailable: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/**
 * Runs `exchange` within the supplier's shared limits: a slot (waiting, with short sleeps, while all
 * are held), then a booked turn at the shared rate, the slot renewed while the call runs and
 * released after. Rejects, without calling, when `stopped` answers an error while it waits.
 */
export async function withinSharedBudget<T>(
  budget: SharedCallBudget,
  limits: SharedLimits,
  exchange: () => Promise<T>,
  stopped: BudgetStop,
  random: () => number = Math.random,
): Promise<T> {
  let claim = asked(() => budget.claimSlot(limits.maxConcurrent, SLOT_LEASE_MS));
  while (!claim) {
    await sleep(SLOT_POLL_MIN_MS + random() * (SLOT_POLL_MAX_MS - SLOT_POLL_MIN_MS));
    const stop = stopped();
    if (stop) throw stop;
    claim = asked(() => budget.claimSlot(limits.maxConcurrent, SLOT_LEASE_MS));
  }
  const held = claim;
  // A renewal that fails (the database away a moment) only matters if the call outlasts the lease.
  const renewal = setInterval(() => {
    try {
      budget.renewSlot(held, SLOT_LEASE_MS);
    } catch {
      // The next renewal, or the release, tries again.
    }
  }, Math.floor(SLOT_LEASE_MS / 3));
  renewal.unref();
  try {
    const waitMs = asked(() => budget.bookCall(limits.qps * (1 - SHARED_RATE_MARGIN), SHARED_BURST));
    if (waitMs > 0) await sleep(waitMs);
    return await exchange();
  } finally {
    clearInterval(renewal);
    try {
      budget.releaseSlot(held);
    } catch {
      // Unreleased, the slot comes back when its lease ends.
    }
  }
}
