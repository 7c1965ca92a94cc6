import { join } from "node:path";
import { parseArgs } from "node:util";
import { signModes, type SignMode } from "../contract/index.js";
import { createLogger } from "../lib/logger.js";
import { loadReferenceData } from "./reference-data.js";
import { loadScenarios } from "./scenario-runner.js";
import { startSimulator } from "./simulator-server.js";
import { SIMULATOR_DEFAULTS } from "./supplier-simulator.js";

/**
 * npm run simulator -- [options]: the reference supplier, standalone. Defaults suit a local demo
 * against the gateway; every credential can be overridden.
 */
const OPTIONS = {
  port: { type: "string", default: "9090", description: "TCP port (0: any free port)." },
  host: { type: "string", default: "127.0.0.1", description: "Interface; plain HTTP, so keep it on loopback unless you mean it (§1)." },
  username: { type: "string", default: "sim_mall", description: "Account username issued to the mall." },
  password: { type: "string", default: "sim-Pa55w0rd", description: "Account password." },
  "app-secret": { type: "string", default: "sim-app-secret-0123456789abcdef0123456789", description: "Signing key (§2, ≥ 32 bytes)." },
  "platform-code": { type: "string", default: "TJZFCG", description: "The mall's platformCode (M-2)." },
  "sign-mode": { type: "string", default: "hmac-sha256", description: "hmac-sha256 | yggc-md5." },
  products: { type: "string", default: String(SIMULATOR_DEFAULTS.products), description: "Seeded skus." },
  "invalid-share": { type: "string", default: String(SIMULATOR_DEFAULTS.invalidShare), description: "Share of deliberately invalid products, 0…1." },
  rate: { type: "string", default: "0", description: "Mixed product changes a second (0: none)." },
  seed: { type: "string", default: String(SIMULATOR_DEFAULTS.seed), description: "PRNG seed: same seed, same products." },
  domain: { type: "string", default: SIMULATOR_DEFAULTS.domain, description: "Registered product domain (§7)." },
  "token-ttl": { type: "string", default: String(SIMULATOR_DEFAULTS.tokenTtlSeconds), description: "Token lifetime, seconds." },
  fixtures: { type: "string", default: "./fixtures", description: "Reference data: catalogs.json, brands.json, promises.json, scenarios/." },
  hostile: {
    type: "boolean",
    default: false,
    description: "Hostile supplier: every case of the hostile knob (simulator-knobs.ts), malformed messages at the head of the pool.",
  },
  "log-level": { type: "string", default: "info", description: "pino level." },
  help: { type: "boolean", default: false, description: "Show this help." },
} as const;

function usage(): string {
  const lines = Object.entries(OPTIONS).map(([name, o]) => `  --${name.padEnd(15)} ${o.description}${o.type === "string" ? ` (default ${o.default})` : ""}`);
  return `Reference supplier (电商) for the docking contract, S-1…S-12.\n\nnpm run simulator -- [options]\n${lines.join("\n")}\n`;
}

function number(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number in ${min}…${max}, got ${text}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: OPTIONS, strict: true });
  if (values.help) {
    console.log(usage());
    return;
  }
  const signMode = values["sign-mode"];
  if (!(signModes as readonly string[]).includes(signMode)) throw new Error(`--sign-mode must be one of ${signModes.join(", ")}`);
  const logger = createLogger({ level: values["log-level"], name: "simulator" });
  const running = await startSimulator(
    {
      account: { username: values.username, password: values.password, appSecret: values["app-secret"], signMode: signMode as SignMode },
      platformCode: values["platform-code"],
      reference: loadReferenceData(values.fixtures),
      scenarios: loadScenarios(join(values.fixtures, "scenarios")),
      domain: values.domain,
      products: number("products", values.products, 0, 1_000_000),
      invalidShare: number("invalid-share", values["invalid-share"], 0, 1),
      changeRate: number("rate", values.rate, 0, 10_000),
      seed: number("seed", values.seed, 0, 2 ** 32 - 1),
      tokenTtlSeconds: number("token-ttl", values["token-ttl"], 1, 30 * 24 * 3600),
      ...(values.hostile ? { knobs: { hostile: true } } : {}),
    },
    { port: number("port", values.port, 0, 65_535), host: values.host, logger },
  );
  const truth = running.sim.exportTruth();
  console.log(
    `simulator listening on ${running.url} (sign mode ${signMode}, platformCode ${values["platform-code"]}, ` +
      `${truth.products.length} skus, ${truth.products.filter((p) => !p.valid).length} invalid, ${truth.pendingMessages} messages pending` +
      `${truth.hostile.cases.length > 0 ? `, hostile: ${truth.hostile.cases.join(", ")}` : ""})`,
  );
  console.log(`truth: GET ${running.url}/_sim/truth · knobs: PUT ${running.url}/_sim/knobs`);
  const stop = () => {
    void running.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
