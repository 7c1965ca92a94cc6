import { z } from "zod";
import { InvoiceType, MAX_BATCH, SKU_MAX_LENGTH, SubmitOrderRequest, VAT_INVOICE_FIELDS, wireInt } from "../contract/index.js";
import type { FieldIssue } from "./order-errors.js";

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
export const OrderInput = z
  .strictObject({
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
  })
  .superRefine((o, ctx) => {
    const issue = (path: Array<string | number>, message: string) => ctx.addIssue({ code: "custom", path, message });
    if (!o.phone && !o.mobile) issue(["mobile"], "phone or mobile is required (§5 S-11)");
    if (o.mobile && !MOBILE_PATTERN.test(o.mobile)) issue(["mobile"], `"${o.mobile}" is not an 11-digit mobile number`);
    if (o.zip && !ZIP_PATTERN.test(o.zip)) issue(["zip"], `"${o.zip}" is not a 6-digit postcode`);
    if (o.email && !z.email().safeParse(o.email).success) issue(["email"], `"${o.email}" is not an email address`);
    if (o.invoice_type === InvoiceType.VatSpecial) {
      for (const field of VAT_INVOICE_FIELDS) if (!o[field]) issue([field], "required for invoice_type 2 (增值税专用发票)");
    }
    const seen = new Map<string, number>();
    o.items.forEach((item, i) => {
      const first = seen.get(item.sku);
      if (first !== undefined) issue(["items", i, "sku"], `${item.sku} repeats items[${first}]; put the quantity on one line`);
      else seen.set(item.sku, i);
    });
  });
export type OrderInput = z.output<typeof OrderInput>;

/** `items[0].num`-style names, so an issue points at the line of the file to fix. */
export function fieldName(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const part of path) out += typeof part === "number" ? `[${part}]` : `${out ? "." : ""}${String(part)}`;
  return out || "(order)";
}

export function parseOrderInput(raw: unknown): { ok: true; value: OrderInput } | { ok: false; issues: FieldIssue[] } {
  // A missing field reads "required", not the union's bare "Invalid input".
  const parsed = OrderInput.safeParse(raw, { error: (iss) => (iss.input === undefined ? "required" : undefined) });
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, issues: parsed.error.issues.map((i) => ({ field: fieldName(i.path), message: i.message })) };
}
