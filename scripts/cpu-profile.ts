import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";

/**
 * A V8 CPU profile of this process between start() and stop(name), written to `dir/name.cpuprofile`
 * (open it in Chrome DevTools or speedscope). Lets a bench profile each phase on its own, which
 * `--cpu-prof` (one profile per process lifetime) cannot.
 */
export function cpuProfiler(dir: string): { start(): Promise<void>; stop(name: string): Promise<string> } {
  const session = new Session();
  session.connect();
  let enabled = false;
  return {
    async start() {
      if (!enabled) {
        await session.post("Profiler.enable");
        await session.post("Profiler.setSamplingInterval", { interval: 500 });
        enabled = true;
      }
      await session.post("Profiler.start");
    },
    async stop(name) {
      const { profile } = await session.post("Profiler.stop");
      const file = join(dir, `${name}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      return file;
    },
  };
}
