import { MAX_BATCH, type MessageType, type PoolMessage, formatBeijingTimestamp } from "../contract/index.js";

/** Deleted messages kept at the head of a type's queue before they are cut off. */
const COMPACT_MIN = 1_024;

/** `raw`: a message served exactly as given, contract or not (see publishRaw). */
type PoolEntry = PoolMessage & { deleted: boolean; raw?: unknown };
type MessageBody = { [K in PoolMessage["type"]]: Extract<PoolMessage, { type: K }>["result"] };

/**
 * The supplier's message pool (§3, §5 S-2/S-3): messages stay until deleted, are served oldest
 * first (id ascending), 100 a page, per type. Ids are numeric and strictly increasing.
 */
export class MessagePool {
  private readonly entries = new Map<string, PoolEntry>();
  /** Per type, messages in publish order; those before `head` are all deleted. */
  private readonly byType = new Map<MessageType, { entries: PoolEntry[]; head: number }>();
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
      this.enqueue(type, entry);
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
    this.enqueue(type, entry);
  }

  /**
   * A message with its own id whose `result` breaks the contract (a string, an array, a null price,
   * state 3): what a hostile supplier sends. It is served and deleted like any other.
   */
  publishMalformed(type: MessageType, result: unknown): PoolMessage {
    const message = { id: this.takeId(), type, time: formatBeijingTimestamp(this.now()), result: structuredClone(result) };
    const entry = { ...message, result: { skuId: "" }, deleted: false, raw: message } as PoolEntry;
    this.entries.set(entry.id, entry);
    this.enqueue(type, entry);
    return structuredClone(message) as PoolMessage;
  }

  /** The next publishes take these ids (already used and deleted ones, for the hostile supplier). */
  reuseIds(ids: readonly string[]): void {
    this.reusable.push(...ids);
  }

  /** Up to 100 undeleted messages of `type`, id ascending. */
  page(type: MessageType, limit = MAX_BATCH): PoolMessage[] {
    const queue = this.byType.get(type);
    const out: PoolMessage[] = [];
    if (!queue) return out;
    for (let i = queue.head; i < queue.entries.length && out.length < limit; i++) {
      const entry = queue.entries[i];
      if (entry && !entry.deleted) out.push(withoutFlag(entry));
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

  private enqueue(type: MessageType, entry: PoolEntry): void {
    const queue = this.byType.get(type);
    if (queue) queue.entries.push(entry);
    else this.byType.set(type, { entries: [entry], head: 0 });
  }

  /**
   * Moves each type's head past its deleted messages so a page read starts at the oldest live one
   * (never a scan of the whole pool); the dead prefix is cut off only once it is half the queue.
   */
  private compact(): void {
    for (const queue of this.byType.values()) {
      while (queue.head < queue.entries.length && queue.entries[queue.head]?.deleted) queue.head++;
      if (queue.head >= COMPACT_MIN && queue.head * 2 >= queue.entries.length) {
        queue.entries.splice(0, queue.head);
        queue.head = 0;
      }
    }
  }
}

function withoutFlag(entry: PoolEntry): PoolMessage {
  if (entry.raw !== undefined) return entry.raw as PoolMessage;
  const { deleted: _deleted, raw: _raw, ...message } = entry;
  return { ...message, result: { ...message.result } } as PoolMessage;
}
