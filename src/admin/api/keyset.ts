/** Rows read one keyset page at a time for a download, so a million rows never sit in memory. */
export const EXPORT_PAGE = 1000;
/** A download stops here; a bigger one is cut by filters (supplier, status, time range). */
export const EXPORT_MAX_ROWS = 2_000_000;

type Awaitable<T> = T | Promise<T>;

export async function* keysetRows<T, C>(page: (cursor: C | undefined, limit: number) => Awaitable<T[]>, cursorOf: (last: T) => C): AsyncGenerator<T> {
  yield* keysetPages(async (cursor: C | undefined, limit) => {
    const rows = await page(cursor, limit);
    const last = rows.at(-1);
    return { rows, next: rows.length < limit || last === undefined ? null : cursorOf(last) };
  });
}

/** The same for a search whose page may end early with a cursor to go on from (a bounded index scan). */
export async function* keysetPages<T, C>(page: (cursor: C | undefined, limit: number) => Awaitable<{ rows: T[]; next: C | null }>): AsyncGenerator<T> {
  let cursor: C | undefined;
  let total = 0;
  for (;;) {
    const { rows, next } = await page(cursor, EXPORT_PAGE);
    for (const row of rows) yield row;
    total += rows.length;
    if (next === null || total >= EXPORT_MAX_ROWS) return;
    cursor = next;
  }
}
