import pg from "pg";
import { CHANGE_CHANNEL, CHANGE_TOPICS, type ChangeFeed, type ChangeTopic, createChangeCache } from "./change-feed.js";

export type PgChangeFeedOptions = {
  url: string;
  /**
   * Sends `payload` on CHANGE_CHANNEL from another session (the pool's): the heartbeat that proves a
   * notification still travels from a writer to this listener, not only that its session answers.
   */
  notify: (payload: string) => Promise<void>;
  /** A connection not made, or a statement of the listener not answered, in this long counts as the listener lost. */
  timeoutMs: number;
  /** Told when the listener is lost or regained (for the log). */
  onState?: (state: { live: boolean; reason?: string }) => void;
};

/**
 * How often a probe notification is sent through the pool and must come back to the listener within
 * the timeout: a dead peer with no FIN, or a path that accepts LISTEN but never delivers (a pooler in
 * transaction mode), would otherwise leave values kept for ever.
 */
const HEARTBEAT_MS = 5_000;
const PROBE_PREFIX = "probe:";
/** The triggers of migrations-pg 0011: without all of them enabled, a change could go untold, so nothing is kept. */
const TRIGGERS = ["mall_accounts_changed", "mall_accounts_truncated", "reference_revision_written", "reference_revision_removed", "store_meta_truncated"];
const RECONNECT_FIRST_MS = 250;
const RECONNECT_MAX_MS = 5_000;

/**
 * Listens on CHANGE_CHANNEL over a connection of its own (not one of the pool's: LISTEN belongs to a
 * session). Values are kept only while it listens; losing it (an error, the session ended, a
 * heartbeat unanswered) drops them at once and every read goes to the database until it listens
 * again, since what changed meanwhile was not heard. It then reconnects with a doubling pause.
 */
export function openPgChangeFeed(options: PgChangeFeedOptions): ChangeFeed {
  const cache = createChangeCache();
  let client: pg.Client | null = null;
  let watching = false;
  let closed = false;
  let reconnectMs = RECONNECT_FIRST_MS;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let heartbeatTimer: NodeJS.Timeout | undefined;

  const topicOf = (payload: string | undefined): ChangeTopic | null =>
    (CHANGE_TOPICS as readonly string[]).includes(payload ?? "") ? (payload as ChangeTopic) : null;

  /** Said once per change of state, and once when the first try fails: a listener that never starts is not silent. */
  let announced: "live" | "down" | null = null;
  let probe: { payload: string; heard: () => void } | null = null;

  const lose = (which: pg.Client, reason: string) => {
    if (client !== which) return;
    client = null;
    probe = null;
    clearInterval(heartbeatTimer);
    cache.setLive(false);
    if (announced !== "down") options.onState?.({ live: false, reason });
    announced = "down";
    which.removeAllListeners("notification");
    which.end().catch(() => undefined);
    schedule();
  };

  const schedule = () => {
    if (closed || reconnectTimer) return;
    const wait = reconnectMs * (0.5 + Math.random() / 2);
    reconnectMs = Math.min(reconnectMs * 2, RECONNECT_MAX_MS);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void connect();
    }, wait);
    reconnectTimer.unref();
  };

  const connect = async () => {
    if (closed || client) return;
    const next = new pg.Client({
      connectionString: options.url,
      connectionTimeoutMillis: options.timeoutMs,
      query_timeout: options.timeoutMs,
      application_name: "emall-gateway changes",
      keepAlive: true,
    });
    client = next;
    next.on("error", (e) => lose(next, e.message));
    next.on("end", () => lose(next, "connection ended"));
    next.on("notification", (message) => {
      if (message.channel !== CHANGE_CHANNEL) return;
      if (message.payload?.startsWith(PROBE_PREFIX)) {
        if (probe?.payload === message.payload) probe.heard();
        return;
      }
      const topic = topicOf(message.payload);
      if (topic) cache.changed(topic);
      else cache.changedAll();
    });
    try {
      await next.connect();
      const enabled = await next.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_trigger WHERE tgname = ANY($1) AND tgenabled <> 'D'", [TRIGGERS]);
      if ((enabled.rows[0]?.n ?? 0) < TRIGGERS.length) throw new Error(`change triggers missing or disabled (want ${TRIGGERS.join(", ")})`);
      await next.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (e) {
      lose(next, e instanceof Error ? e.message : String(e));
      return;
    }
    if (closed || client !== next) {
      await next.end().catch(() => undefined);
      return;
    }
    // Heard from here on: anything committed before LISTEN may not have been, so nothing older is kept.
    reconnectMs = RECONNECT_FIRST_MS;
    cache.setLive(true);
    announced = "live";
    options.onState?.({ live: true });
    let probes = 0;
    // Each tick first checks that the previous tick's probe came back, then sends the next one.
    heartbeatTimer = setInterval(() => {
      if (probe) return lose(next, `heartbeat: a probe notification did not come back within ${HEARTBEAT_MS} ms`);
      const payload = `${PROBE_PREFIX}${process.pid}:${++probes}:${Math.random().toString(36).slice(2)}`;
      probe = { payload, heard: () => (probe = null) };
      options.notify(payload).catch((e: unknown) => lose(next, `heartbeat: ${e instanceof Error ? e.message : String(e)}`));
    }, HEARTBEAT_MS);
    heartbeatTimer.unref();
  };

  return {
    cached: (topic, key, load) => cache.cached(topic, key, load),
    changed: (topic) => cache.changed(topic),
    get live() {
      return cache.live;
    },
    watch() {
      if (watching || closed) return;
      watching = true;
      void connect();
    },
    async close() {
      closed = true;
      clearTimeout(reconnectTimer);
      clearInterval(heartbeatTimer);
      cache.setLive(false);
      const last = client;
      client = null;
      await last?.end().catch(() => undefined);
    },
  };
}
