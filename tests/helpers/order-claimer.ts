/**
 * A pusher process reduced to its claims, for races between processes on one database: it opens
 * the store, says `ready`, waits for `go` on stdin, then claims due orders in small batches until
 * none is left, printing each batch as a JSON line of order ids. Its leases outlast the race.
 * Between batches it spends a few milliseconds as a pusher would on the orders it holds: without
 * that, on a loaded machine the first process to wake can drain every order before the others run,
 * and the race the test is about never happens.
 *
 * node --import tsx tests/helpers/order-claimer.ts DATABASE_URL OWNER BATCH
 */
import { createInterface } from "node:readline";
import { setTimeout as pushing } from "node:timers/promises";
import { databaseTarget } from "../../src/config/config.js";
import { openPgStore, openStore } from "../../src/store/database.js";
import { createOrderRepo } from "../../src/store/repos/order-repo.js";

const [url = "", owner = "", batch = "3"] = process.argv.slice(2);
const target = databaseTarget({ DATABASE_URL: url });
const store = target.kind === "postgres" ? await openPgStore(target.url) : openStore(target.path);
const repo = createOrderRepo(store.sql);
const LEASE_MS = 10 * 60_000;
/** What pushing one batch costs here: enough for the other claimers to be scheduled in between. */
const PUSH_MS = 5;

const lines = createInterface({ input: process.stdin });
process.stdout.write("ready\n");
for await (const line of lines) {
  if (line.trim() !== "go") continue;
  for (;;) {
    const claimed = await repo.claimDue(owner, Date.now(), LEASE_MS, Number(batch));
    if (claimed.length === 0) break;
    process.stdout.write(`${JSON.stringify(claimed.map((o) => o.id))}\n`);
    await pushing(PUSH_MS);
  }
  break;
}
lines.close();
store.close();
