/** An in-memory KvStore for unit tests: a Map, lexicographic listing, and a log of writes. */
import type { KvListKey, KvStore } from "../../src/store/kv-store.ts";

export class MemoryKv implements KvStore {
  readonly values = new Map<string, { value: string; metadata?: unknown }>();
  readonly writes: string[] = [];

  async get(key: string): Promise<string | null> {
    return this.values.get(key)?.value ?? null;
  }
  async put(key: string, value: string, options?: { metadata?: unknown }): Promise<void> {
    this.writes.push(key);
    this.values.set(key, {
      value,
      ...(options?.metadata === undefined ? {} : { metadata: options.metadata }),
    });
  }
  /** Two keys a page, so callers must follow cursors. */
  async list({ prefix, cursor }: { prefix: string; cursor?: string }) {
    const names = [...this.values.keys()].filter((k) => k.startsWith(prefix)).sort();
    const start = cursor ? Number(cursor) : 0;
    const keys: KvListKey[] = names.slice(start, start + 2).map((name) => {
      const metadata = this.values.get(name)?.metadata;
      return metadata === undefined ? { name } : { name, metadata };
    });
    return start + 2 < names.length ? { keys, cursor: String(start + 2) } : { keys };
  }
  async delete(key: string): Promise<void> {
    this.values.delete(key);
  }
}
