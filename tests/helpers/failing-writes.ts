import type { Store } from "../../src/store/database.js";

/**
 * Makes every insert into `table` fail with `message`, as a full disk would, until `restore` is
 * called: a trigger in the store's own dialect (SQLite's RAISE, PostgreSQL's plpgsql RAISE).
 */
export function failInserts(store: Store, table: string, message: string): { restore(): void } {
  const name = `${table}_failing_insert`;
  const quoted = message.replaceAll("'", "''");
  if (store.dialect === "postgres") {
    store.connection.exec(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '${quoted}'; END $$`);
    store.connection.exec(`CREATE TRIGGER ${name} BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}()`);
    return {
      restore: () => {
        store.connection.exec(`DROP TRIGGER ${name} ON ${table}`);
        store.connection.exec(`DROP FUNCTION ${name}()`);
      },
    };
  }
  store.connection.exec(`CREATE TRIGGER ${name} BEFORE INSERT ON ${table} BEGIN SELECT RAISE(ABORT, '${quoted}'); END`);
  return { restore: () => store.connection.exec(`DROP TRIGGER ${name}`) };
}

/**
 * PostgreSQL only: the `nth` insert into `table` fails once as a serialization failure (40001), as
 * when another instance's transaction wins, so the store runs the whole transaction again. The
 * count lives in a sequence, which a rollback does not undo.
 */
export function conflictOnce(store: Store, table: string, nth = 1): { restore(): void } {
  if (store.dialect !== "postgres") throw new Error("serialization failures are PostgreSQL's");
  const name = `${table}_conflict_once`;
  store.connection.exec(`CREATE SEQUENCE ${name}`);
  store.connection.exec(
    `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ` +
      `IF nextval('${name}') = ${nth} THEN RAISE EXCEPTION 'could not serialize access' USING ERRCODE = '40001'; END IF; RETURN NEW; END $$`,
  );
  store.connection.exec(`CREATE TRIGGER ${name} BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}()`);
  return {
    restore: () => {
      store.connection.exec(`DROP TRIGGER ${name} ON ${table}`);
      store.connection.exec(`DROP FUNCTION ${name}()`);
      store.connection.exec(`DROP SEQUENCE ${name}`);
    },
  };
}
