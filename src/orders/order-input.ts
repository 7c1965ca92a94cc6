import { z } from "zod";
import { InvoiceType, MAX_BATCH, SKU_MAX_LENGTH, SubmitOrderRequest, VAT_INVOICE_FIELDS, wireInt } from "../contract/index.js";
import type { FieldIssue } from "../lib/errors.js";

const S = SubmitOrderRequest.shape;

/** Mainland mobile numbers; landlines go in `phone`, which only the contract's length bound checks. */
const MOBILE_PATTERN = /^1[3-9]\d{9}$/;
const ZIP_PATTERN = /^\d{6}$/;
/** Quantity per line; S-11 bounds `num` the same way. */
const MAX_LINE_NUM = 1_000_000;

/**
 * An order as procurement staff hand it in: the supplier, the items, and the consignee, invoice and
 * payment fields under their S-11 names (§5). Never prices: the agreement price comes from the store.
 * Strict, so a stray `price` (or a misspelt field) is an error rather than silently ignored.
 */
export const OrderInput = z.strictObject({
  supplier: z.string().trim().min(1).max(64).describe("Supplier code."),
  items: z
    .array(z.strictObject({ sku: z.string().trim().min(1).max(SKU_MAX_LENGTH), num: wireInt(1, MAX_LINE_NUM) }))
    .min(1)
    .max(MAX_BATCH),
  name: S.name,
  phone: S.phone,
  mobile: S.mobile,
  province: S.province,
  city: S.city,
  county: S.county,
  town: S.town,
  address: S.address,
  zip: S.zip,
  email: S.email,
  dep_name: S.dep_name,
  invoice_title: S.invoice_title,
  invoice_type: S.invoice_type,
  invoice_org_code: S.invoice_org_code,
  invoice_name: S.invoice_name,
  invoice_phone: S.invoice_phone,
  invoice_bank: S.invoice_bank,
  invoice_bank_code: S.invoice_bank_code,
  invoice_address: S.invoice_address,
  invoice_mobile: S.invoice_mobile,
  invoice_receipt_address: S.invoice_receipt_address,
  payment: S.payment,
  remark: S.remark,
});
export type OrderInput = z.output<typeof OrderInput>;

/** `items[0].num`-style names, so an issue points at the line of the file to fix. */
export function fieldName(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const part of path) out += typeof part === "number" ? `[${part}]` : `${out ? "." : ""}${String(part)}`;
  return out || "(order)";
}

const text = (v: unknown): string => (typeof v === "string" ? v.trim() : typeof v === "number" ? String(v) : "");

/**
 * Rules across fields, read from the raw file so they are reported together with every other
 * problem (a schema refinement would be skipped while any field is missing).
 */
function crossFieldIssues(raw: Record<string, unknown>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const mobile = text(raw.mobile);
  if (!text(raw.phone) && !mobile) issues.push({ field: "mobile", message: "phone or mobile is required (§5 S-11)" });
  // Messages name the field and the rule, never the value: they reach the audit log and the logs.
  if (mobile && !MOBILE_PATTERN.test(mobile)) issues.push({ field: "mobile", message: "not an 11-digit mainland mobile number" });
  const zip = text(raw.zip);
  if (zip && !ZIP_PATTERN.test(zip)) issues.push({ field: "zip", message: "not a 6-digit postcode" });
  const email = text(raw.email);
  if (email && !z.email().safeParse(email).success) issues.push({ field: "email", message: "not an email address" });
  if (text(raw.invoice_type) === String(InvoiceType.VatSpecial)) {
    for (const field of VAT_INVOICE_FIELDS) if (!text(raw[field])) issues.push({ field, message: "required for invoice_type 2 (增值税专用发票)" });
  }
  if (Array.isArray(raw.items)) {
    const seen = new Map<string, number>();
    raw.items.forEach((item: unknown, i) => {
      const sku = typeof item === "object" && item !== null && "sku" in item ? text(item.sku) : "";
      if (!sku) return;
      const first = seen.get(sku);
      if (first !== undefined) issues.push({ field: `items[${i}].sku`, message: `${sku} repeats items[${first}]; put the quantity on one line` });
      else seen.set(sku, i);
    });
  }
  return issues;
}

export function parseOrderInput(raw: unknown): { ok: true; value: OrderInput } | { ok: false; issues: FieldIssue[] } {
  // A missing field reads "required", not the union's bare "Invalid input".
  const parsed = OrderInput.safeParse(raw, { error: (iss) => (iss.input === undefined ? "required" : undefined) });
  const cross = typeof raw === "object" && raw !== null && !Array.isArray(raw) ? crossFieldIssues(raw as Record<string, unknown>) : [];
  const schema = parsed.success ? [] : parsed.error.issues.map((i) => ({ field: fieldName(i.path), message: i.message }));
  const known = new Set(schema.map((i) => i.field));
  const issues = [...schema, ...cross.filter((i) => !known.has(i.field))];
  if (parsed.success && issues.length === 0) return { ok: true, value: parsed.data };
  return { ok: false, issues };
}
