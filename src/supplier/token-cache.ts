import { type TokenResult, parseBeijingTimestamp } from "../contract/index.js";
import type { CallResult } from "./supplier-error.js";

/**
 * Renew this long before expiry: half the lifetime, at most 5 min. The renewal is itself a call that
 * takes its turn (first in line, yet behind the calls in flight) under the supplier's limits, and
 * calls keep sending the old token meanwhile: the margin must cover a turn, however short the token.
 */
const REFRESH_MARGIN_MS = 5 * 60_000;
const REFRESH_SHARE = 0.5;
/**
 * A token this close to its expiry is not sent: it could die on the way, and the supplier checks it
 * when the call arrives. A twentieth of the lifetime, at most 1 s.
 */
const SEND_MARGIN_MS = 1_000;
const SEND_SHARE = 0.05;

type Held = { token: string; refreshAtMs: number; sendableUntilMs: number };
type Login = () => Promise<CallResult<TokenResult>>;

/**
 * One supplier's access token. A call takes it at the moment it is sent (`sendable`), never before
 * waiting for its turn; renewal starts from `expires_in` (or `expires_at`) with a margin, so a fresh
 * token is there before the old one dies. One login is in flight at a time: callers that arrive
 * during it wait for it instead of starting their own.
 */
export class TokenCache {
  private held: Held | null = null;
  private inflight: Promise<CallResult<string>> | null = null;
  logins = 0;

  constructor(
    private readonly login: Login,
    private readonly now: () => number,
  ) {}

  /**
   * A token to send: the held one while it is fresh, else the one the login under way (or a new
   * one, made by `login`, default the cache's own) brings.
   */
  get(login: Login = this.login): Promise<CallResult<string>> {
    const held = this.held;
    if (held && this.now() < held.refreshAtMs) return Promise.resolve({ ok: true, value: held.token });
    return this.renewing(login);
  }

  /**
   * The token to put on a call being sent now, or null when none is safe to send (the caller gives
   * its turn up and waits for `get`). Past the refresh point it starts the renewal in the background
   * and still answers the held token while it has life left.
   */
  sendable(login: Login = this.login): string | null {
    const held = this.held;
    if (!held) return null;
    const now = this.now();
    if (now >= held.refreshAtMs) void this.renewing(login);
    return now < held.sendableUntilMs ? held.token : null;
  }

  /** Whether `token` is the one held now: a 5005 for another one says only that it was renewed meanwhile. */
  isCurrent(token: string): boolean {
    return this.held?.token === token;
  }

  /** Forgets `token` after the supplier called it expired; a newer token is kept. */
  invalidate(token: string): void {
    if (this.held?.token === token) this.held = null;
  }

  private renewing(login: Login): Promise<CallResult<string>> {
    this.inflight ??= this.renew(login).finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async renew(login: Login): Promise<CallResult<string>> {
    this.logins++;
    const sentAt = this.now();
    const answer = await login();
    if (!answer.ok) {
      // A failed early refresh is no reason to drop a token that is still valid.
      const held = this.held;
      return held && this.now() < held.sendableUntilMs ? { ok: true, value: held.token } : answer;
    }
    const { access_token, expires_at, expires_in } = answer.value;
    // The lifetime is counted on our clock from before the request left (the supplier's started
    // later, so ours ends first). expires_at is on the supplier's clock: a clock behind ours by a
    // minute would make a 60 s token look dead on arrival, so it is read only when expires_in says nothing.
    const byClock = parseBeijingTimestamp(expires_at);
    const lifetimeMs = expires_in > 0 ? expires_in * 1000 : byClock !== null ? Math.max(0, byClock - sentAt) : 0;
    const expiresAtMs = sentAt + lifetimeMs;
    this.held = {
      token: access_token,
      refreshAtMs: expiresAtMs - Math.min(REFRESH_MARGIN_MS, lifetimeMs * REFRESH_SHARE),
      sendableUntilMs: expiresAtMs - Math.min(SEND_MARGIN_MS, lifetimeMs * SEND_SHARE),
    };
    return { ok: true, value: access_token };
  }
}
