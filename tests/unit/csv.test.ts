import { describe, expect, it } from "vitest";
import { csvField, csvLine } from "../../src/admin/api/csv.js";

describe("CSV fields (RFC 4180, safe to open in Excel)", () => {
  it("quotes commas, quotes and line breaks, doubling quotes", () => {
    expect(csvField('联想,"小新"\r\n14')).toBe('"联想,""小新""\r\n14"');
    expect(csvField("plain 文本")).toBe("plain 文本");
    expect(csvLine(["a", 1, null, undefined, "b,c"])).toBe('a,1,,,"b,c"\r\n');
  });
  it("keeps a spreadsheet from running text as a formula, but leaves numbers alone", () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvField("+86 138")).toBe("'+86 138");
    expect(csvField("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvField(-5)).toBe("-5");
  });
});
