/**
 * The text a person reads on a console page, split into what the product wrote and the machine
 * values it shows (ids, skus, codes, raw bodies, times): text inside `code`, `pre`, `time` or an
 * element of class `mono` is a value, everything else is the product's own words.
 */
const VOID = new Set(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"]);
/** Elements whose content nobody reads as text. */
const HIDDEN = new Set(["script", "style", "head"]);
const VALUE_TAGS = new Set(["code", "pre", "time", "kbd", "samp"]);
/** Attributes a person reads or hears (placeholder, screen reader names, image text). */
const READ_ATTRIBUTES = ["placeholder", "aria-label", "alt", "title"];

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", nbsp: " " };
const decode = (s: string) => s.replace(/&(#?\w+);/g, (m, e: string) => ENTITIES[e] ?? (e.startsWith("#") ? String.fromCodePoint(Number(e.slice(1))) : m));

export function productText(html: string): string[] {
  const out: string[] = [];
  // One stack entry per open element: whether its content is hidden or a machine value.
  const stack: Array<{ tag: string; skip: boolean }> = [];
  const skipping = () => stack.some((e) => e.skip);
  const re = /<!--[\s\S]*?-->|<!doctype[^>]*>|<\/?([a-zA-Z][\w-]*)((?:\s+[^\s=>/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?)*)\s*\/?>|([^<]+)/gi;
  for (const m of html.matchAll(re)) {
    const [whole, tagName, attrs = "", text] = m;
    if (text !== undefined) {
      const t = decode(text).replace(/\s+/g, " ").trim();
      if (t && !skipping()) out.push(t);
      continue;
    }
    if (!tagName) continue;
    const tag = tagName.toLowerCase();
    if (whole.startsWith("</")) {
      const at = stack.map((e) => e.tag).lastIndexOf(tag);
      if (at >= 0) stack.length = at;
      continue;
    }
    const cls = /\sclass="([^"]*)"/.exec(attrs)?.[1] ?? "";
    const value = VALUE_TAGS.has(tag) || /\bmono\b/.test(cls) || /\bsecret\b/.test(cls);
    if (!skipping() && !HIDDEN.has(tag)) {
      for (const a of READ_ATTRIBUTES) {
        const v = new RegExp(`\\s${a}="([^"]*)"`).exec(attrs)?.[1];
        if (v && !value) out.push(decode(v));
      }
    }
    if (VOID.has(tag) || whole.endsWith("/>")) continue;
    stack.push({ tag, skip: HIDDEN.has(tag) || value });
  }
  return out;
}

/**
 * Terms a zh-CN page legitimately writes in Latin letters: contract and protocol names, units,
 * the console's format names. Anything else in Latin letters is an English word from the product.
 */
export const LATIN_TERMS = new Set([
  "SKU",
  "sku",
  "HTTP",
  "HTTPS",
  "http",
  "https",
  "JSON",
  "CSV",
  "QPS",
  "JWS",
  "SVG",
  "API",
  "URL",
  "cron",
  "ms",
  "appSecret",
  "PDF",
  "jpg",
  "jpeg",
  "png",
  "pdf",
  "jpg/jpeg/png",
  "jpg/jpeg/png/pdf",
  "http(s",
  "GB/T",
  "UTC",
  "X-Sign",
  "X-Sign-Timestamp",
  // The contract's own field and term names (§2, §5), which staff and suppliers read in the docs as written.
  "token",
  "Token",
  "Access",
  "desc",
  "nonce",
  "platformCode",
  "timestamp",
  "yggc_order",
  "interfaceCode",
  "catalogId",
  "url",
  "image_path",
  "images.path",
  "certifications.certUrl",
  "price",
  "mall_price",
  "brand_id",
  "promises",
  "sevenDayReturn",
  "attributes",
  "messageId",
  "id",
  "KITTEST",
]);

/** Every Latin word of the product's own text that is neither a known term nor a value from the data. */
export function englishWords(html: string, dataValues: ReadonlySet<string>): string[] {
  const found: string[] = [];
  for (const chunk of productText(html)) {
    // URLs, host names and e-mail addresses are data.
    const text = chunk
      .replace(/https?:\/\/\S+/g, " ")
      .replace(/\b[\w.-]+@[\w.-]+\b/g, " ")
      .replace(/\b(?:[a-z0-9-]+\.)+[a-z]{2,}\b/gi, " ");
    if ([...dataValues].some((v) => v.length > 1 && chunk === v)) continue;
    let rest = text;
    for (const v of [...dataValues].sort((a, b) => b.length - a.length)) if (v.length > 2 && /[A-Za-z]/.test(v)) rest = rest.split(v).join(" ");
    // A token with a digit or an underscore is an identifier or a code (run_x, TJ0001, S-11, p95, SHA-256).
    for (const token of rest.split(/[^A-Za-z0-9_'.\-/:]+/)) {
      const word = token.replace(/^[-'.:/]+|[-'.:/]+$/g, "");
      if (!/[A-Za-z]{2,}/.test(word) || /[\d_]/.test(word) || LATIN_TERMS.has(word) || dataValues.has(word)) continue;
      found.push(`${word} ⟨${chunk.slice(0, 80)}⟩`);
    }
  }
  return found;
}
