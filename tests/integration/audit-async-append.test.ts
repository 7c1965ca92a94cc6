import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestGateway, startTestGateway } from "../helpers/harness.js";
import { onPostgres } from "../helpers/test-database.js";

/**
 * Audit rows appended inside transactions of the asynchronous store: one chain with the rows the
 * synchronous path appends, a row that lands with its change or not at all, and no fork when many
 * append at once (several transactions in flight on PostgreSQL's pool).
 */
describe("the audit chain on the asynchronous store", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw.close();
  });
  const insertMeta = onPostgres ? "INSERT INTO store_meta (key, value) VALUES ($1, $2)" : "INSERT INTO store_meta (key, value) VALUES (?, ?)";

  it("chains rows from both paths into one log that verifies", async () => {
    const { audit } = gw.container.admin;
    const { sql } = gw.container.store;
    const before = (await audit.head())?.id ?? 0;
    await audit.record({ actor: "test", action: "test.sync", target: "a" });
    const appended = await sql.transaction((tx) => audit.recordIn(tx, { actor: "test", action: "test.async", target: "b" }));
    await audit.record({ actor: "test", action: "test.sync", target: "c" });
    await sql.transaction((tx) => audit.recordIn(tx, { actor: "test", action: "test.async", target: "d" }));
    expect(appended.id).toBe(before + 2);
    expect(appended).toMatchObject({ actor: "test", action: "test.async", target: "b", outcome: "ok", keyId: expect.any(String) });
    expect((await audit.head())?.id).toBe(before + 4);
    expect(await audit.verify()).toMatchObject({ ok: true, rows: before + 4 });
  });

  it("keeps neither the change nor its row when the transaction fails after both", async () => {
    const { audit } = gw.container.admin;
    const { sql } = gw.container.store;
    const head = await audit.head();
    const failed = await sql
      .transaction(async (tx) => {
        await tx.run(insertMeta, ["audited-change", "1"]);
        await audit.recordIn(tx, { actor: "test", action: "test.rolled_back" });
        throw new Error("a later step failed");
      })
      .catch((e: unknown) => e);
    expect((failed as Error).message).toBe("a later step failed");
    expect(await audit.head()).toEqual(head);
    expect(
      await sql.get(onPostgres ? "SELECT value FROM store_meta WHERE key = $1" : "SELECT value FROM store_meta WHERE key = ?", ["audited-change"]),
    ).toBeUndefined();
    expect(await audit.verify()).toMatchObject({ ok: true });
  });

  it("never forks the chain when many transactions append at once", async () => {
    const { audit } = gw.container.admin;
    const { sql } = gw.container.store;
    const before = (await audit.head())?.id ?? 0;
    // At most as many as a transaction's runs after a serialisation failure (8): each round of a
    // race commits at least its first committer, so none of them can lose more often than that.
    const N = 8;
    await Promise.all(
      Array.from({ length: N }, (_, i) => sql.transaction((tx) => audit.recordIn(tx, { actor: "test", action: "test.race", target: String(i) }))),
    );
    await audit.record({ actor: "test", action: "test.sync", target: "after" });
    expect((await audit.head())?.id).toBe(before + N + 1);
    expect(await audit.verify()).toMatchObject({ ok: true, rows: before + N + 1 });
  });
});
