/**
 * The controller's view of the cluster: one client-node informer (list, then watch from the list's
 * resourceVersion) per watched kind, kept whole in memory. The controller never reads the API server
 * for objects; it reads this cache, and every change to it is a reason to re-translate.
 *
 * What client-node's informer does itself: relist when a watch answers 410 Gone (its resourceVersion
 * was compacted away), reconnect when a watch ends. What it does not, and this adds: ask for BOOKMARKs
 * (so a quiet kind's resourceVersion stays fresh and a reconnect rarely needs a relist) and a server-side
 * timeout on each watch; restart an informer that stopped on an error (API server down, 403…) after a
 * backoff, since client-node leaves a failed informer stopped.
 */
import { type KubeConfig, type KubernetesObject, ListWatch, Watch } from "@kubernetes/client-node";
import type { KubeObject } from "../objects.ts";
import { Backoff } from "./backoff.ts";
import { collectionPath, type WatchedKind } from "./kinds.ts";
import type { KubeApi, ObjectList } from "./kube-api.ts";
import type { Logger } from "./logger.ts";

/** client-node's Watch with `allowWatchBookmarks` and a server-side timeout on every request. */
class BookmarkingWatch extends Watch {
  readonly #timeoutSeconds: () => number;

  constructor(kc: KubeConfig, timeoutSeconds: () => number) {
    super(kc);
    this.#timeoutSeconds = timeoutSeconds;
  }

  override watch(
    path: string,
    queryParams: Record<string, unknown>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    return super.watch(
      path,
      { ...queryParams, allowWatchBookmarks: true, timeoutSeconds: this.#timeoutSeconds() },
      callback,
      done,
    );
  }
}

export interface ObjectCacheOptions {
  kinds: readonly WatchedKind[];
  /** Called on every add, update and delete, after the cache holds it. */
  onChange: (kind: WatchedKind) => void;
  logger: Logger;
  /** Watches end server-side after a random time in [min, 2·min) seconds, as client-go's reflector does. */
  watchTimeoutSeconds?: number;
  restartBackoff?: Backoff;
}

interface KindInformer {
  kind: WatchedKind;
  informer: ListWatch<KubernetesObject>;
  listed: boolean;
  /** What translation reads of each object (all but status and bookkeeping), to skip status-only updates. */
  content: Map<string, string>;
  /** The last list answered 404 (the kind's CRD is not installed). */
  absent: boolean;
  backoff: Backoff;
  restart?: NodeJS.Timeout;
}

function keyOf(object: KubernetesObject): string {
  return `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;
}

/** The object without status and the metadata the API server keeps for itself. */
function contentOf(object: KubernetesObject): string {
  const { status: _status, metadata, ...rest } = object as KubernetesObject & { status?: unknown };
  const { resourceVersion: _rv, managedFields: _mf, ...meta } = (metadata ?? {}) as Record<string, unknown>;
  return JSON.stringify([meta, rest]);
}

export class ObjectCache {
  readonly #informers: KindInformer[];
  readonly #options: ObjectCacheOptions;
  #stopped = false;
  #syncWaiters: (() => void)[] = [];

  constructor(kc: KubeConfig, api: KubeApi, options: ObjectCacheOptions) {
    this.#options = options;
    const timeout = options.watchTimeoutSeconds ?? 300;
    const watch = new BookmarkingWatch(kc, () => timeout + Math.floor(Math.random() * timeout));
    this.#informers = options.kinds.map((kind) => {
      const entry: KindInformer = {
        kind,
        listed: false,
        content: new Map(),
        absent: false,
        backoff: new Backoff({ baseMs: 500, maxMs: 30_000 }),
        informer: new ListWatch<KubernetesObject>(
          collectionPath(kind),
          watch,
          async () => {
            let list: ObjectList;
            try {
              list = await api.list(kind);
              entry.backoff.reset();
            } catch (err) {
              if ((err as { code?: number }).code !== 404) throw err;
              // Not served: its CRDs are not installed (an Ingress-only cluster has no Gateway API). That
              // is an empty kind, not a reason to publish nothing; the failing watch retries with backoff.
              if (!entry.absent)
                options.logger.log("info", "kind not served by the API server; taken as empty", {
                  kind: kind.kind,
                });
              entry.absent = true;
              list = { resourceVersion: "", items: [] };
            }
            if (list.resourceVersion !== "") entry.absent = false;
            entry.listed = true;
            queueMicrotask(() => this.#checkSynced());
            return {
              metadata: { resourceVersion: list.resourceVersion },
              items: list.items as KubernetesObject[],
            };
          },
          false,
        ),
      };
      const changed = () => options.onChange(kind);
      entry.informer.on("add", (object) => {
        entry.content.set(keyOf(object), contentOf(object));
        changed();
      });
      entry.informer.on("update", (object) => {
        // A write to status alone (ours, echoed back by the watch, or another controller's) changes
        // nothing a translation reads: no reconcile for it.
        const key = keyOf(object);
        const content = contentOf(object);
        if (entry.content.get(key) === content) return;
        entry.content.set(key, content);
        changed();
      });
      entry.informer.on("delete", (object) => {
        entry.content.delete(keyOf(object));
        changed();
      });
      entry.informer.on("error", (err: unknown) => this.#failed(entry, err));
      return entry;
    });
  }

  /** Start every informer; resolves once each kind has been listed once (the cache is complete). */
  async start(): Promise<void> {
    this.#stopped = false;
    for (const entry of this.#informers) void this.#start(entry);
    await this.synced();
  }

  synced(): Promise<void> {
    if (this.#informers.every((e) => e.listed)) return Promise.resolve();
    return new Promise((resolve) => this.#syncWaiters.push(resolve));
  }

  get isSynced(): boolean {
    return this.#informers.every((e) => e.listed);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const entry of this.#informers) {
      clearTimeout(entry.restart);
      await entry.informer.stop();
    }
  }

  /** Every cached object of every kind, as the API server sent it (with kind and apiVersion). */
  snapshot(): KubeObject[] {
    return this.#informers.flatMap((e) => e.informer.list() as unknown as KubeObject[]);
  }

  get(kind: WatchedKind, namespace: string, name: string): KubeObject | undefined {
    const entry = this.#informers.find((e) => e.kind === kind);
    return entry?.informer.get(name, kind.namespaced ? namespace : undefined) as KubeObject | undefined;
  }

  list(kind: WatchedKind): KubeObject[] {
    const entry = this.#informers.find((e) => e.kind === kind);
    return (entry?.informer.list() ?? []) as unknown as KubeObject[];
  }

  async #start(entry: KindInformer): Promise<void> {
    try {
      await entry.informer.start();
    } catch (err) {
      this.#failed(entry, err);
    }
  }

  #failed(entry: KindInformer, err: unknown): void {
    if (this.#stopped) return;
    const delay = entry.backoff.next();
    this.#options.logger.log(entry.absent ? "debug" : "warn", "watch failed; restarting", {
      kind: entry.kind.kind,
      error: err instanceof Error ? err.message : String(err),
      retryInMs: delay,
    });
    clearTimeout(entry.restart);
    entry.restart = setTimeout(() => {
      if (!this.#stopped) void this.#start(entry);
    }, delay);
  }

  #checkSynced(): void {
    if (!this.isSynced) return;
    const waiters = this.#syncWaiters;
    this.#syncWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
