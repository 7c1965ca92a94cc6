import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { TICK_MEMORY_MS, claimTick } from "../../src/store/pg-coordination/tick-claim.js";
import { useInstancesOnOneCluster } from "../helpers/pg-instances.js";

/** Scheduler ticks claimed by several instances (one pg.Pool each) on one throwaway PostgreSQL cluster. */
const { dbOf, count } = useInstancesOnOneCluster(4);
const instances = Array.from({ length: count }, (_, i) => i);

const MINUTE_MS = 60_000;
const tickRows = async (job: string) =>
  (await dbOf(0).execute<{ tick_start: string; instance: string }>(sql`SELECT tick_start, instance FROM scheduler_ticks WHERE job = ${job} ORDER BY tick_start`)).rows;

describe("claimTick with several instances on one PostgreSQL", () => {
  it("answers true to exactly one instance per job and tick, however many race for it", async () => {
    const base = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
    const jobs = ["pull:S-001", "stock:S-001", "prune-nonces"];
    for (let tick = 0; tick < 15; tick++) {
      const tickStart = base + tick * MINUTE_MS;
      // Every instance's cron fires each job at once, twice over (a tick may be delivered late and again).
      const racers = jobs.flatMap((job) => instances.flatMap((_, i) => [0, 1].map((k) => ({ job, instance: `inst-${i}-${k}`, db: dbOf(i) }))));
      const won = await Promise.all(racers.map((r) => claimTick(r.db, r.job, tickStart, r.instance)));
      for (const job of jobs) {
        const winners = racers.filter((r, n) => r.job === job && won[n]);
        expect(winners, `${job} tick ${tick}`).toHaveLength(1);
        const [row] = (await tickRows(job)).filter((t) => Number(t.tick_start) === tickStart);
        expect(row?.instance).toBe(winners[0]?.instance);
      }
    }
    // Claimed once, a tick stays claimed: a late instance arriving afterwards stands down.
    expect(await claimTick(dbOf(3), "pull:S-001", base, "late")).toBe(false);
  });

  it("forgets a job's ticks older than its memory when it claims a new one, and never claims so old a tick", async () => {
    const now = Date.now();
    const job = "pull:S-OLD";
    const old = now - TICK_MEMORY_MS - 10 * MINUTE_MS;
    await dbOf(0).execute(sql`INSERT INTO scheduler_ticks (job, tick_start, instance, claimed_at) VALUES (${job}, ${old}, 'gone', ${old}), ('other-job', ${old}, 'gone', ${old})`);
    const recent = now - 2 * MINUTE_MS;
    expect(await claimTick(dbOf(1), job, recent, "inst-1")).toBe(true);
    expect((await tickRows(job)).map((t) => Number(t.tick_start))).toEqual([recent]);
    // Pruning is per job: another job's rows wait for that job's next claim.
    expect(await tickRows("other-job")).toHaveLength(1);

    // Forgotten, an old tick would look unclaimed: it is refused instead of run a second time.
    expect(await claimTick(dbOf(2), job, old, "inst-2")).toBe(false);
    expect((await tickRows(job)).map((t) => Number(t.tick_start))).toEqual([recent]);
  });
});
