import { ErrorCode, SIGN_HEADER } from "../contract/index.js";
import type { CallRecord } from "../supplier/call-recorder.js";

/**
 * The kit's checks as production calls answer them, one supplier and one Beijing day at a time:
 * - signature: every answer read carries a valid X-Sign (§2.3), refusals included (hmac accounts);
 * - envelope: every answer is the contract's envelope with its fields (§2.3, §5), not an HTML page;
 * - error_codes: refusals use the contract's codes (§2.2, §9), 5005 saying token_expired;
 * - too_fast: calls within the connection's limits are not refused as 请求过于频繁 (more than 1 %);
 * - availability: calls get an answer, no network failure, timeout or 5xx (at least 99 %);
 * - latency: answers come within half the connection's timeout (at least 95 %);
 * - quarantine: no message the puller had to quarantine;
 * - order_answers: every S-11 answer passes the answer check.
 */
export const productionCheckIds = ["signature", "envelope", "error_codes", "too_fast", "availability", "latency", "quarantine", "order_answers"] as const;
export type ProductionCheckId = (typeof productionCheckIds)[number];

/** The failing share a check tolerates (0: none). */
export const CHECK_TOLERANCE: Readonly<Record<ProductionCheckId, number>> = {
  signature: 0,
  envelope: 0,
  error_codes: 0,
  too_fast: 0.01,
  availability: 0.01,
  latency: 0.05,
  quarantine: 0,
  order_answers: 0,
};

export const CHECK_NAMES: Readonly<Record<ProductionCheckId, string>> = {
  signature: "应答签名",
  envelope: "报文格式",
  error_codes: "错误码",
  too_fast: "限流拒绝",
  availability: "可用性",
  latency: "响应时间",
  quarantine: "隔离消息",
  order_answers: "下单应答核对",
};

const CONTRACT_CODES: ReadonlySet<number> = new Set(Object.values(ErrorCode));
const TOO_FAST = /频繁/;

/** What one call says for each check it counts toward: `true` when it failed it. */
export function callChecks(call: CallRecord, context: { timeoutMs: number; signsAnswers: boolean }): Array<[ProductionCheckId, boolean]> {
  // Withheld by a stopping run or a closed client: nothing reached the supplier.
  if (call.outcome === "network" && call.message?.startsWith("not sent")) return [];
  const answered = call.outcome !== "network" && call.outcome !== "timeout";
  const out: Array<[ProductionCheckId, boolean]> = [];
  out.push(["availability", !answered || (call.outcome === "http" && (call.httpStatus ?? 500) >= 500)]);
  if (!answered) return out;
  out.push(["latency", call.durationMs > context.timeoutMs / 2]);
  out.push(["too_fast", call.outcome === "refused" && TOO_FAST.test(call.message ?? "")]);
  // Our own request breaking the contract says nothing about the supplier.
  if (call.outcome === "contract" && call.field === "request") return out;
  const enveloped = call.outcome !== "http";
  out.push(["envelope", !enveloped || (call.outcome === "contract" && call.field !== SIGN_HEADER)]);
  if (context.signsAnswers && enveloped)
    out.push(["signature", (call.outcome === "contract" && call.field === SIGN_HEADER) || (call.outcome === "refused" && call.signed === false)]);
  if (call.outcome === "refused") {
    const code = call.errorCode;
    out.push([
      "error_codes",
      code === undefined || !CONTRACT_CODES.has(code) || (code === ErrorCode.TokenExpired && !(call.message ?? "").includes("token_expired")),
    ]);
  }
  return out;
}

/** A check's verdict for a day from its tally. */
export function checkPassed(check: ProductionCheckId, total: number, failed: number): boolean {
  if (total === 0) return true;
  return failed / total <= CHECK_TOLERANCE[check];
}
