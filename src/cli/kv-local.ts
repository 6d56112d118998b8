/**
 * The `ROUTES` namespace as `wrangler dev` sees it locally, opened in-process through Miniflare.
 *
 * It must be the very store `wrangler dev` reads, or `gatehouse push --local` would publish into a
 * void. Wrangler 4 keeps local KV under `<persist root>/v3/kv`, where the persist root is
 * `--persist-to DIR` (relative to the working directory) or `.wrangler/state` beside the wrangler
 * config file, and names the namespace by the binding's `preview_id`, else its `id`, else the binding
 * name (ours gives neither). We resolve the config with wrangler's own reader and open Miniflare
 * exactly as `wrangler kv key … --local` does, so the two can never disagree about where things are.
 */
import { resolve } from "node:path";
import { type KvStore, kvStoreFromNamespace } from "../store/kv-store.ts";
import { KvAccessError, type KvTarget, noConfigMessage, type OpenedKv, ROUTES_BINDING } from "./kv-target.ts";

export interface LocalKvLocation {
  /** `--persist-to` or `.wrangler/state` beside the config: what wrangler calls the persist root. */
  persistRoot: string;
  namespaceId: string;
  configPath: string | undefined;
}

/** Where wrangler keeps the local `ROUTES` namespace for this config, environment and persist dir. */
export async function locateLocalKv(
  target: Pick<KvTarget, "config" | "env" | "persistTo" | "namespaceId">,
): Promise<LocalKvLocation> {
  const persistRoot = (configDir: string) =>
    target.persistTo ? resolve(process.cwd(), target.persistTo) : resolve(configDir, ".wrangler/state");
  if (target.namespaceId) {
    // No config involved: the namespace by its id, under .wrangler/state here (as `wrangler kv key
    // --namespace-id ID --local` run from here).
    return {
      persistRoot: persistRoot(process.cwd()),
      namespaceId: target.namespaceId,
      configPath: undefined,
    };
  }
  const { unstable_readConfig } = await import("wrangler");
  const config = unstable_readConfig(
    { ...(target.config ? { config: target.config } : {}), ...(target.env ? { env: target.env } : {}) },
    { hideWarnings: true },
  );
  if (!config.userConfigPath) throw new KvAccessError(noConfigMessage());
  const binding = routesBinding(config.kv_namespaces);
  if (!binding) {
    throw new KvAccessError(
      `${config.userConfigPath}${target.env ? ` (env "${target.env}")` : ""} has no kv_namespaces entry with binding "${ROUTES_BINDING}"`,
    );
  }
  // `wrangler dev` picks preview_id, then id, then the binding name (convertConfigToBindings with
  // usePreviewIds, then kvNamespaceEntry): so do we.
  const namespaceId = binding.preview_id ?? binding.id ?? ROUTES_BINDING;
  if (target.env && namespaceId === ROUTES_BINDING) {
    // Bindings are not inherited, but a name-less binding is named by the binding locally: the
    // environment would read and write the top level's local tables (the demo's, for this repository).
    const topLevel = routesBinding(
      unstable_readConfig({ config: config.userConfigPath }, { hideWarnings: true }).kv_namespaces,
    );
    if (topLevel && (topLevel.preview_id ?? topLevel.id ?? ROUTES_BINDING) === ROUTES_BINDING) {
      throw new KvAccessError(
        `${config.userConfigPath}: env "${target.env}" binds ${ROUTES_BINDING} with no id or preview_id, like the top level, so locally both would share one namespace; give env "${target.env}"'s binding its own preview_id (or id), for example preview_id = "${target.env}-routes"`,
      );
    }
  }
  return {
    persistRoot: persistRoot(resolve(config.userConfigPath, "..")),
    namespaceId,
    configPath: config.userConfigPath,
  };
}

interface KvBinding {
  binding: string;
  id?: string;
  preview_id?: string;
}

function routesBinding(namespaces: readonly KvBinding[]): KvBinding | undefined {
  return namespaces.find((ns) => ns.binding === ROUTES_BINDING);
}

/**
 * Two commands on the same local state at once (two terminals, a script that pushes in parallel) each
 * start a workerd over the same SQLite files. The later one can fail to start with SQLITE_BUSY, and a
 * write can fail with a 500 while the other holds the database. That is contention, not damage: wait a
 * little and try again, a bounded number of times. Retrying is safe because every write the store
 * makes is idempotent (an immutable version record, or the pointer value this command computed).
 */
const ATTEMPTS = 6;
const RETRY_BASE_MS = 150;

export async function openLocalKv(target: KvTarget): Promise<OpenedKv> {
  const location = await locateLocalKv(target);
  const opened = await withRetries(() => openMiniflareKv(location));
  return { ...opened, store: retrying(opened.store) };
}

async function withRetries<T>(operation: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (err) {
      if (attempt >= ATTEMPTS || !isContention(err)) throw err;
      await new Promise((r) => setTimeout(r, RETRY_BASE_MS * attempt * (1 + Math.random())));
    }
  }
}

function isContention(err: unknown): boolean {
  return /SQLITE_BUSY|database is locked|500 Internal Server Error/.test(errorMessage(err));
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The store with each operation retried under contention, and a failure that says what failed. */
function retrying(store: KvStore): KvStore {
  const run = async <T>(what: string, operation: () => Promise<T>): Promise<T> => {
    try {
      return await withRetries(operation);
    } catch (err) {
      throw new KvAccessError(`local KV ${what} failed: ${errorMessage(err)}`);
    }
  };
  return {
    get: (key) => run(`get ${key}`, () => store.get(key)),
    put: (key, value, options) => run(`put ${key}`, () => store.put(key, value, options)),
    list: (options) => run(`list ${options.prefix}`, () => store.list(options)),
    delete: (key) => run(`delete ${key}`, () => store.delete(key)),
  };
}

async function openMiniflareKv(location: LocalKvLocation): Promise<OpenedKv> {
  const { Miniflare, convertV4MiniflareOptions } = await import("miniflare");
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      // Miniflare needs a worker to hang bindings on; this one is never called.
      script: 'addEventListener("fetch", (e) => e.respondWith(new Response(null, { status: 404 })))',
      resourcePersistencePath: resolve(location.persistRoot, "v3"),
      kvNamespaces: { NAMESPACE: location.namespaceId },
    }),
  );
  try {
    const namespace = (await mf.getKVNamespace("NAMESPACE")) as unknown as KVNamespace;
    return {
      store: kvStoreFromNamespace(namespace),
      description: `local state in ${location.persistRoot} (namespace "${location.namespaceId}")`,
      close: () => mf.dispose(),
    };
  } catch (err) {
    await mf.dispose();
    throw err;
  }
}
