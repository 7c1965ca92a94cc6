import { request } from "node:http";
import fc from "fast-check";

/**
 * Shared pieces of the fuzz suites: a raw HTTP client that sends exact bytes (invalid UTF-8,
 * duplicate keys, lying content types), the hostile body generators, and the checks every answer
 * must pass whatever was sent.
 */

/** One seed for every property, printed by fast-check on failure; FUZZ_SEED replays another. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20221020);
/** Cases per property: enough to find shape bugs, few enough for two shared cores. */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 150);

export const fuzzParams = (numRuns = FUZZ_RUNS) => ({ seed: FUZZ_SEED, numRuns, endOnFailure: true });

export type RawReply = { status: number; headers: Record<string, string | string[] | undefined>; text: string; bytes: Buffer };

export type RawRequest = {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Sent chunked, without a Content-Length. */ chunked?: boolean;
};

/** Sends exactly these bytes; a socket the server cuts answers status 0. */
export function rawRequest(baseUrl: string, r: RawRequest): Promise<RawReply> {
  const url = new URL(baseUrl);
  const body = r.body === undefined ? undefined : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body, "utf8");
  return new Promise((resolve) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: r.method ?? "POST",
        path: r.path,
        headers: { ...(body && !r.chunked ? { "content-length": String(body.length) } : {}), ...r.headers },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (c: Buffer) => parts.push(c));
        res.on("end", () => {
          const bytes = Buffer.concat(parts);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: bytes.toString("utf8"), bytes });
        });
        res.on("error", () => resolve({ status: 0, headers: {}, text: "", bytes: Buffer.alloc(0) }));
      },
    );
    req.on("error", () => resolve({ status: 0, headers: {}, text: "", bytes: Buffer.alloc(0) }));
    if (body && r.chunked) {
      // Several writes, so the server sees a stream with no declared length.
      for (let at = 0; at < body.length; at += 64 * 1024) req.write(body.subarray(at, at + 64 * 1024));
      req.end();
    } else if (body) req.end(body);
    else req.end();
  });
}

/** What a stack trace or an internal error looks like when it leaks into an answer. */
const LEAK = /\bat [\w.<>$]+ \(|node_modules|\.ts:\d+|\.js:\d+:\d+|TypeError|ReferenceError|SyntaxError: |SqliteError|SQLITE_/;
export function leaksInternals(text: string): boolean {
  return LEAK.test(text);
}

// ---------- generators ----------

/** Any JSON value, including odd numbers and unicode beyond the BMP. */
export const anyJson = fc.jsonValue({ maxDepth: 4 });

/** A value of the wrong kind for a field: every JSON type, plus the strings suppliers send by mistake. */
export const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom(
    "",
    " ",
    "null",
    "undefined",
    "NaN",
    "-1",
    "0",
    "1e309",
    "9".repeat(40),
    "0x10",
    "<script>",
    "'; drop table x;--",
    "\u0000",
    "\ud800",
    "a,b,,c",
    "[]",
    "{}",
    "__proto__",
  ),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }),
);

/** An object whose keys are the given names (and strangers), each with an odd value. */
export function oddFields(names: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  const key = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...names) },
    { weight: 1, arbitrary: fc.constantFrom("__proto__", "constructor", "toString", "hasOwnProperty", "") },
    { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
  );
  return fc.array(fc.tuple(key, oddValue), { maxLength: 12 }).map((pairs) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of pairs) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    return out;
  });
}

/** JSON nested `depth` deep, as arrays or objects. */
export function deepJson(depth: number, kind: "array" | "object"): string {
  return kind === "array" ? "[".repeat(depth) + "]".repeat(depth) : '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
}

/** Every path into a JSON value, so a mutation can hit any field at any depth. */
function pathsOf(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])));
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  return out;
}

export type Mutation = { kind: "set"; value: unknown } | { kind: "delete" } | { kind: "duplicate" };
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  oddValue.map((value): Mutation => ({ kind: "set", value })),
  fc.constant<Mutation>({ kind: "delete" }),
  fc.constant<Mutation>({ kind: "duplicate" }),
);

export function mutate(sample: unknown, pick: number, m: Mutation): unknown {
  const root = structuredClone({ r: sample }) as { r: unknown };
  const paths = pathsOf(root.r);
  const path = paths[pick % paths.length] ?? [];
  if (path.length === 0) return m.kind === "set" ? m.value : m.kind === "delete" ? undefined : [root.r, root.r];
  let parent = root.r as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path.at(-1) as string | number;
  if (m.kind === "set") parent[last] = m.value;
  else if (m.kind === "delete") {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else if (Array.isArray(parent)) parent.push(parent[Number(last)]);
  else parent[`${String(last)}_dup`] = parent[last];
  return root.r;
}

export type WireBody = { label: string; contentType: string | undefined; body: Buffer; headers?: Record<string, string> };

const json = (label: string, text: string, contentType = "application/json"): WireBody => ({ label, contentType, body: Buffer.from(text, "utf8") });

/** Encodes fields the way the generator says: JSON, form, or a lying mix. */
function encoded(fields: Record<string, unknown>): fc.Arbitrary<WireBody> {
  return fc.constantFrom<WireBody>(
    json("json fields", JSON.stringify(fields)),
    {
      label: "form fields",
      contentType: "application/x-www-form-urlencoded",
      body: Buffer.from(
        new URLSearchParams(Object.entries(fields).map(([k, v]): [string, string] => [k, typeof v === "string" ? v : (JSON.stringify(v) ?? "")])).toString(),
      ),
    },
    json("json fields sent as form", JSON.stringify(fields), "application/x-www-form-urlencoded"),
    json("json fields sent as text", JSON.stringify(fields), "text/plain"),
  );
}

/** Malformed bytes of every kind the suites send, for a surface whose field names are `names`. */
export function hostileBody(names: readonly string[]): fc.Arbitrary<WireBody> {
  return fc.oneof(
    oddFields(names).chain(encoded),
    anyJson.map((v) => json("any JSON value", JSON.stringify(v))),
    fc.string({ maxLength: 200 }).map((s) => json("random text as JSON", s)),
    fc.string({ maxLength: 200 }).map((s) => json("random text as form", s, "application/x-www-form-urlencoded")),
    fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => ({ label: "random bytes as JSON", contentType: "application/json", body: Buffer.from(b) })),
    fc
      .uint8Array({ minLength: 1, maxLength: 300 })
      .map((b) => ({ label: "random bytes as form", contentType: "application/x-www-form-urlencoded", body: Buffer.from(b) })),
    fc.constantFrom(...names, "x").map((name) => ({
      label: "invalid UTF-8 in a JSON string",
      contentType: "application/json; charset=utf-8",
      body: Buffer.concat([Buffer.from(`{"${name}":"`), Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0xed, 0xa0, 0x80]), Buffer.from('"}')]),
    })),
    fc.constantFrom(...names, "x").map((name) => ({
      label: "invalid UTF-8 in a form value",
      contentType: "application/x-www-form-urlencoded",
      body: Buffer.from(`${name}=%C3%28%FF%FE&${name}2=%ED%A0%80`),
    })),
    fc
      .tuple(fc.constantFrom(...names, "x"), oddValue, oddValue)
      .map(([name, a, b]) => json("duplicate keys", `{"${name}":${JSON.stringify(a) ?? "null"},"${name}":${JSON.stringify(b) ?? "null"}}`)),
    fc.tuple(fc.constantFrom(...names, "x"), fc.array(fc.string({ maxLength: 12 }), { minLength: 2, maxLength: 5 })).map(([name, values]) => ({
      label: "duplicate form keys",
      contentType: "application/x-www-form-urlencoded",
      body: Buffer.from(values.map((v) => `${encodeURIComponent(name)}=${encodeURIComponent(v)}`).join("&")),
    })),
    fc
      .tuple(fc.integer({ min: 100, max: 20_000 }), fc.constantFrom<"array" | "object">("array", "object"))
      .map(([d, kind]) => json(`deep JSON ${kind} ${d}`, deepJson(d, kind))),
    fc.constantFrom(...names, "x").map((name) => json("deep JSON in a field", `{"${name}":${deepJson(5_000, "object")}}`)),
    fc
      .tuple(fc.constantFrom(...names, "x"), fc.integer({ min: 10_000, max: 200_000 }))
      .map(([name, n]) => json("long field", JSON.stringify({ [name]: "字".repeat(n) }))),
    fc
      .tuple(
        oddFields(names),
        fc.constantFrom(
          "application/json; charset=latin1",
          "application/json; charset=utf-16",
          "application/x-www-form-urlencoded; charset=koi8-r",
          "text/plain",
          "application/xml",
          "multipart/form-data; boundary=x",
          "application/octet-stream",
          'application/json; charset="',
          "*/*",
          "",
        ),
      )
      .map(([fields, contentType]) => ({ label: `content type ${contentType}`, contentType, body: Buffer.from(JSON.stringify(fields)) })),
    fc.tuple(oddFields(names), fc.constantFrom("gzip", "deflate", "br", "x-unknown", "gzip, gzip")).map(([fields, encoding]) => ({
      label: `content-encoding ${encoding} that is not`,
      contentType: "application/json",
      headers: { "content-encoding": encoding },
      body: Buffer.from(JSON.stringify(fields)),
    })),
    oddFields(names).map((fields) => ({ label: "no content type", contentType: undefined, body: Buffer.from(JSON.stringify(fields)) })),
    fc
      .constantFrom("%", "a=%zz&b=%", "=&=&&=", "a[b]=1&a[c]=2", "__proto__[x]=1", "a=" + "b".repeat(4000))
      .map((s) => json("odd form", s, "application/x-www-form-urlencoded")),
  );
}

/** A body of `bytes` bytes: over the limit the server must answer 413 without reading it all. */
export function oversizedBody(bytes: number, kind: "json" | "form"): WireBody {
  const filler = "a".repeat(bytes);
  return kind === "json"
    ? json("over the limit (JSON)", `{"x":"${filler}"}`)
    : json("over the limit (form)", `x=${filler}`, "application/x-www-form-urlencoded");
}

export const nonPostMethod = fc.constantFrom("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD");

/** The headers that go with a generated body. */
export function wireHeaders(wire: WireBody | undefined): Record<string, string> {
  if (!wire) return {};
  return { ...(wire.contentType === undefined ? {} : { "content-type": wire.contentType }), ...wire.headers };
}
