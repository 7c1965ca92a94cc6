import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/lib/logger.js";
import { type TickClaim, createScheduler } from "../../src/scheduling/scheduler.js";

/** The scheduler asks its claim before every run, and a claim it cannot get (or cannot ask) means no run here. */
const lines: Array<Record<string, unknown>> = [];
const logger = createLogger({
  level: "debug",
  destination: new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  }),
});

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  lines.length = 0;
});

async function runFor(claimTick: TickClaim, ms: number): Promise<{ ran: number[]; asked: Array<[string, number]> }> {
  const ran: number[] = [];
  const asked: Array<[string, number]> = [];
  const scheduler = createScheduler(logger, {
    claimTick: (job, tick) => {
      asked.push([job, tick]);
      return claimTick(job, tick);
    },
  });
  stops.push(() => scheduler.stop());
  scheduler.sync([{ name: "every-second", cron: "* * * * * *", run: async (tick) => void ran.push(tick) }]);
  await new Promise((resolve) => setTimeout(resolve, ms));
  await scheduler.stop();
  return { ran, asked };
}

describe("scheduler tick claims", () => {
  it("runs a tick only when claimed, with the tick's scheduled instant", async () => {
    // Every other second is someone else's.
    const { ran, asked } = await runFor((_job, tick) => (tick / 1_000) % 2 === 0, 4_500);
    expect(asked.length).toBeGreaterThanOrEqual(3);
    expect(asked.every(([job, tick]) => job === "every-second" && tick % 1_000 === 0)).toBe(true);
    expect(ran).toEqual(asked.map(([, tick]) => tick).filter((tick) => (tick / 1_000) % 2 === 0));
    expect(lines.filter((l) => l.event === "scheduler.tick.elsewhere").length).toBe(asked.length - ran.length);
  }, 15_000);

  it("skips a tick it cannot claim because the store fails, logs it and keeps its schedule", async () => {
    const { ran, asked } = await runFor(() => {
      throw new Error("database unreachable");
    }, 2_500);
    expect(asked.length).toBeGreaterThanOrEqual(1);
    expect(ran).toEqual([]);
    const failed = lines.filter((l) => l.event === "scheduler.tick.claim_failed");
    expect(failed).toHaveLength(asked.length);
    expect(failed[0]).toMatchObject({ level: 50, job: "every-second", err: { message: "database unreachable" } });
  }, 15_000);
});
