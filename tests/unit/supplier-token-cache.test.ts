import { describe, expect, it } from "vitest";
import { type TokenResult, formatBeijingTimestamp } from "../../src/contract/index.js";
import { DEFAULT_RETRY_POLICIES, backoffDelayMs, retryClassOf } from "../../src/supplier/retry-policy.js";
import { type CallResult, SupplierError } from "../../src/supplier/supplier-error.js";
import { TokenCache } from "../../src/supplier/token-cache.js";

const HOUR_MS = 3600_000;

function issuing(now: () => number, answers: Array<"ok" | "fail">) {
  let n = 0;
  return async (): Promise<CallResult<TokenResult>> => {
    const kind = answers[n] ?? "ok";
    n++;
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (kind === "fail") {
      return { ok: false, error: new SupplierError({ supplier: "s", operation: "token", endpoint: "S-1", kind: "timeout", message: "slow", retryable: true }) };
    }
    return { ok: true, value: { access_token: `tok_${n}`, expires_at: formatBeijingTimestamp(now() + HOUR_MS), expires_in: 3600 } };
  };
}

describe("token cache", () => {
  it("lets concurrent callers share one login", async () => {
    const now = () => Date.now();
    const cache = new TokenCache(issuing(now, []), now);
    const tokens = await Promise.all(Array.from({ length: 10 }, () => cache.get()));
    expect(new Set(tokens.map((t) => (t.ok ? t.value : "")))).toEqual(new Set(["tok_1"]));
    expect(cache.logins).toBe(1);
  });

  it("only forgets the token that was reported expired", async () => {
    let clock = Date.now();
    const cache = new TokenCache(
      issuing(() => clock, []),
      () => clock,
    );
    await cache.get();
    cache.invalidate("tok_1");
    expect(await cache.get()).toEqual({ ok: true, value: "tok_2" });
    cache.invalidate("tok_1"); // a late 5005 for the old token keeps the new one
    expect(await cache.get()).toEqual({ ok: true, value: "tok_2" });
    clock += HOUR_MS - 5 * 60_000; // inside the 6-minute margin of a 1 h token
    expect(await cache.get()).toEqual({ ok: true, value: "tok_3" });
  });

  it("keeps a still-valid token when an early refresh fails, and reports the failure once it has expired", async () => {
    let clock = Date.now();
    const cache = new TokenCache(
      issuing(() => clock, ["ok", "fail", "fail"]),
      () => clock,
    );
    await cache.get();
    clock += HOUR_MS - 60_000;
    expect(await cache.get()).toEqual({ ok: true, value: "tok_1" });
    clock += 120_000;
    const answer = await cache.get();
    expect(!answer.ok && answer.error.kind).toBe("timeout");
  });
});

describe("retry policy", () => {
  it("decides per endpoint, never by method: submit has its own class", () => {
    expect(retryClassOf.submitOrder).toBe("submit");
    expect(retryClassOf.messageDelete).toBe("delete");
    expect(retryClassOf.prices).toBe("read");
  });

  it("backs off exponentially with equal jitter and a cap", () => {
    const policy = DEFAULT_RETRY_POLICIES.read;
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(policy, n, () => 0))).toEqual([125, 250, 500, 1000, 2000, 2500]);
    expect([1, 2, 3].map((n) => backoffDelayMs(policy, n, () => 0.999999))).toEqual([250, 500, 1000]);
  });
});

describe("token lifetime and clocks", () => {
  it("counts a token's life from expires_in on our clock, whatever the supplier's clock says in expires_at", async () => {
    let clock = Date.now();
    // The supplier's clock is 90 s behind ours: its expires_at reads 30 s before ours would.
    const login = async (): Promise<CallResult<TokenResult>> => ({
      ok: true,
      value: { access_token: "tok", expires_at: formatBeijingTimestamp(clock - 90_000 + 60_000), expires_in: 60 },
    });
    const cache = new TokenCache(login, () => clock);
    expect((await cache.get()).ok).toBe(true);
    expect(cache.sendable()).toBe("tok");
    clock += 29_000; // before the refresh point (half the lifetime)
    expect(cache.sendable()).toBe("tok");
    expect(cache.logins).toBe(1);
    clock += 29_000; // 58 s: past the refresh point, still fit to send
    expect(cache.sendable()).toBe("tok");
    clock += 1_500; // within its last second: not sent
    expect(cache.sendable()).toBeNull();
  });
});
