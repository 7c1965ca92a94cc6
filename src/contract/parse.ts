import type { z } from "zod";
import { ErrorCode } from "./error-codes.js";
import { type Failure, failure } from "./envelope.js";

const BATCH_LIMIT_MESSAGE = /^(sku|messageId)数量超过\d+$/;

export type Parsed<T> = { ok: true; value: T } | { ok: false; failure: Failure };

/**
 * Wire fields with empty values removed: §2.1 drops empty values from the signature, so an empty
 * field is indistinguishable from a missing one and is treated as missing (5006).
 */
export function presentFields(fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || value === null || value === "") continue;
    out[name] = value;
  }
  return out;
}

/** Applies §3 aliases (`skus` → `sku`, `id` → `messageId`) when the canonical name is absent. */
export function applyAliases(fields: Record<string, unknown>, aliases: Readonly<Record<string, string>> | undefined): Record<string, unknown> {
  if (!aliases) return fields;
  const out = { ...fields };
  for (const [alias, canonical] of Object.entries(aliases)) {
    if (out[canonical] === undefined && out[alias] !== undefined) out[canonical] = out[alias];
    delete out[alias];
  }
  return out;
}

/**
 * Validates a call's fields against its schema. A required field that is absent answers 5006
 * (naming every missing field); any other violation answers 5099 naming the field and the rule.
 */
export function parseFields<S extends z.ZodType>(schema: S, fields: Record<string, unknown>): Parsed<z.output<S>> {
  const result = schema.safeParse(fields);
  if (result.success) return { ok: true, value: result.data };
  const missing = new Set<string>();
  const invalid: string[] = [];
  for (const issue of result.error.issues) {
    const field = issue.path.length > 0 ? issue.path.map(String).join(".") : "(body)";
    const top = issue.path[0];
    if (issue.path.length === 1 && typeof top === "string" && fields[top] === undefined) missing.add(top);
    else invalid.push(`${field} ${issue.message}`);
  }
  if (missing.size > 0) return { ok: false, failure: failure(ErrorCode.RequiredFieldMissing, [...missing].join(",")) };
  // §3 spells this desc out ("sku数量超过100"), so it stands alone.
  const batchLimit = result.error.issues.find((issue) => BATCH_LIMIT_MESSAGE.test(issue.message));
  if (batchLimit) return { ok: false, failure: { code: ErrorCode.Other, desc: batchLimit.message } };
  return { ok: false, failure: failure(ErrorCode.Other, `参数不合法: ${invalid.join("; ")}`) };
}
