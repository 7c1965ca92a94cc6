import { sql } from "drizzle-orm";

/**
 * The database's clock in epoch milliseconds, read when the expression runs. Instances' own clocks
 * drift apart; every expiry shared between instances is decided by this one. clock_timestamp(), not
 * now(): now() is fixed at the start of the transaction, which may have waited on a row lock since.
 */
export const dbNowMs = sql`(extract(epoch from clock_timestamp()) * 1000)::bigint`;
