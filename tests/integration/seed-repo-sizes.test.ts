import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSeedRepo } from "../../src/store/repos/seed-repo.js";
import { type TestGateway, startTestGateway } from "../helpers/harness.js";

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.close());

describe("seed repository sizes (scripts/seed-scale.ts's report)", () => {
  it("counts each table's rows and the bytes it and its indexes take, on either database", async () => {
    const seed = createSeedRepo(gw.container.store);
    const areaCount = await gw.container.repos.reference.areaCount();
    expect(areaCount).toBeGreaterThan(0);
    const [areas, runs] = seed.tableSizes(["areas", "sync_runs"]);
    expect(areas).toMatchObject({ table: "areas", rows: areaCount });
    expect(areas?.bytes).toBeGreaterThan(0);
    expect(runs).toMatchObject({ table: "sync_runs", rows: 0 });
    // The loaded areas outweigh an empty table's pages.
    expect(areas?.bytes).toBeGreaterThan(runs?.bytes ?? Number.POSITIVE_INFINITY);
  });
});
