import type { SupplierClient, SupplierConnection } from "../supplier/supplier-client.js";
import type { HttpPost, Transport, TransportResult } from "../supplier/http-transport.js";
import type { ProbeAnswer } from "../supplier/supplier-client.js";
import type { ValidationContext } from "../sync/product-validation.js";
import type { MallUsageRow } from "../store/repos/conformance-repo.js";
import type { Evidence, ModuleDef, StepDef, StepResult, StepStatus } from "./plan.js";
import { REDACTED, isSecretName, redactText } from "./evidence-redaction.js";

/** One HTTP exchange with the supplier, as the kit saw it. */
export type Exchange = {
  path: string;
  request: Record<string, string>;
  response: { status: number; headers: Readonly<Record<string, string | undefined>>; body: Buffer } | null;
  failure: string | null;
};

/** What earlier modules learned that later ones use. */
export type KitFacts = {
  /** Skus of type-6 "added" messages seen in the pool. */
  offeredSkus: string[];
  /** Skus whose messages the kit itself deleted, so the catalog module still judges them. */
  deletedMessageSkus: string[];
};

export type KitContext = {
  runId: string;
  conn: SupplierConnection;
  client: SupplierClient;
  /** Another client on the same recording transport, e.g. with a wrong password. */
  clientWith(overrides: Partial<SupplierConnection>, deps?: { now?: () => number }): SupplierClient;
  exchanges: Exchange[];
  facts: KitFacts;
  validation: ValidationContext;
  /** The county the test order and stock calls use (`province_city_county`). */
  testArea: string;
  clock: () => number;
  /** The supplier's own use of the mall side, when it has a mall account. */
  mallUsage: MallUsageRow[] | null;
};

export type KitModule = {
  def: ModuleDef;
  run(ctx: KitContext): Promise<StepResult[]>;
};

const PERSONAL_FIELDS = new Set([
  "name",
  "mobile",
  "phone",
  "address",
  "email",
  "zip",
  "invoice_name",
  "invoice_phone",
  "invoice_bank",
  "invoice_bank_code",
  "invoice_address",
  "invoice_mobile",
  "invoice_receipt_address",
]);
const BODY_KEPT = 2_000;

/** Request fields as evidence: secrets and personal data replaced, long values cut. */
export function redactFields(fields: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (isSecretName(name)) out[name] = REDACTED;
    else if (PERSONAL_FIELDS.has(name)) out[name] = "(个人信息已隐去)";
    else {
      // A value may itself be JSON (a sku list, a JSON body's nested object).
      const kept = redactText(value);
      out[name] = kept.length > 300 ? `${kept.slice(0, 300)}…(${kept.length})` : kept;
    }
  }
  return out;
}

export function responseEvidence(response: Exchange["response"] | ProbeAnswer["response"], failure: string | null): NonNullable<Evidence["response"]> {
  if (!response) return { error: redactText(failure ?? "no answer") };
  // Redacted whole, then cut: a cut through JSON would leave the rest to the loose text rules.
  const text = redactText(response.body.toString("utf8"));
  return {
    status: response.status,
    signTimestamp: response.headers["x-sign-timestamp"],
    sign: response.headers["x-sign"],
    body: text.length > BODY_KEPT ? `${text.slice(0, BODY_KEPT)}…(${text.length} 字符)` : text,
  };
}

export function probeEvidence(operation: string, answer: ProbeAnswer, expected: string, got: string): Evidence {
  return {
    operation,
    request: redactFields(answer.sent),
    response: responseEvidence(answer.response, answer.failure?.message ?? null),
    expected,
    got,
  };
}

/** The kit's last exchange on an operation's path, as evidence of a typed-client call. */
export function lastExchangeEvidence(ctx: KitContext, operation: string, path: string, expected: string, got: string): Evidence {
  const ex = [...ctx.exchanges].reverse().find((e) => e.path === path);
  if (!ex) return { operation, expected, got };
  return { operation, request: redactFields(ex.request), response: responseEvidence(ex.response, ex.failure), expected, got };
}

/** A step's result from its definition. */
export function result(def: StepDef, status: StepStatus, detail: string, evidence: Evidence[] = []): StepResult {
  return { ...def, status, detail, evidence };
}

/** Request fields back from a form or JSON body. */
function fieldsOf(request: HttpPost): Record<string, string> {
  if (request.contentType.startsWith("application/json")) {
    try {
      const parsed = JSON.parse(request.body) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(request.body));
}

/** Wraps a transport so every exchange is kept for the report and the every-answer module. */
export function recordingTransport(inner: Transport, exchanges: Exchange[]): Transport {
  return {
    async post(request): Promise<TransportResult> {
      const answer = await inner.post(request);
      exchanges.push({
        path: new URL(request.url).pathname,
        request: fieldsOf(request),
        response: answer.ok ? answer.response : null,
        failure: answer.ok ? null : `${answer.failure.kind}: ${answer.failure.message}`,
      });
      return answer;
    },
    close: () => inner.close(),
  };
}
