import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import {
  AUTH_FIELD_NAMES,
  ErrorCode,
  type Failure,
  NONCE_MEMORY_SECONDS,
  NONCE_PATTERN,
  SignMode,
  TOKEN_EXPIRED_MARKER,
  type TokenResult,
  failure,
  formatBeijingTimestamp,
  signRequest,
  signaturesEqual,
  timestampFailure,
  yggcMd5Sign,
} from "../contract/index.js";
import type { Outcome } from "./outcome.js";

/** The account this supplier issued to the mall (§2): credentials, signing key and mode. */
export type SupplierAccount = {
  username: string;
  password: string;
  appSecret: string;
  signMode: SignMode;
};

const LOCKOUT_FAILURES = 5;
const LOCKOUT_WINDOW_MS = 15 * 60_000; // §2.1: 5 failures in 15 min …
const LOCKOUT_MS = 15 * 60_000; // … lock the account for 15 min

/**
 * §2.1 token issue and §2.2 verification of business calls, checks in the contract's order.
 * One account: a supplier issues one per mall, and the simulator plays one supplier for one mall.
 */
export class SupplierAuth {
  private readonly tokens = new Map<string, number>();
  private readonly nonces = new Map<string, number>();
  private failures: number[] = [];
  private lockedUntil = 0;
  /** What callers got, for tests: tokens issued, and calls refused 5005 for a token unknown or expired. */
  tokensIssued = 0;
  expiredTokenRefusals = 0;

  constructor(
    readonly account: SupplierAccount,
    /** Read at each issue: the lifetime is a knob, changed while the supplier runs. */
    private readonly tokenTtlSeconds: () => number,
    private readonly now: () => number,
  ) {}

  issueToken(fields: Readonly<Record<string, unknown>>): Outcome<TokenResult> {
    const a = this.account;
    const hmac = a.signMode === SignMode.HmacSha256;
    const required = hmac ? ["username", "password", "timestamp", "nonce", "sign"] : ["username", "password", "timestamp", "sign"];
    const missing = required.filter((name) => typeof fields[name] !== "string" || fields[name] === "");
    if (missing.length > 0) return fail(failure(ErrorCode.RequiredFieldMissing, missing.join(",")));
    const f = fields as Record<string, string>;
    const username = f.username ?? "";
    const password = f.password ?? "";
    const timestamp = f.timestamp ?? "";
    const sign = f.sign ?? "";

    const clock = this.checkTimestamp(timestamp);
    if (clock) return fail(clock);
    if (username !== a.username) return fail(failure(ErrorCode.UsernameUnknown, username));
    const now = this.now();
    if (now < this.lockedUntil) return fail(failure(ErrorCode.PasswordWrong, "账号已锁定，请15分钟后重试"));
    if (!secretsEqual(a.password, password)) return fail(this.countFailure(now));

    const expected = hmac ? signRequest(a.appSecret, fields) : yggcMd5Sign(username, password, timestamp);
    if (!signaturesEqual(expected, sign)) return fail(failure(ErrorCode.SignatureInvalid));
    if (hmac) {
      const replay = this.useNonce(f.nonce ?? "");
      if (replay) return fail(replay);
    }

    this.failures = [];
    const token = randomBytes(24).toString("base64url");
    const ttlSeconds = this.tokenTtlSeconds();
    const expiresAt = now + ttlSeconds * 1000;
    this.tokens.set(token, expiresAt);
    this.tokensIssued++;
    return {
      ok: true,
      value: { access_token: token, expires_at: formatBeijingTimestamp(expiresAt), expires_in: ttlSeconds },
    };
  }

  /** §2.2: the business fields of a verified call (auth fields removed), or the failure to answer. */
  verifyCall(fields: Readonly<Record<string, unknown>>): Outcome<Record<string, unknown>> {
    const token = fields.token;
    if (typeof token !== "string" || token === "") return fail(failure(ErrorCode.RequiredFieldMissing, "token"));
    const expiresAt = this.tokens.get(token);
    if (expiresAt === undefined || expiresAt <= this.now()) {
      this.tokens.delete(token);
      this.expiredTokenRefusals++;
      return fail(failure(ErrorCode.TokenExpired, TOKEN_EXPIRED_MARKER));
    }
    if (this.account.signMode === SignMode.HmacSha256) {
      const missing = ["timestamp", "nonce", "sign"].filter((name) => typeof fields[name] !== "string" || fields[name] === "");
      if (missing.length > 0) return fail(failure(ErrorCode.RequiredFieldMissing, missing.join(",")));
      const { timestamp, nonce, sign } = fields as Record<string, string>;
      const clock = this.checkTimestamp(timestamp ?? "");
      if (clock) return fail(clock);
      if (!signaturesEqual(signRequest(this.account.appSecret, fields), sign ?? "")) return fail(failure(ErrorCode.SignatureInvalid));
      const replay = this.useNonce(nonce ?? "");
      if (replay) return fail(replay);
    }
    const business: Record<string, unknown> = { ...fields };
    for (const name of AUTH_FIELD_NAMES) delete business[name];
    return { ok: true, value: business };
  }

  /** Every token dies at once, as when the supplier rotates the account (the token-expiry fault). */
  revokeAllTokens(): void {
    this.tokens.clear();
  }

  activeTokens(): number {
    const now = this.now();
    let n = 0;
    for (const expiresAt of this.tokens.values()) if (expiresAt > now) n++;
    return n;
  }

  private checkTimestamp(text: string): Failure | null {
    return timestampFailure(text.slice(0, 40), this.now());
  }

  /** Remembers a nonce for 600 s; a nonce seen in that time is a replay (§2.2). */
  private useNonce(nonce: string): Failure | null {
    if (!NONCE_PATTERN.test(nonce)) return failure(ErrorCode.SignatureInvalid, "nonce 应为16–64位字母数字");
    const now = this.now();
    // Kept in the order they were seen, so the expired ones are at the front: pruning stops at the
    // first live one instead of scanning every nonce of the last 600 s on every call.
    for (const [n, until] of this.nonces) {
      if (until > now) break;
      this.nonces.delete(n);
    }
    const until = this.nonces.get(nonce);
    if (until !== undefined && until > now) return failure(ErrorCode.SignatureInvalid, "nonce 已使用");
    this.nonces.delete(nonce);
    this.nonces.set(nonce, now + NONCE_MEMORY_SECONDS * 1000);
    return null;
  }

  private countFailure(now: number): Failure {
    this.failures = this.failures.filter((at) => now - at < LOCKOUT_WINDOW_MS);
    this.failures.push(now);
    if (this.failures.length >= LOCKOUT_FAILURES) {
      this.lockedUntil = now + LOCKOUT_MS;
      this.failures = [];
      return failure(ErrorCode.PasswordWrong, "连续失败5次，账号已锁定15分钟");
    }
    return failure(ErrorCode.PasswordWrong);
  }
}

const fail = (f: Failure): { ok: false; failure: Failure } => ({ ok: false, failure: f });

/** Constant-time and case-sensitive: digests first, so unequal lengths leak nothing either. */
function secretsEqual(expected: string, received: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();
  return timingSafeEqual(digest(expected), digest(received));
}
