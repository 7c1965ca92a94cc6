/**
 * What a signed mall call reads on every request (its account, the reference revision) kept in
 * memory while the database says it has not changed. On PostgreSQL the database says so: triggers
 * on the tables notify a channel at commit (migration 0011), and a connection of the gateway's
 * own listens (pg-change-feed.ts). Without a live listener nothing is kept and every read goes to
 * the database, as on SQLite, where the CLI and the server share one file and no notification
 * crosses between them.
 */
export type ChangeTopic = "accounts" | "reference";
export const CHANGE_TOPICS: readonly ChangeTopic[] = ["accounts", "reference"];
/** The channel the triggers notify; a notification's payload is its topic. */
export const CHANGE_CHANNEL = "emall_changes";

export type ChangeFeed = {
  /**
   * The value loaded for `key` under `topic`, while no change of `topic` has been told since it was
   * loaded; otherwise `load()`, kept for the next call when nothing changed while it loaded.
   */
  cached<T>(topic: ChangeTopic, key: string | number, load: () => Promise<T>): Promise<T>;
  /** `topic` changed: what was kept for it is dropped. */
  changed(topic: ChangeTopic): void;
  /** Starts listening (a server; a CLI command never does, and reads through). */
  watch(): void;
  /** True while changes are heard, so values are kept. */
  readonly live: boolean;
  close(): Promise<void>;
};

/** Keys kept per topic at most: accounts are a few thousand; past this the topic starts over. */
const ENTRIES_PER_TOPIC_MAX = 10_000;
/**
 * A value is read again after this long even when no change was told: the bound on a change that
 * went untold in a way the heartbeat cannot see (a writer's session with its triggers turned off).
 */
const KEPT_AT_MOST_MS = 30_000;

/**
 * The cache a feed drives: one generation per topic, moved by every change told and by every loss
 * or regain of the listener. A value is kept only when its topic's generation did not move while it
 * loaded, so a change told mid-read never leaves the older value behind.
 */
type Kept = { generation: number; loadedAt: number; value: unknown };

export function createChangeCache() {
  const generations = new Map<ChangeTopic, number>(CHANGE_TOPICS.map((t) => [t, 0]));
  const entries = new Map<ChangeTopic, Map<string | number, Kept>>(CHANGE_TOPICS.map((t) => [t, new Map()]));
  let live = false;

  const changed = (topic: ChangeTopic) => {
    generations.set(topic, (generations.get(topic) ?? 0) + 1);
    entries.get(topic)?.clear();
  };
  const changedAll = () => CHANGE_TOPICS.forEach(changed);

  return {
    get live() {
      return live;
    },
    /** Listening or not: either way everything kept so far is dropped (changes may have gone unheard). */
    setLive(on: boolean) {
      live = on;
      changedAll();
    },
    changed,
    changedAll,
    async cached<T>(topic: ChangeTopic, key: string | number, load: () => Promise<T>): Promise<T> {
      if (!live) return load();
      const kept = entries.get(topic) as Map<string | number, Kept>;
      const generation = generations.get(topic) ?? 0;
      const hit = kept.get(key);
      const now = performance.now();
      if (hit && hit.generation === generation && now - hit.loadedAt < KEPT_AT_MOST_MS) return hit.value as T;
      const value = await load();
      if (live && generations.get(topic) === generation) {
        if (kept.size >= ENTRIES_PER_TOPIC_MAX) kept.clear();
        kept.set(key, { generation, loadedAt: now, value: typeof value === "object" && value !== null ? Object.freeze(value) : value });
      }
      return value;
    },
  };
}

/** The feed of a store that hears no changes (SQLite, a one-connection side pool): every read goes to the database. */
export function unheardChanges(): ChangeFeed {
  return {
    cached: (_topic, _key, load) => load(),
    changed: () => undefined,
    watch: () => undefined,
    live: false,
    close: async () => undefined,
  };
}
