import { z } from "zod";
import { NONCE_PATTERN } from "./signing.js";

/** §2.1 token call fields (M-1 and S-1). `nonce` is required in hmac mode only, decided per account. */
export const TokenRequest = z.object({
  username: z.string().trim().min(1).max(64).describe("Account username issued by the other side."),
  password: z.string().min(1).max(128).describe("Login secret."),
  timestamp: z.string().describe("yyyy-MM-dd HH:mm:ss Beijing time; within ±300 s of the server clock."),
  nonce: z.string().regex(NONCE_PATTERN).optional().describe("16–64 chars [A-Za-z0-9]; required in hmac-sha256 mode."),
  sign: z.string().min(1).max(128).describe("hmac-sha256: HMAC over the canonical string; yggc-md5: MD5(username+password+timestamp+password)."),
});
export type TokenRequest = z.output<typeof TokenRequest>;

export const TokenResult = z.object({
  access_token: z.string().min(1).describe("Never empty: an empty token would be sent as a missing one (5006)."),
  expires_at: z.string().describe("yyyy-MM-dd HH:mm:ss Beijing time."),
  expires_in: z.number().int().describe("Seconds until the token expires."),
});
export type TokenResult = z.output<typeof TokenResult>;

/** §2.2 signing fields carried by every business call in hmac-sha256 mode. */
export const SignedCallFields = z.object({
  token: z.string().min(1).describe("access_token from the token call."),
  timestamp: z.string().optional().describe("hmac-sha256 mode: yyyy-MM-dd HH:mm:ss, within ±300 s."),
  nonce: z.string().optional().describe("hmac-sha256 mode: 16–64 chars [A-Za-z0-9], unused in the last 600 s."),
  sign: z.string().optional().describe("hmac-sha256 mode: HMAC-SHA256 of the canonical string of all other fields."),
});

/** Fields that only carry authentication, never call input. */
export const AUTH_FIELD_NAMES = ["token", "timestamp", "nonce", "sign"] as const;
