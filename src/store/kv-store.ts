/**
 * The four KV operations the publish logic needs, so one implementation of push/rollback/versions
 * serves the worker's binding, the CLI's local Miniflare state, the real namespace through wrangler,
 * and the tests.
 */

export interface KvListKey {
  name: string;
  metadata?: unknown;
}

export interface KvListPage {
  keys: KvListKey[];
  /** Present when more keys follow; pass it back to get the next page. */
  cursor?: string;
}

export interface KvStore {
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options?: { metadata?: unknown }): Promise<void>;
  list(options: { prefix: string; cursor?: string }): Promise<KvListPage>;
  delete(key: string): Promise<void>;
}

/** Every key under `prefix`, following cursors. */
export async function listAll(kv: KvStore, prefix: string): Promise<KvListKey[]> {
  const keys: KvListKey[] = [];
  let cursor: string | undefined;
  do {
    const page = await kv.list({ prefix, ...(cursor ? { cursor } : {}) });
    keys.push(...page.keys);
    cursor = page.cursor;
  } while (cursor);
  return keys;
}

/** A Workers KV binding (or Miniflare's Node proxy of one) as a `KvStore`. */
export function kvStoreFromNamespace(ns: KVNamespace): KvStore {
  return {
    get: (key) => ns.get(key, "text"),
    put: (key, value, options) =>
      ns.put(key, value, options?.metadata === undefined ? undefined : { metadata: options.metadata }),
    async list({ prefix, cursor }) {
      const page = await ns.list({ prefix, ...(cursor ? { cursor } : {}) });
      return {
        keys: page.keys.map((k) => ({
          name: k.name,
          ...(k.metadata === undefined ? {} : { metadata: k.metadata }),
        })),
        ...(page.list_complete ? {} : { cursor: page.cursor }),
      };
    },
    delete: (key) => ns.delete(key),
  };
}
