/** Rows read one keyset page at a time for a download, so a million rows never sit in memory. */
export const EXPORT_PAGE = 1000;
/** A download stops here; a bigger one is cut by filters (supplier, status, time range). */
export const EXPORT_MAX_ROWS = 2_000_000;

export function* keysetRows<T, C>(page: (cursor: C | undefined, limit: number) => T[], cursorOf: (last: T) => C): Generator<T> {
  let cursor: C | undefined;
  let total = 0;
  for (;;) {
    const rows = page(cursor, EXPORT_PAGE);
    for (const row of rows) yield row;
    total += rows.length;
    const last = rows.at(-1);
    if (rows.length < EXPORT_PAGE || last === undefined || total >= EXPORT_MAX_ROWS) return;
    cursor = cursorOf(last);
  }
}
