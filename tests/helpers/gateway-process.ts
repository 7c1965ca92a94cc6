import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "../..");

/** The gateway as operators run it (`src/main.ts`, with its scheduler) in its own process. */
export type GatewayProcess = {
  readonly process: ChildProcess;
  readonly pid: number;
  /** Resolves once it serves; rejects if it exits first, with the end of its stderr. */
  readonly listening: Promise<void>;
  /** The URL it listens on, once it does. */
  url(): string | null;
  /** Its log lines so far, parsed. */
  lines(): Array<Record<string, unknown>>;
  /** The end of what it wrote to stderr (a crash's stack). */
  stderr(): string;
  /** Its exit code (null when ended by a signal). */
  readonly exited: Promise<number | null>;
};

/** Keeps the end of the output only: a long run logs a lot, and only the last lines explain a failure. */
const KEEP_STDOUT = 2_000_000;
const KEEP_STDERR = 4_000;

/** `preload`: modules node imports before the gateway (`--import`), e.g. a fault injector from tests/helpers. */
export function spawnGateway(env: Record<string, string>, preload: readonly string[] = []): GatewayProcess {
  const child = spawn(process.execPath, ["--import", "tsx", ...preload.flatMap((p) => ["--import", p]), "src/main.ts"], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr?.on("data", (c: Buffer) => (err = (err + c.toString()).slice(-KEEP_STDERR)));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const listening = new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (c: Buffer) => {
      out = (out + c.toString()).slice(-KEEP_STDOUT);
      if (out.includes('"server.listening"')) resolve();
    });
    child.once("exit", (code, signal) => reject(new Error(`gateway exited ${code ?? signal} before listening: ${err}`)));
  });
  listening.catch(() => undefined);
  return {
    process: child,
    pid: child.pid ?? -1,
    listening,
    stderr: () => err,
    url: () => /"url":"(http:\/\/[^"]+)"/.exec(out)?.[1] ?? null,
    lines: () =>
      out.split("\n").flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    exited,
  };
}

/** SIGKILL, resolved once the process is gone (at once if it already is). */
export function killHard(p: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    p.once("exit", () => resolve());
    p.kill("SIGKILL");
  });
}
