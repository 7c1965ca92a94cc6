import { parseArgs } from "node:util";
import { SignMode } from "../src/contract/index.js";
import { loadReferenceData } from "../src/simulator/reference-data.js";
import { startSimulator } from "../src/simulator/simulator-server.js";
import type { SimCommand as BenchCommand, SimReply as BenchReply } from "./bench-supplier-process.js";
import { cpuProfiler } from "./cpu-profile.js";

/**
 * The reference supplier for scripts/bench-puller.ts, in its own process (forked with IPC), so the
 * gateway's figures do not pay for the supplier's work. Same simulator as `npm run simulator`, plus
 * IPC commands the bench needs to load exact message mixes:
 *   {op:"prices", count}   count price changes (type 2), round-robin over the offered skus
 *   {op:"details", count}  count detail changes (type 16) on distinct valid skus
 *   {op:"truth"}           every sku's prices and pool state, to check the drain
 *   {op:"profile", action:"start"|"stop", name}  a CPU profile of this process (with --profile-dir)
 * Each command is answered with {op, ...} once done. Usage (the bench does this):
 *   node --import tsx scripts/bench-puller-simulator.ts --products 10000 --username U --password P --app-secret S
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "0" },
      products: { type: "string", default: "10000" },
      "invalid-share": { type: "string", default: "0.1" },
      seed: { type: "string", default: "7" },
      fixtures: { type: "string", default: "./fixtures" },
      domain: { type: "string", default: "item.sim-supplier.cn" },
      username: { type: "string", default: "bench_mall" },
      password: { type: "string", default: "bench-Pa55w0rd" },
      "app-secret": { type: "string", default: "bench-app-secret-0123456789abcdef0123456789" },
      "platform-code": { type: "string", default: "TJZFCG" },
      "profile-dir": { type: "string" },
    },
  });
  const running = await startSimulator(
    {
      account: { username: values.username, password: values.password, appSecret: values["app-secret"], signMode: SignMode.HmacSha256 },
      platformCode: values["platform-code"],
      reference: loadReferenceData(values.fixtures),
      domain: values.domain,
      products: Number(values.products),
      invalidShare: Number(values["invalid-share"]),
      seed: Number(values.seed),
    },
    { port: Number(values.port) },
  );
  const { sim } = running;
  const send = (reply: BenchReply) => process.send?.(reply);
  let cursor = 0;
  const profiler = values["profile-dir"] ? cpuProfiler(values["profile-dir"]) : null;

  process.on("message", (command: BenchCommand) => {
    if (command.op === "profile") {
      if (!profiler) return send({ op: "profile", file: null });
      if (command.action === "start") void profiler.start().then(() => send({ op: "profile", file: null }));
      else void profiler.stop(command.name).then((file) => send({ op: "profile", file }));
      return;
    }
    const offered = sim.products.all().filter((p) => p.inPool);
    if (command.op === "prices") {
      for (let i = 0; i < command.count; i++) {
        const p = offered[cursor++ % offered.length];
        if (p) sim.changes.apply("price", p);
      }
      send({ op: "prices", published: command.count, pending: sim.pool.pending() });
    } else if (command.op === "details") {
      const valid = offered.filter((p) => p.invalid.length === 0).slice(0, command.count);
      for (const p of valid) sim.changes.apply("detail", p);
      send({ op: "details", published: valid.length, pending: sim.pool.pending() });
    } else {
      send({ op: "truth", products: sim.products.all().map((p) => ({ sku: p.sku, inPool: p.inPool, priceFen: p.priceFen, mallPriceFen: p.mallPriceFen })) });
    }
  });
  process.on("disconnect", () => void running.close().then(() => process.exit(0)));
  send({ op: "ready", url: running.url, pending: sim.pool.pending() });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
