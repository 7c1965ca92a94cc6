import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config/config.js";
import { createContainer } from "../src/container.js";
import { silentLogger } from "../src/lib/logger.js";
import { creditCodeCheckChar } from "../src/security/credit-code.js";
import type { NewProductRow } from "../src/store/repos/product-repo.js";
import { createSeedRepo } from "../src/store/repos/seed-repo.js";
import type { CallRow } from "../src/store/repos/call-log-repo.js";

/**
 * Bounded growth (issue 13 §3.4). A simulated year of price changes written through the
 * repositories the puller writes with, on a clock the script moves: every pull stores its pool
 * pages in the inbox (one durable transaction a page, as before S-3), marks them deleted, applies
 * them in one transaction (price history, inbox settled, one sync-log row a message, the run's
 * calls) and closes its run summary. Two writes differ from the puller's, neither in what lands
 * on disk: the product row's upsert is left out (one row per sku, it does not grow), and price
 * history goes through the seed repo's prepared insert of the same columns, because the puller's
 * query-builder insert would make the year take over ten times longer. Once a day at 03:17 Beijing time the
 * gateway's retention job runs (the same service the scheduler calls, on the simulated clock).
 * The same year runs twice, without and with retention; prints the database size per simulated
 * month for both, the ratio of the final size to the size once every retention window has filled
 * (bounded ≈ 1.0×) against the goal, and where the bytes are at the end.
 *
 * Usage: npx tsx scripts/bench-growth.ts [--skus 500] [--changes-per-day 4] [--pulls-per-day 6]
 *          [--days 365] [--dir /dev/shm] [--json]
 * Sizes are the database file after a WAL checkpoint (pages in use + free pages SQLite will reuse).
 */
const { values } = parseArgs({
  options: {
    skus: { type: "string", default: "500" },
    "changes-per-day": { type: "string", default: "4" },
    "pulls-per-day": { type: "string", default: "6" },
    days: { type: "string", default: "365" },
    dir: { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const SKUS = Number(values.skus);
const CHANGES_PER_DAY = Number(values["changes-per-day"]);
const PULLS_PER_DAY = Number(values["pulls-per-day"]);
const DAYS = Number(values.days);
/** The bounded-growth goal: the file a year on is at most this much larger than once the windows filled. */
const GOAL_RATIO = 1.05;
/** Contract §3: messages a pool page (S-2), skus a batch price read (S-6). */
const PAGE_SIZE = 100;
const SKUS_PER_BATCH_CALL = 100;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Day 0 starts at 00:00 Beijing time (16:00 UTC the day before). */
const START = Date.UTC(2026, 0, 1) - 8 * HOUR_MS;
/** The scheduler's retention job (src/scheduling/gateway-jobs.ts: "17 3 * * *", Beijing time). */
const RETENTION_AT_MS = 3 * HOUR_MS + 17 * 60_000;

function usage(message: string): never {
  console.error(`bench-growth: ${message}`);
  process.exit(64);
}
for (const [name, n] of [
  ["--skus", SKUS],
  ["--changes-per-day", CHANGES_PER_DAY],
  ["--pulls-per-day", PULLS_PER_DAY],
  ["--days", DAYS],
] as const) {
  if (!Number.isSafeInteger(n) || n < 1) usage(`${name} must be a positive integer`);
}
if (PULLS_PER_DAY > 96) usage("--pulls-per-day must be at most 96");
// fsyncs cost nothing on tmpfs, so the figure is the store's, not the disk's.
const baseDir = values.dir ?? (existsSync("/dev/shm") ? "/dev/shm" : tmpdir());

/** Deterministic, so both runs see the same year. */
function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const beijingText = (at: number) => new Date(at + 8 * HOUR_MS).toISOString().slice(0, 19).replace("T", " ");

type Sample = { day: number; month: number; bytes: number; freeBytes: number };
type TableSize = { table: string; rows: number; bytes: number };
type YearResult = {
  samples: Sample[];
  atWindow: Sample;
  final: Sample;
  seconds: number;
  tablesAtWindow: TableSize[];
  tables: TableSize[];
  removed: Record<string, number>;
};
/** The tables a pull writes to; everything else in the file is a few pages that do not change. */
const GROWING_TABLES = ["products", "price_history", "message_inbox", "sync_message_logs", "sync_calls", "sync_runs"];

async function simulateYear(withRetention: boolean): Promise<YearResult> {
  const dir = mkdtempSync(join(baseDir, "bench-growth-"));
  let now = START;
  try {
    const config = loadConfig({
      DATABASE_URL: join(dir, "gateway.db"),
      DATA_ENCRYPTION_KEY_FILE: join(dir, "master.key"),
      CONFORMANCE_REPORT_DIR: join(dir, "conformance"),
      NODE_ENV: "test",
      SCHEDULER_ENABLED: "false",
    });
    const container = await createContainer(config, silentLogger(), () => now);
    const { inbox, syncRuns, messageLogs, callLogs, products } = container.repos;
    const seed = createSeedRepo(container.store.sql);
    const first17 = "91120116000000010".slice(0, 17);
    await container.supplierAccounts.create({
      code: "GROW",
      name: "增长电商",
      creditCode: first17 + creditCodeCheckChar(first17),
      domains: ["item.grow.example.cn"],
    });
    const supplierId = (await container.repos.accounts.supplierByCode("GROW"))?.id ?? -1;
    const random = seededRandom(13);

    const skus = Array.from({ length: SKUS }, (_, i) => `GROW${String(i + 1).padStart(7, "0")}`);
    const price = new Map(skus.map((sku) => [sku, 10_000 + Math.floor(random() * 90_000)]));
    const rowOf = (sku: string, at: number): NewProductRow => {
      const priceFen = price.get(sku) ?? 0;
      return {
        supplierId,
        sku,
        status: "active",
        name: `办公用品 ${sku}`,
        model: "M-1",
        catalogId: "C1001",
        interfaceCode: "1001",
        brandId: "B1",
        brandName: "得力",
        url: `https://item.grow.example.cn/${sku}.html`,
        imagePath: `https://img.grow.example.cn/${sku}.jpg`,
        detailJson: JSON.stringify({ name: `办公用品 ${sku}`, introduction: "<p>规格参数</p>".repeat(20) }),
        attributesJson: "[]",
        promisesJson: "[]",
        imagesJson: "[]",
        shelfState: 1,
        priceFen,
        mallPriceFen: priceFen + 1_000,
        marketPriceFen: null,
        rejectionJson: "[]",
        listingState: "none",
        sourceMessageIdsJson: "[]",
        detailReadAt: at,
        priceReadAt: at,
        shelfReadAt: at,
        createdAt: START,
        updatedAt: at,
      };
    };
    await container.store.sql.transaction((tx) =>
      products.saveProducts(
        tx,
        skus.map((sku) => rowOf(sku, now)),
        skus.map((sku) => ({ supplierId, sku, priceFen: price.get(sku) ?? 0, mallPriceFen: (price.get(sku) ?? 0) + 1_000, at: now, runId: null })),
      ),
    );

    const messagesPerPull = Math.max(1, Math.round((SKUS * CHANGES_PER_DAY) / PULLS_PER_DAY));
    let messageSerial = 0;
    let runSerial = 0;
    const samples: Sample[] = [];
    const removed: Record<string, number> = { runs: 0, messages: 0, calls: 0, inbox: 0, priceRows: 0 };
    let atWindow: Sample | null = null;
    let tablesAtWindow: TableSize[] = [];
    // Every window has filled: the sync log's, every price change's, the daily rows' and the month
    // they end in (months are compacted whole).
    const windowDays = Math.max(config.SYNC_LOG_RETENTION_DAYS, config.PRICE_HISTORY_FULL_DAYS + config.PRICE_HISTORY_DAILY_DAYS + 31);
    const sample = async (day: number): Promise<Sample> => {
      const size = await container.retention.storeSize();
      return { day, month: Math.round((day / 365) * 12 * 10) / 10, bytes: size.bytes, freeBytes: size.freeBytes };
    };

    const pull = async (at: number) => {
      now = at;
      const runId = `run_${String(++runSerial).padStart(8, "0")}`;
      await syncRuns.startRun({ id: runId, supplierId, trigger: "schedule", startedAt: at });
      const calls: CallRow[] = [];
      const call = (operation: string, endpoint: string, batchSize: number, subject: string) =>
        calls.push({
          runId,
          seq: calls.length + 1,
          operation,
          endpoint,
          attempt: 1,
          startedAt: new Date(now).toISOString(),
          durationMs: 20 + Math.floor(random() * 60),
          outcome: "ok",
          errorCode: null,
          httpStatus: 200,
          batchSize,
          subject,
          message: null,
        });
      // S-2 pages of type-2 messages, each stored durably, then S-3.
      for (let left = messagesPerPull; left > 0; left -= PAGE_SIZE) {
        const page = Array.from({ length: Math.min(PAGE_SIZE, left) }, () => {
          const sku = skus[Math.floor(random() * SKUS)] ?? "";
          const id = String(++messageSerial);
          return {
            messageId: id,
            type: 2,
            sku,
            state: null,
            payloadJson: JSON.stringify({ id, type: 2, time: beijingText(now), result: { skuId: sku } }),
            messageTime: beijingText(now),
          };
        });
        call("messageGet", "/api/message/get", page.length, "2");
        await inbox.storePage(supplierId, { messages: page, unparseable: [] }, runId, now);
        call("messageDelete", "/api/message/delete", page.length, page.map((m) => m.messageId).join(","));
        await inbox.markDeleted(
          supplierId,
          page.map((m) => m.messageId),
          now,
        );
      }
      // Apply: the due messages, one S-6 batch per 100 distinct skus, one transaction a chunk.
      now += 2_000;
      const due = await inbox.duePending(supplierId, 2, now, messagesPerPull + PAGE_SIZE);
      const changed = [...new Set(due.map((r) => r.sku))];
      for (let i = 0; i < changed.length; i += SKUS_PER_BATCH_CALL)
        call("prices", "/api/price/getSellPrice", Math.min(SKUS_PER_BATCH_CALL, changed.length - i), changed.slice(i, i + SKUS_PER_BATCH_CALL).join(","));
      for (const sku of changed) price.set(sku, Math.max(100, (price.get(sku) ?? 0) + Math.floor((random() - 0.5) * 2_000)));
      await container.store.sql.transaction(async (tx) => {
        const changes = changed.map((sku) => ({ supplierId, sku, priceFen: price.get(sku) ?? 0, mallPriceFen: (price.get(sku) ?? 0) + 1_000, at: now, runId }));
        await products.saveProducts(tx, [], changes);
        await inbox.settle(
          tx,
          due.map((r) => r.seq),
          "applied",
          null,
          runId,
          now,
        );
        await messageLogs.logMessages(
          due.map((r) => ({
            runId,
            supplierId,
            messageId: r.messageId,
            type: 2,
            sku: r.sku,
            outcome: "applied",
            reasonsJson: "[]",
            durationMs: 2_000,
            callSeqsJson: "[]",
            at: now,
          })),
          tx,
        );
        await callLogs.logCalls(calls, tx);
      });
      await syncRuns.finishRun(runId, {
        status: "succeeded",
        endedAt: now,
        countsJson: JSON.stringify({ 2: { received: due.length, applied: due.length, rejected: 0, failed: 0, skipped: 0, quarantined: 0 } }),
        callsMade: calls.length,
        errorsJson: "[]",
      });
    };

    const started = Date.now();
    let lastMonth = 0;
    for (let day = 0; day < DAYS; day++) {
      const dayStart = START + day * DAY_MS;
      let retentionDue = withRetention;
      for (let k = 0; k < PULLS_PER_DAY; k++) {
        const at = dayStart + Math.floor(((k + 0.5) * DAY_MS) / PULLS_PER_DAY);
        if (retentionDue && at > dayStart + RETENTION_AT_MS) {
          retentionDue = false;
          now = dayStart + RETENTION_AT_MS;
          const r = await container.retention.runNow();
          for (const [key, n] of Object.entries(r)) removed[key] = (removed[key] ?? 0) + n;
        }
        await pull(at);
      }
      const month = Math.floor(((day + 1) * 12) / 365);
      if (month > lastMonth || day === DAYS - 1) {
        lastMonth = month;
        samples.push(await sample(day + 1));
        process.stderr.write(
          `  ${withRetention ? "with" : "without"} retention: day ${day + 1}/${DAYS}, ${(samples.at(-1)?.bytes ?? 0) / 1e6} MB, ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
        );
      }
      if (day + 1 === windowDays + 1) {
        atWindow = await sample(day + 1);
        tablesAtWindow = await seed.tableSizes(GROWING_TABLES);
      }
    }
    const final = samples.at(-1) ?? (await sample(DAYS));
    const tables = await seed.tableSizes(GROWING_TABLES);
    container.close();
    return { samples, atWindow: atWindow ?? final, final, seconds: (Date.now() - started) / 1000, tablesAtWindow, tables, removed };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

async function main(): Promise<void> {
  const perDay = SKUS * CHANGES_PER_DAY;
  console.log(
    `bounded growth: ${SKUS.toLocaleString("en")} skus × ${CHANGES_PER_DAY} price changes a day (${perDay.toLocaleString("en")} type-2 messages a day), ${PULLS_PER_DAY} pulls a day, ${DAYS} days; defaults SYNC_LOG_RETENTION_DAYS=90, SYNC_RUN_RETENTION_DAYS=365, PRICE_HISTORY_FULL_DAYS=90, PRICE_HISTORY_DAILY_DAYS=90`,
  );
  const without = await simulateYear(false);
  const withRetention = await simulateYear(true);
  console.log("\nday   month   without retention MB   with retention MB   (of which free pages MB)");
  for (const [i, s] of withRetention.samples.entries()) {
    const w = without.samples[i];
    console.log(
      `${String(s.day).padStart(3)}   ${s.month.toFixed(1).padStart(5)}   ${mb(w?.bytes ?? 0).padStart(20)}   ${mb(s.bytes).padStart(17)}   ${mb(s.freeBytes).padStart(24)}`,
    );
  }
  const ratio = withRetention.final.bytes / withRetention.atWindow.bytes;
  const ratioWithout = without.final.bytes / without.atWindow.bytes;
  const windowDay = withRetention.atWindow.day;
  console.log(
    `\nfinal size ÷ size on day ${windowDay} (every retention window full): with retention ${ratio.toFixed(2)}× (goal ≤ ${GOAL_RATIO}×, ${(ratio / GOAL_RATIO).toFixed(2)} of the limit); without ${ratioWithout.toFixed(2)}×`,
  );
  console.log(
    `final size: with retention ${mb(withRetention.final.bytes)} MB, without ${mb(without.final.bytes)} MB (${(withRetention.final.bytes / without.final.bytes).toFixed(2)}×)`,
  );
  const grewPerDay = (withRetention.final.bytes - withRetention.atWindow.bytes) / Math.max(1, withRetention.final.day - windowDay);
  console.log(
    `growth after day ${windowDay}: ${(grewPerDay / 1e3).toFixed(1)} kB a day, ${(grewPerDay / SKUS).toFixed(1)} bytes per sku a day (run summaries, kept a year, and the price history's monthly rows)`,
  );
  console.log(
    `\nrows / MB incl. indexes       without retention, day ${DAYS}   with retention, day ${windowDay}   with retention, day ${DAYS}   final ÷ day ${windowDay}`,
  );
  for (const t of withRetention.tables) {
    const w = without.tables.find((x) => x.table === t.table);
    const a = withRetention.tablesAtWindow.find((x) => x.table === t.table);
    const cell = (x: TableSize | undefined) => `${String(x?.rows ?? 0).padStart(10)} ${mb(x?.bytes ?? 0).padStart(7)}`;
    console.log(`${t.table.padEnd(22)} ${cell(w)}        ${cell(a)}        ${cell(t)}   ${a && a.bytes > 0 ? (t.bytes / a.bytes).toFixed(2) : "—"}×`);
  }
  const syncSide = (ts: TableSize[]) => ts.filter((t) => t.table !== "price_history").reduce((n, t) => n + t.bytes, 0);
  console.log(
    `sync log, inbox and runs together: final ÷ day ${windowDay} = ${(syncSide(withRetention.tables) / Math.max(1, syncSide(withRetention.tablesAtWindow))).toFixed(2)}×`,
  );
  console.log(
    `removed over the year: ${Object.entries(withRetention.removed)
      .map(([k, n]) => `${k} ${n.toLocaleString("en")}`)
      .join(", ")}`,
  );
  console.log(`time: without ${without.seconds.toFixed(0)} s, with ${withRetention.seconds.toFixed(0)} s`);
  if (values.json)
    console.log(
      JSON.stringify({
        skus: SKUS,
        changesPerDay: CHANGES_PER_DAY,
        pullsPerDay: PULLS_PER_DAY,
        days: DAYS,
        goalRatio: GOAL_RATIO,
        ratio,
        ratioWithout,
        withRetention,
        without,
      }),
    );
}

await main();
