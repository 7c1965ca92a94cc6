import type { ReferenceRepo } from "../store/repos/reference-repo.js";

type Reason = { code: number; field: string; message: string };
type Attribute = { attributeID: string; attributeName: string; valueID: string; value: string };

/** One standard parameter of the catalog beside what the supplier sent for it. */
export type ParameterCheck = {
  attributeId: string;
  name: string;
  unit: string;
  required: boolean;
  /** What the catalog allows for a select item; empty for text and number items. */
  allowed: string[];
  sent: string[];
  /** null when the value keeps the standard; otherwise every rule it breaks, as §7 validation said it. */
  broken: Reason[] | null;
  /** true for an item the catalog does not define at all. */
  foreign: boolean;
};

/**
 * The listing reviewer's view of parameters: each standard parameter of the product's catalog with
 * the value sent, marked OK or naming the rule it breaks (the reasons §7 validation kept), plus any
 * item the catalog does not define.
 */
export async function parameterChecks(
  reference: Pick<ReferenceRepo, "paramsOfCatalog">,
  catalogId: string | null,
  attributes: readonly Attribute[],
  reasons: readonly Reason[],
): Promise<ParameterCheck[]> {
  const params = catalogId ? await reference.paramsOfCatalog(catalogId) : [];
  const byField = new Map<string, Reason[]>();
  for (const r of reasons) if (r.field.startsWith("attributes.")) byField.set(r.field, [...(byField.get(r.field) ?? []), r]);
  const sentOf = (id: string) => attributes.filter((a) => a.attributeID === id).map((a) => (a.valueID ? `${a.value}（${a.valueID}）` : a.value));
  const rows: ParameterCheck[] = params.map((p) => {
    const values = JSON.parse(p.valuesJson) as Array<{ valueID?: string; value?: string }>;
    return {
      attributeId: p.attributeId,
      name: p.attributeName,
      unit: p.unit,
      required: p.required === 1,
      allowed: values.map((v) => `${v.value ?? ""}（${v.valueID ?? ""}）`),
      sent: sentOf(p.attributeId),
      broken: byField.get(`attributes.${p.attributeId}`) ?? null,
      foreign: false,
    };
  });
  const known = new Set(params.map((p) => p.attributeId));
  for (const id of new Set(attributes.map((a) => a.attributeID))) {
    if (known.has(id)) continue;
    rows.push({
      attributeId: id,
      name: attributes.find((a) => a.attributeID === id)?.attributeName ?? id,
      unit: "",
      required: false,
      allowed: [],
      sent: sentOf(id),
      broken: byField.get(`attributes.${id}`) ?? [],
      foreign: true,
    });
  }
  return rows;
}
