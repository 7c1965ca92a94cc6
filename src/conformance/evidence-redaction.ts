/**
 * Secrets out of a report's evidence. A report is signed and handed to the supplier and to people
 * who never had the sandbox account, so no token, secret, password or signature field may reach
 * it, however the supplier formatted its answer (pretty-printed JSON, form bodies, nested objects).
 */

export const REDACTED = "***";

/** Names compared without case, `_` or `-`: access_token, accessToken and Access-Token are one name. */
const SECRET_NAMES = new Set(["sign", "signature", "xsign", "pwd", "passwd", "password", "secret", "appsecret", "token", "accesstoken"]);
const SECRET_SUFFIX = /(?:token|secret|password|passwd)$/;

const normalized = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, "");

/** A field whose value is a credential: sign, token, *_token, *secret, *password… */
export function isSecretName(name: string): boolean {
  const n = normalized(name);
  return SECRET_NAMES.has(n) || SECRET_SUFFIX.test(n);
}

const isJsonSpace = (c: string | undefined) => c === " " || c === "\t" || c === "\n" || c === "\r";

/**
 * Where in `text` (valid JSON) the values of secret members are, at any depth, as [start, end)
 * ranges. A scan of the text itself rather than parse-and-print, so everything else stays as the
 * supplier sent it: its layout (the evidence of a multi-line answer), number spellings past
 * double precision, key order. Iterative: a hostile answer nested thousands deep costs no stack.
 */
function secretValueRanges(text: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  // Per open container: whether it is an object, and the key whose value comes next (null: a key comes next).
  const stack: Array<{ object: boolean; key: string | null }> = [];
  let open: { from: number; depth: number } | null = null;
  const valueStarts = (at: number) => {
    const top = stack.at(-1);
    if (open === null && top?.object && top.key !== null && isSecretName(top.key)) open = { from: at, depth: stack.length };
  };
  const valueEnds = (at: number) => {
    if (open !== null && open.depth === stack.length) {
      ranges.push([open.from, at]);
      open = null;
    }
    const top = stack.at(-1);
    if (top?.object) top.key = null;
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (isJsonSpace(c) || c === "," || c === ":") {
      i++;
    } else if (c === "{" || c === "[") {
      valueStarts(i);
      stack.push({ object: c === "{", key: null });
      i++;
    } else if (c === "}" || c === "]") {
      stack.pop();
      i++;
      valueEnds(i);
    } else if (c === '"') {
      const from = i;
      for (i++; i < text.length && text[i] !== '"'; i += text[i] === "\\" ? 2 : 1);
      i++;
      const top = stack.at(-1);
      if (top?.object && top.key === null) {
        top.key = JSON.parse(text.slice(from, i)) as string;
      } else {
        valueStarts(from);
        valueEnds(i);
      }
    } else {
      // true, false, null or a number.
      const from = i;
      while (i < text.length && !isJsonSpace(text[i]) && !",]}".includes(text[i] ?? "")) i++;
      valueStarts(from);
      valueEnds(i);
    }
  }
  return ranges;
}

/** The JSON text with every secret member's value replaced by "***", or null when it is not JSON. */
function redactJson(text: string): string | null {
  try {
    JSON.parse(text);
  } catch {
    return null;
  }
  let out = text;
  for (const [from, to] of secretValueRanges(text).reverse()) out = `${out.slice(0, from)}"${REDACTED}"${out.slice(to)}`;
  return out;
}

/**
 * Text that is not JSON (a form body, an error message, a truncated answer): `name=value`,
 * `name: value` and `"name": "value"` pairs of secret names, quoted, escaped-quoted or bare; a quoted
 * value cut off by the end of the text (an answer cut mid-body) counts to its end.
 */
const SECRET_PAIR =
  /((?:^|[^A-Za-z0-9_])(\\?["']?)(?:[A-Za-z0-9_-]*(?:token|secret|password|passwd)|sign|signature|pwd)\2\s*[:=]\s*)(\\"(?:[^"\\]|\\[^"])*\\"|"(?:[^"\\]|\\.)*(?:"|$)|'[^']*'|[^\s"',;&}\]]+)/gi;

function redactLoose(text: string): string {
  return text.replace(SECRET_PAIR, (_match, lead: string, _quote: string, value: string) => {
    if (value.startsWith('\\"')) return `${lead}\\"${REDACTED}\\"`;
    if (value.startsWith('"') || value.startsWith("'")) return `${lead}${value[0]}${REDACTED}${value[0]}`;
    return `${lead}${REDACTED}`;
  });
}

/**
 * Evidence text as a report may carry it: JSON is redacted by its structure; then, for JSON and
 * anything else alike, secret pairs written as text (a form body, a JSON string inside a string).
 */
export function redactText(text: string): string {
  return redactLoose(redactJson(text) ?? text);
}
