import { z } from "zod";
import { type ErrorCode, errorDescriptions } from "./error-codes.js";

/** §1 / seed §6.1: the one response shape of every docking call. */
export const SuccessEnvelope = <T extends z.ZodType>(result: T) => z.object({ success: z.literal(true), result });

export const FailureEnvelope = z.object({
  success: z.literal(false),
  // We send at most 200 characters (seed §6.1); a longer desc from the other side is still read.
  desc: z.string(),
  // Senders send a number; receivers accept a numeric string too (§1).
  code: z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]),
});
export type FailureEnvelope = z.output<typeof FailureEnvelope>;

export const AnyEnvelope = z.union([z.object({ success: z.literal(true), result: z.unknown() }), FailureEnvelope]);

export type Failure = { readonly code: ErrorCode; readonly desc: string };

export function failure(code: ErrorCode, detail?: string): Failure {
  const base = errorDescriptions[code];
  return { code, desc: truncateDesc(detail ? `${base}: ${detail}` : base) };
}

const DESC_MAX = 200;
function truncateDesc(desc: string): string {
  return desc.length <= DESC_MAX ? desc : desc.slice(0, DESC_MAX - 1) + "…";
}

/**
 * One-line JSON (§1: no CR/LF in the body). JSON.stringify without indentation never emits raw
 * line breaks: those inside strings are escaped, so this is the only serializer the wire needs.
 */
export function serializeSuccess(result: unknown): string {
  return `{"success":true,"result":${JSON.stringify(result)}}`;
}

export function serializeFailure(f: Failure): string {
  return JSON.stringify({ success: false, desc: f.desc, code: f.code });
}
