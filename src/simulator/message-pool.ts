import { MAX_BATCH, type MessageType, type PoolMessage, formatBeijingTimestamp } from "../contract/index.js";

/** `raw`: a message served exactly as given, contract or not (see publishRaw). */
type PoolEntry = PoolMessage & { deleted: boolean; raw?: unknown };
type MessageBody = { [K in PoolMessage["type"]]: Extract<PoolMessage, { type: K }>["result"] };

/**
 * The supplier's message pool (§3, §5 S-2/S-3): messages stay until deleted, are served oldest
 * first (id ascending), 100 a page, per type. Ids are numeric and strictly increasing.
 */
export class MessagePool {
  private readonly entries = new Map<string, PoolEntry>();
  private readonly byType = new Map<MessageType, PoolEntry[]>();
  private nextId: number;
  /** Ids handed out again before new ones (the hostile supplier's reused ids). */
  private readonly reusable: string[] = [];

  constructor(
    private readonly now: () => number,
    firstId = 1,
    /** Called for every publish: returns how many copies to enqueue (the duplicate-message fault). */
    private readonly copies: () => number = () => 1,
  ) {
    this.nextId = firstId;
  }

  publish<T extends MessageType>(type: T, result: MessageBody[T]): PoolMessage[] {
    const out: PoolMessage[] = [];
    const n = Math.max(1, this.copies());
    for (let i = 0; i < n; i++) {
      const entry = { id: this.takeId(), type, time: formatBeijingTimestamp(this.now()), result: { ...result }, deleted: false } as PoolEntry;
      this.entries.set(entry.id, entry);
      const list = this.byType.get(type) ?? [];
      list.push(entry);
      this.byType.set(type, list);
      out.push(withoutFlag(entry));
    }
    return out;
  }

  /**
   * Enqueues a message exactly as given, whether it keeps the contract or not, as a careless or
   * hostile supplier's pool would hold it. It is deleted by its own `id`, when it has one.
   */
  publishRaw(type: MessageType, message: unknown): void {
    const own = typeof message === "object" && message !== null ? (message as { id?: unknown }).id : undefined;
    const id = typeof own === "string" || typeof own === "number" ? String(own) : `raw-${this.nextId++}`;
    const entry = { id, type, time: formatBeijingTimestamp(this.now()), result: { skuId: "" }, deleted: false, raw: message } as PoolEntry;
    this.entries.set(id, entry);
    const list = this.byType.get(type) ?? [];
    list.push(entry);
    this.byType.set(type, list);
  }

  /**
   * A message with its own id whose `result` breaks the contract (a string, an array, a null price,
   * state 3): what a hostile supplier sends. It is served and deleted like any other.
   */
  publishMalformed(type: MessageType, result: unknown): PoolMessage {
    const message = { id: this.takeId(), type, time: formatBeijingTimestamp(this.now()), result: structuredClone(result) };
    const entry = { ...message, result: { skuId: "" }, deleted: false, raw: message } as PoolEntry;
    this.entries.set(entry.id, entry);
    const list = this.byType.get(type) ?? [];
    list.push(entry);
    this.byType.set(type, list);
    return structuredClone(message) as PoolMessage;
  }

  /** The next publishes take these ids (already used and deleted ones, for the hostile supplier). */
  reuseIds(ids: readonly string[]): void {
    this.reusable.push(...ids);
  }

  /** Up to 100 undeleted messages of `type`, id ascending. */
  page(type: MessageType, limit = MAX_BATCH): PoolMessage[] {
    const list = this.byType.get(type) ?? [];
    const out: PoolMessage[] = [];
    for (const entry of list) {
      if (entry.deleted) continue;
      out.push(withoutFlag(entry));
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Deletes ids; unknown and already-deleted ids are fine (§3). Returns how many were newly deleted. */
  delete(ids: readonly string[]): number {
    let n = 0;
    for (const id of ids) {
      const entry = this.entries.get(id);
      if (entry && !entry.deleted) {
        entry.deleted = true;
        n++;
      }
    }
    this.compact();
    return n;
  }

  pending(type?: MessageType): number {
    let n = 0;
    for (const entry of this.entries.values()) if (!entry.deleted && (type === undefined || entry.type === type)) n++;
    return n;
  }

  all(): Array<PoolMessage & { deleted: boolean }> {
    return [...this.entries.values()].map((e) => ({ ...withoutFlag(e), deleted: e.deleted }));
  }

  private takeId(): string {
    return this.reusable.shift() ?? String(this.nextId++);
  }

  /** Drops deleted entries from the head of each type's queue so paging stays cheap. */
  private compact(): void {
    for (const [type, list] of this.byType) {
      let head = 0;
      while (head < list.length && list[head]?.deleted) head++;
      if (head > 0) this.byType.set(type, list.slice(head));
    }
  }
}

function withoutFlag(entry: PoolEntry): PoolMessage {
  if (entry.raw !== undefined) return entry.raw as PoolMessage;
  const { deleted: _deleted, raw: _raw, ...message } = entry;
  return { ...message, result: { ...message.result } } as PoolMessage;
}
