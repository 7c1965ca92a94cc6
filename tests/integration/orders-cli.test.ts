import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orderableSkus } from "../helpers/order-products.js";
import { AREA, type OrderRig, orderFile, startOrderRig } from "../helpers/order-rig.js";
import { runCliAsync as runCli } from "../helpers/run-cli.js";

/** Each CLI run starts a process of its own (tsx, the store, its migrations check): seconds each on a busy machine. */
const CLI_TEST_TIMEOUT_MS = 120_000;

describe("npm run cli -- orders …", () => {
  let rig: OrderRig;
  let env: Record<string, string>;

  beforeAll(async () => {
    rig = await startOrderRig({ sim: { products: 60, offShelfShare: 0 } });
    env = { DATABASE_URL: rig.gw.config.DATABASE_URL, DATA_ENCRYPTION_KEY_FILE: rig.gw.config.DATA_ENCRYPTION_KEY_FILE, NODE_ENV: "test" };
  });
  afterAll(async () => {
    await rig.close();
  });

  it(
    "creates from a file, pushes to confirmed, lists and shows with the timeline",
    async () => {
      const sku = orderableSkus(rig.running.sim.exportTruth().products, AREA.province, 10)[0]?.sku ?? "";
      const file = join(rig.gw.dir, "order.json");
      writeFileSync(file, JSON.stringify(orderFile([{ sku, num: 1 }])));

      const created = await runCli(["orders", "create", "--file", file, "--json"], env);
      expect(created.status, created.stdout + created.stderr).toBe(0);
      const order = (created.json?.order ?? {}) as { yggc_order?: string; state?: string; consignee?: unknown };
      expect(order.state).toBe("created");
      expect(order.consignee).toBeUndefined();
      const yggc = order.yggc_order ?? "";
      expect(yggc).toMatch(/^TJ\d{16}$/);

      const pushed = await runCli(["orders", "push", "--order", yggc, "--json"], env);
      expect(pushed.json).toMatchObject({ ok: true, order: { state: "confirmed", yggc_order: yggc } });
      const again = await runCli(["orders", "push", "--order", yggc], env);
      expect(again.stdout).toContain("confirmed");

      const listed = await runCli(["orders", "list", "--state", "confirmed", "--json"], env);
      expect(listed.json).toMatchObject({ ok: true, orders: [{ yggc_order: yggc }] });

      const shown = await runCli(["orders", "show", "--order", yggc, "--reveal"], env);
      expect(shown.stdout).toContain("submitted → confirming");
      expect(shown.stdout).toContain("张三丰");
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it("reports every bad field of a file and exits non-zero", async () => {
    const file = join(rig.gw.dir, "bad.json");
    writeFileSync(file, JSON.stringify(orderFile([{ sku: "NOPE", num: 0 }], { mobile: "1" })));
    const result = await runCli(["orders", "create", "--file", file, "--json"], env);
    expect(result.status).not.toBe(0);
    const message = String((result.json?.error as { message?: string } | undefined)?.message);
    expect(message).toContain("items[0].num");
    expect(message).toContain("mobile");
    const issues = (result.json?.error as { kind?: string; issues?: Array<{ field: string }> } | undefined) ?? {};
    expect(issues.kind).toBe("invalid");
    expect(issues.issues?.map((i) => i.field)).toEqual(expect.arrayContaining(["items[0].num", "mobile"]));
  });
});
