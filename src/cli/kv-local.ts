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
import { kvStoreFromNamespace } from "../store/kv-store.ts";
import { KvAccessError, type KvTarget, type OpenedKv, ROUTES_BINDING } from "./kv-target.ts";

export interface LocalKvLocation {
  /** `--persist-to` or `.wrangler/state` beside the config: what wrangler calls the persist root. */
  persistRoot: string;
  namespaceId: string;
  configPath: string | undefined;
}

/** Where wrangler keeps the local `ROUTES` namespace for this config, environment and persist dir. */
export async function locateLocalKv(
  target: Pick<KvTarget, "config" | "env" | "persistTo">,
): Promise<LocalKvLocation> {
  const { unstable_readConfig } = await import("wrangler");
  const config = unstable_readConfig(
    { ...(target.config ? { config: target.config } : {}), ...(target.env ? { env: target.env } : {}) },
    { hideWarnings: true },
  );
  const namespaces: { binding: string; id?: string; preview_id?: string }[] = config.kv_namespaces;
  const binding = namespaces.find((ns) => ns.binding === ROUTES_BINDING);
  if (!binding) {
    const where = config.configPath ?? "the wrangler config";
    throw new KvAccessError(
      `${where}${target.env ? ` (env "${target.env}")` : ""} has no kv_namespaces entry with binding "${ROUTES_BINDING}"`,
    );
  }
  const configDir = config.userConfigPath ? resolve(config.userConfigPath, "..") : process.cwd();
  return {
    persistRoot: target.persistTo
      ? resolve(process.cwd(), target.persistTo)
      : resolve(configDir, ".wrangler/state"),
    // `wrangler dev` picks preview_id, then id, then the binding name (convertConfigToBindings with
    // usePreviewIds, then kvNamespaceEntry): so do we.
    namespaceId: binding.preview_id ?? binding.id ?? ROUTES_BINDING,
    configPath: config.userConfigPath,
  };
}

export async function openLocalKv(target: KvTarget): Promise<OpenedKv> {
  const location = await locateLocalKv(target);
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
