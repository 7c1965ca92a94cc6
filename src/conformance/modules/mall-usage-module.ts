import { type KitModule, result } from "../kit-context.js";
import type { ModuleDef, StepResult } from "../plan.js";

const def = {
  id: "mall-usage",
  title: "电商对商城接口的使用（测试环境）",
  section: "§4",
  steps: [
    { id: "mall.token", title: "取得过商城 token（M-1）", section: "§4 M-1", required: false, changesState: false },
    { id: "mall.catalogs", title: "读取过标准品目（M-3）", section: "§4 M-3", required: false, changesState: false },
    { id: "mall.params", title: "读取过品目参数（M-5）", section: "§4 M-5", required: false, changesState: false },
    { id: "mall.signing", title: "对商城的调用签名正确", section: "§2.2", required: false, changesState: false },
  ],
} as const satisfies ModuleDef;

const USES = [
  ["mall.token", "M-1", "取得商城 token"],
  ["mall.catalogs", "M-3", "读取标准品目"],
  ["mall.params", "M-5", "读取品目参数"],
] as const;

/** Findings here are warnings: they describe the supplier's client, not its endpoints. */
export const mallUsageModule: KitModule = {
  def,
  async run(ctx) {
    const steps = def.steps;
    const usage = ctx.mallUsage;
    if (usage === null) return steps.map((s) => result(s, "warning", "该电商没有商城账号，无从检查"));
    const out: StepResult[] = [];
    for (const [id, operation, what] of USES) {
      const s = steps.find((x) => x.id === id) ?? steps[0];
      const done = usage.some((u) => u.operation === operation && u.outcome === "ok");
      out.push(result(s, done ? "passed" : "warning", done ? `已${what}` : `尚未${what}`));
    }
    const badSign = usage.filter((u) => u.outcome === "bad_signature").map((u) => u.operation);
    const signed = usage.some((u) => u.outcome === "ok" && u.operation !== "M-1");
    const s = steps[3];
    if (badSign.length > 0) out.push(result(s, "warning", `以下调用出现过签名错误（5004）: ${[...new Set(badSign)].join("、")}`));
    else out.push(result(s, signed ? "passed" : "warning", signed ? "签名正确" : "尚无已签名的业务调用"));
    return out;
  },
};
