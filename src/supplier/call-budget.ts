import { setTimeout as sleep } from "node:timers/promises";

/** One of a supplier's maxConcurrent call slots, held until released or until its lease runs out. */
export type SlotClaim = { readonly slot: number; readonly holder: string };

/**
 * A supplier's maxConcurrent and QPS shared by every gateway instance on one database (the store
 * implements it). Each method is one short statement: the waiting happens here, in the client.
 */
export type SharedCallBudget = {
  /** A free slot below maxConcurrent, now held for leaseMs; null when every slot is held. */
  claimSlot(maxConcurrent: number, leaseMs: number): Promise<SlotClaim | null>;
  /** Extends a held slot's lease; false when it had run out and another caller took the slot. */
  renewSlot(claim: SlotClaim, leaseMs: number): Promise<boolean>;
  releaseSlot(claim: SlotClaim): Promise<void>;
  /**
   * Books `count` calls at callsPerSecond (a bucket of `burst`), spaced 1/callsPerSecond apart;
   * answers the ms to wait before the first of them.
   */
  bookCalls(callsPerSecond: number, burst: number, count: number): Promise<number>;
};

export type SharedLimits = { readonly maxConcurrent: number; readonly qps: number };

/**
 * A slot outlives the instance that holds it by at most this long: a killed instance's slots come
 * back after it. A running call's slot is renewed once a third of it has passed, so a call may take longer.
 */
export const SLOT_LEASE_MS = 5_000;
/**
 * A slot claimed less than this long ago goes from one call of this instance to its next without
 * the database: claims and releases are a statement each, which per call cost as much as the call's
 * own work in the store. Past it the slot goes back at the end of its call, so other instances get
 * their turn; and since its lease then still has most of its length, a call that takes it on needs
 * no renewal before the next timer.
 */
const SLOT_REUSE_MS = 1_000;
/** A slot no call of this instance took on within this long goes back to the database. */
const SLOT_IDLE_MS = 20;
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
/**
 * One booking covers at most this much of the schedule ahead, and never more calls than this
 * instance has waiting: turns it books and does not use are lost to every instance.
 */
const BOOK_AHEAD_MS = 50;

/** Why a call never got its turn: the client closed or its run stopped while it waited for a slot. */
export type BudgetStop = () => Error | null;

/** The shared budget could not be asked (the database failed): the call was not sent, and may be tried again. */
export class CallBudgetUnavailable extends Error {
  override readonly name = "CallBudgetUnavailable";
}

async function asked<T>(question: () => Promise<T>): Promise<T> {
  try {
    return await question();
  } catch (err) {
    throw new CallBudgetUnavailable(`the shared call budget is unavailable: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** A slot this instance holds: its claim, when it was claimed and last written, and whether a call runs on it. */
type HeldSlot = { claim: SlotClaim; claimedAt: number; writtenAt: number; busy: boolean; lost: boolean; idleSince: number };

/**
 * Turns booked in the shared bucket by this instance: turn i may be taken from start + i·interval
 * until the next one's time. A turn whose time has passed unused is dropped, never saved up: two
 * late turns taken together would be two calls closer than the supplier's limit allows.
 */
type Booking = { start: number; interval: number; count: number; next: number };

/**
 * One instance's door to a supplier's shared limits: every call runs on a slot (of maxConcurrent
 * across all instances) and in a booked turn (of the QPS across all instances). Slots and turns are
 * taken from the database in bulk and handed from call to call here, so the statements it costs
 * follow the calls' concurrency and rate in time, not their number.
 */
export class SharedBudgetGate {
  private readonly idle: HeldSlot[] = [];
  private readonly busy = new Set<HeldSlot>();
  private booking: Booking | null = null;
  /** The booking being asked for: callers that find no turn meanwhile wait for it instead of booking again. */
  private booked: Promise<void> | null = null;
  private sweep: NodeJS.Timeout | null = null;
  private renewal: NodeJS.Timeout | null = null;

  constructor(
    private readonly budget: SharedCallBudget,
    private readonly limits: SharedLimits,
    /** Calls of this instance waiting for or holding the supplier: how many turns one booking may take. */
    private readonly demand: () => number = () => 1,
    private readonly random: () => number = Math.random,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Runs `exchange` within the supplier's shared limits: a slot (waiting, with short sleeps, while
   * all are held), then a booked turn, the slot renewed while the call runs. Rejects, without
   * calling, when `stopped` answers an error while it waits, or when the database cannot be asked.
   */
  async run<T>(exchange: () => Promise<T>, stopped: BudgetStop): Promise<T> {
    let held = await this.takeSlot();
    while (!held) {
      await sleep(SLOT_POLL_MIN_MS + this.random() * (SLOT_POLL_MAX_MS - SLOT_POLL_MIN_MS));
      const stop = stopped();
      if (stop) throw stop;
      held = await this.takeSlot();
    }
    try {
      const waitMs = await this.takeTurn();
      if (waitMs > 0) await sleep(waitMs);
      return await exchange();
    } finally {
      this.putBack(held);
    }
  }

  /** Gives every idle slot back; calls still running give theirs back as they end. */
  close(): void {
    if (this.sweep) clearTimeout(this.sweep);
    this.sweep = null;
    for (const held of this.idle.splice(0)) this.release(held);
  }

  private async takeSlot(): Promise<HeldSlot | null> {
    const now = this.now();
    while (this.idle.length > 0) {
      const held = this.idle.pop() as HeldSlot;
      if (now - held.claimedAt < SLOT_REUSE_MS) return this.hold(held);
      this.release(held);
    }
    const claim = await asked(() => this.budget.claimSlot(this.limits.maxConcurrent, SLOT_LEASE_MS));
    if (!claim) return null;
    return this.hold({ claim, claimedAt: now, writtenAt: now, busy: false, lost: false, idleSince: 0 });
  }

  private hold(held: HeldSlot): HeldSlot {
    held.busy = true;
    this.busy.add(held);
    this.renewal ??= setInterval(() => this.renewBusy(), Math.floor(SLOT_LEASE_MS / 6));
    this.renewal.unref();
    return held;
  }

  private putBack(held: HeldSlot): void {
    held.busy = false;
    this.busy.delete(held);
    if (this.busy.size === 0 && this.renewal) {
      clearInterval(this.renewal);
      this.renewal = null;
    }
    const now = this.now();
    if (held.lost || now - held.claimedAt >= SLOT_REUSE_MS) {
      this.release(held);
      return;
    }
    held.idleSince = now;
    this.idle.push(held);
    if (!this.sweep) {
      this.sweep = setTimeout(() => this.sweepIdle(), SLOT_IDLE_MS);
      this.sweep.unref();
    }
  }

  private sweepIdle(): void {
    this.sweep = null;
    const now = this.now();
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const held = this.idle[i] as HeldSlot;
      if (now - held.idleSince >= SLOT_IDLE_MS || now - held.claimedAt >= SLOT_REUSE_MS) {
        this.idle.splice(i, 1);
        this.release(held);
      }
    }
    if (this.idle.length > 0) {
      this.sweep = setTimeout(() => this.sweepIdle(), SLOT_IDLE_MS);
      this.sweep.unref();
    }
  }

  /** Renews the slots of calls that have run a third of a lease since the slot was last written. */
  private renewBusy(): void {
    const now = this.now();
    for (const held of this.busy) {
      if (held.lost || now - held.writtenAt < SLOT_LEASE_MS / 3) continue;
      // Marked written at once, so the next timer does not ask again while this answer is on its way.
      held.writtenAt = now;
      this.budget.renewSlot(held.claim, SLOT_LEASE_MS).then(
        (renewed) => {
          if (!renewed) held.lost = true;
        },
        () => {
          // The next renewal, or the release, tries again; it only matters if the call outlasts the lease.
          held.writtenAt = 0;
        },
      );
    }
  }

  private release(held: HeldSlot): void {
    if (held.lost) return;
    // Unreleased (the database failed), the slot comes back when its lease ends.
    this.budget.releaseSlot(held.claim).catch(() => undefined);
  }

  /** The ms to wait for this call's turn: the next turn this instance booked, or a new booking. */
  private async takeTurn(): Promise<number> {
    for (;;) {
      const now = this.now();
      const b = this.booking;
      if (b) {
        const turn = Math.max(b.next, Math.floor((now - b.start) / b.interval));
        if (turn < b.count) {
          b.next = turn + 1;
          return Math.max(0, b.start + turn * b.interval - now);
        }
      }
      // One booking at a time: two would each take turns from the bucket, and the first one's
      // unused turns would be lost to every instance when the second replaced it.
      if (this.booked) {
        await this.booked;
        continue;
      }
      const rate = this.limits.qps * (1 - SHARED_RATE_MARGIN);
      const most = Math.max(1, Math.floor((rate * BOOK_AHEAD_MS) / 1000));
      const count = Math.min(most, Math.max(1, this.demand()));
      const booking = asked(() => this.budget.bookCalls(rate, SHARED_BURST, count));
      // Settles either way: the callers waiting on it only need to know the booking is over.
      this.booked = booking.then(
        () => undefined,
        () => undefined,
      );
      try {
        const firstWaitMs = await booking;
        // The first turn is this caller's; the rest wait in the booking for the calls after it.
        this.booking = { start: this.now() + firstWaitMs, interval: 1000 / rate, count, next: 1 };
        return firstWaitMs;
      } finally {
        this.booked = null;
      }
    }
  }
}
