import { describe, expect, it } from "vitest";
import { numbered } from "../helpers/raw-sql.js";

describe("a test's own statement on PostgreSQL", () => {
  it("numbers its ? placeholders in order, leaving a ? inside a quoted literal alone", () => {
    expect(numbered("SELECT id FROM t WHERE a = ? AND b IN (?, ?)")).toBe("SELECT id FROM t WHERE a = $1 AND b IN ($2, $3)");
    expect(numbered("UPDATE t SET note = 'why?' WHERE id = ?")).toBe("UPDATE t SET note = 'why?' WHERE id = $1");
    expect(numbered("SELECT 'it''s ?', ? FROM t")).toBe("SELECT 'it''s ?', $1 FROM t");
    expect(numbered("SELECT count(*) FROM t")).toBe("SELECT count(*) FROM t");
  });
});
