import { describe, expect, it } from "vitest";
import { newNonce } from "../../src/lib/ids.js";

describe("newNonce (§2.2)", () => {
  it("is 32 characters of [A-Za-z0-9] by default, and as long as asked", () => {
    expect(newNonce()).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(newNonce(8)).toMatch(/^[A-Za-z0-9]{8}$/);
    expect(newNonce(100)).toMatch(/^[A-Za-z0-9]{100}$/);
  });

  it("never repeats, across many refills of its random pool", () => {
    const seen = new Set(Array.from({ length: 50_000 }, () => newNonce()));
    expect(seen.size).toBe(50_000);
  });

  it("uses every character about equally often (no modulo bias towards the first letters)", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 40_000; i++) for (const c of newNonce()) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    const values = [...counts.values()];
    // 1,280,000 characters, ~20,645 each (σ ≈ 142): byte % 62 would give A–H 25 % more than the rest.
    expect(Math.max(...values) / Math.min(...values)).toBeLessThan(1.06);
  });
});
