/**
 * The `ROUTES` namespace through the Cloudflare API with an API token, for where there is no wrangler
 * login: the controller in a cluster, the token from a Secret. The official `cloudflare` SDK does the
 * HTTP (auth, retries on 429/5xx with backoff, pagination).
 *
 * The token needs one permission: Account · Workers KV Storage · Edit. Only the four KV calls the
 * publish protocol makes are used (src/store/publish.ts): read a key, write a key (with metadata),
 * list a prefix, delete a key.
 */
import Cloudflare, { NotFoundError } from "cloudflare";
import type { KvStore } from "../store/kv-store.ts";
import { KvAccessError, type OpenedKv, ROUTES_BINDING } from "./kv-target.ts";

export interface CloudflareKvOptions {
  apiToken: string;
  accountId: string;
  namespaceId: string;
  /** The API's base URL (tests point it at 127.0.0.1); default the SDK's, api.cloudflare.com/client/v4. */
  baseURL?: string;
  /** Retries the SDK makes on 408/409/429/5xx and connection faults. */
  maxRetries?: number;
}

export class CloudflareKvStore implements KvStore {
  readonly #client: Cloudflare;
  readonly #ids: { account_id: string; namespace_id: string };

  constructor(options: CloudflareKvOptions) {
    this.#client = new Cloudflare({
      apiToken: options.apiToken,
      ...(options.baseURL ? { baseURL: options.baseURL } : {}),
      maxRetries: options.maxRetries ?? 4,
    });
    this.#ids = { account_id: options.accountId, namespace_id: options.namespaceId };
  }

  async #call<T>(what: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      throw new KvAccessError(
        `Cloudflare API ${what} failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  async get(key: string): Promise<string | null> {
    return this.#call(`get ${key}`, async () => {
      try {
        const response = await this.#client.kv.namespaces.values.get(key, this.#ids);
        return await response.text();
      } catch (err) {
        if (err instanceof NotFoundError) return null;
        throw err;
      }
    });
  }

  async put(key: string, value: string, options?: { metadata?: unknown }): Promise<void> {
    await this.#call(`put ${key}`, () =>
      this.#client.kv.namespaces.values.update(key, {
        ...this.#ids,
        value,
        ...(options?.metadata === undefined ? {} : { metadata: JSON.stringify(options.metadata) }),
      }),
    );
  }

  async list(options: { prefix: string }): Promise<{ keys: { name: string; metadata?: unknown }[] }> {
    return this.#call(`list ${options.prefix}`, async () => {
      const keys: { name: string; metadata?: unknown }[] = [];
      // The SDK follows the cursor; the whole listing comes back as one page.
      for await (const key of this.#client.kv.namespaces.keys.list(this.#ids.namespace_id, {
        account_id: this.#ids.account_id,
        prefix: options.prefix,
      })) {
        keys.push({ name: key.name, ...(key.metadata === undefined ? {} : { metadata: key.metadata }) });
      }
      return { keys };
    });
  }

  async delete(key: string): Promise<void> {
    await this.#call(`delete ${key}`, () => this.#client.kv.namespaces.values.delete(key, this.#ids));
  }
}

export function openCloudflareKv(options: CloudflareKvOptions): OpenedKv {
  return {
    store: new CloudflareKvStore(options),
    description: `KV namespace ${options.namespaceId} (bound as ${ROUTES_BINDING}) through the Cloudflare API`,
    close: async () => {},
  };
}
