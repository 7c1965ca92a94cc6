import { defineConfig } from "vitest/config";

/**
 * Integration files about SQLite itself, left out of the postgres project: its WAL checkpointer, its
 * online backup and restore, its durability pragmas, and processes that open the SQLite file directly.
 */
const SQLITE_ONLY = [
  "tests/integration/backup-restore.test.ts",
  "tests/integration/puller-durability.test.ts",
  "tests/integration/database-url.test.ts",
  "tests/integration/pg-*.test.ts",
  "tests/integration/sqlite-sql-store.test.ts",
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default", "./tests/helpers/summary-reporter.ts"],
    projects: [
      { extends: true, test: { name: "sqlite", include: ["tests/**/*.test.ts"] } },
      {
        extends: true,
        test: {
          name: "postgres",
          include: ["tests/integration/**/*.test.ts"],
          exclude: SQLITE_ONLY,
          env: { EMALL_TEST_DATABASE: "postgres" },
          // After the sqlite project, not beside it: production-runtime.test.ts rebuilds dist/ in each
          // project, and one project's build would delete the compiled gateway the other is running.
          sequence: { groupOrder: 1 },
          globalSetup: ["tests/helpers/pg-global-setup.ts"],
        },
      },
    ],
  },
});
