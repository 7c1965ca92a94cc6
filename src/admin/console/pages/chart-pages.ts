import type { ConsolePage } from "../console-kit.js";
import { type Html, html } from "../html.js";
import { zh } from "../labels.js";
import { COLORS, STATE_COLORS, barList, lineChart, stackedBars } from "../svg-chart.js";

type Charts = {
  from: number;
  to: number;
  suppliers?: Array<{
    code: string;
    name: string;
    backlog: number;
    hourly: Array<{ hour: number; applied: number; rejected: number; quarantined: number; failed: number }>;
    latency: Array<{ hour: number; calls: number; p50: number; p95: number; errorRate: number }>;
  }>;
  orders?: { from: number; transitions: Array<{ day: number; state: string; n: number }> };
};

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** The charts, each an inline SVG drawn here: nothing to download, nothing to run. */
export function chartsBody(c: Charts): Html {
  const suppliers = c.suppliers ?? [];
  return html`${
    suppliers.length > 0
      ? html`<h2>电商消息（近 24 小时，每小时）</h2><div class="charts">${suppliers.map((s) =>
          stackedBars({
            title: `${s.code} ${s.name}：已应用 / 已拒绝 / 已隔离`,
            from: c.from,
            to: c.to,
            bucketMs: HOUR_MS,
            series: (["applied", "rejected", "quarantined"] as const).map((k) => ({
              name: zh("outcome", k),
              color: COLORS[k],
              points: s.hourly.map((h) => ({ x: h.hour, y: h[k] })),
            })),
          }),
        )}</div>
<h2>电商接口调用（近 24 小时，每小时）</h2><div class="charts">${suppliers.map(
          (s) =>
            html`${lineChart({
              title: `${s.code} 调用耗时 p50 / p95`,
              unit: "ms",
              from: c.from,
              to: c.to,
              series: [
                { name: "p50", color: COLORS.p50, points: s.latency.map((l) => ({ x: l.hour + HOUR_MS / 2, y: l.p50 })) },
                { name: "p95", color: COLORS.p95, points: s.latency.map((l) => ({ x: l.hour + HOUR_MS / 2, y: l.p95 })) },
              ],
            })}${lineChart({
              title: `${s.code} 调用错误率`,
              unit: "%",
              from: c.from,
              to: c.to,
              series: [
                { name: "错误率", color: COLORS.errors, points: s.latency.map((l) => ({ x: l.hour + HOUR_MS / 2, y: Math.round(l.errorRate * 1000) / 10 })) },
              ],
            })}`,
        )}</div>
<h2>积压</h2>${barList({ title: "待处理与隔离消息（当前）", unit: " 条", rows: suppliers.map((s) => ({ label: s.code, value: s.backlog })) })}`
      : ""
  }
${
  c.orders
    ? html`<h2>订单状态变化（近 ${Math.round((c.to - c.orders.from) / DAY_MS)} 天，每天）</h2>${stackedBars({
        title: "每天进入各状态的订单数",
        from: c.orders.from,
        to: c.to,
        bucketMs: DAY_MS,
        series: Object.keys(STATE_COLORS).map((state) => ({
          name: zh("orderState", state),
          color: STATE_COLORS[state] ?? "#9aa5b1",
          points: (c.orders?.transitions ?? []).filter((t) => t.state === state).map((t) => ({ x: t.day, y: t.n })),
        })),
      })}`
    : ""
}`;
}

export const chartPage: ConsolePage = {
  path: "/charts",
  primary: ["GET", "/charts"],
  title: "图表",
  async render(ctx) {
    return chartsBody(await ctx.api<Charts>("GET", "/charts"));
  },
};
