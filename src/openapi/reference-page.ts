import type { OpenApiDocument } from "./build-documents.js";

/** A self-contained HTML reference of one OpenAPI document: no scripts, fonts or styles from outside. */
const escape = (text: string) => text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  description?: string;
  anyOf?: Schema[];
  enum?: unknown[];
  items?: Schema;
  pattern?: string;
  maxLength?: number;
};
type PostOperation = {
  operationId: string;
  summary: string;
  description: string;
  requestBody: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
};

function typeOf(s: Schema): string {
  if (s.anyOf) return s.anyOf.map(typeOf).join(" | ");
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (Array.isArray(s.type)) return s.type.join(" | ");
  if (s.type === "array" && s.items) return `${typeOf(s.items)}[]`;
  return s.type ?? "any";
}

function fieldRows(schema: Schema): string {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {})
    .map(
      ([name, s]) =>
        `<tr><td><code>${escape(name)}</code></td><td>${required.has(name) ? "是" : ""}</td><td>${escape(typeOf(s))}</td><td>${escape(s.description ?? "")}</td></tr>`,
    )
    .join("");
}

function markdownLite(text: string): string {
  return escape(text)
    .split("\n\n")
    .map((para) =>
      para.includes("\n- ")
        ? `<p>${para.split("\n- ")[0]}</p><ul>${para
            .split("\n- ")
            .slice(1)
            .map((li) => `<li>${li}</li>`)
            .join("")}</ul>`
        : `<p>${para}</p>`,
    )
    .join("")
    .replace(/`([^`]+)`/g, "<code>$1</code>");
}

export function renderReferencePage(document: OpenApiDocument): string {
  const sections = Object.entries(document.paths).map(([path, item]) => {
    const op = (item as { post: PostOperation }).post;
    const body = op.requestBody.content["application/x-www-form-urlencoded"]?.schema ?? {};
    const success = op.responses["200"]?.content?.["application/json"]?.schema;
    return `<section id="${escape(op.operationId)}">
<h2>${escape(op.summary)}</h2>
<p class="path">POST <code>${escape(path)}</code></p>
${markdownLite(op.description)}
<h3>请求参数</h3>
<table><thead><tr><th>字段</th><th>必填</th><th>类型</th><th>说明</th></tr></thead><tbody>${fieldRows(body)}</tbody></table>
<h3>返回</h3>
<pre>${escape(JSON.stringify(success, null, 2))}</pre>
</section>`;
  });
  const toc = Object.values(document.paths)
    .map((item) => (item as { post: PostOperation }).post)
    .map((op) => `<li><a href="#${escape(op.operationId)}">${escape(op.summary)}</a></li>`)
    .join("");
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>${escape(document.info.title)}</title>
<style>body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
pre{background:#f6f6f6;padding:8px;overflow:auto;max-height:24em}code{background:#f2f2f2;padding:0 3px}.path{font-size:1.1em}</style>
</head><body><h1>${escape(document.info.title)}</h1><p>${escape(document.info.description)}</p>
<p>OpenAPI 文档: <a href="/docs/openapi.json">/docs/openapi.json</a> · 版本 ${escape(document.info.version)}</p>
<ul>${toc}</ul>${sections.join("\n")}</body></html>`;
}
