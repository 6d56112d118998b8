/**
 * Sends the status that status.ts computes: one JSON merge patch of `.../status` per object whose
 * status would change (a few at a time), conditional on the resourceVersion the cache holds (a 409 means the object
 * moved under us; its watch event triggers the next reconcile, which computes again from the new state).
 */
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

export async function writeStatus(
  api: KubeApi,
  cache: ObjectCache,
  translation: Translation,
  publish: PublishState,
  options: StatusWriterOptions,
): Promise<StatusWriteResult> {
  const now = (options.now?.() ?? new Date()).toISOString().replace(/\.\d+Z$/, "Z");
  const result: StatusWriteResult = { written: 0, failed: [] };
  const pending: (() => Promise<void>)[] = [];
  const send = (k: WatchedKind, namespace: string, name: string, patch: unknown) => {
    pending.push(() => write(k, namespace, name, patch));
  };
  const write = async (k: WatchedKind, namespace: string, name: string, patch: unknown) => {
    const current = cache.get(k, namespace, name);
    if (!current) return;
    try {
      await api.patchStatus(
        k,
        {
          namespace,
          name,
          ...(current.metadata?.resourceVersion ? { resourceVersion: current.metadata.resourceVersion } : {}),
        },
        patch,
      );
      result.written++;
    } catch (err) {
      result.failed.push({
        object: `${k.kind} ${namespace ? `${namespace}/` : ""}${name}`,
        error: err instanceof Error ? err.message : String(err),
        code: (err as { code?: number }).code ?? 0,
      });
    }
  };

  const routes = kind("HTTPRoute");
  const desiredRoutes = new Map(
    translation.status.httpRoutes.map((s) => [`${s.object.namespace}/${s.object.name}`, s]),
  );
  // Every route in the cluster, not only the claimed ones: a route that left our Gateways loses our entries.
  for (const route of cache.list(routes)) {
    const ref = refOf(route);
    const patch = httpRouteStatus(
      route.status && (route.status as Record<string, unknown>),
      desiredRoutes.get(`${ref.namespace}/${ref.name}`),
      options.controllerName,
      publish,
      now,
    );
    if (patch) send(routes, ref.namespace, ref.name, patch);
  }

  const gateways = kind("Gateway");
  for (const desired of translation.status.gateways) {
    const current = cache.get(gateways, desired.object.namespace, desired.object.name);
    if (!current) continue;
    const patch = gatewayStatus(
      current.status,
      desired,
      publish,
      { ...(options.publicHostname ? { publicHostname: options.publicHostname } : {}) },
      now,
    );
    if (patch) send(gateways, desired.object.namespace, desired.object.name, patch);
  }

  const classes = kind("GatewayClass");
  for (const desired of translation.status.gatewayClasses) {
    const current = cache.get(classes, "", desired.object.name);
    if (!current) continue;
    const patch = gatewayClassStatus(current.status, desired, now);
    if (patch) send(classes, "", desired.object.name, patch);
  }

  const ingresses = kind("Ingress");
  for (const desired of translation.status.ingresses) {
    const current = cache.get(ingresses, desired.object.namespace, desired.object.name);
    if (!current) continue;
    const patch = ingressStatus(current.status, desired, options.publicHostname);
    if (patch) send(ingresses, desired.object.namespace, desired.object.name, patch);
  }
  // A few writes in flight at once: a first reconcile of a large cluster writes every object's status.
  const workers = Array.from({ length: Math.min(CONCURRENT_WRITES, pending.length) }, async () => {
    for (let job = pending.shift(); job; job = pending.shift()) await job();
  });
  await Promise.all(workers);
  return result;
}
