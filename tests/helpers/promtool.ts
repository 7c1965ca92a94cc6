import { spawnSync } from "node:child_process";

/**
 * promtool from Debian's `prometheus` package (.ci/run installs it). Missing, the tests that need it
 * fail saying so: a check that cannot run is not a check that passed.
 */
export function promtool(args: string[], input?: string): { status: number | null; output: string } {
  const result = spawnSync("promtool", args, { input, encoding: "utf8", timeout: 60_000 });
  if (result.error) throw new Error(`promtool could not run (${result.error.message}); install it: apt-get install -y prometheus`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
