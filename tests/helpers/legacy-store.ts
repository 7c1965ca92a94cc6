import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { MIGRATIONS_FOLDER } from "../../src/store/database.js";

/**
 * A SQLite store at `path` as it was before the migration whose tag ends with `tagSuffix`: every
 * migration before it applied, and the connection left open for the test to write the old rows.
 */
export function storeBefore(path: string, tagSuffix: string): Database.Database {
  const folder = mkdtempSync(join(tmpdir(), "emall-legacy-migrations-"));
  try {
    mkdirSync(join(folder, "meta"));
    const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, "meta/_journal.json"), "utf8")) as { entries: Array<{ tag: string }> };
    const at = journal.entries.findIndex((e) => e.tag.endsWith(tagSuffix));
    if (at < 0) throw new Error(`no migration ${tagSuffix}`);
    journal.entries = journal.entries.slice(0, at);
    writeFileSync(join(folder, "meta/_journal.json"), JSON.stringify(journal));
    for (const e of journal.entries) copyFileSync(join(MIGRATIONS_FOLDER, `${e.tag}.sql`), join(folder, `${e.tag}.sql`));
    const sqlite = new Database(path);
    migrate(drizzle(sqlite), { migrationsFolder: folder });
    return sqlite;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
