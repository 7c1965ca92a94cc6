import type { Evidence, StepStatus } from "./plan.js";
import type { ConformanceReport } from "./report.js";

const esc = (text: unknown) => String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

const STATUS_LABEL: Record<StepStatus | "passed" | "failed" | "warning", string> = {
  passed: "通过",
  failed: "未通过",
  warning: "提示",
  not_implemented: "未实现",
};

/** Beijing time for people (the JSON keeps ISO). */
function beijing(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return new Date(t + 8 * 3_600_000).toISOString().replace("T", " ").slice(0, 19) + "（北京时间）";
}

function evidenceHtml(e: Evidence): string {
  const rows: string[] = [];
  if (e.operation) rows.push(`<dt>接口</dt><dd>${esc(e.operation)}</dd>`);
  if (e.expected !== undefined) rows.push(`<dt>预期</dt><dd>${esc(e.expected)}</dd>`);
  if (e.got !== undefined) rows.push(`<dt>实际</dt><dd>${esc(e.got)}</dd>`);
  if (e.request) rows.push(`<dt>请求</dt><dd><pre>${esc(JSON.stringify(e.request, null, 1))}</pre></dd>`);
  if (e.response) {
    const r = e.response;
    rows.push(
      "status" in r
        ? `<dt>应答</dt><dd>HTTP ${r.status}${r.sign ? `，X-Sign-Timestamp ${esc(r.signTimestamp)}` : "，无签名头"}<pre>${esc(r.body)}</pre></dd>`
        : `<dt>应答</dt><dd>${esc(r.error)}</dd>`,
    );
  }
  return `<dl class="ev">${rows.join("")}</dl>`;
}

/** The printable zh-CN page of a report: one self-contained file, no script, font or stylesheet from outside. */
export function reportHtml(report: ConformanceReport, signature: { digest: string; jws: string }): string {
  const s = report.summary;
  const verdict = s.passed ? "通过" : "未通过";
  const modules = report.modules
    .map(
      (m) => `<section class="module ${m.status}">
<h2>${esc(m.title)} <span class="badge ${m.status}">${STATUS_LABEL[m.status]}</span></h2>
<p class="sec">契约 ${esc(m.section)}</p>
<table><thead><tr><th>步骤</th><th>结论</th><th>说明</th></tr></thead><tbody>
${m.steps
  .map(
    (st) =>
      `<tr class="${st.status}"><td><b>${esc(st.title)}</b><br><small>${esc(st.id)} · ${esc(st.section)}${st.required ? " · 必过" : " · 参考"}${st.changesState ? " · 改变测试环境状态" : ""}</small></td><td><span class="badge ${st.status}">${STATUS_LABEL[st.status]}</span></td><td>${esc(st.detail)}${st.evidence.length > 0 ? `<details><summary>证据（${st.evidence.length}）</summary>${st.evidence.map(evidenceHtml).join("")}</details>` : ""}</td></tr>`,
  )
  .join("\n")}
</tbody></table></section>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>电子卖场对接测试报告 ${esc(report.runId)}</title>
<style>
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei",sans-serif;margin:2em;color:#222;font-size:14px}
h1{font-size:22px}h2{font-size:17px;margin:1.2em 0 .2em}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;padding:4px 6px;vertical-align:top;text-align:left}
.badge{padding:1px 6px;border-radius:3px;font-size:12px;color:#fff}.badge.passed{background:#2e7d32}.badge.failed{background:#c62828}.badge.warning{background:#ef6c00}.badge.not_implemented{background:#757575}
.summary{border:2px solid ${s.passed ? "#2e7d32" : "#c62828"};padding:.6em 1em;margin:1em 0}
pre{white-space:pre-wrap;word-break:break-all;font-size:12px;background:#f6f6f6;padding:4px;margin:2px 0}
dl.ev{margin:.4em 0;border-left:3px solid #ccc;padding-left:6px}dl.ev dt{font-weight:bold}dl.ev dd{margin:0 0 .2em 0}
.sec{color:#666;margin:0}.sig{font-size:11px;word-break:break-all;color:#444}
@media print{details{display:block}details>summary{display:none}body{margin:1cm}.module{break-inside:avoid-page}}
</style></head><body>
<h1>电子卖场对接测试报告${report.advisory ? "（参考性测试）" : ""}</h1>
${report.advisory ? `<p><b>参考性测试：含随机与畸形输入（种子 ${esc(report.advisory.seed)}），不计入、也不签发正式环境信任标识。</b></p>` : ""}
<div class="summary"><p><b>结论：${verdict}</b>　必过步骤未通过 ${s.blocking.length} 项；步骤 通过 ${s.steps.passed} · 未通过 ${s.steps.failed} · 提示 ${s.steps.warning} · 未实现 ${s.steps.not_implemented}</p>
${s.blocking.length > 0 ? `<p>未通过：${s.blocking.map((b) => esc(`${b.title}（${b.step}）`)).join("；")}</p>` : ""}</div>
<table><tbody>
<tr><th>报告编号</th><td>${esc(report.runId)}</td></tr>
<tr><th>电商</th><td>${esc(report.supplier.name)}（${esc(report.supplier.code)}）</td></tr>
<tr><th>统一社会信用代码</th><td>${esc(report.supplier.creditCode)}</td></tr>
<tr><th>测试环境地址</th><td>${esc(report.sandboxBaseUrl)}（${esc(report.signMode)}）</td></tr>
<tr><th>测试工具版本 / 契约版本</th><td>${esc(report.kitVersion)} / ${esc(report.contractVersion)}</td></tr>
<tr><th>测试时间</th><td>${esc(beijing(report.startedAt))} — ${esc(beijing(report.endedAt))}</td></tr>
<tr><th>出具方</th><td>${esc(report.issuer.platformName)}（${esc(report.issuer.platformCode)}）</td></tr>
</tbody></table>
${modules}
<h2>签名</h2>
<p class="sig">本报告的 JSON 文本（${esc(report.runId)}.json）SHA-256：${esc(signature.digest)}<br>分离式 JWS（ES256，公钥见 /.well-known/jwks.json）：${esc(signature.jws)}</p>
</body></html>
`;
}
