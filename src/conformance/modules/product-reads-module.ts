import { ErrorCode, MAX_BATCH } from "../../contract/index.js";
import type { CallResult } from "../../supplier/supplier-error.js";
import { type KitContext, type KitModule, lastExchangeEvidence, probeEvidence, result } from "../kit-context.js";
import type { ModuleDef, StepDef, StepResult } from "../plan.js";
import { refusalOf } from "./token-module.js";

/** Skus read one by one (S-4, S-5) in this module; the catalog module reads every offered sku. */
const SAMPLE_SIZE = 5;
export const UNKNOWN_SKU = "KITNOSUCHSKU0001";

const def = {
  id: "product-reads",
  title: "S-4…S-10 商品查询",
  section: "§3, §5 S-4…S-10",
  steps: [
    { id: "product.detail", title: "S-4 商品详情", section: "§5 S-4", required: true, changesState: false },
    { id: "product.attributes", title: "S-5 商品参数", section: "§5 S-5", required: true, changesState: false },
    { id: "product.promise", title: "S-6 承诺函/认证/七天无理由", section: "§5 S-6", required: true, changesState: false },
    { id: "product.shelf-states", title: "S-7 上下架状态", section: "§5 S-7", required: true, changesState: false },
    { id: "product.stocks", title: "S-8 库存", section: "§5 S-8", required: true, changesState: false },
    { id: "product.images", title: "S-9 图片", section: "§5 S-9", required: true, changesState: false },
    { id: "product.prices", title: "S-10 价格", section: "§5 S-10", required: true, changesState: false },
    { id: "product.batch-limit", title: "超过 100 个 sku → 5099「sku数量超过100」", section: "§3", required: true, changesState: false },
    { id: "product.unknown-sku", title: "不存在的 sku → 5099「商品不存在」", section: "§5 S-4", required: true, changesState: false },
  ],
} as const satisfies ModuleDef;
type StepId = (typeof def.steps)[number]["id"];
const step = (id: StepId): StepDef => def.steps.find((s) => s.id === id) ?? def.steps[0];

const PATHS: Record<string, string> = {
  "S-4": "/api/product/detail_standard",
  "S-5": "/api/product/product_attributes_standard",
  "S-6": "/api/product/product_promise",
  "S-7": "/api/product/shelf_states",
  "S-8": "/api/product/stocks",
  "S-9": "/api/product/images",
  "S-10": "/api/product/prices",
};

/** A batch answer must list every sample sku (they are all offered: unknown ones alone may be omitted). */
function batchStep(ctx: KitContext, id: StepId, operation: string, sample: readonly string[], answer: CallResult<ReadonlyArray<{ sku: string }>>): StepResult {
  if (!answer.ok)
    return result(step(id), "failed", answer.error.detail, [lastExchangeEvidence(ctx, operation, PATHS[operation] ?? "", "success", answer.error.detail)]);
  const got = new Set(answer.value.map((i) => i.sku));
  const missing = sample.filter((s) => !got.has(s));
  if (missing.length > 0) {
    return result(step(id), "failed", `应答缺少 sku ${missing.join(",")}`, [
      lastExchangeEvidence(ctx, operation, PATHS[operation] ?? "", `含 ${sample.join(",")}`, `缺 ${missing.join(",")}`),
    ]);
  }
  return result(step(id), "passed", `${sample.length} 个 sku 均有应答`);
}

export const productReadsModule: KitModule = {
  def,
  async run(ctx) {
    const sample = [...new Set([...ctx.facts.deletedMessageSkus, ...ctx.facts.offeredSkus])].slice(0, SAMPLE_SIZE);
    const out: StepResult[] = [];
    if (sample.length === 0) {
      for (const s of def.steps.slice(0, 7)) out.push(result(s, "failed", "测试环境的消息池里没有新增商品（类型 6，state 1），无商品可查"));
    } else {
      const problems: string[] = [];
      for (const sku of sample) {
        const d = await ctx.client.detail(sku);
        if (!d.ok) problems.push(`${sku}: ${d.error.detail}`);
        else if (d.value.sku !== sku) problems.push(`${sku}: 应答的 sku 为 ${d.value.sku}`);
      }
      out.push(
        result(
          step("product.detail"),
          problems.length === 0 ? "passed" : "failed",
          problems.length === 0 ? `${sample.length} 个 sku 的详情正确` : problems.join("；"),
          [lastExchangeEvidence(ctx, "S-4", PATHS["S-4"] ?? "", "商品详情", problems[0] ?? "正确")],
        ),
      );
      const attrProblems: string[] = [];
      for (const sku of sample) {
        const a = await ctx.client.attributes(sku);
        if (!a.ok) attrProblems.push(`${sku}: ${a.error.detail}`);
      }
      out.push(
        result(
          step("product.attributes"),
          attrProblems.length === 0 ? "passed" : "failed",
          attrProblems.length === 0 ? `${sample.length} 个 sku 的参数可读` : attrProblems.join("；"),
          [lastExchangeEvidence(ctx, "S-5", PATHS["S-5"] ?? "", "参数列表", attrProblems[0] ?? "正确")],
        ),
      );
      out.push(batchStep(ctx, "product.promise", "S-6", sample, await ctx.client.promises(sample)));
      out.push(batchStep(ctx, "product.shelf-states", "S-7", sample, await ctx.client.shelfStates(sample)));
      out.push(batchStep(ctx, "product.stocks", "S-8", sample, await ctx.client.stocks(sample, ctx.testArea)));
      out.push(batchStep(ctx, "product.images", "S-9", sample, await ctx.client.images(sample)));
      out.push(batchStep(ctx, "product.prices", "S-10", sample, await ctx.client.prices(sample)));
    }

    const over = [...sample];
    for (let i = 1; over.length <= MAX_BATCH; i++) over.push(`KITBATCH${String(i).padStart(4, "0")}`);
    const batch = await ctx.client.probe("shelfStates", { sku: over.join(",") });
    const b = refusalOf(batch);
    const limited = b.code === ErrorCode.Other && b.desc.includes(`超过${MAX_BATCH}`);
    out.push(
      result(
        step("product.batch-limit"),
        limited ? "passed" : "failed",
        limited ? `${over.length} 个 sku 被拒绝: ${b.text}` : `${over.length} 个 sku 应被拒绝（5099 sku数量超过100），实际 ${b.text}`,
        [probeEvidence("S-7", batch, "5099 sku数量超过100", b.text)],
      ),
    );

    const unknown = await ctx.client.detail(UNKNOWN_SKU);
    const u = unknown.ok ? "success" : unknown.error.detail;
    const refused = !unknown.ok && unknown.error.code === ErrorCode.Other && unknown.error.detail.includes("商品不存在");
    out.push(
      result(step("product.unknown-sku"), refused ? "passed" : "failed", refused ? `答复 ${u}` : `应答 5099 商品不存在，实际 ${u}`, [
        lastExchangeEvidence(ctx, "S-4", PATHS["S-4"] ?? "", "5099 商品不存在", u),
      ]),
    );
    return out;
  },
};
