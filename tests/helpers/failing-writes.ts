import type { Store } from "../../src/store/database.js";
import { rawSql } from "./raw-sql.js";

/**
 * Makes every insert into `table` fail with `message`, as a full disk would, until `restore` is
 * called: a trigger in the store's own dialect (SQLite's RAISE, PostgreSQL's plpgsql RAISE).
 */
export async function failInserts(store: Store, table: string, message: string): Promise<{ restore(): Promise<void> }> {
  const db = rawSql(store);
  const name = `${table}_failing_insert`;
  const quoted = message.replaceAll("'", "''");
  if (store.dialect === "postgres") {
    await db.exec(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '${quoted}'; END $$`);
    await db.exec(`CREATE TRIGGER ${name} BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}()`);
    return {
      restore: async () => {
        await db.exec(`DROP TRIGGER ${name} ON ${table}`);
        await db.exec(`DROP FUNCTION ${name}()`);
      },
    };
  }
  await db.exec(`CREATE TRIGGER ${name} BEFORE INSERT ON ${table} BEGIN SELECT RAISE(ABORT, '${quoted}'); END`);
  return { restore: () => db.exec(`DROP TRIGGER ${name}`) };
}

/**
 * PostgreSQL only: the `nth` insert into `table` fails once as a serialization failure (40001), as
 * when another instance's transaction wins, so the store runs the whole transaction again. The
 * count lives in a sequence, which a rollback does not undo.
 */
export async function conflictOnce(store: Store, table: string, nth = 1): Promise<{ restore(): Promise<void> }> {
  if (store.dialect !== "postgres") throw new Error("serialization failures are PostgreSQL's");
  const db = rawSql(store);
  const name = `${table}_conflict_once`;
  await db.exec(`CREATE SEQUENCE ${name}`);
  await db.exec(
    `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ` +
      `IF nextval('${name}') = ${nth} THEN RAISE EXCEPTION 'could not serialize access' USING ERRCODE = '40001'; END IF; RETURN NEW; END $$`,
  );
  await db.exec(`CREATE TRIGGER ${name} BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}()`);
  return {
    restore: async () => {
      await db.exec(`DROP TRIGGER ${name} ON ${table}`);
      await db.exec(`DROP FUNCTION ${name}()`);
      await db.exec(`DROP SEQUENCE ${name}`);
    },
  };
}
