import { type KitModule, probeEvidence, result } from "../kit-context.js";
import type { Evidence, ModuleDef } from "../plan.js";
import { refusalOf } from "./token-module.js";

/** Calls sent at once: above the QPS most suppliers grant the mall (20), so a limit shows. */
const BURST = 40;

const def = {
  id: "qps",
  title: "限流表现",
  section: "§1, §5",
  steps: [{ id: "qps.burst", title: "超出限流时答复可重试的信封，不挂起", section: "§1", required: true, changesState: false }],
} as const satisfies ModuleDef;

export const qpsModule: KitModule = {
  def,
  async run(ctx) {
    const sku = ctx.facts.offeredSkus[0] ?? "KITPROBE";
    const answers = await Promise.all(Array.from({ length: BURST }, () => ctx.client.probe("shelfStates", { sku })));
    let ok = 0;
    let limited = 0;
    const bad: Evidence[] = [];
    for (const a of answers) {
      if (a.read?.ok) ok++;
      else if (a.read && !a.read.ok && a.read.problem.kind === "refused" && a.read.problem.retryable) limited++;
      else if (bad.length < 3) bad.push(probeEvidence("S-7", a, "成功，或可重试的限流信封（HTTP 200）", refusalOf(a).text));
    }
    const failed = BURST - ok - limited;
    const detail = `同时发出 ${BURST} 次 S-7：成功 ${ok}，限流 ${limited}${failed > 0 ? `，其它 ${failed}` : ""}`;
    return [result(def.steps[0], failed === 0 ? "passed" : "failed", detail, bad)];
  },
};
