/**
 * Shared by the KV suites inside workerd: Miniflare's real `ROUTES` namespace, the real worker
 * (`exports.default.fetch`), and bounded waits for the background refresh.
 */
import { env, exports } from "cloudflare:workers";
import type { RouteTableInput } from "../../src/config/schema.ts";
import {
  ACTIVE_KEY,
  LAYOUT_FORMAT,
  tableHash,
  VERSION_KEY_PREFIX,
  versionId,
  versionKey,
} from "../../src/store/kv-layout.ts";
import { type KvStore, kvStoreFromNamespace, listAll } from "../../src/store/kv-store.ts";
import { type PublishOutcome, publishTable } from "../../src/store/publish.ts";
import { resetTableSourceForTests } from "../../src/store/table-source.ts";

export const ADMIN_HOST = "admin.gatehouse.test";
export const ADMIN_TOKEN = "test-admin-token";

export function routesKv(): KvStore {
  return kvStoreFromNamespace(env.ROUTES);
}

/** Empty the namespace and forget the isolate's table: each test starts like a fresh deployment. */
export async function resetRoutes(): Promise<void> {
  const kv = routesKv();
  for (const key of [...(await listAll(kv, VERSION_KEY_PREFIX)), { name: ACTIVE_KEY }])
    await kv.delete(key.name);
  resetTableSourceForTests();
}

export async function publish(
  input: RouteTableInput,
  message?: string,
): Promise<PublishOutcome & { kind: "published" }> {
  const outcome = await publishTable(routesKv(), input, {
    publishedBy: "tests",
    ...(message ? { message } : {}),
  });
  if (outcome.kind !== "published") throw new Error(`expected a publish, got ${JSON.stringify(outcome)}`);
  return outcome;
}

/** A request through the real worker: table source, admin host, pipeline. */
export function viaWorker(url: string, init?: RequestInit): Promise<Response> {
  // The generated `Cloudflare.Exports` type does not know our default export; the runtime does.
  const worker = (exports as unknown as { default: Fetcher }).default;
  return worker.fetch(new Request(url, init));
}

export interface StatusBody {
  state: "serving" | "none";
  source: {
    state: "current" | "fallback" | "unavailable" | "unpublished";
    wanted: string | null;
    serving: string | null;
    reason: string | null;
    reasonMessage: string | null;
    walk: { version: string; outcome: string }[];
    summary: string;
  };
  table: {
    id: string;
    version: number;
    hash: string;
    routes: number;
    rules: number;
    loadedAt: string;
  } | null;
  refresh: { intervalSeconds: number; pointer: string | null; upToDate: boolean };
  lastLoadError: { version: string | null; code: string; message: string; kind: string } | null;
  rejectedVersions: { version: string; code: string; reason: string }[];
  clusters: { name: string; endpoints: { url: string; health: string }[] }[];
  providers: unknown[];
  missingBindings: unknown[];
}

export async function status(): Promise<StatusBody> {
  const res = await viaWorker(`https://${ADMIN_HOST}/status`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  if (res.status !== 200) throw new Error(`status: ${res.status} ${await res.text()}`);
  return res.json();
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Ask the admin surface until `done` holds: each request may start a background refresh once the
 * refresh interval (1 s in the test bindings) has passed. Bounded; fails with the last status seen.
 */
export async function waitForStatus(
  done: (s: StatusBody) => boolean,
  timeoutMs = 10_000,
): Promise<StatusBody> {
  const deadline = Date.now() + timeoutMs;
  let last = await status();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`gave up waiting; last status: ${JSON.stringify(last)}`);
    await sleep(200);
    last = await status();
  }
  return last;
}

/**
 * Store a version record by hand (bypassing publish-time validation) and point at it, the pointer
 * before it pushed onto the history as `push` does: how a damaged or hand-edited record would look to
 * the worker. `hash` defaults to the table's true hash, `id` to the one the version and hash make.
 */
export async function writeRawVersion(
  table: unknown,
  options: { version: number; hash?: string; body?: string; id?: string },
): Promise<string> {
  const hash = options.hash ?? (await tableHash(table));
  const id = options.id ?? versionId(options.version, hash);
  const record = {
    format: LAYOUT_FORMAT,
    id,
    version: options.version,
    hash,
    publishedAt: new Date().toISOString(),
    table,
  };
  await env.ROUTES.put(versionKey(id), options.body ?? JSON.stringify(record));
  const active = await env.ROUTES.get<Record<string, unknown>>(ACTIVE_KEY, "json");
  const { history = [], format: _format, ...previous } = active ?? {};
  await env.ROUTES.put(
    ACTIVE_KEY,
    JSON.stringify({
      format: LAYOUT_FORMAT,
      id,
      version: options.version,
      hash,
      activatedAt: new Date().toISOString(),
      reason: "push",
      history: active ? [previous, ...(history as unknown[])] : [],
    }),
  );
  return id;
}
