import { isIP } from "node:net";
import { z } from "zod";

/**
 * The one reader of process.env. Every variable is described, defaulted where a default is safe,
 * and validated at start-up so a bad value stops the process with its name.
 */
const booleanFlag = z.enum(["true", "false"], { message: 'must be "true" or "false"' }).transform((v) => v === "true");

const base64Key = z.string().refine((v) => Buffer.from(v, "base64").length === 32, { message: "must be 32 bytes, base64" });

/** express's names for address ranges ("trust proxy"). */
const NAMED_PROXY_RANGES = new Set(["loopback", "linklocal", "uniquelocal"]);
/** More proxies in front of the gateway than any real deployment has: a typo, not a topology. */
const MAX_PROXY_HOPS = 10;

/** An address, an address/prefix subnet, or a named range; false when express would not take it. */
function proxyRangeOk(entry: string): boolean {
  if (NAMED_PROXY_RANGES.has(entry)) return true;
  const [address = "", prefix, ...rest] = entry.split("/");
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

/**
 * Which peers may say, in X-Forwarded-For and X-Forwarded-Proto, who the client is and whether it
 * came over HTTPS: express's "trust proxy" as a hop count or a list of addresses, subnets and
 * named ranges. Off (false) unless set; "trust everyone" is refused, since then any client could
 * claim to be loopback.
 */
const trustProxy = z
  .string()
  .optional()
  .transform((value, ctx): false | number | string[] => {
    const v = value?.trim() ?? "false";
    if (v === "false") return false;
    if (/^\d+$/.test(v)) {
      const hops = Number(v);
      if (hops >= 1 && hops <= MAX_PROXY_HOPS) return hops;
      ctx.addIssue({ code: "custom", message: `a hop count is 1 to ${MAX_PROXY_HOPS}, got ${v}` });
      return z.NEVER;
    }
    if (v === "true") {
      ctx.addIssue({
        code: "custom",
        message: '"true" would trust every peer, so any client could forge its address; give the hop count or the proxy\'s addresses',
      });
      return z.NEVER;
    }
    const entries = v.split(",").map((e) => e.trim());
    const bad = entries.filter((e) => !proxyRangeOk(e));
    if (bad.length > 0) {
      ctx.addIssue({
        code: "custom",
        message: `not a hop count, IP address, address/prefix subnet or one of ${[...NAMED_PROXY_RANGES].join(", ")}: ${bad.map((e) => JSON.stringify(e)).join(", ")}`,
      });
      return z.NEVER;
    }
    return entries;
  });

/** The schemes that select PostgreSQL; any value with this prefix is never a SQLite path. */
const POSTGRES_SCHEME = /^postgres(ql)?:/i;
const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/**
 * Why a postgres:/postgresql: value is no usable PostgreSQL URL, or null. Such a value is never taken
 * for a SQLite path: that would create a file named "postgres:…" beside the gateway.
 */
function postgresUrlProblem(value: string): string | null {
  if (!POSTGRES_URL.test(value)) return "a PostgreSQL URL starts with postgres:// or postgresql://";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "not a valid PostgreSQL URL (postgres://user:password@host:port/database)";
  }
  if (url.pathname.length <= 1) return "the PostgreSQL URL names no database (postgres://user:password@host:port/database)";
  if (!url.hostname && !url.searchParams.get("host"))
    return "the PostgreSQL URL names no host (postgres://user:password@host:port/database, or ?host=/socket/dir)";
  return null;
}

export const ConfigSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development").describe("Runtime environment."),
  HOST: z.string().min(1).default("127.0.0.1").describe("Interface the gateway listens on."),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080).describe("TCP port of the gateway."),
  DATABASE_URL: z
    .string()
    .min(1)
    .superRefine((value, ctx) => {
      const problem = POSTGRES_SCHEME.test(value) ? postgresUrlProblem(value) : null;
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .default("./data/emall-gateway.db")
    .describe("SQLite database file (a path, or file:PATH), or a postgres:// (postgresql://) URL for PostgreSQL."),
  DATABASE_POOL_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .default(10)
    .describe("PostgreSQL only: connections in each gateway instance's pool (the server's max_connections must cover every instance)."),
  DATABASE_IDLE_IN_TRANSACTION_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(600_000)
    .default(5_000)
    .describe(
      "PostgreSQL only: the server ends a pooled session left idle inside a transaction this long (idle_in_transaction_session_timeout); the transaction runs again on another connection.",
    ),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info").describe("pino log level."),
  TOKEN_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 24 * 3600)
    .default(43_200)
    .describe("Lifetime of mall access tokens (§2.1: 12 h)."),
  TLS_CERT: z.string().optional().describe("PEM certificate file; with TLS_KEY the gateway serves HTTPS only."),
  TLS_KEY: z.string().optional().describe("PEM private key file."),
  ALLOW_PLAIN_HTTP: booleanFlag.default(false).describe("Serve plain HTTP on a non-loopback HOST (contract §1: only when explicitly configured)."),
  TRUST_PROXY: trustProxy.describe(
    'Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (express "trust proxy"): a hop count, or addresses, subnets and loopback/linklocal/uniquelocal, comma-separated; unset, none.',
  ),
  DATA_ENCRYPTION_KEY: base64Key.optional().describe("AES-256-GCM key for secrets and personal data at rest (32 bytes, base64)."),
  DATA_ENCRYPTION_KEY_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/)
    .default("k1")
    .describe("Id stored with every ciphertext, so keys can rotate."),
  DATA_ENCRYPTION_PREVIOUS_KEYS: z.string().default("").describe("Earlier keys still able to decrypt: id:base64,id:base64."),
  DATA_ENCRYPTION_KEY_FILE: z
    .string()
    .default("./data/master.key")
    .describe("Used when DATA_ENCRYPTION_KEY is unset: read, or created (0600) on first start outside production."),
  AUDIT_KEY: base64Key.optional().describe("HMAC-SHA256 key of the audit log's hash chain (32 bytes, base64); unset: derived from the data encryption keys."),
  AUDIT_KEY_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/)
    .default("a1")
    .describe("Id stored on every audit row sealed with AUDIT_KEY, so the key can rotate."),
  AUDIT_PREVIOUS_KEYS: z.string().default("").describe("Earlier audit keys still needed to verify older rows: id:base64,id:base64."),
  PLATFORM_CODE: z.string().min(1).max(32).default("TJZFCG").describe("Our platformCode (M-2)."),
  PLATFORM_NAME: z.string().min(1).default("天津市政府采购中心电子卖场").describe("Our platformName (M-2)."),
  PLATFORM_REGION_CODE: z
    .string()
    .regex(/^\d{6}$/)
    .default("120000")
    .describe("Default regionCode of M-4."),
  FIXTURES_DIR: z.string().default("./fixtures").describe("Reference data loaded on first start."),
  SCHEDULER_ENABLED: booleanFlag.default(true).describe("Run the pull, stock and order schedules in this process."),
  PULL_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5).describe("Attempts before a failing message is quarantined."),
  PULL_LEASE_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(3_600_000)
    .default(60_000)
    .describe("How long a pull or stock run holds a supplier's lease; a killed runner's lease lapses after this."),
  PULL_RETRY_BASE_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(3_600_000)
    .default(30_000)
    .describe("Backoff after a message's first failed attempt; doubles per attempt."),
  ORDER_LEASE_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(3_600_000)
    .default(120_000)
    .describe("How long a pusher holds an order; a killed pusher's orders are taken over after this."),
  ORDER_RETRY_BASE_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(3_600_000)
    .default(5_000)
    .describe("Backoff after an order push whose outcome is unknown; doubles per attempt."),
  SYNC_LOG_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(7, "at least 7 (the console's charts read up to 168 hours of logs)")
    .max(3650)
    .default(90)
    .describe("Per-message sync logs, supplier call logs of finished runs and settled inbox rows older than this many days are removed."),
  SYNC_RUN_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(7)
    .max(3650)
    .default(365)
    .describe("Summaries of finished sync runs (counts, calls made, errors) older than this many days are removed; at least SYNC_LOG_RETENTION_DAYS."),
  PRICE_HISTORY_FULL_DAYS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3650)
    .default(90)
    .describe("Every price change is kept this many days; older Beijing days keep one row per sku (the day's last price, with its lowest and highest)."),
  PRICE_HISTORY_DAILY_DAYS: z.coerce
    .number()
    .int()
    .min(0)
    .max(3650)
    .default(90)
    .describe(
      "Days past PRICE_HISTORY_FULL_DAYS kept as one row per sku and day; older Beijing months keep one row per sku (the month's last price, with its lowest and highest).",
    ),
  FREIGHT_FREE_FROM_FEN: z.coerce.number().int().min(0).default(9_900).describe("Orders whose goods reach this many fen ship free."),
  FREIGHT_FLAT_FEN: z.coerce.number().int().min(0).default(1_000).describe("Freight in fen below that amount."),
  METRICS_TOKEN: z
    .string()
    .min(16, "at least 16 characters")
    .optional()
    .describe("Bearer token /metrics asks for; unset, /metrics answers loopback callers only."),
  BANNED_TERMS: z
    .string()
    .default("")
    .describe("The centre's own banned terms for titles and descriptions, comma-separated (added to the Advertising Law list)."),
  TRUST_MARK_TTL_DAYS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3650)
    .default(365)
    .describe("Lifetime of a production trust mark issued by a passing certification run."),
  CONFORMANCE_RECERTIFY_GRACE_DAYS: z.coerce
    .number()
    .int()
    .min(0)
    .max(3650)
    .default(90)
    .describe("After a contract change that affects its modules, a mark lapses this many days later unless the supplier re-certifies."),
  CONFORMANCE_REPORT_DIR: z
    .string()
    .min(1)
    .default("./data/conformance")
    .describe("Where certification runs write their JSON report, its detached signature and the HTML page."),
  CONFORMANCE_MAX_CONCURRENT_RUNS: z.coerce
    .number()
    .int()
    .min(1)
    .max(32)
    .default(2)
    .describe("Certification runs asked for from the portal, console or admin API that execute at once, across every instance."),
  CONFORMANCE_RUNS_PER_DAY: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(10)
    .describe("Certification runs one supplier may ask for per day (Beijing time)."),
  CONFORMANCE_PRODUCTION_POLICY: z
    .enum(["warn", "propose", "suspend"])
    .default("propose")
    .describe(
      "What a day whose production conformance score is low brings: warn; warn, then propose suspension to an admin after the bad days; or warn, then suspend.",
    ),
  CONFORMANCE_PRODUCTION_MIN_SCORE: z.coerce
    .number()
    .int()
    .min(0)
    .max(100)
    .default(90)
    .describe("A day's production conformance score below this is a bad day."),
  CONFORMANCE_PRODUCTION_BAD_DAYS: z.coerce
    .number()
    .int()
    .min(1)
    .max(90)
    .default(3)
    .describe("Consecutive bad days before a suspension is proposed (or made, under the suspend policy)."),
  CONFORMANCE_RUN_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(10_000)
    .max(24 * 3_600_000)
    .default(15 * 60_000)
    .describe("A background certification run still going after this long is interrupted, so a sandbox that never answers holds no slot for good."),
  CONFORMANCE_RUN_LEASE_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(3_600_000)
    .default(30_000)
    .describe("A background certification run's lease: a run whose process died is marked interrupted this long after."),
});

export type Config = z.output<typeof ConfigSchema>;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const input: Record<string, string> = {};
  for (const key of Object.keys(ConfigSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== "") input[key] = value;
  }
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  const config = parsed.data;
  if (config.SYNC_RUN_RETENTION_DAYS < config.SYNC_LOG_RETENTION_DAYS) {
    throw new ConfigError(
      "invalid configuration:\n  SYNC_RUN_RETENTION_DAYS: must be at least SYNC_LOG_RETENTION_DAYS (a run's logs are read through its summary)",
    );
  }
  if (Boolean(config.TLS_CERT) !== Boolean(config.TLS_KEY)) {
    throw new ConfigError("invalid configuration:\n  TLS_CERT, TLS_KEY: set both or neither");
  }
  return config;
}

/** Which store DATABASE_URL selects: PostgreSQL for a postgres:// or postgresql:// URL, else a SQLite file. */
export type DatabaseTarget = { readonly kind: "postgres"; readonly url: string } | { readonly kind: "sqlite"; readonly path: string };

export function databaseTarget(config: Pick<Config, "DATABASE_URL">): DatabaseTarget {
  const value = config.DATABASE_URL;
  if (POSTGRES_URL.test(value)) return { kind: "postgres", url: value };
  return { kind: "sqlite", path: value.replace(/^file:/, "") };
}
