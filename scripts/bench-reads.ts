import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { loadConfig } from "../src/config/config.js";
import { createContainer } from "../src/container.js";
import { silentLogger } from "../src/lib/logger.js";
import { freePort } from "./free-port.js";

/**
 * Reads on a database filled by scripts/seed-scale.ts:
 *   1. admin API product search by sku, name, catalog and status, first pages and keyset pages
 *      (afterId) deep into the result: p50/p95 against the 100 ms goal;
 *   2. `products list --supplier X --json` of the largest supplier: peak RSS of the CLI process
 *      against the same CLI's RSS for a one-line command, so "flat" is a measured ratio.
 * The gateway runs in its own process, requests are sequential.
 * Usage: npx tsx scripts/bench-reads.ts --database data/scale.db [--samples 40] [--pages 20]
 */
const { values } = parseArgs({
  options: {
    database: { type: "string", default: "data/scale.db" },
    samples: { type: "string", default: "40" },
    pages: { type: "string", default: "20" },
  },
});
const DATABASE = values.database;
const SAMPLES = Number(values.samples);
const PAGES = Number(values.pages);
const GOALS = { searchP95Ms: 100 };
/** Time spent on one kind of query before it stops with the samples it has. */
const QUERY_BUDGET_MS = 20_000;
const KEY_FILE = process.env.DATA_ENCRYPTION_KEY_FILE ?? `${DATABASE}.key`;
const ADMIN = { username: "bench_reads_admin", password: "bench-reads-Pa55w0rd!" };

if (!existsSync(DATABASE)) {
  console.error(`bench-reads: ${DATABASE} does not exist; fill it with scripts/seed-scale.ts first`);
  process.exit(64);
}


const env = { DATABASE_URL: DATABASE, DATA_ENCRYPTION_KEY_FILE: KEY_FILE, LOG_LEVEL: "warn", SCHEDULER_ENABLED: "false" };

async function startGateway(): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { env: { ...process.env, ...env, PORT: String(port) }, stdio: "inherit" });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`gateway exited ${child.exitCode}`);
    if (await fetch(`${url}/admin/api/login`, { method: "POST" }).then(() => true, () => false)) return { child, url };
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill();
  throw new Error("gateway did not start");
}

type Timing = { name: string; n: number; p50: number; p95: number; max: number; rows: number };

function summarize(name: string, ms: number[], rows: number): Timing {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { name, n: ms.length, p50: at(0.5), p95: at(0.95), max: sorted.at(-1) ?? 0, rows };
}

/** Peak RSS (VmHWM) of a child process, read from /proc until it exits. */
function runMeasured(args: string[]): Promise<{ peakRssMb: number; stdoutBytes: number; seconds: number; status: number | null; lastLine: string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
    let peakKb = 0;
    let bytes = 0;
    let tail = "";
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {
        // exited between polls
      }
    }, 20);
    child.stdout.on("data", (c: Buffer) => {
      bytes += c.length;
      tail = (tail + c.toString("utf8")).slice(-200);
    });
    child.on("error", reject);
    child.on("close", (status) => {
      clearInterval(poll);
      resolve({ peakRssMb: peakKb / 1024, stdoutBytes: bytes, seconds: (Date.now() - started) / 1000, status, lastLine: tail.trim().split("\n").at(-1) ?? "" });
    });
  });
}

async function main() {
  // An admin to log in with, and the facts the queries draw from (read straight from the file).
  const container = createContainer(loadConfig({ ...process.env, ...env }), silentLogger());
  if (!container.admin.users.list().some((u: { username: string }) => u.username === ADMIN.username)) {
    await container.admin.users.create({ username: ADMIN.username, role: "admin", password: ADMIN.password });
  }
  container.close();
  const db = new Database(DATABASE, { readonly: true });
  const productCount = db.prepare("SELECT COUNT(*) FROM products").pluck().get() as number;
  const suppliers = db.prepare("SELECT s.code, COUNT(*) AS n FROM products p JOIN suppliers s ON s.id = p.supplier_id GROUP BY s.code ORDER BY n DESC").all() as Array<{ code: string; n: number }>;
  const maxId = db.prepare("SELECT MAX(id) FROM products").pluck().get() as number;
  const sampleRows = (n: number) =>
    Array.from({ length: n }, () => db.prepare("SELECT p.sku, p.name, p.interface_code AS code, s.code AS supplier FROM products p JOIN suppliers s ON s.id = p.supplier_id WHERE p.id >= ? LIMIT 1").get(1 + Math.floor(Math.random() * maxId))) as Array<{ sku: string; name: string; code: string; supplier: string }>;
  const picks = sampleRows(SAMPLES);
  db.close();
  console.log(`${DATABASE}: ${productCount.toLocaleString("en")} products, ${suppliers.length} suppliers`);

  const gateway = await startGateway();
  try {
    const login = await fetch(`${gateway.url}/admin/api/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(ADMIN) });
    if (login.status !== 200) throw new Error(`admin login: HTTP ${login.status}`);
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const get = async (query: Record<string, string | number>): Promise<{ ms: number; rows: number; next: number | null }> => {
      const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
      const started = performance.now();
      const res = await fetch(`${gateway.url}/admin/api/products?${qs}`, { headers: { cookie } });
      const body = (await res.json()) as { products?: unknown[]; nextAfterId?: number | null; error?: unknown };
      const ms = performance.now() - started;
      if (res.status !== 200) throw new Error(`GET products?${qs}: HTTP ${res.status} ${JSON.stringify(body)}`);
      return { ms, rows: body.products?.length ?? 0, next: body.nextAfterId ?? null };
    };
    const timeAll = async (name: string, queries: Array<Record<string, string | number>>): Promise<Timing> => {
      const ms: number[] = [];
      let rows = 0;
      const started = Date.now();
      for (const q of queries) {
        // A query that scans the whole store would take minutes over every sample: a few suffice.
        if (ms.length >= 3 && Date.now() - started > QUERY_BUDGET_MS) break;
        const r = await get(q);
        ms.push(r.ms);
        rows += r.rows;
      }
      return summarize(name, ms, rows);
    };
    /** Follows nextAfterId from the first page: the cost of paging deep into a result. */
    const walk = async (name: string, query: Record<string, string | number>): Promise<Timing> => {
      const ms: number[] = [];
      let rows = 0;
      let after: number | null = null;
      for (let i = 0; i < PAGES; i++) {
        const r = await get(after === null ? query : { ...query, afterId: after });
        ms.push(r.ms);
        rows += r.rows;
        if (r.next === null) break;
        after = r.next;
      }
      return summarize(name, ms, rows);
    };

    await get({ limit: 50 }); // warm: first statement preparation, page cache
    const big = suppliers[0]?.code ?? "";
    const timings: Timing[] = [
      await timeAll("sku, all suppliers", picks.map((p) => ({ sku: p.sku, limit: 50 }))),
      await timeAll("sku + supplier", picks.map((p) => ({ sku: p.sku, supplier: p.supplier, limit: 50 }))),
      await timeAll("name contains (model)", picks.map((p) => ({ name: p.name.split(" ").at(-1) ?? p.name, limit: 50 }))),
      await timeAll("name + supplier", picks.map((p) => ({ name: p.name.split(" ").at(-1) ?? p.name, supplier: p.supplier, limit: 50 }))),
      await timeAll("catalog, first page", picks.map((p) => ({ catalog: p.code, limit: 50 }))),
      await timeAll("status rejected, first page", picks.map(() => ({ status: "rejected", limit: 50 }))),
      await timeAll("supplier + status active", picks.map((p) => ({ supplier: p.supplier, status: "active", limit: 50 }))),
      await walk(`keyset: catalog ${picks[0]?.code ?? ""}, ${PAGES} pages`, { catalog: picks[0]?.code ?? "", limit: 50 }),
      await walk(`keyset: status rejected, ${PAGES} pages`, { status: "rejected", limit: 50 }),
      await walk(`keyset: ${big} active, ${PAGES} pages`, { supplier: big, status: "active", limit: 50 }),
    ];
    console.log(`\nadmin API GET /admin/api/products, ${SAMPLES} samples a row (sequential), ${new Date().toISOString()}`);
    console.log("query                                   n   p50 ms   p95 ms   max ms   p95/goal");
    for (const t of timings) {
      console.log(`${t.name.padEnd(36)} ${String(t.n).padStart(4)} ${t.p50.toFixed(1).padStart(8)} ${t.p95.toFixed(1).padStart(8)} ${t.max.toFixed(1).padStart(8)} ${(t.p95 / GOALS.searchP95Ms).toFixed(2).padStart(10)}`);
    }
    const worst = timings.reduce((a, b) => (b.p95 > a.p95 ? b : a));
    console.log(`goal: search p95 ≤ ${GOALS.searchP95Ms} ms: worst ${worst.name} ${worst.p95.toFixed(1)} ms (${(worst.p95 / GOALS.searchP95Ms).toFixed(2)} of the limit)`);
  } finally {
    gateway.child.kill("SIGTERM");
  }

  const baseline = await runMeasured(["supplier", "list", "--json"]);
  const biggest = suppliers[0];
  const smallest = suppliers.at(-1);
  const listBig = await runMeasured(["products", "list", "--supplier", biggest?.code ?? "", "--json"]);
  const listSmall = biggest === smallest ? listBig : await runMeasured(["products", "list", "--supplier", smallest?.code ?? "", "--json"]);
  const okBig = listBig.status === 0 && listBig.lastLine.endsWith("]}");
  console.log(`\nproducts list --json (CLI process peak RSS, /proc VmHWM)`);
  console.log("command                                         products   output MB   seconds   peak RSS MB   vs one-line command");
  const line = (name: string, n: number | string, r: typeof baseline) =>
    console.log(`${name.padEnd(46)} ${String(n).padStart(9)} ${(r.stdoutBytes / 1e6).toFixed(1).padStart(11)} ${r.seconds.toFixed(1).padStart(9)} ${r.peakRssMb.toFixed(0).padStart(13)} ${(r.peakRssMb / baseline.peakRssMb).toFixed(2).padStart(21)}`);
  line("supplier list --json", "-", baseline);
  line(`products list --supplier ${biggest?.code ?? ""} --json`, biggest?.n ?? 0, listBig);
  if (listSmall !== listBig) line(`products list --supplier ${smallest?.code ?? ""} --json`, smallest?.n ?? 0, listSmall);
  console.log(`goal: streams with flat memory: peak RSS ${listBig.peakRssMb.toFixed(0)} MB for ${(biggest?.n ?? 0).toLocaleString("en")} products, ${(listBig.peakRssMb / baseline.peakRssMb).toFixed(2)}× a one-line command; output ${okBig ? "complete" : "INCOMPLETE"}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
