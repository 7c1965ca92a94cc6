import type { Store } from "../../src/store/database.js";

/**
 * Makes every insert into `table` fail with `message`, as a full disk would, until `restore` is
 * called: a trigger in the store's own dialect (SQLite's RAISE, PostgreSQL's plpgsql RAISE).
 */
export function failInserts(store: Store, table: string, message: string): { restore(): void } {
  const name = `${table}_failing_insert`;
  const quoted = message.replaceAll("'", "''");
  if (store.dialect === "postgres") {
    store.sqlite.exec(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '${quoted}'; END $$`);
    store.sqlite.exec(`CREATE TRIGGER ${name} BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}()`);
    return {
      restore: () => {
        store.sqlite.exec(`DROP TRIGGER ${name} ON ${table}`);
        store.sqlite.exec(`DROP FUNCTION ${name}()`);
      },
    };
  }
  store.sqlite.exec(`CREATE TRIGGER ${name} BEFORE INSERT ON ${table} BEGIN SELECT RAISE(ABORT, '${quoted}'); END`);
  return { restore: () => store.sqlite.exec(`DROP TRIGGER ${name}`) };
}
