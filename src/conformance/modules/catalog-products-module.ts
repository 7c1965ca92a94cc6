import { MAX_BATCH } from "../../contract/index.js";
import type { ProductSnapshot, RejectionReason } from "../../sync/product-validation.js";
import { validateProduct } from "../../sync/product-validation.js";
import { type KitContext, type KitModule, lastExchangeEvidence, result } from "../kit-context.js";
import type { Evidence, ModuleDef, StepDef, StepResult } from "../plan.js";

/**
 * How far the kit walks the sandbox's type-6 pool: a sandbox that never runs dry (or keeps
 * returning what was deleted) stops the walk here instead of holding the run forever.
 */
export const CATALOG_MAX_PAGES = 100;
export const CATALOG_MAX_SKUS = 5_000;
const S2 = "/api/product/getMessagePool";
const S3 = "/api/product/delMessagePool";

const def = {
  id: "catalog-products",
  title: "商品与标准品目参数",
  section: "§6, §7",
  steps: [
    {
      id: "catalog.read",
      title: "逐页读取并删除（S-2、S-3）直至清空测试环境的类型 6 消息池，按 §6 读取其中每个新增商品并按 §7 判定",
      section: "§6",
      required: true,
      changesState: true,
    },
    { id: "catalog.valid", title: "每个商品都通过标准品目参数校验（被拒商品逐一列出原因代码）", section: "§7", required: false, changesState: false },
  ],
} as const satisfies ModuleDef;
type StepId = (typeof def.steps)[number]["id"];
const step = (id: StepId): StepDef => def.steps.find((s) => s.id === id) ?? def.steps[0];

type Walk = { skus: string[]; pages: number; problem: string | null; evidence: Evidence[] };

/**
 * Every sku the sandbox offers: the type-6 pool walked to its end the only way the contract allows
 * (S-2 reads the oldest page, S-3 deletes it), plus the skus whose messages earlier modules consumed.
 */
async function drainOfferedSkus(ctx: KitContext): Promise<Walk> {
  const skus = new Set([...ctx.facts.deletedMessageSkus, ...ctx.facts.offeredSkus]);
  const deleted = new Set<string>();
  let pages = 0;
  const stop = (problem: string, evidence: Evidence[] = []): Walk => ({ skus: [...skus], pages, problem, evidence });
  for (;;) {
    if (pages >= CATALOG_MAX_PAGES) return stop(`类型 6 消息池读了 ${CATALOG_MAX_PAGES} 页仍未清空，停止读取（上限 ${CATALOG_MAX_PAGES} 页）`);
    const page = await ctx.client.readMessagePool(6);
    if (!page.ok) return stop(`S-2: ${page.error.detail}`, [lastExchangeEvidence(ctx, "S-2", S2, "消息列表", page.error.detail)]);
    const ids = [...page.value.messages.map((m) => m.id), ...page.value.unparseable.flatMap((u) => (u.id ? [u.id] : []))];
    if (ids.length === 0) {
      if (page.value.unparseable.length > 0)
        return stop(`类型 6 消息池中有 ${page.value.unparseable.length} 条无法删除的消息（id 不合 §3）`, [
          lastExchangeEvidence(ctx, "S-2", S2, "可删除的消息 id", "无"),
        ]);
      return { skus: [...skus], pages, problem: null, evidence: [] };
    }
    pages++;
    const back = ids.filter((id) => deleted.has(id));
    if (back.length > 0)
      return stop(`已删除的类型 6 消息再次返回（如 ${back[0]}），停止读取`, [lastExchangeEvidence(ctx, "S-2", S2, `不含已删除的 ${back[0]}`, `含 ${back[0]}`)]);
    for (const m of page.value.messages) if (m.type === 6 && m.result.state === 1) skus.add(m.result.skuId);
    if (skus.size > CATALOG_MAX_SKUS) return stop(`测试环境提供的商品超过 ${CATALOG_MAX_SKUS} 个，停止读取`);
    const removed = await ctx.client.delMessagePool(ids);
    if (!removed.ok) return stop(`S-3: ${removed.error.detail}`, [lastExchangeEvidence(ctx, "S-3", S3, "true", removed.error.detail)]);
    for (const id of ids) deleted.add(id);
  }
}

type Judged = { judged: Map<string, RejectionReason[]>; failures: string[] };

/** The puller's reads for new products (§6 type 6: S-4, S-5 per sku; S-6, S-7, S-9, S-10 per batch) and their §7 judgement. */
async function judgeBatch(ctx: KitContext, skus: readonly string[], into: Judged): Promise<void> {
  const reads = await Promise.all(
    skus.map(async (sku) => {
      const [detail, attributes] = await Promise.all([ctx.client.detail(sku), ctx.client.attributes(sku)]);
      return { sku, detail, attributes };
    }),
  );
  const readable = reads.flatMap((r) => {
    if (!r.detail.ok) into.failures.push(`${r.sku} S-4: ${r.detail.error.detail}`);
    else if (!r.attributes.ok) into.failures.push(`${r.sku} S-5: ${r.attributes.error.detail}`);
    else return [{ sku: r.sku, detail: r.detail.value, attributes: r.attributes.value }];
    return [];
  });
  if (readable.length === 0) return;
  const ids = readable.map((r) => r.sku);
  const promises = await ctx.client.promises(ids);
  const shelf = await ctx.client.shelfStates(ids);
  const images = await ctx.client.images(ids);
  const prices = await ctx.client.prices(ids);
  for (const [name, answer] of [
    ["S-6", promises],
    ["S-7", shelf],
    ["S-9", images],
    ["S-10", prices],
  ] as const)
    if (!answer.ok) into.failures.push(`${name}: ${answer.error.detail}`);
  if (!promises.ok || !shelf.ok || !images.ok || !prices.ok) return;
  const promiseOf = new Map(promises.value.map((p) => [p.sku, p]));
  const imagesOf = new Map(images.value.map((i) => [i.sku, i]));
  const priceOf = new Map(prices.value.map((p) => [p.sku, p]));
  for (const r of readable) {
    const snapshot: ProductSnapshot = {
      detail: r.detail,
      attributes: r.attributes,
      promise: promiseOf.get(r.sku),
      images: imagesOf.get(r.sku),
      price: priceOf.get(r.sku),
    };
    into.judged.set(r.sku, await validateProduct(snapshot, ctx.validation));
  }
}

/** Every offered sku, in batches the contract allows (≤ 100, §3). */
async function judge(ctx: KitContext, skus: readonly string[]): Promise<Judged> {
  const out: Judged = { judged: new Map(), failures: [] };
  for (let i = 0; i < skus.length; i += MAX_BATCH) await judgeBatch(ctx, skus.slice(i, i + MAX_BATCH), out);
  return out;
}

export const catalogProductsModule: KitModule = {
  def,
  async run(ctx) {
    const out: StepResult[] = [];
    const offered = await drainOfferedSkus(ctx);
    if (offered.skus.length === 0) {
      out.push(result(step("catalog.read"), "failed", offered.problem ?? "测试环境没有提供任何商品（无类型 6 新增消息）", offered.evidence));
      out.push(result(step("catalog.valid"), "warning", "无商品可判定"));
      return out;
    }
    const { judged, failures } = await judge(ctx, offered.skus);
    const readProblems = [...(offered.problem ? [offered.problem] : []), ...failures];
    const walked = `读取并删除了 ${offered.pages} 页类型 6 消息，提供 ${offered.skus.length} 个商品`;
    out.push(
      result(
        step("catalog.read"),
        readProblems.length === 0 ? "passed" : "failed",
        readProblems.length === 0
          ? `${walked}，判定了 ${judged.size} 个商品`
          : `${walked}，判定了 ${judged.size} 个；${readProblems.length} 处问题: ${readProblems.slice(0, 10).join("；")}`,
        offered.evidence,
      ),
    );

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
        rejected.length === 0
          ? `${judged.size} 个商品全部通过`
          : `${judged.size} 个商品中 ${rejected.length} 个被拒: ${rejected.map(([sku, reasons]) => `${sku} (${[...new Set(reasons.map((r) => r.code))].join(",")})`).join("，")}`,
        evidence,
      ),
    );
    return out;
  },
};
