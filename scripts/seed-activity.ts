import type { AuditEntry } from "../src/admin/audit-trail.js";
import type { Container } from "../src/container.js";
import { mintYggcOrder } from "../src/orders/order-intake.js";
import { sealConsignee } from "../src/orders/order-personal-data.js";
import type { AreaPath } from "../src/simulator/reference-data.js";
import type { Random } from "../src/simulator/seeded-random.js";
import { orderStates } from "../src/store/schema/index.js";
import { type NewOrderRow, createOrderRepo } from "../src/store/repos/order-repo.js";
import type { SeedRepo } from "../src/store/repos/seed-repo.js";
import { statementFor } from "../src/store/sql/placeholders.js";

/**
 * The day-to-day traffic beside a product store at scale, so the order and audit lists are read
 * at a realistic depth: orders of stored skus at their agreement prices over the last 90 days
 * (every state, sealed consignee), and an audit chain of staff and supplier actions, each row
 * sealed by the audit trail itself so `audit verify` holds.
 */
const ROWS_PER_TRANSACTION = 5_000;
const DAY_MS = 86_400_000;
const MINT_ATTEMPTS = 5;
const ACTIONS = [
  "product.listing_apply",
  "product.listing_approve",
  "product.listing_refuse",
  "order.create",
  "order.push",
  "supplier.update",
  "sync.run",
  "user.login",
] as const;
const ACTORS = ["admin", "ops_wang", "ops_li", "buyer_zhao", "auditor_chen"] as const;

type Sku = { sku: string; name: string | null; priceFen: number | null };

export async function seedActivity(
  container: Container,
  seedRepo: SeedRepo,
  random: Random,
  counties: readonly AreaPath[],
  opts: { orders: number; audit: number; now: number; onProgress?: (what: string, done: number, total: number) => void },
): Promise<{ orders: number; audit: number }> {
  const suppliers = await Promise.all(
    (await container.supplierAccounts.list()).map(async (s) => ({ code: s.code, id: (await container.repos.accounts.supplierByCode(s.code))?.id ?? -1 })),
  );
  if (suppliers.length === 0) return { orders: 0, audit: 0 };
  const { sql } = container.store;
  const orderRepo = createOrderRepo(sql);
  const statement = statementFor(sql.dialect);
  const S = {
    skuSample: statement(
      (p) => `SELECT sku, name, price_fen AS "priceFen" FROM products WHERE supplier_id = ${p()} AND status = 'active' AND id >= ${p()} ORDER BY id LIMIT 1`,
    ),
    idRange: statement((p) => `SELECT MIN(id) AS lo, MAX(id) AS hi FROM products WHERE supplier_id = ${p()}`),
  };
  const ranges = new Map<number, { lo: number; hi: number }>();
  for (const s of suppliers) {
    const range = await sql.get<{ lo: number | null; hi: number | null }>(S.idRange, [s.id]);
    ranges.set(s.id, { lo: Number(range?.lo ?? 0), hi: Number(range?.hi ?? 0) });
  }

  // Each batch is built before its transaction, which PostgreSQL may run again from its start: it only writes.
  let orders = 0;
  let stored = 0;
  while (orders < opts.orders) {
    const count = Math.min(ROWS_PER_TRANSACTION, opts.orders - orders);
    const rows: NewOrderRow[] = [];
    for (let i = 0; i < count; i++) {
      const supplier = random.pick(suppliers);
      const range = ranges.get(supplier.id) ?? { lo: 0, hi: 0 };
      const picks = Array.from({ length: random.int(1, 3) }, () => random.int(range.lo, range.hi));
      const lines = (await Promise.all(picks.map((from) => sql.get<Sku>(S.skuSample, [supplier.id, from]))))
        .filter((p): p is Sku => p !== undefined)
        .map((p) => ({ sku: p.sku, num: random.int(1, 5), priceFen: p.priceFen ?? 0, name: p.name }));
      if (lines.length === 0) continue;
      const area = random.pick(counties);
      const goodsFen = lines.reduce((s, l) => s + l.priceFen * l.num, 0);
      const freightFen = goodsFen >= 20_000 ? 0 : 1_000;
      const createdAt = opts.now - random.int(0, 90 * DAY_MS);
      const state = random.chance(0.8) ? "confirmed" : random.pick(orderStates);
      const done = state === "confirmed";
      rows.push({
        id: `ord_seed_${orders + i}`,
        yggcOrder: mintYggcOrder(createdAt),
        supplierId: supplier.id,
        state,
        linesJson: JSON.stringify(lines),
        goodsFen,
        freightFen,
        orderPriceFen: goodsFen + freightFen,
        province: area.province,
        city: area.city,
        county: area.county,
        town: null,
        consigneeEnc: sealConsignee(container.keys, {
          name: "张三",
          phone: "",
          mobile: `1380000${String(random.int(0, 9999)).padStart(4, "0")}`,
          address: "某某路 1 号",
          zip: "100000",
          email: "",
        }),
        depName: `采购单位${random.int(1, 500)}`,
        invoiceType: 1,
        invoiceTitle: "某某单位",
        invoiceOrgCode: "",
        invoiceEnc: null,
        payment: 1,
        remark: null,
        mallOrderId: done || state === "submitted" || state === "confirming" ? `M${createdAt}${i}` : null,
        failureKind: state === "failed" ? "refused" : null,
        failureCode: state === "failed" ? 3003 : null,
        failureReason: state === "failed" ? "库存不足" : null,
        pushAttempts: done ? 1 : 0,
        nextAttemptAt: createdAt,
        createdBy: random.pick(ACTORS),
        createdAt,
        updatedAt: createdAt,
        submittedAt: done ? createdAt + 1_000 : null,
        confirmedAt: done ? createdAt + 2_000 : null,
      });
    }
    stored += await seedRepo.inTransaction(async (tx) => {
      let inserted = 0;
      for (const row of rows) {
        // A yggc_order is a day and a few random digits: mint again on the rare clash, as intake does.
        for (let attempt = 0; attempt < MINT_ATTEMPTS; attempt++) {
          if (
            await orderRepo.insert(
              { ...row, yggcOrder: attempt === 0 ? row.yggcOrder : mintYggcOrder(row.createdAt) },
              { at: row.createdAt, actor: "seed", fromState: null, toState: "created", step: "create" },
              tx,
            )
          ) {
            inserted += 1;
            break;
          }
        }
      }
      return inserted;
    });
    orders += count;
    opts.onProgress?.("orders", orders, opts.orders);
  }

  let audit = 0;
  while (audit < opts.audit) {
    const count = Math.min(ROWS_PER_TRANSACTION, opts.audit - audit);
    const entries = Array.from({ length: count }, (_, i): AuditEntry => {
      const action = random.pick(ACTIONS);
      const supplier = random.pick(suppliers);
      return {
        actor: random.pick(ACTORS),
        role: "admin",
        action,
        target: action.startsWith("product.") ? `${supplier.code}/${100_001 + random.int(0, 49_999)}` : supplier.code,
        summary: { seeded: true },
        requestId: `req_seed_${audit + i}`,
      };
    });
    await seedRepo.inTransaction(async (tx) => {
      for (const entry of entries) await container.admin.audit.recordIn(tx, entry);
    });
    audit += count;
    opts.onProgress?.("audit", audit, opts.audit);
  }
  return { orders: stored, audit };
}
