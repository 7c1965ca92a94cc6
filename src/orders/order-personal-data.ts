import { z } from "zod";
import { VAT_INVOICE_FIELDS } from "../contract/index.js";
import type { KeyRing } from "../security/key-ring.js";

/** The consignee's personal data: sealed at rest, opened only to push or for an authorized display. */
export const Consignee = z.object({
  name: z.string(),
  phone: z.string().optional(),
  mobile: z.string().optional(),
  address: z.string(),
  zip: z.string().optional(),
  email: z.string().optional(),
});
export type Consignee = z.infer<typeof Consignee>;

/** The type-2 (增值税专用) invoice block: bank account, contacts and addresses (§5 S-11). */
export const InvoiceBank = z.object(
  Object.fromEntries(VAT_INVOICE_FIELDS.map((f) => [f, z.string()])) as Record<(typeof VAT_INVOICE_FIELDS)[number], z.ZodString>,
);
export type InvoiceBank = z.infer<typeof InvoiceBank>;

export function sealConsignee(keys: KeyRing, consignee: Consignee): string {
  return keys.encrypt(JSON.stringify(consignee));
}

export function openConsignee(keys: KeyRing, sealed: string): Consignee {
  return Consignee.parse(JSON.parse(keys.decrypt(sealed)));
}

export function sealInvoiceBank(keys: KeyRing, bank: InvoiceBank): string {
  return keys.encrypt(JSON.stringify(bank));
}

export function openInvoiceBank(keys: KeyRing, sealed: string | null): InvoiceBank | null {
  return sealed === null ? null : InvoiceBank.parse(JSON.parse(keys.decrypt(sealed)));
}
