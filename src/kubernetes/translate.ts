/**
 * Kubernetes objects → one route table, with everything that could not be honoured said out loud.
 *
 * `translate` is the whole job of `gatehouse import` and of every reconcile of `gatehouse controller`:
 * pure and synchronous (no I/O, no Node or Workers globals), the whole table from the whole set of
 * objects every time, never a patch. Same input, same table, byte for byte: objects are taken in a
 * fixed order (kind, namespace, name), not the order they were read in.
 */
import type { RouteTableInput, Transport } from "../config/schema.ts";
import type { EndpointSource, KubeObject, ObjectRef, ParentReference } from "./objects.ts";

/** What `IngressClass.spec.controller` and `GatewayClass.spec.controllerName` name to be ours. */
export const DEFAULT_CONTROLLER_NAME = "gatehouse.dev/controller";

export interface TranslateOptions {
  /**
   * `--class NAME`: only Gateways of this GatewayClass and Ingresses of this IngressClass. Unset: every
   * Gateway and Ingress in the input (what `import` does by default).
   */
  readonly className?: string;
  /**
   * Claim only the classes whose `spec.controller` / `spec.controllerName` is this (the live controller,
   * with `DEFAULT_CONTROLLER_NAME` or its own). Unset: every class is taken (offline import). Also the
   * `controllerName` written into route parent statuses (defaults to `DEFAULT_CONTROLLER_NAME`).
   */
  readonly controllerName?: string;
  /** For Services without a policy saying otherwise. Default `ServiceDNS`. */
  readonly endpointSource?: EndpointSource;
  /** For Services without a policy saying otherwise. Default: none (a warning, `direct` in the table). */
  readonly transport?: Transport;
  /** The cluster's DNS domain, for `ServiceDNS` endpoints (`name.namespace.svc.DOMAIN`). Default `cluster.local`. */
  readonly clusterDomain?: string;
}

export type Severity = "error" | "warning";

/**
 * Something in the input that the table does not carry as written. Errors are what `--check` (and the
 * controller's events) are about: a field, annotation or filter that cannot be honoured. Warnings are
 * things honoured with a difference worth knowing (an ingress-nginx path that is now element-wise).
 */
export interface ImportProblem {
  readonly object: ObjectRef;
  /** Field path inside the object: `spec.rules[0].filters[1]`, `metadata.annotations["…/rewrite-target"]`. */
  readonly field: string;
  readonly reason: string;
  readonly severity: Severity;
}

/** A Kubernetes status condition, as `metav1.Condition` (without `lastTransitionTime`: the writer sets it). */
export interface Condition {
  readonly type: string;
  readonly status: "True" | "False" | "Unknown";
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration?: number;
}

/** One `HTTPRoute.status.parents[]` entry: `Accepted` and `ResolvedRefs` (the controller adds `Programmed`). */
export interface RouteParentStatus {
  readonly parentRef: ParentReference;
  readonly controllerName: string;
  readonly conditions: readonly Condition[];
}

export interface HTTPRouteStatus {
  readonly object: ObjectRef;
  readonly generation?: number;
  readonly parents: readonly RouteParentStatus[];
}

export interface ListenerStatus {
  readonly name: string;
  readonly attachedRoutes: number;
  readonly supportedKinds: readonly { group: string; kind: string }[];
  readonly conditions: readonly Condition[];
}

export interface GatewayStatus {
  readonly object: ObjectRef;
  readonly generation?: number;
  /** `Accepted` (and `Programmed` is the controller's). */
  readonly conditions: readonly Condition[];
  readonly listeners: readonly ListenerStatus[];
}

export interface IngressStatus {
  readonly object: ObjectRef;
  readonly generation?: number;
  /** Whether any of it made it into the table. */
  readonly accepted: boolean;
  readonly reason: string;
}

export interface GatewayClassStatus {
  readonly object: ObjectRef;
  readonly generation?: number;
  readonly conditions: readonly Condition[];
}

export interface TranslationStatus {
  readonly httpRoutes: readonly HTTPRouteStatus[];
  readonly gateways: readonly GatewayStatus[];
  readonly gatewayClasses: readonly GatewayClassStatus[];
  readonly ingresses: readonly IngressStatus[];
}

export interface Translation {
  /** A route table as an operator would write it; run it through `validateRouteTable` like any other. */
  readonly table: RouteTableInput;
  /** In object order, then field order. */
  readonly problems: readonly ImportProblem[];
  /** Status for the objects this translation claimed (the controller writes it back). */
  readonly status: TranslationStatus;
}

/** Translate a set of objects into one route table. Pure; never throws on bad input (it reports it). */
export function translate(objects: readonly KubeObject[], options: TranslateOptions = {}): Translation {
  void objects;
  void options;
  throw new Error("not implemented");
}

/** `HTTPRoute default/orders: spec.rules[0].filters[1]: reason`, with `warning: ` in front of warnings. */
export function formatImportProblem(problem: ImportProblem): string {
  void problem;
  throw new Error("not implemented");
}
