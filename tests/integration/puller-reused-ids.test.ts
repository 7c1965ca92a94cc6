import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PullerWorld, compareWithTruth, pullOnce, startPullerWorld } from "../helpers/puller-harness.js";

/** The hostile suite found it: a message under an id the mall had already handled and deleted was deleted unapplied. */
describe("puller: message ids a supplier reuses", () => {
  let world: PullerWorld;
  beforeAll(async () => {
    world = await startPullerWorld({ products: 30, invalidShare: 0, offShelfShare: 0, knobs: { hostile: ["reused-message-ids"] } });
  });
  afterAll(() => world.close());

  it("applies a new message that comes under a deleted id", async () => {
    await pullOnce(world);
    expect(world.sim.sim.pool.pending()).toBe(0);
    // Changes now: the first three messages take ids the mall already deleted.
    world.sim.sim.generator.tick(20);
    const reused = world.sim.sim.exportTruth().hostile.reusedIds;
    expect(reused.length).toBe(3);
    const pendingUnderReusedIds = world.sim.sim.pool.all().filter((m) => !m.deleted && reused.includes(m.id));
    expect(pendingUnderReusedIds.length).toBe(3);
    await pullOnce(world);
    expect(world.sim.sim.pool.pending()).toBe(0);
    expect(await compareWithTruth(world)).toEqual([]);
  });
});
