import { z } from "zod";
import { MAX_BATCH } from "./primitives.js";
import { PoolMessage } from "./supplier.js";

/**
 * S-2 as the mall reads it: the page must be an array, and each message is parsed on its own, so
 * one message that breaks the contract cannot hold back the rest of its page (or its type, for good).
 */
export const MessagePoolPage = z.array(z.unknown());

/** Why a message breaks the contract: the field and the rule, never the value it carried. */
export type ParseReason = { field: string; rule: string };

/** A message as the supplier sent it, with its id when that id can be deleted (S-3). */
export type UnparseableMessage = { raw: unknown; id: string | null; reason: ParseReason };

export type ParsedPoolPage = { messages: PoolMessage[]; unparseable: UnparseableMessage[] };

/** An id S-3 can take: the contract's messageId list is comma-separated, no spaces, ≤ 64 each. */
const DELETABLE_ID = /^[^\s,]{1,64}$/;

export function deletableIdOf(raw: unknown): string | null {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return null;
  const id = (raw as Record<string, unknown>).id;
  const text = typeof id === "number" && Number.isSafeInteger(id) ? String(id) : id;
  return typeof text === "string" && DELETABLE_ID.test(text) ? text : null;
}

/** The page's first 100 messages (§3), each parsed or set aside with its reason; the rest come next page. */
export function parsePoolPage(items: readonly unknown[]): ParsedPoolPage {
  const page: ParsedPoolPage = { messages: [], unparseable: [] };
  for (const raw of items.slice(0, MAX_BATCH)) {
    const parsed = parsePoolMessage(raw);
    const id = deletableIdOf(raw);
    if (!parsed.ok) page.unparseable.push({ raw, id, reason: parsed.reason });
    else if (id === null) page.unparseable.push({ raw, id, reason: { field: "id", rule: "an id S-3 can take (no spaces or commas, at most 64)" } });
    else page.messages.push(parsed.message);
  }
  return page;
}

export function parsePoolMessage(raw: unknown): { ok: true; message: PoolMessage } | { ok: false; reason: ParseReason } {
  const parsed = PoolMessage.safeParse(raw);
  if (parsed.success) return { ok: true, message: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, reason: issue ? reasonOf(issue) : { field: "(message)", rule: "invalid" } };
}

export const formatParseReason = (r: ParseReason): string => `${r.field}: ${r.rule}`;

type Issue = z.core.$ZodIssue;

/**
 * The rule an issue names, from the schema's side only: zod's default texts are avoided where they
 * could quote the input, since a message may carry personal data.
 */
function reasonOf(issue: Issue, prefix: readonly PropertyKey[] = []): ParseReason {
  const path = [...prefix, ...issue.path];
  const field = path.length === 0 ? "(message)" : path.map(String).join(".");
  switch (issue.code) {
    case "invalid_type":
      return { field, rule: `expected ${issue.expected}` };
    case "invalid_value":
      return { field, rule: `expected one of ${issue.values.map(String).join("/")}` };
    case "invalid_union": {
      const first = issue.errors[0]?.[0];
      if (first) return reasonOf(first, path);
      return { field, rule: field === "type" ? "expected one of 2/4/6/16" : "matches no allowed form" };
    }
    case "too_big":
      return { field, rule: `at most ${String(issue.maximum)}` };
    case "too_small":
      return { field, rule: `at least ${String(issue.minimum)}` };
    case "custom":
    case "invalid_format":
      // Written by our own schemas (e.g. 取值应为 1/2), never echoing the input.
      return { field, rule: issue.message };
    default:
      return { field, rule: issue.code };
  }
}
