import type { Response } from "express";
import type { CsvDownload } from "./route-types.js";

/** Excel opens a UTF-8 file as UTF-8 only with the byte-order mark. */
const BOM = "\uFEFF";
/** Rows written between checks of the socket's backpressure. */
const FLUSH_EVERY = 500;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line break, quotes doubled.
 * Text that Excel would run as a formula (= + - @ and tab/CR first) gets a leading apostrophe.
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvLine = (values: ReadonlyArray<string | number | null | undefined>) => `${values.map(csvField).join(",")}\r\n`;

/** Streams the rows as they are read, waiting for the socket to drain, so memory stays flat. */
export async function sendCsv(res: Response, download: CsvDownload): Promise<void> {
  res.status(200);
  res.setHeader("Content-Type", "text/csv; charset=utf-8");
  res.setHeader("Content-Disposition", `attachment; filename="${download.filename.replace(/[^A-Za-z0-9._-]/g, "_")}"`);
  res.write(BOM + csvLine(download.header));
  let chunk = "";
  let n = 0;
  for await (const row of download.rows) {
    chunk += csvLine(row);
    if (++n % FLUSH_EVERY === 0) {
      if (!res.write(chunk)) await new Promise<void>((resolve) => res.once("drain", resolve));
      chunk = "";
      if (res.destroyed) return;
    }
  }
  res.end(chunk);
}
