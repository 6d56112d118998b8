/**
 * Sends the status that status.ts computes: one JSON merge patch of `.../status` per object whose
 * status would change (a few at a time), conditional on the resourceVersion it was computed from. A 409
 * means the object moved under us: the reconcile fails and is retried from the fresh cache.
 *
 * Its own writes reach the cache only when the watch echoes them back. A reconcile that runs before the
 * echo (the next change, a retry) would otherwise compute from the old status, send the same patch again
 * against the old resourceVersion and get a 409 for nothing, for every object it just wrote. So the
 * writer remembers what each write returned and reads through it while the cache still holds the
 * version it wrote over (client-go's "mutation cache"); once the cache has moved on, the cache wins.
 */
import type { KubeObject } from "../objects.ts";
import { refOf } from "../objects.ts";
import type { Translation } from "../translate.ts";
import { type WatchedKind, watchedKind } from "./kinds.ts";
import type { KubeApi } from "./kube-api.ts";
import type { ObjectCache } from "./object-cache.ts";
import {
  gatewayClassStatus,
  gatewayStatus,
  httpRouteStatus,
  ingressStatus,
  type PublishState,
} from "./status.ts";

/** Status patches in flight at once (client-go's default QPS is 5, burst 10; the API server copes). */
const CONCURRENT_WRITES = 8;

export interface StatusWriterOptions {
  controllerName: string;
  publicHostname?: string;
  now?: () => Date;
}

export interface StatusWriteResult {
  written: number;
  /** Patches refused because the object changed meanwhile (409), or failed otherwise. */
  failed: { object: string; error: string; code: number }[];
}

function kind(name: string): WatchedKind {
  const found = watchedKind(name);
  if (!found) throw new Error(`not a watched kind: ${name}`);
  return found;
}

export class StatusWriter {
  readonly #api: KubeApi;
  readonly #cache: ObjectCache;
  readonly #options: StatusWriterOptions;
  /** `kind/namespace/name` → the resourceVersions our writes replaced, and what the last one returned. */
  readonly #written = new Map<string, { over: Set<string>; result: KubeObject }>();

  constructor(api: KubeApi, cache: ObjectCache, options: StatusWriterOptions) {
    this.#api = api;
    this.#cache = cache;
    this.#options = options;
  }

  /** The object as it is after our own last write, when the cache has not seen that write yet. */
  #current(k: WatchedKind, namespace: string, name: string): KubeObject | undefined {
    const cached = this.#cache.get(k, namespace, name);
    const key = `${k.kind}/${namespace}/${name}`;
    const written = this.#written.get(key);
    if (!written) return cached;
    if (cached?.metadata?.resourceVersion && written.over.has(cached.metadata.resourceVersion)) {
      return written.result;
    }
    this.#written.delete(key);
    return cached;
  }

  async write(translation: Translation, publish: PublishState): Promise<StatusWriteResult> {
    const options = this.#options;
    const now = (options.now?.() ?? new Date()).toISOString().replace(/\.\d+Z$/, "Z");
    const result: StatusWriteResult = { written: 0, failed: [] };
    const pending: (() => Promise<void>)[] = [];
    const send = (k: WatchedKind, current: KubeObject, patch: unknown) => {
      pending.push(() => this.#send(k, current, patch, result));
    };

    const routes = kind("HTTPRoute");
    const desiredRoutes = new Map(
      translation.status.httpRoutes.map((s) => [`${s.object.namespace}/${s.object.name}`, s]),
    );
    // Every route in the cluster, not only the claimed ones: a route that left our Gateways loses our entries.
    for (const cached of this.#cache.list(routes)) {
      const ref = refOf(cached);
      const current = this.#current(routes, ref.namespace, ref.name);
      if (!current) continue;
      const patch = httpRouteStatus(
        current.status,
        desiredRoutes.get(`${ref.namespace}/${ref.name}`),
        options.controllerName,
        publish,
        now,
      );
      if (patch) send(routes, current, patch);
    }

    const gateways = kind("Gateway");
    for (const desired of translation.status.gateways) {
      const current = this.#current(gateways, desired.object.namespace, desired.object.name);
      if (!current) continue;
      const patch = gatewayStatus(
        current.status,
        desired,
        publish,
        { ...(options.publicHostname ? { publicHostname: options.publicHostname } : {}) },
        now,
      );
      if (patch) send(gateways, current, patch);
    }

    const classes = kind("GatewayClass");
    for (const desired of translation.status.gatewayClasses) {
      const current = this.#current(classes, "", desired.object.name);
      if (!current) continue;
      const patch = gatewayClassStatus(current.status, desired, now);
      if (patch) send(classes, current, patch);
    }

    const ingresses = kind("Ingress");
    for (const desired of translation.status.ingresses) {
      const current = this.#current(ingresses, desired.object.namespace, desired.object.name);
      if (!current) continue;
      const patch = ingressStatus(current.status, desired, options.publicHostname);
      if (patch) send(ingresses, current, patch);
    }

    // A few writes in flight at once: a first reconcile of a large cluster writes every object's status.
    const workers = Array.from({ length: Math.min(CONCURRENT_WRITES, pending.length) }, async () => {
      for (let job = pending.shift(); job; job = pending.shift()) await job();
    });
    await Promise.all(workers);
    return result;
  }

  async #send(k: WatchedKind, current: KubeObject, patch: unknown, result: StatusWriteResult): Promise<void> {
    const ref = refOf(current);
    const namespace = k.namespaced ? ref.namespace : "";
    const over = current.metadata?.resourceVersion;
    try {
      const written = await this.#api.patchStatus(
        k,
        { namespace, name: ref.name, ...(over ? { resourceVersion: over } : {}) },
        patch,
      );
      if (over) {
        const key = `${k.kind}/${namespace}/${ref.name}`;
        // Writing over our own unechoed write: the cache may still hold any version before it.
        const before = this.#written.get(key);
        const chain = before && before.result.metadata?.resourceVersion === over ? before.over : [];
        this.#written.set(key, { over: new Set([...chain, over]), result: written });
      }
      result.written++;
    } catch (err) {
      result.failed.push({
        object: `${k.kind} ${namespace ? `${namespace}/` : ""}${ref.name}`,
        error: err instanceof Error ? err.message : String(err),
        code: (err as { code?: number }).code ?? 0,
      });
    }
  }
}
