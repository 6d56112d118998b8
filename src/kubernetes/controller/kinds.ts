/**
 * The kinds the controller watches, with where each lives in the API (group, version, plural, scope)
 * and whether the controller writes its status. One table, read by the informers, the status writer
 * and the RBAC in deploy/ (test/kubernetes/controller/rbac.test.ts holds the two in step).
 */
import type { RoutingKind } from "../objects.ts";

export interface WatchedKind {
  readonly kind: RoutingKind;
  /** "" for the core group. */
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly namespaced: boolean;
  /** The controller patches `.../status` of claimed objects of this kind. */
  readonly writesStatus: boolean;
}

export const WATCHED_KINDS: readonly WatchedKind[] = [
  {
    kind: "IngressClass",
    group: "networking.k8s.io",
    version: "v1",
    plural: "ingressclasses",
    namespaced: false,
    writesStatus: false,
  },
  {
    kind: "Ingress",
    group: "networking.k8s.io",
    version: "v1",
    plural: "ingresses",
    namespaced: true,
    writesStatus: true,
  },
  {
    kind: "GatewayClass",
    group: "gateway.networking.k8s.io",
    version: "v1",
    plural: "gatewayclasses",
    namespaced: false,
    writesStatus: true,
  },
  {
    kind: "Gateway",
    group: "gateway.networking.k8s.io",
    version: "v1",
    plural: "gateways",
    namespaced: true,
    writesStatus: true,
  },
  {
    kind: "HTTPRoute",
    group: "gateway.networking.k8s.io",
    version: "v1",
    plural: "httproutes",
    namespaced: true,
    writesStatus: true,
  },
  // v1beta1: the version every Gateway API release since 0.6 serves (v1 only from 1.3 on).
  {
    kind: "ReferenceGrant",
    group: "gateway.networking.k8s.io",
    version: "v1beta1",
    plural: "referencegrants",
    namespaced: true,
    writesStatus: false,
  },
  { kind: "Service", group: "", version: "v1", plural: "services", namespaced: true, writesStatus: false },
  {
    kind: "EndpointSlice",
    group: "discovery.k8s.io",
    version: "v1",
    plural: "endpointslices",
    namespaced: true,
    writesStatus: false,
  },
  {
    kind: "GatehousePolicy",
    group: "gatehouse.dev",
    version: "v1alpha1",
    plural: "gatehousepolicies",
    namespaced: true,
    writesStatus: false,
  },
];

export function apiVersionOf(kind: WatchedKind): string {
  return kind.group ? `${kind.group}/${kind.version}` : kind.version;
}

/** The collection path across all namespaces: `/apis/networking.k8s.io/v1/ingresses`, `/api/v1/services`. */
export function collectionPath(kind: WatchedKind): string {
  return kind.group
    ? `/apis/${kind.group}/${kind.version}/${kind.plural}`
    : `/api/${kind.version}/${kind.plural}`;
}

export function watchedKind(kind: string): WatchedKind | undefined {
  return WATCHED_KINDS.find((k) => k.kind === kind);
}
