import type { RunSummary } from "../../src/sync/sync-runner.js";
import { afterEach, describe, expect, it } from "vitest";
import { type PullProgress, type PullProgressEvent, createProgressMeter } from "../../src/sync/pull-progress.js";
import { type PullerWorld, liveClock, startPullerWorld } from "../helpers/puller-harness.js";

let world: PullerWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** The summary of the last pullWatched. */
let lastSummary: RunSummary | undefined;

/** One pull of the world's supplier, with every progress event it told. */
async function pullWatched(w: PullerWorld): Promise<PullProgressEvent[]> {
  const events: PullProgressEvent[] = [];
  const attempt = await w.gw.container.sync.pull(w.code, "manual", (e) => events.push(e));
  if (!attempt.ran) throw new Error("lease busy");
  lastSummary = attempt.summary;
  // A run that left messages waiting after a transient failure is partial, with them counted.
  expect(attempt.summary.status).toBe(attempt.summary.deferred.count > 0 ? "partial" : "succeeded");
  return events;
}

describe("the puller's progress events", () => {
  // 350 products through the whole stack: a generous limit for a loaded machine.
  it("count pages received and chunks settled, ending with every message of the backlog done", async () => {
    world = await startPullerWorld({ products: 350, invalidShare: 0.1 });
    const events = await pullWatched(world);

    const pulled = events.filter((e) => e.phase === "pull");
    expect(pulled.map((e) => [e.type, e.messages, e.seen, e.done])).toEqual([
      [6, 100, 100, 0],
      [6, 100, 200, 0],
      [6, 100, 300, 0],
      [6, 50, 350, 0],
    ]);
    const applied = events.filter((e) => e.phase === "apply");
    // §3: rounds of 100 skus; rejected products are settled too.
    expect(applied.map((e) => [e.type, e.messages, e.done, e.seen])).toEqual([
      [6, 100, 100, 350],
      [6, 100, 200, 350],
      [6, 100, 300, 350],
      [6, 50, 350, 350],
    ]);
    // Every pull event comes before the first apply event: pages are stored before any is applied.
    expect(events.findIndex((e) => e.phase === "apply")).toBe(pulled.length);
  }, 90_000);

  it("count messages already due in the inbox as backlog seen", async () => {
    const clock = liveClock();
    world = await startPullerWorld({ products: 30, invalidShare: 0 }, { PULL_RETRY_BASE_MS: "1000" }, clock);
    await pullWatched(world);
    const { changes, products, knobs } = world.sim.sim;
    for (const p of products.all().slice(0, 12)) changes.apply("detail", p);
    // S-4 answers 502 throughout this run: the 12 detail messages are stored, then wait in the inbox for their retry.
    knobs.apply({ endpoints: { detail: { faults: { "http-5xx": 1 } } } });
    const failing = await pullWatched(world);
    expect(lastSummary?.deferred.count).toBe(12);
    expect(failing.filter((e) => e.phase === "pull").at(-1)).toMatchObject({ type: 16, seen: 12, done: 0 });
    expect(await world.gw.container.repos.inbox.pendingCount(world.supplierId)).toBe(12);

    knobs.reset();
    clock.advance(60_000);
    const events = await pullWatched(world);
    expect(events.filter((e) => e.phase === "pull")).toEqual([]);
    expect(events.at(-1)).toEqual({ phase: "apply", type: 16, messages: 12, done: 12, seen: 12 });
  });

  it("give an ETA from the rate at which chunks settle, not counting the time spent pulling", async () => {
    world = await startPullerWorld({ products: 350, invalidShare: 0 });
    // Time as the watcher sees it: pulling takes 10 s a page, applying settles 50 messages a second.
    let now = 1_000_000;
    const meter = createProgressMeter(() => now);
    const seen: PullProgress[] = [];
    const attempt = await world.gw.container.sync.pull(world.code, "manual", (e) => {
      now += e.phase === "pull" ? 10_000 : (e.messages / 50) * 1000;
      seen.push(meter.observe(e));
    });
    expect(attempt.ran).toBe(true);
    const applying = seen.filter((p) => p.phase === "apply");
    expect(applying.map((p) => p.done)).toEqual([100, 200, 300, 350]);
    // Before anything is settled there is no rate: no ETA is better than a wrong one.
    expect(seen.filter((p) => p.phase === "pull").every((p) => p.perSecond === null && p.etaSeconds === null)).toBe(true);
    expect(applying[0]).toMatchObject({ perSecond: null, etaSeconds: null });
    for (const p of applying.slice(1)) {
      expect(p.perSecond).toBeCloseTo(50, 6);
      expect(p.etaSeconds).toBeCloseTo((350 - p.done) / 50, 6);
    }
    expect(applying.at(-1)?.etaSeconds).toBe(0);
  });
});
