import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestGateway, nextCreditCode, startTestGateway } from "../helpers/harness.js";

let gw: TestGateway;
let supplierId: number;
beforeAll(async () => {
  gw = await startTestGateway({ SCHEDULER_ENABLED: "false" });
  await gw.container.supplierAccounts.create({ code: "LEASE", name: "租约测试", creditCode: await nextCreditCode(), domains: ["a.example.cn"] });
  supplierId = (await gw.container.repos.accounts.supplierByCode("LEASE"))?.id ?? -1;
});
afterAll(() => gw.close());

describe("the per-supplier lease", () => {
  it("admits one holder at a time, lets it renew, and hands over only when released or expired", async () => {
    const leases = gw.container.repos.syncLeases;
    const t0 = 1_000_000;
    expect(await leases.acquireLease(supplierId, "a", "run_a", t0, 60_000)).toBe(true);
    expect(await leases.acquireLease(supplierId, "b", "run_b", t0 + 1_000, 60_000)).toBe(false);
    expect(await leases.renewLease(supplierId, "a", t0 + 50_000, 60_000)).toBe(true);
    expect(await leases.acquireLease(supplierId, "b", "run_b", t0 + 70_000, 60_000)).toBe(false);
    // "a" crashed and never renewed again: its lease expires and "b" takes over.
    expect(await leases.acquireLease(supplierId, "b", "run_b", t0 + 110_001, 60_000)).toBe(true);
    expect(await leases.renewLease(supplierId, "a", t0 + 110_002, 60_000)).toBe(false);
    await leases.releaseLease(supplierId, "b");
    expect(await leases.acquireLease(supplierId, "c", "run_c", t0 + 110_003, 60_000)).toBe(true);
  });
});
