import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { type TestClock, type TestGateway, nextCreditCode, startTestGateway, testClock } from "./harness.js";
import { type SimulatorLaunch, TEST_ACCOUNT, launchSimulator } from "./simulator-harness.js";
import { databaseTarget } from "../../src/config/config.js";
import type { Logger } from "../../src/lib/logger.js";
import type { OrderView } from "../../src/orders/order-service.js";
import type { SimProduct } from "../../src/simulator/product-model.js";
import type { RunningSimulator } from "../../src/simulator/simulator-server.js";
import { type Store, openPgStore, openStore } from "../../src/store/database.js";
import type { SupplierRow } from "../../src/store/repos/account-repo.js";
import { copySimulatorProducts } from "./order-products.js";
import { rawSql } from "./raw-sql.js";

export const SUPPLIER_CODE = "SIMJD";
/** 天津市 / 市辖区 / 和平区 (§8). */
export const AREA = { province: "120000", city: "120100", county: "120101" } as const;

export type OrderRig = {
  gw: TestGateway;
  running: RunningSimulator;
  supplier: SupplierRow;
  close(): Promise<void>;
};

/** A real gateway and a real simulator, the supplier registered, connected and its products in the store. */
export async function startOrderRig(
  options: {
    sim?: SimulatorLaunch;
    clock?: TestClock;
    timeoutMs?: number;
    maxConcurrent?: number;
    qps?: number;
    env?: Record<string, string>;
    logger?: Logger;
    gate?: "waived" | "closed";
  } = {},
): Promise<OrderRig> {
  const gw = await startTestGateway(options.env ?? {}, options.clock ?? testClock(), options.logger);
  const running = await launchSimulator({ products: 80, ...options.sim });
  await gw.container.supplierAccounts.create({ code: SUPPLIER_CODE, name: "模拟电商", creditCode: await nextCreditCode(), domains: [running.sim.domain] });
  const supplier = await gw.container.repos.accounts.supplierByCode(SUPPLIER_CODE);
  if (!supplier) throw new Error("supplier not created");
  await gw.container.supplierConnections.connect({
    code: SUPPLIER_CODE,
    baseUrl: running.url,
    ...TEST_ACCOUNT,
    qps: options.qps ?? 10_000,
    maxConcurrent: options.maxConcurrent ?? 8,
    timeoutMs: options.timeoutMs ?? 5_000,
  });
  // These tests are about orders, not certification (tests/integration/conformance-*.test.ts).
  if (options.gate !== "closed")
    await gw.container.conformance.waive(SUPPLIER_CODE, "order test rig: the reference supplier, certified in the conformance tests", "test:order-rig");
  await copySimulatorProducts(gw.container, supplier.id, running.sim.exportTruth().products);
  return {
    gw,
    running,
    supplier,
    async close() {
      await gw.container.supplierConnections.closeAll();
      await running.close();
      await gw.close();
    },
  };
}

/**
 * A connection of its own to the gateway's database (its SQLite file, or its PostgreSQL database),
 * as a second gateway process on the same data would have.
 */
export async function openGatewayStore(gw: TestGateway): Promise<Store> {
  const target = databaseTarget(gw.config);
  return target.kind === "postgres" ? await openPgStore(target.url) : openStore(target.path);
}

/**
 * Every byte the gateway's database keeps on disk: the SQLite file and its WAL, or, on PostgreSQL,
 * the files of the gateway's database after a checkpoint has written its pages out.
 */
export async function databaseBytes(gw: TestGateway): Promise<Buffer> {
  const { store } = gw.container;
  if (store.dialect === "sqlite") {
    return Buffer.concat(
      [store.path, `${store.path}-wal`].flatMap((p) => {
        try {
          return [readFileSync(p)];
        } catch {
          return [];
        }
      }),
    );
  }
  const db = rawSql(store);
  await db.run("CHECKPOINT");
  const dataDir = (await db.value<string>("SELECT setting FROM pg_settings WHERE name = 'data_directory'")) ?? "";
  const oid = await db.value<number>("SELECT oid FROM pg_database WHERE datname = current_database()");
  const dir = join(dataDir, "base", String(oid));
  return Buffer.concat(readdirSync(dir).map((f) => readFileSync(join(dir, f))));
}

/** A complete, valid order file for `skus` (num 1 each unless given), consignee in 和平区. */
export function orderFile(items: Array<{ sku: string; num?: number }>, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    supplier: SUPPLIER_CODE,
    items: items.map((i) => ({ sku: i.sku, num: i.num ?? 1 })),
    name: "张三丰",
    mobile: "13812345678",
    ...AREA,
    address: "南京路118号天津市政府采购中心3楼",
    zip: "300041",
    email: "zhangsanfeng@example.cn",
    dep_name: "天津市和平区教育局",
    invoice_title: "天津市和平区教育局",
    invoice_type: 1,
    invoice_org_code: "11120101MB1234567X",
    payment: 2,
    remark: "工作日送货",
    ...overrides,
  };
}

/** The type-2 invoice block with recognisable values, for the plain-text scan. */
export const VAT_BLOCK = {
  invoice_type: 2,
  invoice_name: "李会计",
  invoice_phone: "022-23456789",
  invoice_bank: "中国工商银行天津和平支行",
  invoice_bank_code: "0302012345678901234",
  invoice_address: "天津市和平区财经大厦8楼",
  invoice_mobile: "13987654321",
  invoice_receipt_address: "天津市和平区收票路9号",
} as const;

/**
 * Order steps over a rig a test file starts in beforeAll: a fresh orderable sku per test (so
 * reserved stock and changed prices never leak between tests), and create/push that throw on failure.
 */
export function orderSteps(current: () => { rig: OrderRig; skus: readonly string[] }, actor: string) {
  let nextSku = 0;
  const service = () => current().rig.gw.container.orders.service;
  return {
    service,
    freshSku(): string {
      const sku = current().skus[nextSku++];
      if (!sku) throw new Error("out of test skus");
      return sku;
    },
    simProduct(sku: string): SimProduct {
      const p = current().rig.running.sim.products.get(sku);
      if (!p) throw new Error(`no sim product ${sku}`);
      return p;
    },
    async create(file: Record<string, unknown>): Promise<OrderView> {
      const created = await service().create(file, actor);
      if (!created.ok) throw created.error;
      return created.value;
    },
    async push(yggcOrder: string): Promise<OrderView> {
      const pushed = await service().push(yggcOrder, actor);
      if (!pushed.ok) throw pushed.error;
      return pushed.value;
    },
  };
}
