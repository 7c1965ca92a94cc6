import { readFileSync, statSync } from "node:fs";
import { UsageError } from "./cli-kit.js";

/** The sandbox account's secrets for `conformance run`. */
export type SandboxSecrets = { password: string; appSecret: string };

const NAMES: Record<string, keyof SandboxSecrets> = { password: "password", app_secret: "appSecret", appsecret: "appSecret", "app-secret": "appSecret" };

/**
 * `name=value` lines (`password=…`, `app_secret=…`; blank lines and `#` comments allowed), as a
 * secrets file or stdin holds them: the value is everything after the first `=`, untrimmed but for
 * the line end, so a secret may hold any character but a newline.
 */
export function parseSandboxSecrets(text: string, source: string): SandboxSecrets {
  const found: Partial<SandboxSecrets> = {};
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    if (raw.trim() === "" || raw.trimStart().startsWith("#")) continue;
    const eq = raw.indexOf("=");
    const name = NAMES[(eq < 0 ? raw : raw.slice(0, eq)).trim().toLowerCase()];
    // Never echo the line: it may be a secret with the `=` forgotten.
    if (eq < 0 || !name) throw new UsageError(`${source} line ${i + 1}: expected password=… or app_secret=…`);
    if (found[name] !== undefined) throw new UsageError(`${source} line ${i + 1}: ${name === "appSecret" ? "app_secret" : "password"} given twice`);
    found[name] = raw.slice(eq + 1);
  }
  const missing = (["password", "appSecret"] as const).filter((k) => !found[k]);
  if (missing.length > 0) throw new UsageError(`${source}: no ${missing.map((k) => (k === "appSecret" ? "app_secret" : k)).join(" and no ")}`);
  return found as SandboxSecrets;
}

/** A secrets file; a warning when other users may read it (the CLI prints it). */
export function readSecretsFile(path: string): { secrets: SandboxSecrets; warning: string | null } {
  let text: string;
  let mode: number;
  try {
    text = readFileSync(path, "utf8");
    mode = statSync(path).mode;
  } catch (e) {
    throw new UsageError(`--secrets-file ${path}: cannot be read (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
  const warning = (mode & 0o077) !== 0 ? `--secrets-file ${path} can be read by other users (mode ${(mode & 0o777).toString(8)}); chmod 600 it` : null;
  return { secrets: parseSandboxSecrets(text, `--secrets-file ${path}`), warning };
}

export async function readSecretsFromStdin(): Promise<SandboxSecrets> {
  if (process.stdin.isTTY)
    throw new UsageError(
      '--secrets-stdin: pipe the secrets in, e.g. printf \'password=%s\\napp_secret=%s\\n\' "$PW" "$SECRET" | npm run cli -- conformance run …',
    );
  let text = "";
  for await (const chunk of process.stdin) text += String(chunk);
  return parseSandboxSecrets(text, "stdin");
}
