import { CHECK_NAMES, type ProductionCheckId } from "../../../conformance/production-checks.js";
import type { ConsoleContext } from "../console-kit.js";
import { type Html, html } from "../html.js";
import { badge, csrfField } from "../layout.js";
import { lineChart } from "../svg-chart.js";

type Check = {
  check: ProductionCheckId;
  total: number;
  failed: number;
  passed: boolean;
  evidence: Array<{ at: string; endpoint: string; outcome: string; errorCode: number | null; field: string | null; message: string | null }>;
};
type Day = { day: string; score: number; checks: Check[]; action: string; proposal: string | null; decidedBy: string | null };
type Production = { supplier: string; policy: { policy: string; minScore: number; badDays: number }; today: Day | null; days: Day[] };

const ACTIONS: Record<string, string> = { none: "—", warn: "警告", propose: "已提议暂停", suspend: "已自动暂停" };
const POLICIES: Record<string, string> = { warn: "仅警告", propose: "警告，连续不达标后提议管理员暂停", suspend: "警告，连续不达标后自动暂停" };
const PROPOSALS: Record<string, string> = { open: "待裁决", approved: "已批准（标识已暂停）", dismissed: "已驳回" };
const dayMs = (day: string) => Date.parse(`${day}T12:00:00+08:00`);

function failingChecks(day: Day): Html {
  const failing = day.checks.filter((c) => !c.passed);
  if (failing.length === 0) return html`<p class="muted">${day.day}：各项检查均通过。</p>`;
  return html`<ul class="reasons">${failing.map(
    (c) => html`<li>${day.day} ${CHECK_NAMES[c.check] ?? c.check}：${c.failed} / ${c.total} 次未通过
<details><summary>证据（${c.evidence.length}）</summary><ul>${c.evidence.map((e) => html`<li class="mono">${e.at} ${e.endpoint} ${e.outcome}${e.errorCode === null ? "" : ` ${e.errorCode}`}${e.field ? ` [${e.field}]` : ""} ${e.message ?? ""}</li>`)}</ul></details></li>`,
  )}</ul>`;
}

/**
 * 生产环境合规: the supplier's production calls scored per day with the kit's checks — a chart of the
 * daily score, the failing checks with their calls, what the policy did, and (admins) the decision on
 * a proposed suspension. Staff see it on the supplier page, a supplier user on its conformance page.
 */
export async function productionCard(ctx: ConsoleContext, code: string): Promise<Html> {
  if (!ctx.may("GET", "/suppliers/:code/production-conformance")) return html``;
  const p = await ctx.api<Production>("GET", "/suppliers/:code/production-conformance", { params: { code }, query: { days: "30" } });
  const days = [...p.days].reverse();
  const latest = p.days[0] ?? null;
  const open = p.days.find((d) => d.proposal === "open");
  const admin = ctx.may("POST", "/suppliers/:code/production-conformance/:day/decide");
  const decide = (day: string, decision: "approve" | "dismiss", label: string) =>
    html`<form class="inline reason-form" method="post" action="/admin/suppliers/${code}/production-conformance/${day}/decide">${csrfField(ctx.csrfToken)}<input type="hidden" name="decision" value="${decision}"><label>${label}的原因（必填）<input name="reason" required maxlength="500" size="24"></label><button type="submit" class="${decision === "approve" ? "" : "secondary"}">${label}</button></form> `;
  return html`<div class="card" id="production"><h2>生产环境合规（信任标识持续有效的依据）</h2>
<p class="muted">每天以对接测试工具的检查项（应答签名、报文格式、错误码、限流拒绝、可用性、响应时间、隔离消息、下单应答核对）评估正式环境的每次调用；得分为当日通过的检查项占比。低于 ${p.policy.minScore} 分为不达标日，策略：${POLICIES[p.policy.policy] ?? p.policy.policy}（连续 ${p.policy.badDays} 天）。</p>
${days.length > 0 ? lineChart({ title: "每日合规得分", unit: "", from: dayMs(days[0]?.day ?? ""), to: dayMs(days.at(-1)?.day ?? "") + 1, series: [{ name: "得分", color: "#2f6fde", points: days.map((d) => ({ x: dayMs(d.day), y: d.score })) }] }) : html`<p class="muted">尚无已评估的日期。</p>`}
${p.today ? html`<p>今日截至目前：${badge(`${p.today.score} 分`, p.today.score >= p.policy.minScore ? "ok" : "bad")}</p>${failingChecks(p.today)}` : ""}
${
  latest
    ? html`<table><thead><tr><th scope="col">日期</th><th scope="col">得分</th><th scope="col">处置</th><th scope="col">提议</th></tr></thead><tbody>
${p.days.slice(0, 10).map((d) => html`<tr><td>${d.day}</td><td>${badge(String(d.score), d.score >= p.policy.minScore ? "ok" : "bad")}</td><td>${ACTIONS[d.action] ?? d.action}</td><td>${d.proposal ? `${PROPOSALS[d.proposal] ?? d.proposal}${d.decidedBy ? `（${d.decidedBy}）` : ""}` : "—"}</td></tr>`)}
</tbody></table>${failingChecks(latest)}`
    : ""
}
${open && admin ? html`<p>${open.day} 提议暂停该电商的信任标识：${decide(open.day, "approve", "批准暂停")}${decide(open.day, "dismiss", "驳回提议")}</p>` : ""}
</div>`;
}
