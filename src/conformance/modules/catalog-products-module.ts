import type { ProductSnapshot, RejectionReason } from "../../sync/product-validation.js";
import { validateProduct } from "../../sync/product-validation.js";
import { type KitContext, type KitModule, result } from "../kit-context.js";
import type { Evidence, ModuleDef, StepDef, StepResult } from "../plan.js";

const def = {
  id: "catalog-products",
  title: "商品与标准品目参数",
  section: "§6, §7",
  steps: [
    { id: "catalog.read", title: "读取测试环境消息池提供的每个商品（类型 6 新增，至多 100 个）并按 §7 判定", section: "§6", required: true, changesState: false },
    { id: "catalog.valid", title: "每个商品都通过标准品目参数校验（被拒商品逐一列出原因代码）", section: "§7", required: false, changesState: false },
  ],
} as const satisfies ModuleDef;
type StepId = (typeof def.steps)[number]["id"];
const step = (id: StepId): StepDef => def.steps.find((s) => s.id === id) ?? def.steps[0];

/**
 * The skus the sandbox offers: the type-6 "added" messages at the head of its pool (100, §3). The
 * kit does not drain the pool, so a supplier can run it again without re-seeding its sandbox.
 */
async function offeredSkus(ctx: KitContext): Promise<{ skus: string[]; error: string | null }> {
  const skus = new Set([...ctx.facts.deletedMessageSkus, ...ctx.facts.offeredSkus]);
  const answer = await ctx.client.getMessagePool(6);
  if (!answer.ok) return { skus: [...skus], error: `S-2: ${answer.error.detail}` };
  for (const m of answer.value) if (m.type === 6 && m.result.state === 1) skus.add(m.result.skuId);
  return { skus: [...skus], error: null };
}

/** The puller's reads for a new product (§6 type 6: S-4, S-5, S-6, S-7, S-9, S-10) and its §7 judgement. */
async function judge(ctx: KitContext, skus: readonly string[]): Promise<{ judged: Map<string, RejectionReason[]>; failures: string[] }> {
  const judged = new Map<string, RejectionReason[]>();
  const failures: string[] = [];
  const reads = await Promise.all(skus.map(async (sku) => ({ sku, detail: await ctx.client.detail(sku), attributes: await ctx.client.attributes(sku) })));
  const readable = reads.flatMap((r) => {
    if (!r.detail.ok) failures.push(`${r.sku} S-4: ${r.detail.error.detail}`);
    else if (!r.attributes.ok) failures.push(`${r.sku} S-5: ${r.attributes.error.detail}`);
    else return [{ sku: r.sku, detail: r.detail.value, attributes: r.attributes.value }];
    return [];
  });
  if (readable.length === 0) return { judged, failures };
  const ids = readable.map((r) => r.sku);
  const [promises, images, prices] = [await ctx.client.promises(ids), await ctx.client.images(ids), await ctx.client.prices(ids)];
  for (const [name, answer] of [["S-6", promises], ["S-9", images], ["S-10", prices]] as const) if (!answer.ok) failures.push(`${name}: ${answer.error.detail}`);
  if (!promises.ok || !images.ok || !prices.ok) return { judged, failures };
  const promiseOf = new Map(promises.value.map((p) => [p.sku, p]));
  const imagesOf = new Map(images.value.map((i) => [i.sku, i]));
  const priceOf = new Map(prices.value.map((p) => [p.sku, p]));
  for (const r of readable) {
    const snapshot: ProductSnapshot = { detail: r.detail, attributes: r.attributes, promise: promiseOf.get(r.sku), images: imagesOf.get(r.sku), price: priceOf.get(r.sku) };
    judged.set(r.sku, validateProduct(snapshot, ctx.validation));
  }
  return { judged, failures };
}

export const catalogProductsModule: KitModule = {
  def,
  async run(ctx) {
    const out: StepResult[] = [];
    const offered = await offeredSkus(ctx);
    if (offered.skus.length === 0) {
      out.push(result(step("catalog.read"), "failed", offered.error ?? "测试环境没有提供任何商品（无类型 6 新增消息）"));
      out.push(result(step("catalog.valid"), "warning", "无商品可判定"));
      return out;
    }
    const { judged, failures } = await judge(ctx, offered.skus);
    const readProblems = [...(offered.error ? [offered.error] : []), ...failures];
    out.push(result(step("catalog.read"), readProblems.length === 0 ? "passed" : "failed", readProblems.length === 0 ? `判定了 ${judged.size} 个商品` : `${readProblems.length} 处读取失败: ${readProblems.slice(0, 10).join("；")}`));

    const rejected = [...judged].filter(([, reasons]) => reasons.length > 0);
    const evidence: Evidence[] = rejected.map(([sku, reasons]) => ({
      operation: "§7",
      expected: "通过校验",
      got: `${sku}: ${reasons.map((r) => `${r.code} ${r.field} ${r.message}`).join("；")}`,
    }));
    out.push(
      result(
        step("catalog.valid"),
        rejected.length === 0 ? "passed" : "warning",
        rejected.length === 0 ? `${judged.size} 个商品全部通过` : `${judged.size} 个商品中 ${rejected.length} 个被拒: ${rejected.map(([sku, reasons]) => `${sku} (${[...new Set(reasons.map((r) => r.code))].join(",")})`).join("，")}`,
        evidence,
      ),
    );
    return out;
  },
};
