import type { z } from "zod";
import {
  AnyEnvelope,
  ErrorCode,
  SIGN_HEADER,
  SIGN_TIMESTAMP_HEADER,
  SignMode,
  TOKEN_EXPIRED_MARKER,
  signResponse,
  signaturesEqual,
} from "../contract/index.js";
import { classifyFailure } from "./failure-class.js";
import type { SupplierErrorInit } from "./supplier-error.js";

export type RawResponse = { status: number; headers: Readonly<Record<string, string | undefined>>; body: Buffer };

/** What was wrong with an answer; the client adds who was called to make a SupplierError. */
export type ResponseProblem = Omit<SupplierErrorInit, "supplier" | "operation" | "endpoint" | "attempts">;

export type ReadOutcome<T> = { ok: true; value: T } | { ok: false; problem: ResponseProblem };

/**
 * Turns raw bytes into a result the contract vouches for, or says exactly why not: signature, JSON,
 * envelope, and the operation's result schema. Data is used only when signed (§2.3).
 */
export function readResponse<S extends z.ZodType>(raw: RawResponse, result: S, verify: { signMode: SignMode; appSecret: string }): ReadOutcome<z.output<S>> {
  const enveloped = raw.status === 200 || raw.status === 405 || raw.status === 413;
  if (!enveloped) {
    const retryable = raw.status >= 500 || raw.status === 429 || raw.status === 408;
    return problem({ kind: "http", message: `HTTP ${raw.status}`, retryable, status: raw.status });
  }
  // §2.3: a signature that is there must match. One that is missing is tolerated only on a failure
  // envelope, which carries no data to apply: a supplier cannot sign a 5005 for a token it no longer
  // knows (after a restart), and that 5005 must still make us log in again.
  let signature: "ok" | "missing" = "ok";
  if (verify.signMode === SignMode.HmacSha256) {
    const timestamp = header(raw, SIGN_TIMESTAMP_HEADER);
    const sign = header(raw, SIGN_HEADER);
    if (!timestamp || !sign) signature = "missing";
    else if (!signaturesEqual(signResponse(verify.appSecret, timestamp, raw.body), sign)) {
      return problem({ kind: "contract", field: SIGN_HEADER, message: "response signature does not match (§2.3)", retryable: true, status: raw.status });
    }
  }
  const missingSignature = () =>
    problem({ kind: "contract", field: SIGN_HEADER, message: "response signature missing (§2.3)", retryable: true, status: raw.status });
  let json: unknown;
  try {
    json = JSON.parse(raw.body.toString("utf8"));
  } catch {
    if (signature === "missing") return missingSignature();
    return problem({ kind: "contract", field: "(body)", message: `response is not JSON (${raw.body.length} bytes)`, retryable: true, status: raw.status });
  }
  const envelope = AnyEnvelope.safeParse(json);
  if (!envelope.success) {
    if (signature === "missing") return missingSignature();
    const issue = envelope.error.issues[0];
    return problem({
      kind: "contract",
      field: issue?.path.join(".") || "(envelope)",
      message: `not a docking envelope: ${issue?.message ?? ""}`,
      retryable: false,
      status: raw.status,
    });
  }
  const env = envelope.data;
  if (!env.success) {
    const tokenExpired = env.code === ErrorCode.TokenExpired || env.desc.includes(TOKEN_EXPIRED_MARKER);
    if (raw.status !== 200)
      return problem({ kind: "http", code: env.code, message: `HTTP ${raw.status} ${env.code} ${env.desc}`, retryable: false, status: raw.status });
    const refusal = { kind: "refused" as const, code: env.code, message: `${env.code} ${env.desc}`, tokenExpired, signed: signature === "ok" };
    return problem({ ...refusal, retryable: classifyFailure(refusal) === "transient" });
  }
  if (signature === "missing") return missingSignature();
  if (raw.status !== 200) return problem({ kind: "http", message: `HTTP ${raw.status} with a success envelope`, retryable: false, status: raw.status });
  const parsed = result.safeParse(env.result);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = ["result", ...(issue?.path ?? []).map(String)].join(".");
    return problem({ kind: "contract", field, message: `${field}: ${issue?.message ?? "invalid"}`, retryable: false, status: raw.status });
  }
  return { ok: true, value: parsed.data };
}

function header(raw: RawResponse, name: string): string | undefined {
  return raw.headers[name.toLowerCase()] ?? raw.headers[name];
}

const problem = (p: ResponseProblem): { ok: false; problem: ResponseProblem } => ({ ok: false, problem: p });
