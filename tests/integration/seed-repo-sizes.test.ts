import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSeedRepo } from "../../src/store/repos/seed-repo.js";
import { type TestGateway, nextCreditCode, startTestGateway } from "../helpers/harness.js";

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.close());

describe("seed repository sizes (scripts/seed-scale.ts's report)", () => {
  it("counts each table's rows and the bytes it and its indexes take, on either database", async () => {
    const seed = createSeedRepo(gw.container.store.sql);
    const areaCount = await gw.container.repos.reference.areaCount();
    expect(areaCount).toBeGreaterThan(0);
    const [areas, runs] = await seed.tableSizes(["areas", "sync_runs"]);
    expect(areas).toMatchObject({ table: "areas", rows: areaCount });
    expect(areas?.bytes).toBeGreaterThan(0);
    expect(runs).toMatchObject({ table: "sync_runs", rows: 0 });
    // The loaded areas outweigh an empty table's pages.
    expect(areas?.bytes).toBeGreaterThan(runs?.bytes ?? Number.POSITIVE_INFINITY);
  });

  it("writes each kind of seeded row in one transaction, a chunk a statement on PostgreSQL and a row a statement on SQLite", async () => {
    const c = gw.container;
    await c.supplierAccounts.create({ code: "SEED", name: "规模", creditCode: await nextCreditCode(), domains: ["item.seed.cn"] });
    const supplierId = (await c.repos.accounts.supplierByCode("SEED"))?.id ?? -1;
    const seed = createSeedRepo(c.store.sql);
    await seed.bulkMode();
    const at = 1_750_000_000_000;
    // More products than one PostgreSQL statement carries, so the chunks are seen to add up.
    const skus = Array.from({ length: 1_203 }, (_, i) => String(500_000 + i));
    const before = await seed.tableSizes(["products", "price_history", "product_stock", "sync_runs", "sync_message_logs", "sync_calls"]);
    await seed.inTransaction(async (tx) => {
      await seed.insertProducts(
        tx,
        skus.map((sku) => ({
          supplierId,
          sku,
          status: "active",
          name: `商品${sku}`,
          model: null,
          catalogId: "C1",
          interfaceCode: "A1",
          brandId: null,
          brandName: null,
          url: null,
          imagePath: null,
          detailJson: "{}",
          attributesJson: "[]",
          promisesJson: "{}",
          imagesJson: "[]",
          shelfState: 1,
          priceFen: 100,
          mallPriceFen: 120,
          marketPriceFen: null,
          rejectionJson: "[]",
          listingState: "none",
          sourceMessageIdsJson: `["m-${sku}"]`,
          detailReadAt: at,
          priceReadAt: at,
          shelfReadAt: at,
          createdAt: at,
          updatedAt: at,
        })),
      );
      await seed.insertPrices(tx, [{ supplierId, sku: skus[0] ?? "", priceFen: 100, mallPriceFen: 120, at, runId: "run_seed_SEED" }]);
      await seed.insertStock(tx, [{ supplierId, sku: skus[0] ?? "", area: "1_2_3", num: 5, stockStateId: 33, description: "有货", checkedAt: at }]);
      await seed.insertMessageLogs(tx, [
        {
          runId: "run_seed_SEED",
          supplierId,
          messageId: "m-1",
          type: 6,
          sku: skus[0] ?? "",
          outcome: "applied",
          reasonsJson: "[]",
          durationMs: 3,
          callSeqsJson: "[1]",
          at,
        },
      ]);
      await seed.insertCalls(tx, [
        {
          runId: "run_seed_SEED",
          seq: 1,
          operation: "prices",
          endpoint: "/api/product/getSellPrice",
          attempt: 1,
          startedAt: new Date(at).toISOString(),
          durationMs: 40,
          outcome: "ok",
          errorCode: null,
          httpStatus: 200,
          batchSize: 1,
          subject: skus[0] ?? "",
          message: null,
        },
      ]);
    });
    await seed.insertRun({ id: "run_seed_SEED", supplierId, startedAt: at, endedAt: at + 1_000, countsJson: "{}", callsMade: 1 });
    await seed.checkpoint();
    const after = await seed.tableSizes(["products", "price_history", "product_stock", "sync_runs", "sync_message_logs", "sync_calls"]);
    expect(after.map((t, i) => t.rows - (before[i]?.rows ?? 0))).toEqual([1_203, 1, 1, 1, 1, 1]);
    const last = await c.repos.products.bySku(supplierId, skus.at(-1) ?? "");
    expect(last).toMatchObject({ name: "商品501202", status: "active", sourceMessageIdsJson: '["m-501202"]', createdAt: at });
    expect(await c.repos.syncRuns.run("run_seed_SEED")).toMatchObject({ trigger: "schedule", status: "succeeded", errorsJson: "[]", callsMade: 1 });
  });
});
