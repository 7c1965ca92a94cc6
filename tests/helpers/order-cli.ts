import { execFile } from "node:child_process";

/**
 * `npm run cli -- …` as a script runs it, without blocking this process: the simulator the CLI
 * talks to lives in the test process, so spawnSync would starve it.
 */
export function runCliAsync(args: string[], env: Record<string, string>): Promise<{ status: number; stdout: string; stderr: string; json: Record<string, unknown> | null }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { env: { ...process.env, LOG_LEVEL: "warn", ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const last = stdout.trim().split("\n").at(-1) ?? "";
      let json: Record<string, unknown> | null = null;
      try {
        json = JSON.parse(last) as Record<string, unknown>;
      } catch {
        json = null;
      }
      const status = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
      resolve({ status, stdout, stderr, json });
    });
  });
}
