import { ErrorCode, yuanToFen } from "../../contract/index.js";
import type { OrderSubmission } from "../../supplier/supplier-client.js";
import { type KitContext, type KitModule, lastExchangeEvidence, result } from "../kit-context.js";
import { type ModuleDef, type StepDef, type StepResult, TEST_ORDER_PREFIX } from "../plan.js";

const S11 = "/api/order/submit";
const S12 = "/api/order/confirm";
/** Skus looked at to find one on shelf, in stock and priced. */
const CANDIDATES = 100;
const UNKNOWN_ORDER = "KITNOSUCHORDER0001";

const def = {
  id: "orders",
  title: "S-11/S-12 订单",
  section: "§5 S-11/S-12",
  steps: [
    { id: "order.submit", title: "S-11 测试订单（yggc_order 以 KITTEST 开头）", section: "§5 S-11", required: true, changesState: true },
    { id: "order.echo", title: "S-11 应答与所发一致（sku、数量、单价、金额、运费）", section: "§5 S-11", required: true, changesState: false },
    { id: "order.resubmit", title: "重复提交同一 yggc_order 返回同一电商订单", section: "§5 S-11", required: true, changesState: true },
    { id: "order.confirm-twice", title: "S-12 确认两次均成功", section: "§5 S-12", required: true, changesState: true },
    { id: "order.unknown", title: "确认不存在的订单 → 5099「订单不存在」", section: "§5 S-12", required: true, changesState: false },
  ],
} as const satisfies ModuleDef;
type StepId = (typeof def.steps)[number]["id"];
const step = (id: StepId): StepDef => def.steps.find((s) => s.id === id) ?? def.steps[0];

/** A sku the supplier will sell: on shelf, in stock in the test area, with a valid price. */
async function orderableSku(ctx: KitContext): Promise<{ sku: string; priceFen: number } | string> {
  const skus = [...new Set([...ctx.facts.deletedMessageSkus, ...ctx.facts.offeredSkus])].slice(0, CANDIDATES);
  if (skus.length === 0) return "测试环境没有可下单的商品";
  const [shelf, prices, stocks] = [await ctx.client.shelfStates(skus), await ctx.client.prices(skus), await ctx.client.stocks(skus, ctx.testArea)];
  if (!shelf.ok) return `S-7 失败: ${shelf.error.detail}`;
  if (!prices.ok) return `S-10 失败: ${prices.error.detail}`;
  if (!stocks.ok) return `S-8 失败: ${stocks.error.detail}`;
  const on = new Set(shelf.value.filter((s) => s.state === 1).map((s) => s.sku));
  const inStock = new Set(stocks.value.filter((s) => s.num !== 0 && s.stockStateId !== 34).map((s) => s.sku));
  for (const p of prices.value) {
    const fen = yuanToFen(p.price);
    if (on.has(p.sku) && inStock.has(p.sku) && fen !== null && fen > 0) return { sku: p.sku, priceFen: fen };
  }
  return `${skus.length} 个 sku 中没有上架、有货且价格有效的`;
}

function testOrder(ctx: KitContext, line: { sku: string; priceFen: number }): OrderSubmission {
  const [province = "", city = "", county = ""] = ctx.testArea.split("_");
  return {
    yggc_order: `${TEST_ORDER_PREFIX}${ctx.runId.replace(/[^A-Za-z0-9]/g, "").slice(-20)}`,
    sku: [{ sku: line.sku, num: 1, priceFen: line.priceFen }],
    orderPriceFen: line.priceFen,
    freightFen: 0,
    name: "对接测试",
    mobile: "13800000000",
    province,
    city,
    county,
    address: "对接测试订单，请勿发货",
    invoice_title: "对接测试",
    invoice_type: 1,
    invoice_org_code: "91120000TESTORDER0",
    payment: 2,
    remark: "电子卖场对接测试订单，请勿发货",
  };
}

export const ordersModule: KitModule = {
  def,
  async run(ctx) {
    const out: StepResult[] = [];
    const found = await orderableSku(ctx);
    if (typeof found === "string") {
      for (const s of def.steps.slice(0, 4)) out.push(result(s, "failed", `无法下测试订单: ${found}`));
    } else {
      const order = testOrder(ctx, found);
      const first = await ctx.client.submitOrder(order);
      const sent = `yggc_order ${order.yggc_order}，${found.sku} × 1 @ ${found.priceFen / 100}`;
      out.push(
        result(step("order.submit"), first.ok ? "passed" : "failed", first.ok ? `电商订单 ${first.value.mall_order_id}` : first.error.detail, [
          lastExchangeEvidence(ctx, "S-11", S11, sent, first.ok ? `mall_order_id ${first.value.mall_order_id}` : first.error.detail),
        ]),
      );
      if (!first.ok) {
        for (const s of def.steps.slice(1, 4)) out.push(result(s, "failed", "测试订单未能提交"));
      } else {
        const r = first.value;
        const mismatches: string[] = [];
        if (r.yggc_order !== order.yggc_order) mismatches.push(`yggc_order ${r.yggc_order}`);
        const line = r.sku.find((l) => l.sku === found.sku);
        if (!line || r.sku.length !== 1) mismatches.push(`sku ${JSON.stringify(r.sku)}`);
        else {
          if (line.num !== 1) mismatches.push(`num ${line.num}`);
          if (yuanToFen(line.price) !== found.priceFen) mismatches.push(`price ${line.price} ≠ ${found.priceFen / 100}`);
        }
        if (yuanToFen(r.orderPrice) !== found.priceFen) mismatches.push(`orderPrice ${r.orderPrice} ≠ ${found.priceFen / 100}`);
        if (yuanToFen(r.freight) !== 0) mismatches.push(`freight ${r.freight} ≠ 0`);
        out.push(
          result(
            step("order.echo"),
            mismatches.length === 0 ? "passed" : "failed",
            mismatches.length === 0 ? "应答与所发一致" : `应答与所发不一致: ${mismatches.join("；")}`,
            mismatches.length === 0 ? [] : [lastExchangeEvidence(ctx, "S-11", S11, sent, mismatches.join("；"))],
          ),
        );

        const again = await ctx.client.submitOrder(order);
        const same = again.ok && again.value.mall_order_id === r.mall_order_id;
        const got = again.ok ? `mall_order_id ${again.value.mall_order_id}` : again.error.detail;
        out.push(
          result(
            step("order.resubmit"),
            same ? "passed" : "failed",
            same ? `重复提交返回同一订单 ${r.mall_order_id}` : `重复提交应返回 ${r.mall_order_id}，实际 ${got}`,
            [lastExchangeEvidence(ctx, "S-11", S11, `mall_order_id ${r.mall_order_id}`, got)],
          ),
        );

        const c1 = await ctx.client.confirmOrder(r.mall_order_id, found.priceFen);
        const c2 = await ctx.client.confirmOrder(r.mall_order_id, found.priceFen);
        const both = c1.ok && c2.ok;
        const why = !c1.ok ? `首次确认失败: ${c1.error.detail}` : !c2.ok ? `再次确认失败: ${c2.error.detail}` : "两次确认均成功";
        out.push(result(step("order.confirm-twice"), both ? "passed" : "failed", why, [lastExchangeEvidence(ctx, "S-12", S12, "true", why)]));
      }
    }
    const unknown = await ctx.client.confirmOrder(UNKNOWN_ORDER);
    const u = unknown.ok ? "success" : unknown.error.detail;
    const refused = !unknown.ok && unknown.error.code === ErrorCode.Other && unknown.error.detail.includes("订单不存在");
    out.push(
      result(step("order.unknown"), refused ? "passed" : "failed", refused ? `答复 ${u}` : `应答 5099 订单不存在，实际 ${u}`, [
        lastExchangeEvidence(ctx, "S-12", S12, "5099 订单不存在", u),
      ]),
    );
    return out;
  },
};
