/**
 * The input, sorted and indexed once: objects by kind in a fixed order (namespace, then name), so the
 * same objects give the same table whatever order they were read in, and the lookups the translation
 * makes (a Service by name, a namespace's ReferenceGrants, a Service's EndpointSlices) cost one map read.
 */
import {
  type EndpointSlice,
  type GatehousePolicy,
  type Gateway,
  type GatewayClass,
  type HTTPRoute,
  type Ingress,
  type IngressClass,
  isRoutingKind,
  type KubeObject,
  type ObjectRef,
  type ReferenceGrant,
  refOf,
  type Service,
} from "./objects.ts";
import { type ImportReport, isRecord } from "./report.ts";

export interface Inventory {
  readonly ingresses: readonly Ingress[];
  readonly ingressClasses: ReadonlyMap<string, IngressClass>;
  readonly gateways: readonly Gateway[];
  readonly gatewayClasses: ReadonlyMap<string, GatewayClass>;
  readonly httpRoutes: readonly HTTPRoute[];
  readonly policies: readonly GatehousePolicy[];
  /** `namespace/name` → Service. */
  readonly services: ReadonlyMap<string, Service>;
  /** `namespace/service` → its EndpointSlices (label `kubernetes.io/service-name`). */
  readonly endpointSlices: ReadonlyMap<string, readonly EndpointSlice[]>;
  /** namespace → the ReferenceGrants in it. */
  readonly referenceGrants: ReadonlyMap<string, readonly ReferenceGrant[]>;
  /** `namespace/name` → Gateway. */
  readonly gatewaysByName: ReadonlyMap<string, Gateway>;
}

export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

export function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** Sorts by creation time, then namespace/name: Gateway API's order for ties between routes. */
export function byAge(a: KubeObject, b: KubeObject): number {
  const at = a.metadata?.creationTimestamp ?? "";
  const bt = b.metadata?.creationTimestamp ?? "";
  if (at !== bt) return at < bt ? -1 : 1;
  return compareRefs(refOf(a), refOf(b));
}

function compareRefs(a: ObjectRef, b: ObjectRef): number {
  return a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);
}

export function buildInventory(objects: readonly KubeObject[], report: ImportReport): Inventory {
  // The last copy of an object wins (a directory read twice, an object in two files), said once.
  const unique = new Map<string, KubeObject>();
  for (const object of objects) {
    if (!isRecord(object) || !isRoutingKind(object.kind)) continue;
    const ref = refOf(object);
    if (!ref.name) {
      report.error(ref, ["metadata", "name"], "missing: the object is ignored");
      continue;
    }
    const key = `${ref.kind}\u0000${ref.namespace}\u0000${ref.name}`;
    if (unique.has(key)) report.warn(ref, [], "appears more than once in the input: the last copy is used");
    unique.set(key, object);
  }
  const sorted = [...unique.values()].sort((a, b) => compareRefs(refOf(a), refOf(b)));
  const of = <K extends KubeObject["kind"]>(kind: K) =>
    sorted.filter((o): o is Extract<KubeObject, { kind: K }> => o.kind === kind);

  const services = new Map<string, Service>();
  for (const service of of("Service")) {
    const ref = refOf(service);
    services.set(keyOf(ref.namespace, ref.name), service);
  }
  const endpointSlices = new Map<string, EndpointSlice[]>();
  for (const slice of of("EndpointSlice")) {
    const ref = refOf(slice);
    const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!service) {
      report.warn(
        ref,
        ["metadata", "labels"],
        `has no ${SERVICE_NAME_LABEL} label: it belongs to no Service`,
      );
      continue;
    }
    const key = keyOf(ref.namespace, service);
    endpointSlices.set(key, [...(endpointSlices.get(key) ?? []), slice]);
  }
  const referenceGrants = new Map<string, ReferenceGrant[]>();
  for (const grant of of("ReferenceGrant")) {
    const ns = refOf(grant).namespace;
    referenceGrants.set(ns, [...(referenceGrants.get(ns) ?? []), grant]);
  }
  const gateways = of("Gateway");
  return {
    ingresses: of("Ingress").sort(byAge),
    ingressClasses: new Map(of("IngressClass").map((c) => [refOf(c).name, c])),
    gateways,
    gatewayClasses: new Map(of("GatewayClass").map((c) => [refOf(c).name, c])),
    httpRoutes: of("HTTPRoute").sort(byAge),
    policies: of("GatehousePolicy"),
    services,
    endpointSlices,
    referenceGrants,
    gatewaysByName: new Map(gateways.map((g) => [keyOf(refOf(g).namespace, refOf(g).name), g])),
  };
}
