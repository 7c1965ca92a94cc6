/**
 * The repositories' SQL, written once, made ready for PostgreSQL: placeholders become `$n`, and the
 * few SQLite spellings the store uses get their PostgreSQL form. Everything else is SQL both read
 * the same way; a statement that needs more than this has a dialect branch beside it in its repository.
 */
export type PortableStatement = {
  /** The PostgreSQL text. */
  readonly text: string;
  /** For named parameters (`@name`, `:name`, `$name`): the name bound at each `$n`; null when positional. */
  readonly names: readonly string[] | null;
  /** The number of positional `?` parameters. */
  readonly positional: number;
};

const cache = new Map<string, PortableStatement>();
/** drizzle renders its statements anew on each call; their texts repeat, so the translations are kept. */
const CACHE_LIMIT = 5_000;

export function toPostgres(sql: string): PortableStatement {
  const known = cache.get(sql);
  if (known) return known;
  const translated = translate(sql);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(sql, translated);
  return translated;
}

function translate(sql: string): PortableStatement {
  const names: string[] = [];
  const indexOfName = new Map<string, number>();
  let positional = 0;
  let out = "";
  for (let i = 0; i < sql.length;) {
    const ch = sql[i] as string;
    // Literals and quoted identifiers are copied as they are.
    if (ch === "'" || ch === '"') {
      const end = closing(sql, i, ch);
      out += sql.slice(i, end);
      i = end;
      continue;
    }
    if (ch === "?") {
      positional++;
      out += `$${positional}`;
      i++;
      continue;
    }
    if ((ch === "@" || ch === ":" || ch === "$") && /[A-Za-z_]/.test(sql[i + 1] ?? "") && !(ch === ":" && sql[i - 1] === ":")) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1));
      const name = match?.[0] ?? "";
      let index = indexOfName.get(name);
      if (index === undefined) {
        names.push(name);
        index = names.length;
        indexOfName.set(name, index);
      }
      out += `$${index}`;
      i += 1 + name.length;
      continue;
    }
    out += ch;
    i++;
  }
  if (positional > 0 && names.length > 0) throw new Error("a statement mixes positional and named parameters");
  return { text: spellings(out), names: names.length > 0 ? names : null, positional };
}

function closing(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return i;
}

const SPELLINGS: Array<[RegExp, string]> = [
  // PostgreSQL folds an unquoted alias to lower case; the rows are keyed like drizzle's camelCase.
  [/\bAS ([a-z]+[A-Z][A-Za-z0-9]*)\b/g, 'AS "$1"'],
  [/\bunixepoch\(\)/gi, "floor(extract(epoch from clock_timestamp()))::bigint"],
  // A JSON array bound as text, read as rows of `value`.
  [/\bjson_each\((\$\d+)\)/gi, "json_array_elements_text($1::json) AS json_each(value)"],
  [/\binstr\(/gi, "strpos("],
];

function spellings(text: string): string {
  // drizzle's SQLite conflict target names its columns with the table; PostgreSQL takes bare names.
  let out = text.replace(/\bon conflict \(([^)]*)\)/gi, (_, columns: string) => `on conflict (${columns.replace(/"[^"]+"\."([^"]+)"/g, '"$1"')})`);
  for (const [pattern, replacement] of SPELLINGS) out = out.replace(pattern, replacement);
  return insertDefaults(out);
}

/**
 * drizzle's SQLite inserts write `null` for a column left out that has no default of its own (an
 * identity id among them), where PostgreSQL needs DEFAULT to fill it. In VALUES, a bare null
 * element becomes DEFAULT: the column's default where it has one, NULL where it does not.
 */
function insertDefaults(text: string): string {
  if (!/^\s*insert\b/i.test(text)) return text;
  const values = /\bvalues\b/i.exec(text);
  if (!values) return text;
  const head = text.slice(0, values.index);
  const rest = text.slice(values.index);
  const tailAt = rest.search(/\b(on conflict|returning)\b/i);
  const body = tailAt < 0 ? rest : rest.slice(0, tailAt);
  const tail = tailAt < 0 ? "" : rest.slice(tailAt);
  // drizzle writes a lower-case null; a hand-written NULL means NULL and is left alone.
  return head + body.replace(/([(,]\s*)null(?=\s*[,)])/g, "$1DEFAULT") + tail;
}
