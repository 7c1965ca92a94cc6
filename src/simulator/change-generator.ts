import type { AppliedChange, ProductChanges } from "./product-changes.js";

const TICK_MS = 100;

/** N mixed changes a second against the product truth, each with its message (§5 S-2). */
export class ChangeGenerator {
  private timer: NodeJS.Timeout | null = null;
  private owed = 0;
  applied = 0;

  constructor(private readonly changes: ProductChanges) {}

  /** Applies `count` random changes now; for tests and the admin endpoint. */
  tick(count: number): AppliedChange[] {
    const out: AppliedChange[] = [];
    for (let i = 0; i < count; i++) {
      const change = this.changes.randomChange();
      if (change) out.push(change);
    }
    this.applied += out.length;
    return out;
  }

  start(ratePerSecond: number): void {
    this.stop();
    if (ratePerSecond <= 0) return;
    this.timer = setInterval(() => {
      this.owed += (ratePerSecond * TICK_MS) / 1000;
      const due = Math.floor(this.owed);
      this.owed -= due;
      this.tick(due);
    }, TICK_MS);
    // A running generator must not keep a finished test process alive.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.owed = 0;
  }

  get running(): boolean {
    return this.timer !== null;
  }
}
