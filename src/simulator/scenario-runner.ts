import { readFileSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { z } from "zod";
import { yuanToFen } from "../contract/index.js";
import { type AppliedChange, type ProductChanges, changeKinds } from "./product-changes.js";
import { invalidKinds, type SimProduct } from "./product-model.js";
import type { ProductStore } from "./product-store.js";

/**
 * Scripted change sequences (fixtures/scenarios/*.json). Steps run in order through the same
 * ProductChanges as the generator, so scripted messages agree with the truth too. A step names
 * its sku literally, by a binding made earlier (`"$a"`), or by a selector picked at run time.
 */
const selectors = ["valid", "invalid", "on-shelf", "off-shelf", "withdrawn", "any"] as const;
const money = z
  .number()
  .nonnegative()
  .refine((n) => yuanToFen(n) !== null, "at most 2 decimals");

export const ScenarioStep = z.object({
  change: z.enum(changeKinds),
  sku: z.string().optional().describe("A literal sku, or a $binding made by an earlier step's `as`."),
  pick: z.enum(selectors).optional().describe("Chooses a sku when `sku` is absent."),
  as: z
    .string()
    .regex(/^\$\w+$/)
    .optional()
    .describe("Binds the sku this step touched."),
  times: z.number().int().min(1).max(1000).default(1),
  price: money.optional().describe("price change: the new agreement price, yuan."),
  mall_price: money.optional().describe("price change: the new mall price, yuan."),
  defect: z.enum(invalidKinds).optional().describe("break: which defect."),
});
export type ScenarioStep = z.output<typeof ScenarioStep>;

export const Scenario = z.object({
  name: z.string().regex(/^[a-z0-9-]+$/),
  description: z.string(),
  steps: z.array(ScenarioStep).min(1),
});
export type Scenario = z.output<typeof Scenario>;

export function loadScenarios(dir: string): Map<string, Scenario> {
  const out = new Map<string, Scenario>();
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(".json"));
  } catch {
    return out;
  }
  for (const file of files) {
    const parsed = Scenario.safeParse(JSON.parse(readFileSync(join(dir, file), "utf8")));
    if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`);
    if (parsed.data.name !== basename(file, ".json")) throw new Error(`${file}: name must match the file name`);
    out.set(parsed.data.name, parsed.data);
  }
  return out;
}

export type ScenarioRun = { name: string; applied: AppliedChange[]; bindings: Record<string, string>; skipped: number };

export function runScenario(
  scenario: Scenario,
  changes: ProductChanges,
  products: ProductStore,
  pickFrom: (list: SimProduct[]) => SimProduct | undefined,
): ScenarioRun {
  const bindings: Record<string, string> = {};
  const applied: AppliedChange[] = [];
  let skipped = 0;
  for (const step of scenario.steps) {
    for (let i = 0; i < step.times; i++) {
      const target = resolve(step, bindings, products, pickFrom);
      const prices = {
        ...(step.price !== undefined ? { priceFen: yuanToFen(step.price) ?? undefined } : {}),
        ...(step.mall_price !== undefined ? { mallPriceFen: yuanToFen(step.mall_price) ?? undefined } : {}),
      };
      const change = step.change === "add" || target ? changes.apply(step.change, target, prices, step.defect) : null;
      if (!change) {
        skipped++;
        continue;
      }
      if (step.as) bindings[step.as] = change.sku;
      applied.push(change);
    }
  }
  return { name: scenario.name, applied, bindings, skipped };
}

function resolve(
  step: ScenarioStep,
  bindings: Record<string, string>,
  products: ProductStore,
  pickFrom: (list: SimProduct[]) => SimProduct | undefined,
): SimProduct | undefined {
  if (step.sku) return products.get(step.sku.startsWith("$") ? (bindings[step.sku] ?? "") : step.sku);
  const all = products.all();
  const fits: Record<(typeof selectors)[number], (p: SimProduct) => boolean> = {
    valid: (p) => p.inPool && p.invalid.length === 0,
    invalid: (p) => p.inPool && p.invalid.length > 0,
    "on-shelf": (p) => p.inPool && p.shelfState === 1,
    "off-shelf": (p) => p.inPool && p.shelfState === 0,
    withdrawn: (p) => !p.inPool,
    any: (p) => p.inPool,
  };
  return pickFrom(all.filter(fits[step.pick ?? "any"]));
}
