import type { Logger } from "../lib/logger.js";
import { newId } from "../lib/ids.js";
import type { OrderRepo } from "../store/repos/order-repo.js";
import type { OrderPush } from "./order-push.js";

export type SchedulerOptions = {
  /** Orders pushed at once by this process; the supplier client limits calls on top of this. */
  concurrency: number;
  /** How often due orders are looked for. An interval, not cron: cron cannot go below a second. */
  intervalMs: number;
  /** This process's name on the leases it takes. */
  owner: string;
};

export const DEFAULT_SCHEDULER_OPTIONS = { concurrency: 4, intervalMs: 2_000 } as const;
/** An order held at the production gate is looked at again after this long. */
const GATE_RECHECK_MS = 60_000;

export type OrderScheduler = ReturnType<typeof createOrderScheduler>;

/**
 * Pushes due orders: new ones, and those whose backoff has passed. Each order is leased in the
 * database first, so two processes (or a restarted one) never push the same order at once.
 */
export function createOrderScheduler(
  deps: { repo: OrderRepo; push: OrderPush; clock: () => number; logger: Logger; gate: { isOpen(supplierId: number): Promise<boolean> } },
  options: Partial<SchedulerOptions> = {},
) {
  const { concurrency, intervalMs, owner } = { ...DEFAULT_SCHEDULER_OPTIONS, owner: newId("pusher", 6), ...options };
  const log = deps.logger.child({ module: "order-scheduler", owner });
  /** Order id → its push; an order whose lease this process renews is never pushed twice at once. */
  const inFlight = new Map<string, Promise<unknown>>();
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  /** The tick under way: a timer tick that comes while one is claiming is skipped, so claims never exceed the concurrency. */
  let ticking: Promise<number> | null = null;
  const claimAndStart = async (): Promise<number> => {
    let claimed;
    try {
      claimed = await deps.repo.claimDue(owner, deps.clock(), deps.push.policy.leaseMs, concurrency - inFlight.size);
    } catch (err) {
      // The database is away: this tick claims nothing, the next one tries again.
      log.error({ err }, "order.scheduler.claim_failed");
      return 0;
    }
    for (const order of claimed) {
      if (inFlight.has(order.id)) continue;
      let open: boolean;
      try {
        open = await deps.gate.isOpen(order.supplierId);
      } catch (err) {
        // The gate cannot be read now (the database is away): the order's lease runs out and a later tick looks again.
        log.error({ err, orderId: order.id }, "order.scheduler.gate_unreadable");
        continue;
      }
      if (!open) {
        // Held, not failed: it goes out once the supplier is certified or waived.
        const now = deps.clock();
        try {
          await deps.repo.apply(order.id, owner, now, deps.push.policy.leaseMs, { nextAttemptAt: now + GATE_RECHECK_MS }, null);
          await deps.repo.release(order.id, owner);
        } catch (err) {
          // Its lease runs out and a later tick looks again.
          log.error({ err, orderId: order.id }, "order.scheduler.hold_failed");
        }
        log.info({ orderId: order.id, supplierId: order.supplierId }, "order.push.gate_closed");
        continue;
      }
      const run = deps.push
        .pushClaimed(order, owner, "scheduler")
        .catch((err: unknown) => log.error({ err, orderId: order.id }, "order.push.crashed"))
        .finally(() => inFlight.delete(order.id));
      inFlight.set(order.id, run);
    }
    return claimed.length;
  };
  const tick = (): Promise<number> => {
    if (stopped) return Promise.resolve(0);
    ticking ??= claimAndStart().finally(() => (ticking = null));
    return ticking;
  };

  return {
    owner,
    /** One look for due orders now; how many were started. */
    tick,
    start(): void {
      if (timer) return;
      stopped = false;
      timer = setInterval(() => void tick(), intervalMs);
      timer.unref();
      void tick();
    },
    /** Stops taking orders and waits for the ones in flight (graceful stop). */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
      await ticking;
      await Promise.allSettled([...inFlight.values()]);
    },
    get inFlight(): number {
      return inFlight.size;
    },
  };
}
