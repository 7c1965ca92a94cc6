import { describe, expect, it } from "vitest";
import { createProgressLine, formatDuration } from "../../src/cli/progress-line.js";
import type { PullProgressEvent } from "../../src/sync/pull-progress.js";

const event = (phase: "pull" | "apply", done: number, seen: number, messages = 100): PullProgressEvent => ({ phase, type: 6, messages, done, seen });

function fakeOut(isTTY: boolean) {
  const writes: string[] = [];
  return { out: { isTTY, write: (t: string) => writes.push(t) }, writes };
}

describe("the CLI's progress line", () => {
  it("redraws one line in place on a terminal: done / seen, rate and ETA", () => {
    let now = 0;
    const { out, writes } = fakeOut(true);
    const line = createProgressLine(out, () => now);
    line.update(event("pull", 0, 1_000));
    now += 1_000;
    line.update(event("apply", 100, 1_000));
    now += 1_000;
    line.update(event("apply", 300, 1_000, 200));
    line.end();
    expect(writes).toEqual([
      "\r\x1b[Kpull type 6: 0 / 1,000 messages · — msgs/s · ETA —",
      "\r\x1b[Kapply type 6: 100 / 1,000 messages · — msgs/s · ETA —",
      "\r\x1b[Kapply type 6: 300 / 1,000 messages · 200 msgs/s · ETA 4s",
      "\r\x1b[Kapply type 6: 300 / 1,000 messages · 200 msgs/s · ETA 4s",
      "\n",
    ]);
  });

  it("draws at most five times a second, and always the last state at the end", () => {
    let now = 0;
    const { out, writes } = fakeOut(true);
    const line = createProgressLine(out, () => now);
    for (let page = 1; page <= 50; page++) {
      now += 10;
      line.update(event("pull", 0, page * 100));
    }
    line.end();
    expect(writes.length).toBeLessThanOrEqual(5);
    expect(writes.at(-2)).toContain("0 / 5,000 messages");
    expect(writes.at(-1)).toBe("\n");
  });

  it("writes nothing when the output is not a terminal", () => {
    const { out, writes } = fakeOut(false);
    const line = createProgressLine(out, () => 0);
    line.update(event("pull", 0, 100));
    line.update(event("apply", 100, 100));
    line.end();
    expect(writes).toEqual([]);
  });

  it("says durations the way a person reads them", () => {
    expect([formatDuration(4.4), formatDuration(75), formatDuration(1_030), formatDuration(3_600 * 2 + 60 * 5)]).toEqual(["4s", "1m 15s", "17m 10s", "2h 05m"]);
  });
});
