import { type TokenResult, parseBeijingTimestamp } from "../contract/index.js";
import type { CallResult } from "./supplier-error.js";

/** Refresh this long before expiry (capped at a tenth of the lifetime for short-lived tokens). */
const REFRESH_MARGIN_MS = 5 * 60_000;
/** expires_at is trusted only when it agrees with expires_in to within this (clock skew). */
const EXPIRY_AGREEMENT_MS = 5 * 60_000;

type Held = { token: string; refreshAtMs: number; expiresAtMs: number };

/**
 * One supplier's access token: reused until shortly before `expires_at`, then renewed; callers
 * that arrive during a login wait for that login instead of starting their own.
 */
export class TokenCache {
  private held: Held | null = null;
  private inflight: Promise<CallResult<string>> | null = null;
  logins = 0;

  constructor(
    private readonly login: () => Promise<CallResult<TokenResult>>,
    private readonly now: () => number,
  ) {}

  /** The token; when a login is needed and none is under way, `login` (default: the cache's own) makes it. */
  get(login: () => Promise<CallResult<TokenResult>> = this.login): Promise<CallResult<string>> {
    const held = this.held;
    if (held && this.now() < held.refreshAtMs) return Promise.resolve({ ok: true, value: held.token });
    this.inflight ??= this.renew(login).finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  /** Forgets `token` after the supplier called it expired; a newer token is kept. */
  invalidate(token: string): void {
    if (this.held?.token === token) this.held = null;
  }

  private async renew(login: () => Promise<CallResult<TokenResult>>): Promise<CallResult<string>> {
    this.logins++;
    const sentAt = this.now();
    const answer = await login();
    if (!answer.ok) {
      // A failed early refresh is no reason to drop a token that is still valid.
      const held = this.held;
      return held && this.now() < held.expiresAtMs ? { ok: true, value: held.token } : answer;
    }
    const { access_token, expires_at, expires_in } = answer.value;
    const byLifetime = sentAt + expires_in * 1000;
    const byClock = parseBeijingTimestamp(expires_at);
    const expiresAtMs = byClock !== null && Math.abs(byClock - byLifetime) <= EXPIRY_AGREEMENT_MS ? Math.min(byClock, byLifetime) : byLifetime;
    const margin = Math.min(REFRESH_MARGIN_MS, (expires_in * 1000) / 10);
    this.held = { token: access_token, expiresAtMs, refreshAtMs: expiresAtMs - margin };
    return { ok: true, value: access_token };
  }
}
