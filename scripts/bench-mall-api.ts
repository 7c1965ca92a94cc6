import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { formatBeijingTimestamp, signRequest } from "../src/contract/index.js";
import { loadConfig } from "../src/config/config.js";
import { createContainer } from "../src/container.js";
import { newNonce } from "../src/lib/ids.js";
import { silentLogger } from "../src/lib/logger.js";

/**
 * Signed, token-verified mall calls against a bare express JSON endpoint, in one run: requests/s,
 * p50/p99 and the ratio. The servers run in their own processes; autocannon signs every request.
 * Usage: npm run bench:mall [-- --seconds 10 --connections 50]
 */
const args = new Map(process.argv.slice(2).flatMap((a, i, all) => (a.startsWith("--") ? [[a.slice(2), all[i + 1] ?? ""]] : [])));
const SECONDS = Number(args.get("seconds") ?? 10);
const CONNECTIONS = Number(args.get("connections") ?? 50);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function startProcess(script: string, env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", script], { env: { ...process.env, ...env, PORT: String(port) }, stdio: "inherit" });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${script} exited ${child.exitCode}`);
    const up = await fetch(`http://127.0.0.1:${port}/`, { method: "POST" }).then(() => true, () => false);
    if (up) return { child, port };
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill();
  throw new Error(`${script} did not start listening on ${port}`);
}

type Result = { name: string; rps: number; p50: number; p99: number; errors: number; non2xx: number };

async function run(name: string, url: string, body: () => string): Promise<Result> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [
      {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        setupRequest: (req) => ({ ...req, body: body() }),
      },
    ],
  });
  return { name, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors, non2xx: result.non2xx };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "emall-bench-"));
  const env = { DATABASE_URL: join(dir, "gateway.db"), DATA_ENCRYPTION_KEY_FILE: join(dir, "master.key"), LOG_LEVEL: "warn" };
  const container = createContainer(loadConfig(env), silentLogger());
  container.referenceLoader.seedIfEmpty("./fixtures");
  const { credentials } = await container.supplierAccounts.create({ code: "BENCH", name: "压测电商", creditCode: "91110000802100433B", domains: ["item.bench.cn"] });
  container.close();

  const gateway = await startProcess("src/main.ts", env);
  const bare = await startProcess("scripts/bench-bare-server.ts", {});
  try {
    const base = `http://127.0.0.1:${gateway.port}`;
    const tokenFields = { username: credentials.username, password: credentials.password, timestamp: formatBeijingTimestamp(Date.now()), nonce: newNonce() };
    const login = await fetch(`${base}/gyssc/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...tokenFields, sign: signRequest(credentials.appSecret, tokenFields) }),
    });
    const token = ((await login.json()) as { result: { access_token: string } }).result.access_token;
    const signed = (fields: Record<string, string>) => () => {
      const all = { token, timestamp: formatBeijingTimestamp(Date.now()), nonce: newNonce(), ...fields };
      return new URLSearchParams({ ...all, sign: signRequest(credentials.appSecret, all) }).toString();
    };

    const results: Result[] = [];
    results.push(await run("bare express JSON", `http://127.0.0.1:${bare.port}/bare`, () => "a=1"));
    results.push(await run("brands (signed)", `${base}/brands`, signed({})));
    results.push(await run("catalogs flat (signed)", `${base}/gyssc/platform/catalogs`, signed({})));

    const baseline = results[0]?.rps ?? 1;
    console.log(`\n${CONNECTIONS} connections, ${SECONDS} s each, ${new Date().toISOString()}`);
    console.log("endpoint                  req/s     p50 ms  p99 ms  ratio  errors/non-2xx");
    for (const r of results) {
      console.log(
        `${r.name.padEnd(24)}  ${r.rps.toFixed(0).padStart(7)}  ${String(r.p50).padStart(6)}  ${String(r.p99).padStart(6)}  ${(r.rps / baseline).toFixed(2).padStart(5)}  ${r.errors}/${r.non2xx}`,
      );
    }
  } finally {
    gateway.child.kill("SIGTERM");
    bare.child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
