import { existsSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config/config.js";
import { createContainer } from "../src/container.js";
import { silentLogger } from "../src/lib/logger.js";
import { creditCodeCheckChar } from "../src/security/credit-code.js";
import { type SimProduct, toAttributes, toDetail, toImages, toPrice, toPromise, toStock } from "../src/simulator/product-model.js";
import { ProductFactory } from "../src/simulator/product-seed.js";
import { loadReferenceData } from "../src/simulator/reference-data.js";
import { createRandom } from "../src/simulator/seeded-random.js";
import type { CallRow } from "../src/store/repos/call-log-repo.js";
import type { MessageLogRow } from "../src/store/repos/message-log-repo.js";
import type { NewProductRow, StockRow } from "../src/store/repos/product-repo.js";
import { type PriceHistoryRow, createSeedRepo } from "../src/store/repos/seed-repo.js";
import { productRow, snapshotOf } from "../src/sync/product-record.js";
import { ADVERTISING_LAW_TERMS, type ProductSnapshot, validateProduct } from "../src/sync/product-validation.js";
import { createValidationContext } from "../src/sync/validation-context.js";
import { seedActivity } from "./seed-activity.js";

/**
 * Fills a database with suppliers and their products at scale, built by the reference supplier's
 * own generator and stored the way the puller stores them: each product validated by §7 (so a
 * share is rejected with its reasons), with its parameters, images and promises, a price history,
 * stock in a few areas, and the sync run, message logs and batch calls that brought it in.
 * Then the traffic beside them (scripts/seed-activity.ts): orders of those products and an audit
 * chain, so the order and audit lists are read at depth too. `--activity-only` adds just that
 * traffic to a database seeded before.
 * Prints progress on stderr, then the database size per product and a JSON summary line.
 *
 * Usage: npx tsx scripts/seed-scale.ts [--products 1000000] [--suppliers 20] [--database data/scale.db]
 *          [--force] [--seed 1] [--invalid-share 0.05] [--price-history 4] [--stock-areas 3]
 *          [--orders products/10] [--audit products/10] [--activity-only] [--json]
 */
const { values } = parseArgs({
  options: {
    products: { type: "string", default: "1000000" },
    suppliers: { type: "string", default: "20" },
    database: { type: "string", default: "data/scale.db" },
    force: { type: "boolean", default: false },
    seed: { type: "string", default: "1" },
    "invalid-share": { type: "string", default: "0.05" },
    "price-history": { type: "string", default: "4" },
    "stock-areas": { type: "string", default: "3" },
    orders: { type: "string" },
    audit: { type: "string" },
    "activity-only": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  },
});
const PRODUCTS = Number(values.products);
const SUPPLIERS = Number(values.suppliers);
const PRICE_HISTORY = Number(values["price-history"]);
const STOCK_AREAS = Number(values["stock-areas"]);
const INVALID_SHARE = Number(values["invalid-share"]);
const SEED = Number(values.seed);
const DATABASE = values.database;
/** Orders and audit rows: a tenth of the products each unless given. */
const ORDERS = Number(values.orders ?? Math.floor(PRODUCTS / 10));
const AUDIT = Number(values.audit ?? Math.floor(PRODUCTS / 10));
const ACTIVITY_ONLY = values["activity-only"];

/** Products a transaction: big enough that commits cost nothing, small enough to show progress. */
const PRODUCTS_PER_TRANSACTION = 5_000;
/** §3: skus a batch call (S-6/S-7/S-10), so one call row per this many products. */
const SKUS_PER_BATCH_CALL = 100;
/** Products re-read from the store and validated again after seeding. */
const REVALIDATED_SAMPLE = 500;
const DAY_MS = 86_400_000;
const OFF_SHELF_SHARE = 0.05;

/** One transaction's rows. */
type Rows = { products: NewProductRow[]; prices: PriceHistoryRow[]; stock: StockRow[]; messageLogs: Array<Omit<MessageLogRow, "id">>; calls: CallRow[] };

function usage(message: string): never {
  console.error(`seed-scale: ${message}`);
  process.exit(64);
}
if (!Number.isSafeInteger(PRODUCTS) || PRODUCTS < 1) usage("--products must be a positive integer");
if (!Number.isSafeInteger(SUPPLIERS) || SUPPLIERS < 1 || SUPPLIERS > PRODUCTS) usage("--suppliers must be between 1 and --products");
if (!(INVALID_SHARE >= 0 && INVALID_SHARE <= 1)) usage("--invalid-share must be within 0…1");
if (!Number.isSafeInteger(PRICE_HISTORY) || PRICE_HISTORY < 1) usage("--price-history must be ≥ 1");
if (!Number.isSafeInteger(STOCK_AREAS) || STOCK_AREAS < 0) usage("--stock-areas must be ≥ 0");
if (!Number.isSafeInteger(ORDERS) || ORDERS < 0) usage("--orders must be ≥ 0");
if (!Number.isSafeInteger(AUDIT) || AUDIT < 0) usage("--audit must be ≥ 0");
if (ACTIVITY_ONLY && !existsSync(DATABASE)) usage(`--activity-only adds to an existing database; ${DATABASE} does not exist`);
if (existsSync(DATABASE) && !ACTIVITY_ONLY) {
  if (!values.force) usage(`${DATABASE} exists; pass --force to replace it`);
  for (const suffix of ["", "-wal", "-shm"]) rmSync(DATABASE + suffix, { force: true });
}

const progress = (() => {
  const started = Date.now();
  let lastPrint = 0;
  const tty = process.stderr.isTTY;
  let lastDone = -1;
  return (done: number, final = false) => {
    const now = Date.now();
    if (!final && now - lastPrint < 1_000) return;
    if (final && done === lastDone && !tty) return;
    lastDone = done;
    lastPrint = now;
    const seconds = (now - started) / 1000;
    const rate = done / Math.max(seconds, 0.001);
    const eta = rate > 0 ? (PRODUCTS - done) / rate : 0;
    const line = `seed: ${done.toLocaleString("en")}/${PRODUCTS.toLocaleString("en")} products (${((100 * done) / PRODUCTS).toFixed(1)}%), ${Math.round(rate).toLocaleString("en")}/s, ${seconds.toFixed(0)} s elapsed, ETA ${eta.toFixed(0)} s`;
    process.stderr.write(tty && !final ? `\r${line}` : `${line}\n`);
  };
})();

function creditCode(n: number): string {
  const first17 = `91120116${String(n).padStart(9, "0")}`;
  return first17 + creditCodeCheckChar(first17);
}

async function main() {
  const startedAt = Date.now();
  const config = loadConfig({ ...process.env, DATABASE_URL: DATABASE, DATA_ENCRYPTION_KEY_FILE: process.env.DATA_ENCRYPTION_KEY_FILE ?? `${DATABASE}.key` });
  const container = await createContainer(config, silentLogger());
  await container.referenceLoader.seedIfEmpty(config.FIXTURES_DIR);
  const reference = loadReferenceData(config.FIXTURES_DIR);
  const seedRepo = createSeedRepo(container.store.sql);
  await seedRepo.bulkMode();
  const bannedTerms = [...ADVERTISING_LAW_TERMS];
  const counties = reference.counties;

  const now = Date.now();
  const activity = () =>
    seedActivity(container, seedRepo, createRandom(SEED * 7_919), counties, {
      orders: ORDERS,
      audit: AUDIT,
      now,
      onProgress: (what, n, total) => process.stderr.write(`seed: ${n.toLocaleString("en")}/${total.toLocaleString("en")} ${what}\n`),
    });
  if (ACTIVITY_ONLY) {
    const added = await activity();
    await seedRepo.checkpoint();
    container.close();
    console.log(JSON.stringify({ ok: true, database: DATABASE, ...added, seconds: Math.round((Date.now() - startedAt) / 1000) }));
    return;
  }

  let done = 0;
  let rejected = 0;
  let mismatched = 0;
  for (let s = 0; s < SUPPLIERS; s++) {
    const code = `SC${String(s + 1).padStart(2, "0")}`;
    const domain = `item.scale-${code.toLowerCase()}.cn`;
    await container.supplierAccounts.create({ code, name: `规模电商${code}`, creditCode: creditCode(s + 1), domains: [domain] });
    const supplierId = (await container.repos.accounts.supplierByCode(code))?.id;
    if (supplierId === undefined) throw new Error(`supplier ${code} was not stored`);
    const random = createRandom(SEED * 1_000 + s);
    const factory = new ProductFactory(reference, random, { domain, invalidShare: INVALID_SHARE, offShelfShare: OFF_SHELF_SHARE });
    const validation = await createValidationContext(container.repos.reference, [domain], bannedTerms);
    const share = Math.floor(PRODUCTS / SUPPLIERS) + (s < PRODUCTS % SUPPLIERS ? 1 : 0);
    const runId = `run_seed_${code}`;
    const runStart = now - random.int(1, 30) * DAY_MS;
    let callSeq = 0;
    let applied = 0;
    let refused = 0;

    for (let first = 0; first < share; first += PRODUCTS_PER_TRANSACTION) {
      const count = Math.min(PRODUCTS_PER_TRANSACTION, share - first);
      // Built before the transaction, which PostgreSQL may run again from its start: it only writes them.
      const rows: Rows = { products: [], prices: [], stock: [], messageLogs: [], calls: [] };
      for (let i = 0; i < count; i++) {
        const p = factory.create();
        const snapshot: ProductSnapshot = { detail: toDetail(p), attributes: toAttributes(p), promise: toPromise(p), images: toImages(p), price: toPrice(p) };
        const reasons = await validateProduct(snapshot, validation);
        // The generator names its defects: a valid product must pass §7 and a broken one must not.
        if ((reasons.length === 0) !== (p.invalid.length === 0)) mismatched++;
        const messageId = `${code}-6-${p.sku}`;
        const at = runStart + i;
        rows.products.push(
          productRow({
            supplierId,
            sku: p.sku,
            snapshot,
            shelfState: p.shelfState,
            reasons,
            prior: undefined,
            messageIds: [messageId],
            now: at,
            read: { detail: true, price: true, shelf: true },
          }),
        );
        writePriceHistory(rows, p, supplierId, runId, at, random.int);
        // A few counties by index: shuffling the ~2,800 counties per product would dominate the run.
        writeStock(rows, p, supplierId, at, new Set(Array.from({ length: STOCK_AREAS }, () => random.pick(counties))));
        const callSeqs = [1 + Math.floor((first + i) / SKUS_PER_BATCH_CALL)];
        rows.messageLogs.push({
          runId,
          supplierId,
          messageId,
          type: 6,
          sku: p.sku,
          outcome: reasons.length > 0 ? "rejected" : "applied",
          reasonsJson: JSON.stringify(reasons),
          durationMs: random.int(1, 40),
          callSeqsJson: JSON.stringify(callSeqs),
          at,
        });
        if (reasons.length > 0) refused++;
        else applied++;
        if ((first + i) % SKUS_PER_BATCH_CALL === 0) {
          callSeq++;
          rows.calls.push({
            runId,
            seq: callSeq,
            operation: "prices",
            endpoint: "/api/product/getSellPrice",
            attempt: 1,
            startedAt: new Date(at).toISOString(),
            durationMs: random.int(20, 400),
            outcome: "ok",
            errorCode: null,
            httpStatus: 200,
            batchSize: Math.min(SKUS_PER_BATCH_CALL, share - first - i),
            subject: `${p.sku}…`,
            message: null,
          });
        }
      }
      await seedRepo.inTransaction(async (tx) => {
        await seedRepo.insertProducts(tx, rows.products);
        await seedRepo.insertPrices(tx, rows.prices);
        await seedRepo.insertStock(tx, rows.stock);
        await seedRepo.insertMessageLogs(tx, rows.messageLogs);
        await seedRepo.insertCalls(tx, rows.calls);
      });
      done += count;
      progress(done);
    }
    rejected += refused;
    await seedRepo.insertRun({
      id: runId,
      supplierId,
      startedAt: runStart,
      endedAt: runStart + share * 5,
      countsJson: JSON.stringify({ applied, rejected: refused }),
      callsMade: callSeq,
    });
  }
  progress(done, true);
  const added = await activity();

  function writePriceHistory(rows: Rows, p: SimProduct, supplierId: number, runId: string, at: number, int: (a: number, b: number) => number) {
    // Older prices first, drifting towards the current one; the last row is the price stored.
    for (let k = PRICE_HISTORY - 1; k >= 0; k--) {
      const drift = k === 0 ? 0 : int(-8, 8);
      const mallPriceFen = Math.max(100, Math.round((p.mallPriceFen * (100 + drift)) / 100));
      const priceFen = k === 0 ? p.priceFen : Math.min(mallPriceFen, Math.max(1, Math.round((p.priceFen * (100 + drift)) / 100)));
      rows.prices.push({ supplierId, sku: p.sku, priceFen, mallPriceFen, at: at - k * 30 * DAY_MS, runId: k === 0 ? runId : null });
    }
  }

  function writeStock(rows: Rows, p: SimProduct, supplierId: number, at: number, areas: ReadonlySet<(typeof counties)[number]>) {
    for (const area of areas) {
      const item = toStock(p, area.path, area.province, 1);
      rows.stock.push({
        supplierId,
        sku: p.sku,
        area: area.path,
        num: item.num,
        stockStateId: item.stockStateId ?? null,
        description: item.desc,
        checkedAt: at,
      });
    }
  }

  // Read a sample back from the store and validate it again, as the puller would on a price change.
  const contexts = new Map<string, ReturnType<typeof createValidationContext>>();
  const validation = (domain: string) => {
    let ctx = contexts.get(domain);
    if (!ctx) contexts.set(domain, (ctx = createValidationContext(container.repos.reference, [domain], bannedTerms)));
    return ctx;
  };
  const sampleRandom = createRandom(SEED + 7);
  let revalidated = 0;
  let revalidationMismatches = 0;
  for (let i = 0; i < Math.min(REVALIDATED_SAMPLE, PRODUCTS); i++) {
    const s = sampleRandom.int(0, SUPPLIERS - 1);
    const code = `SC${String(s + 1).padStart(2, "0")}`;
    const supplier = await container.repos.accounts.supplierByCode(code);
    const share = Math.floor(PRODUCTS / SUPPLIERS) + (s < PRODUCTS % SUPPLIERS ? 1 : 0);
    const row = supplier ? await container.repos.products.bySku(supplier.id, String(100_001 + sampleRandom.int(0, share - 1))) : undefined;
    const snapshot = row ? snapshotOf(row) : null;
    if (!row || !snapshot || !supplier) {
      revalidationMismatches++;
      continue;
    }
    const again = await validateProduct(snapshot, await validation(`item.scale-${code.toLowerCase()}.cn`));
    if (JSON.stringify(again) !== row.rejectionJson || (again.length === 0) !== (row.status === "active")) revalidationMismatches++;
    revalidated++;
  }

  await seedRepo.checkpoint();
  const sizes = await seedRepo.tableSizes([
    "products",
    "price_history",
    "product_stock",
    "sync_message_logs",
    "sync_calls",
    "sync_runs",
    "orders",
    "order_events",
    "audit_log",
  ]);
  container.close();
  const fileBytes = statSync(DATABASE).size;
  const seconds = (Date.now() - startedAt) / 1000;

  const summary = {
    database: DATABASE,
    suppliers: SUPPLIERS,
    products: done,
    orders: added.orders,
    audit: added.audit,
    rejected,
    generatorVerdictMismatches: mismatched,
    revalidated,
    revalidationMismatches,
    seconds: Math.round(seconds),
    productsPerSecond: Math.round(done / seconds),
    fileBytes,
    bytesPerProduct: Math.round(fileBytes / done),
    tables: sizes.map((t) => ({ ...t, bytesPerProduct: Math.round(t.bytes / done) })),
  };
  if (!values.json) {
    console.log(
      `\n${done.toLocaleString("en")} products of ${SUPPLIERS} suppliers in ${seconds.toFixed(0)} s (${summary.productsPerSecond.toLocaleString("en")}/s) → ${join(DATABASE)}`,
    );
    console.log(
      `rejected by §7: ${rejected.toLocaleString("en")} (${((100 * rejected) / done).toFixed(1)}%); generator verdict mismatches: ${mismatched}; re-validated from the store: ${revalidated}, mismatches ${revalidationMismatches}`,
    );
    console.log(`database: ${(fileBytes / 1e6).toFixed(1)} MB, ${summary.bytesPerProduct.toLocaleString("en")} bytes per product`);
    console.log("table                 rows        MB   bytes/product");
    for (const t of summary.tables)
      console.log(`${t.table.padEnd(18)} ${String(t.rows).padStart(10)} ${(t.bytes / 1e6).toFixed(1).padStart(9)} ${String(t.bytesPerProduct).padStart(15)}`);
  }
  console.log(JSON.stringify({ ok: mismatched === 0 && revalidationMismatches === 0, ...summary }));
  if (mismatched > 0 || revalidationMismatches > 0) process.exit(1);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
