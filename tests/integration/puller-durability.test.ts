import { afterEach, describe, expect, it } from "vitest";
import { type PullerWorld, compareWithTruth, pullOnce, startPullerWorld } from "../helpers/puller-harness.js";
import { sqliteOnly } from "../helpers/raw-sql.js";

let world: PullerWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

// SQLite's own durability: its triggers, its synchronous pragma (the file is in the sqlite project only).
const count = (w: PullerWorld, sql: string, ...params: unknown[]): number =>
  sqliteOnly(w.gw.container.store)
    .connection.prepare(sql)
    .pluck()
    .get(...params) as number;

describe("what the puller keeps when a chunk rolls back", () => {
  it("keeps the call-log rows of a chunk whose transaction rolled back", async () => {
    world = await startPullerWorld({ products: 30, invalidShare: 0 });
    const { connection: sqlite } = sqliteOnly(world.gw.container.store);
    // The disk fills up at the chunk's last write (its call log, after its message logs): the whole
    // chunk rolls back. Once the chunk is gone the same rows fit again (the run's closing write).
    sqlite.exec(
      "CREATE TRIGGER calls_disk_full BEFORE INSERT ON sync_calls WHEN EXISTS (SELECT 1 FROM sync_message_logs WHERE run_id = NEW.run_id) " +
        "BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    );
    const failed = await pullOnce(world);
    expect(failed.status).toBe("failed");
    expect(failed.errors.at(-1)?.message).toContain("disk full");
    expect(count(world, "SELECT count(*) FROM sync_message_logs WHERE run_id = ?", failed.runId)).toBe(0);
    // The chunk made its S-4…S-10 calls, then rolled back: the calls still happened and stay on record.
    expect(failed.callsByOperation.detail).toBe(30);
    expect(count(world, "SELECT count(*) FROM sync_calls WHERE run_id = ?", failed.runId)).toBe(failed.callsMade);
    expect(count(world, "SELECT count(*) FROM sync_calls WHERE run_id = ? AND operation = 'detail'", failed.runId)).toBe(30);

    sqlite.exec("DROP TRIGGER calls_disk_full");
    const next = await pullOnce(world);
    expect(next.status).toBe("succeeded");
    expect(count(world, "SELECT count(*) FROM sync_calls WHERE run_id = ?", next.runId)).toBe(next.callsMade);
    expect(await compareWithTruth(world)).toEqual([]);
  });
});

describe("the inbox commit that precedes a delete (S-3)", () => {
  it("is made at synchronous=FULL, and the connection is back at NORMAL afterwards", async () => {
    world = await startPullerWorld({ products: 30, invalidShare: 0 });
    const { connection: sqlite } = sqliteOnly(world.gw.container.store);
    // What the connection's synchronous level is at the moment each message is written.
    sqlite.exec("CREATE TABLE sync_probe (level INTEGER)");
    sqlite.exec("CREATE TRIGGER inbox_probe AFTER INSERT ON message_inbox BEGIN INSERT INTO sync_probe SELECT synchronous FROM pragma_synchronous; END");
    const run = await pullOnce(world);
    expect(run.status).toBe("succeeded");
    const levels = sqlite.prepare("SELECT level FROM sync_probe").pluck().all();
    expect(levels).toHaveLength(30);
    expect(new Set(levels)).toEqual(new Set([2])); // FULL
    expect(sqlite.pragma("synchronous", { simple: true })).toBe(1); // NORMAL for everything else
    // And the delete came only after that commit: every message was in the inbox when S-3 went out.
    expect(count(world, "SELECT count(*) FROM message_inbox WHERE deleted_at IS NOT NULL")).toBe(30);
  });
});
