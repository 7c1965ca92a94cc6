import { describe, expect, it } from "vitest";
import { toPostgres } from "../../src/store/pg-sync/portable-sql.js";

describe("the store's SQL made ready for PostgreSQL", () => {
  it("numbers positional placeholders, and leaves question marks in literals and quoted names alone", () => {
    const s = toPostgres(`SELECT "a?" FROM t WHERE x = ? AND y = '?' AND z IN (?, ?)`);
    expect(s.text).toBe(`SELECT "a?" FROM t WHERE x = $1 AND y = '?' AND z IN ($2, $3)`);
    expect(s).toMatchObject({ names: null, positional: 3 });
  });

  it("binds a named parameter used twice to one $n, in first-use order", () => {
    const s = toPostgres("UPDATE l SET holder = @holder WHERE expires_at <= @now OR holder = @holder");
    expect(s.text).toBe("UPDATE l SET holder = $1 WHERE expires_at <= $2 OR holder = $1");
    expect(s.names).toEqual(["holder", "now"]);
  });

  it("keeps PostgreSQL casts (::) and doubled quotes inside literals", () => {
    expect(toPostgres("SELECT 'it''s' || ?::text").text).toBe("SELECT 'it''s' || $1::text");
  });

  it("quotes camelCase aliases, which PostgreSQL would fold to lower case", () => {
    expect(toPostgres("SELECT supplier_id AS supplierId, sku AS sku FROM p").text).toBe('SELECT supplier_id AS "supplierId", sku AS sku FROM p');
  });

  it("fills drizzle's null for a column left out with DEFAULT, but keeps a hand-written NULL and nulls outside VALUES", () => {
    expect(toPostgres('insert into "t" ("id", "a", "b") values (null, ?, NULL) on conflict ("t"."id") do update set "a" = null').text).toBe(
      'insert into "t" ("id", "a", "b") values (DEFAULT, $1, NULL) on conflict ("id") do update set "a" = null',
    );
  });

  it("reads a JSON array parameter as rows of value", () => {
    expect(toPostgres("SELECT sku FROM m WHERE sku IN (SELECT value FROM json_each(?))").text).toBe(
      "SELECT sku FROM m WHERE sku IN (SELECT value FROM json_array_elements_text($1::json) AS json_each(value))",
    );
  });

  it("refuses a statement that mixes positional and named parameters", () => {
    expect(() => toPostgres("SELECT ? , @x")).toThrow(/mixes positional and named/);
  });
});
