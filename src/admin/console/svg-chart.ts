import { beijingText } from "../../lib/beijing-time.js";
import { type Html, html } from "./html.js";

/**
 * Charts drawn on the server as inline SVG: no script, no outside resource, readable with CSS off
 * (every chart has a title and a text summary), so they work on a locked-down government desktop.
 */
export type Series = { name: string; color: string; points: ReadonlyArray<{ x: number; y: number }> };

const W = 640;
const H = 220;
const PAD = { left: 48, right: 12, top: 12, bottom: 28 };

const niceMax = (max: number) => {
  if (max <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(max));
  return Math.ceil(max / step) * step;
};
/** The time axis is in Beijing time; the caption says so, as every other time in the console does. */
const TIME_ZONE_NOTE = html`<span class="muted">（横轴为北京时间 UTC+8）</span>`;
const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(n < 10 ? 2 : 0));

function frame(title: string, summary: string, xMin: number, xMax: number, yMax: number, unit: string, body: Html, xLabel: (x: number) => string): Html {
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const xTicks = [0, 0.5, 1].map((f) => xMin + (xMax - xMin) * f);
  const sx = (x: number) => PAD.left + ((x - xMin) / Math.max(1, xMax - xMin)) * (W - PAD.left - PAD.right);
  const sy = (y: number) => H - PAD.bottom - (y / yMax) * (H - PAD.top - PAD.bottom);
  return html`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${title}：${summary}" xmlns="http://www.w3.org/2000/svg">
<title>${title}</title><desc>${summary}</desc>
${ticks.map((f) => html`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${sy(yMax * f)}" y2="${sy(yMax * f)}" stroke="#e4e7eb"/><text x="${PAD.left - 4}" y="${sy(yMax * f) + 4}" text-anchor="end">${fmt(yMax * f)}${unit}</text>`)}
${xTicks.map((x, i) => html`<text x="${sx(x)}" y="${H - 8}" text-anchor="${i === 0 ? "start" : i === 2 ? "end" : "middle"}">${xLabel(x)}</text>`)}
${body}
</svg>`;
}

const legend = (series: ReadonlyArray<{ name: string; color: string }>) =>
  html`<div class="legend">${series.map((s) => html`<span><svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" fill="${s.color}"/></svg> ${s.name}</span>`)}</div>`;

/** Lines over time (x in epoch ms), y from 0. */
export function lineChart(opts: { title: string; series: readonly Series[]; unit?: string; from: number; to: number }): Html {
  const all = opts.series.flatMap((s) => s.points);
  const yMax = niceMax(Math.max(0, ...all.map((p) => p.y)));
  const sx = (x: number) => PAD.left + ((x - opts.from) / Math.max(1, opts.to - opts.from)) * (W - PAD.left - PAD.right);
  const sy = (y: number) => H - PAD.bottom - (y / yMax) * (H - PAD.top - PAD.bottom);
  const summary =
    all.length === 0 ? "暂无数据" : opts.series.map((s) => `${s.name} 最高 ${fmt(Math.max(0, ...s.points.map((p) => p.y)))}${opts.unit ?? ""}`).join("，");
  const body = html`${opts.series.map((s) =>
    s.points.length === 1
      ? html`<circle cx="${sx(s.points[0]?.x ?? 0)}" cy="${sy(s.points[0]?.y ?? 0)}" r="3" fill="${s.color}"/>`
      : html`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${s.points.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(" ")}"/>`,
  )}`;
  return html`<figure class="card"><figcaption><strong>${opts.title}</strong> ${TIME_ZONE_NOTE}</figcaption>${frame(opts.title, summary, opts.from, opts.to, yMax, opts.unit ?? "", body, (x) => beijingText(x).slice(5, 16))}${legend(opts.series)}</figure>`;
}

/** Stacked bars per time bucket (x = bucket start, epoch ms; width = bucketMs). */
export function stackedBars(opts: { title: string; series: readonly Series[]; from: number; to: number; bucketMs: number }): Html {
  const buckets = new Map<number, number>();
  for (const s of opts.series) for (const p of s.points) buckets.set(p.x, (buckets.get(p.x) ?? 0) + p.y);
  const yMax = niceMax(Math.max(0, ...buckets.values()));
  const span = Math.max(1, opts.to - opts.from);
  const sx = (x: number) => PAD.left + ((x - opts.from) / span) * (W - PAD.left - PAD.right);
  const bw = Math.max(1, (opts.bucketMs / span) * (W - PAD.left - PAD.right) - 1);
  const sy = (y: number) => (y / yMax) * (H - PAD.top - PAD.bottom);
  const base = new Map<number, number>();
  const rects: Html[] = [];
  for (const s of opts.series) {
    for (const p of s.points) {
      if (p.y <= 0) continue;
      const below = base.get(p.x) ?? 0;
      base.set(p.x, below + p.y);
      rects.push(
        html`<rect x="${sx(p.x).toFixed(1)}" y="${(H - PAD.bottom - sy(below + p.y)).toFixed(1)}" width="${bw.toFixed(1)}" height="${sy(p.y).toFixed(1)}" fill="${s.color}"><title>${beijingText(p.x).slice(5, 16)} ${s.name} ${p.y}</title></rect>`,
      );
    }
  }
  const totals = opts.series.map((s) => `${s.name} ${s.points.reduce((n, p) => n + p.y, 0)}`).join("，");
  return html`<figure class="card"><figcaption><strong>${opts.title}</strong> ${TIME_ZONE_NOTE}</figcaption>${frame(opts.title, `合计：${totals}`, opts.from, opts.to, yMax, "", html`${rects}`, (x) => beijingText(x).slice(5, 16))}${legend(opts.series)}</figure>`;
}

/** Horizontal bars of current values (backlog per supplier). */
export function barList(opts: { title: string; rows: ReadonlyArray<{ label: string; value: number; color?: string }>; unit?: string }): Html {
  const max = niceMax(Math.max(0, ...opts.rows.map((r) => r.value)));
  const rowH = 22;
  const h = Math.max(40, opts.rows.length * rowH + 16);
  const summary = opts.rows.length === 0 ? "暂无数据" : opts.rows.map((r) => `${r.label} ${r.value}${opts.unit ?? ""}`).join("，");
  return html`<figure class="card"><figcaption><strong>${opts.title}</strong></figcaption>
<svg class="chart" viewBox="0 0 ${W} ${h}" role="img" aria-label="${opts.title}：${summary}" xmlns="http://www.w3.org/2000/svg"><title>${opts.title}</title><desc>${summary}</desc>
${opts.rows.map((r, i) => html`<text x="4" y="${i * rowH + 22}">${r.label}</text><rect x="120" y="${i * rowH + 10}" width="${((r.value / max) * (W - 200)).toFixed(1)}" height="14" fill="${r.color ?? "#1c64f2"}"/><text x="${124 + (r.value / max) * (W - 200)}" y="${i * rowH + 22}">${r.value}${opts.unit ?? ""}</text>`)}
</svg></figure>`;
}

export const COLORS = {
  applied: "#1b7f3b",
  rejected: "#b3261e",
  quarantined: "#7b2cbf",
  failed: "#a86400",
  p50: "#1c64f2",
  p95: "#b3261e",
  errors: "#a86400",
  price: "#1c64f2",
  mallPrice: "#a86400",
} as const;
export const STATE_COLORS: Record<string, string> = {
  created: "#9aa5b1",
  submitting: "#f0b429",
  submitted: "#de911d",
  confirming: "#8719e0",
  confirmed: "#1b7f3b",
  failed: "#b3261e",
};
