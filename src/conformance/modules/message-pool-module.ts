import { type MessageType, type PoolMessage, messageTypes } from "../../contract/index.js";
import { type KitModule, lastExchangeEvidence, result } from "../kit-context.js";
import type { Evidence, ModuleDef, StepResult } from "../plan.js";

const S2 = "/api/product/getMessagePool";
const S3 = "/api/product/delMessagePool";
const PAGE_MAX = 100; // §3

const def = {
  id: "message-pool",
  title: "S-2/S-3 消息池",
  section: "§3, §5 S-2/S-3",
  steps: [
    { id: "pool.fields", title: "四类消息（2/4/6/16）的应答与字段正确", section: "§5 S-2", required: true, changesState: false },
    { id: "pool.order", title: "最早的消息在前（id 升序），每页至多 100 条", section: "§3", required: true, changesState: false },
    { id: "pool.coverage", title: "每一类都有消息可供检查", section: "§5 S-2", required: false, changesState: false },
    { id: "pool.delete-idempotent", title: "删除消息可重复（再删同一 id 仍成功）", section: "§3 S-3", required: true, changesState: true },
    { id: "pool.deleted-gone", title: "已删除的消息不再返回", section: "§3 S-2", required: true, changesState: true },
  ],
} as const satisfies ModuleDef;
const step = (id: (typeof def.steps)[number]["id"]) => def.steps.find((s) => s.id === id) ?? def.steps[0];

/** Ids compare as numbers when both are numeric (the lineage's ids), else as text. */
function before(a: string, b: string): boolean {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) < BigInt(b);
  return a < b;
}

export const messagePoolModule: KitModule = {
  def,
  async run(ctx) {
    const out: StepResult[] = [];
    const pages = new Map<MessageType, PoolMessage[]>();
    const fieldProblems: string[] = [];
    const evidence: Evidence[] = [];
    for (const type of messageTypes) {
      const page = await ctx.client.getMessagePool(type);
      if (!page.ok) {
        fieldProblems.push(`类型 ${type}: ${page.error.detail}`);
        evidence.push(lastExchangeEvidence(ctx, "S-2", S2, `类型 ${type} 的消息列表`, page.error.detail));
        continue;
      }
      const wrongType = page.value.filter((m) => m.type !== type);
      if (wrongType.length > 0) {
        fieldProblems.push(`类型 ${type} 的应答含 ${wrongType.length} 条其它类型的消息`);
        evidence.push(lastExchangeEvidence(ctx, "S-2", S2, `只有类型 ${type}`, `含类型 ${[...new Set(wrongType.map((m) => m.type))].join(",")}`));
      }
      pages.set(type, page.value);
    }
    const counts = messageTypes.map((t) => `${t}: ${pages.get(t)?.length ?? "—"}`).join("，");
    out.push(
      result(
        step("pool.fields"),
        fieldProblems.length === 0 ? "passed" : "failed",
        fieldProblems.length === 0 ? `各类消息条数 ${counts}` : fieldProblems.join("；"),
        evidence,
      ),
    );

    const disorder: string[] = [];
    let checked = 0;
    for (const [type, list] of pages) {
      if (list.length > PAGE_MAX) disorder.push(`类型 ${type} 一页 ${list.length} 条，超过 100`);
      for (let i = 1; i < list.length; i++) {
        checked++;
        const prev = list[i - 1];
        const cur = list[i];
        if (prev && cur && !before(prev.id, cur.id)) {
          disorder.push(`类型 ${type}: id ${prev.id} 排在 ${cur.id} 之前`);
          break;
        }
      }
    }
    const orderEvidence = disorder.length > 0 ? [lastExchangeEvidence(ctx, "S-2", S2, "id 升序", disorder[0] ?? "")] : [];
    if (disorder.length > 0) out.push(result(step("pool.order"), "failed", disorder.join("；"), orderEvidence));
    else if (checked === 0) out.push(result(step("pool.order"), "warning", "消息池中不足两条消息，无法检查顺序"));
    else out.push(result(step("pool.order"), "passed", `检查了 ${checked} 对相邻消息`));

    const empty = messageTypes.filter((t) => (pages.get(t)?.length ?? 0) === 0);
    out.push(
      result(
        step("pool.coverage"),
        empty.length === 0 ? "passed" : "warning",
        empty.length === 0 ? "四类消息均有" : `类型 ${empty.join("、")} 没有待取消息，其字段未能检查`,
      ),
    );

    ctx.facts.offeredSkus = (pages.get(6) ?? []).flatMap((m) => (m.type === 6 && m.result.state === 1 ? [m.result.skuId] : []));
    const victim = [...pages.values()].flat().sort((a, b) => (before(a.id, b.id) ? -1 : 1))[0];
    if (!victim) {
      const none = "消息池为空，无法检查删除";
      out.push(result(step("pool.delete-idempotent"), "failed", none), result(step("pool.deleted-gone"), "failed", none));
      return out;
    }
    if (victim.type === 6 && victim.result.state === 1) ctx.facts.deletedMessageSkus.push(victim.result.skuId);
    const first = await ctx.client.delMessagePool([victim.id]);
    const firstEvidence = lastExchangeEvidence(ctx, "S-3", S3, "true", first.ok ? "true" : first.error.detail);
    const again = await ctx.client.delMessagePool([victim.id]);
    const againEvidence = lastExchangeEvidence(ctx, "S-3", S3, "true", again.ok ? "true" : again.error.detail);
    const idempotent = first.ok && again.ok;
    out.push(
      result(
        step("pool.delete-idempotent"),
        idempotent ? "passed" : "failed",
        idempotent
          ? `消息 ${victim.id} 删除两次均成功`
          : !first.ok
            ? `删除消息 ${victim.id} 失败: ${first.error.detail}`
            : `再次删除消息 ${victim.id} 失败: ${again.ok ? "" : again.error.detail}`,
        [firstEvidence, againEvidence],
      ),
    );

    const reread = await ctx.client.getMessagePool(victim.type);
    if (!reread.ok) {
      out.push(
        result(step("pool.deleted-gone"), "failed", `重新读取消息池失败: ${reread.error.detail}`, [
          lastExchangeEvidence(ctx, "S-2", S2, "消息列表", reread.error.detail),
        ]),
      );
    } else {
      const back = reread.value.some((m) => m.id === victim.id);
      out.push(
        result(
          step("pool.deleted-gone"),
          back ? "failed" : "passed",
          back ? `已删除的消息 ${victim.id} 再次返回` : `已删除的消息 ${victim.id} 不再返回`,
          back ? [lastExchangeEvidence(ctx, "S-2", S2, `不含 ${victim.id}`, `含 ${victim.id}`)] : [],
        ),
      );
    }
    return out;
  },
};
