import { syncRuns } from "../schema/index.js";
import { statementFor } from "../sql/placeholders.js";
import type { SqlStore } from "../sql/sql-store.js";
import { selectColumns } from "./row-sql.js";

export type SyncRunRow = typeof syncRuns.$inferSelect;

/** The sync log's runs: one row per pull, stock refresh or replay, started and then finished. */
export type SyncRunRepo = ReturnType<typeof createSyncRunRepo>;

export function createSyncRunRepo(sql: SqlStore) {
  const statement = statementFor(sql.dialect);
  const S = {
    start: statement((p) => `INSERT INTO sync_runs (id, supplier_id, "trigger", started_at, status) VALUES (${p()}, ${p()}, ${p()}, ${p()}, 'running')`),
    finish: statement(
      (p) => `UPDATE sync_runs SET status = ${p()}, ended_at = ${p()}, counts_json = ${p()}, calls_made = ${p()}, errors_json = ${p()} WHERE id = ${p()}`,
    ),
    one: statement((p) => `SELECT ${selectColumns(syncRuns)} FROM sync_runs WHERE id = ${p()}`),
  };

  return {
    async startRun(run: Pick<SyncRunRow, "id" | "supplierId" | "trigger" | "startedAt">): Promise<void> {
      await sql.run(S.start, [run.id, run.supplierId, run.trigger, run.startedAt]);
    },
    async finishRun(id: string, change: Pick<SyncRunRow, "status" | "endedAt" | "countsJson" | "callsMade" | "errorsJson">): Promise<void> {
      await sql.run(S.finish, [change.status, change.endedAt, change.countsJson, change.callsMade, change.errorsJson, id]);
    },
    /** The newest runs first, of one supplier or all, started before `before` when given. */
    runs(filter: { supplierId?: number; limit: number; before?: number }): Promise<SyncRunRow[]> {
      const values: unknown[] = [];
      const text = statement((p) => {
        const where: string[] = [];
        if (filter.supplierId !== undefined) {
          where.push(`supplier_id = ${p()}`);
          values.push(filter.supplierId);
        }
        if (filter.before !== undefined) {
          where.push(`started_at < ${p()}`);
          values.push(filter.before);
        }
        values.push(filter.limit);
        return `SELECT ${selectColumns(syncRuns)} FROM sync_runs ${where.length > 0 ? `WHERE ${where.join(" AND ")} ` : ""}ORDER BY started_at DESC LIMIT ${p()}`;
      });
      return sql.all<SyncRunRow>(text, values);
    },
    run: (id: string): Promise<SyncRunRow | undefined> => sql.get<SyncRunRow>(S.one, [id]),
  };
}
