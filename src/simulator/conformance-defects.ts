import { ErrorCode, type Failure, MAX_BATCH, type PoolMessage, type ProductDetail, type SubmitOrderResult, fenToYuan, yuanToFen } from "../contract/index.js";
import type { Outcome } from "./outcome.js";
import type { SimulatorKnobs } from "./simulator-knobs.js";

/**
 * Where the conformance defects (simulator-knobs.ts) bend the reference supplier's answers. Each
 * function is the identity unless its defect is on, so the correct path stays the plain one.
 */

/** bad-token-code / no-token-expired: the 5005 answer to an unknown or expired token, misworded. */
export function tokenFailure(knobs: SimulatorKnobs, f: Failure): Failure {
  if (f.code !== ErrorCode.TokenExpired) return f;
  if (knobs.hasDefect("bad-token-code")) return { code: ErrorCode.Other, desc: f.desc };
  if (knobs.hasDefect("no-token-expired")) return { code: f.code, desc: "令牌无效" };
  return f;
}

/** batch-limit-ignored: a sku list over 100 is cut to 100 and answered instead of refused. */
export function skuListLimit(knobs: SimulatorKnobs, input: Record<string, unknown>): Record<string, unknown> {
  if (!knobs.hasDefect("batch-limit-ignored") || typeof input.sku !== "string" || input.sku.startsWith("[")) return input;
  return { ...input, sku: input.sku.split(",").slice(0, MAX_BATCH).join(",") };
}

/** pool-newest-first / deleted-messages-return. */
export function poolPage(knobs: SimulatorKnobs, page: PoolMessage[], withDeleted: () => PoolMessage[]): PoolMessage[] {
  let out = knobs.hasDefect("deleted-messages-return") ? withDeleted().slice(0, MAX_BATCH) : page;
  if (knobs.hasDefect("pool-newest-first")) out = [...out].reverse();
  return out;
}

/** delete-not-idempotent: deleting an id already deleted is refused. */
export function deleteRefusal(knobs: SimulatorKnobs, alreadyDeleted: () => readonly string[]): Failure | null {
  if (!knobs.hasDefect("delete-not-idempotent")) return null;
  const gone = alreadyDeleted();
  if (gone.length === 0) return null;
  return { code: ErrorCode.Other, desc: `消息不存在: ${gone.join(",")}` };
}

/** order-echo-prices: the S-11 answer quotes each line 1 元 higher than it was sent. */
export function orderEcho(knobs: SimulatorKnobs, outcome: Outcome<SubmitOrderResult>): Outcome<SubmitOrderResult> {
  if (!outcome.ok || !knobs.hasDefect("order-echo-prices")) return outcome;
  const bump = (yuan: number) => fenToYuan((yuanToFen(yuan) ?? 0) + 100);
  const r = outcome.value;
  return { ok: true, value: { ...r, sku: r.sku.map((l) => ({ ...l, price: bump(l.price) })), orderPrice: bump(r.orderPrice) } };
}

/** confirm-unknown-order: an unknown order is confirmed anyway. */
export function confirmUnknown(knobs: SimulatorKnobs, outcome: Outcome<true>): Outcome<true> {
  if (outcome.ok || !knobs.hasDefect("confirm-unknown-order")) return outcome;
  return { ok: true, value: true };
}

/** overlong-fields: names past S-4's 300 characters. */
export function detailFields(knobs: SimulatorKnobs, detail: ProductDetail): ProductDetail {
  if (!knobs.hasDefect("overlong-fields")) return detail;
  return { ...detail, name: `${detail.name}${"（加长）".repeat(80)}` };
}
