/**
 * Kubernetes objects → one route table, with everything that could not be honoured said out loud.
 *
 * `translate` is the whole job of `gatehouse import` and of every reconcile of `gatehouse controller`:
 * pure and synchronous (no I/O, no Node or Workers globals), the whole table from the whole set of
 * objects every time, never a patch. Same input, same table, byte for byte: objects are taken in a
 * fixed order (kind, namespace, name), not the order they were read in.
 */

import { formatPath } from "../config/problems.ts";
import type { RouteTableInput, Transport } from "../config/schema.ts";
import { validateRouteTable } from "../config/validate.ts";
import { Backends } from "./backends.ts";
import { translateGatewayApi } from "./gateway-api.ts";
import { translateIngresses } from "./ingress.ts";
import { buildInventory, type Inventory, keyOf } from "./inventory.ts";
import {
  type EndpointSource,
  type KubeObject,
  type ObjectRef,
  type ParentReference,
  ROUTING_KINDS,
  refOf,
} from "./objects.ts";
import { PolicyIndex } from "./policy.ts";
import { ImportReport, list } from "./report.ts";
import { originOf, type SourcedRoute } from "./sources.ts";

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
  const report = new ImportReport();
  const inventory = buildInventory(objects, report);
  const policies = new PolicyIndex(inventory.policies, report);
  const backends = new Backends(
    inventory,
    policies,
    {
      endpointSource: options.endpointSource ?? "ServiceDNS",
      transport: options.transport,
      clusterDomain: options.clusterDomain ?? "cluster.local",
    },
    report,
  );
  const shared = {
    inventory,
    report,
    backends,
    policies,
    className: options.className,
    controllerName: options.controllerName,
  };
  const gatewayApi = translateGatewayApi({
    ...shared,
    statusControllerName: options.controllerName ?? DEFAULT_CONTROLLER_NAME,
  });
  const ingresses = translateIngresses(shared);
  policies.reportUnattached((kind, namespace, name, section) =>
    targetExists(inventory, kind, namespace, name, section),
  );

  const table = admit([...gatewayApi.routes, ...ingresses.routes], backends, policies, report);
  return {
    table,
    problems: inObjectOrder(report.problems),
    status: { ...gatewayApi.status(), ingresses: ingresses.status() },
  };
}

/**
 * What goes into the table is what its validation accepts. Providers and clusters are checked first,
 * each kept or left out on its own (a policy value of the wrong shape is reported on the policy, a
 * cluster's on its Service); then
 * the whole table is validated, and each route a problem points at is kept out, reported on the object
 * and field it came from, until the rest validates: one bad HTTPRoute must not take down every other
 * route. Each round removes at least one route, and a valid table usually takes one round.
 */
function admit(
  routes: readonly SourcedRoute[],
  backends: Backends,
  policies: PolicyIndex,
  report: ImportReport,
): RouteTableInput {
  const seen = new Set<string>();
  const providers = validParts("providers", policies.providers, (name, rest, message) =>
    reportOnce(
      report,
      seen,
      policies.providerOrigin(name),
      `${formatPath(["spec", "providers", name])}${rest}`,
      `${message} (the provider is left out)`,
    ),
  );
  const clusters = validParts("clusters", Object.fromEntries(backends.clusters), (name, rest, message) => {
    const origin = originOf(backends.origins.get(name) ?? [], rest.replace(/^\./, ""));
    if (origin)
      reportOnce(report, seen, origin.object, origin.field, `${message} (routes to it are left out)`);
  });

  let candidates: SourcedRoute[] = [];
  const ids = new Set<string>();
  for (const sourced of routes) {
    if (ids.has(sourced.route.id)) {
      refuse(sourced, report, seen, [{ path: "id", message: `duplicate route id "${sourced.route.id}"` }]);
      continue;
    }
    ids.add(sourced.route.id);
    candidates.push(sourced);
  }
  for (;;) {
    const table = assemble(candidates, providers, clusters);
    const result = validateRouteTable(table);
    if (result.ok) return table;
    const blamed = new Map<number, { path: string; message: string }[]>();
    for (const problem of result.problems) {
      const at = /^routes\[(\d+)\](.*)$/.exec(problem.path);
      if (!at) continue;
      const index = Number(at[1]);
      blamed.set(index, [
        ...(blamed.get(index) ?? []),
        { path: at[2]!.replace(/^\./, ""), message: problem.message },
      ]);
    }
    // A problem no route can be blamed for is a translator defect. The table is returned as it is,
    // invalid, so that whoever validates it next refuses it: an empty table would publish an outage.
    if (blamed.size === 0) return table;
    for (const [index, problems] of blamed) refuse(candidates[index]!, report, seen, problems);
    candidates = candidates.filter((_, i) => !blamed.has(i));
  }
}

/**
 * The providers (or clusters) that validation accepts, checked in one table without routes; each
 * problem is handed to `reject` with the part's name and the path inside it (`.issuer`).
 */
function validParts(
  section: "providers" | "clusters",
  parts: Record<string, unknown>,
  reject: (name: string, path: string, message: string) => void,
): Map<string, unknown> {
  const valid = new Map(Object.entries(parts).sort(([a], [b]) => a.localeCompare(b)));
  if (valid.size === 0) return valid;
  const result = validateRouteTable({ version: 1, [section]: parts, routes: [] });
  if (result.ok) return valid;
  for (const problem of result.problems) {
    const at = new RegExp(`^${section}(?:\\.([A-Za-z0-9_-]+)|\\["((?:[^"\\\\]|\\\\.)*)"\\])(.*)$`).exec(
      problem.path,
    );
    if (!at) continue;
    const name = at[1] ?? JSON.parse(`"${at[2]}"`);
    valid.delete(name);
    reject(name, at[3]!, problem.message);
  }
  return valid;
}

/** The table of the given routes, with the providers they may use and the clusters they send to. */
function assemble(
  routes: readonly SourcedRoute[],
  providers: ReadonlyMap<string, unknown>,
  clusters: ReadonlyMap<string, unknown>,
): RouteTableInput {
  const used = new Set<string>();
  for (const { route } of routes)
    for (const rule of route.rules) {
      for (const ref of rule.backendRefs ?? []) used.add(ref.name);
      for (const filter of rule.filters ?? [])
        if (filter.type === "RequestMirror") used.add(filter.requestMirror.backendRef.name);
    }
  const tableClusters = Object.fromEntries(
    [...used]
      .filter((name) => clusters.has(name))
      .sort()
      .map((name) => [name, clusters.get(name)]),
  ) as RouteTableInput["clusters"];
  return {
    version: 1,
    ...(providers.size > 0
      ? { providers: Object.fromEntries(providers) as RouteTableInput["providers"] }
      : {}),
    ...(Object.keys(tableClusters ?? {}).length > 0 ? { clusters: tableClusters } : {}),
    routes: routes.map((r) => inWritingOrder(r.route)),
  };
}

const RULE_ORDER = [
  "name",
  "matches",
  "filters",
  "backendRefs",
  "auth",
  "timeouts",
  "retry",
  "sessionPersistence",
];

/** A route's fields in the order an operator writes them (id, hostnames, tls, …, rules; a rule's likewise). */
function inWritingOrder(route: SourcedRoute["route"]): SourcedRoute["route"] {
  const { id, hostnames, tls, trustRequestId, rules, ...rest } = route;
  return {
    id,
    ...(hostnames !== undefined ? { hostnames } : {}),
    ...(tls !== undefined ? { tls } : {}),
    ...(trustRequestId !== undefined ? { trustRequestId } : {}),
    ...rest,
    rules: rules.map((rule) => {
      const ordered: Record<string, unknown> = {};
      for (const key of RULE_ORDER)
        if (rule[key as keyof typeof rule] !== undefined) ordered[key] = rule[key as keyof typeof rule];
      for (const [key, value] of Object.entries(rule)) if (!(key in ordered)) ordered[key] = value;
      return ordered as typeof rule;
    }),
  };
}

/** Problems grouped by object (kinds in ROUTING_KINDS order, then namespace, name), each object's in the order found. */
function inObjectOrder(problems: readonly ImportProblem[]): ImportProblem[] {
  const rank = (kind: string) => {
    const at = (ROUTING_KINDS as readonly string[]).indexOf(kind);
    return at === -1 ? ROUTING_KINDS.length : at;
  };
  return [...problems].sort(
    (a, b) =>
      rank(a.object.kind) - rank(b.object.kind) ||
      a.object.namespace.localeCompare(b.object.namespace) ||
      a.object.name.localeCompare(b.object.name),
  );
}

/** Reports why a route stays out of the table, on the objects and fields its parts came from. */
function refuse(
  sourced: SourcedRoute,
  report: ImportReport,
  seen: Set<string>,
  problems: readonly { path: string; message: string }[],
): void {
  sourced.refused = [];
  for (const problem of problems) {
    // `path` is relative to the route (`rules[0].matches[1]`, `id`).
    const origin =
      problem.path === "id"
        ? { object: sourced.object, field: "metadata.name" }
        : (originOf(sourced.sources, problem.path) ?? { object: sourced.object, field: problem.path });
    sourced.refused.push(`${origin.field}: ${problem.message}`);
    reportOnce(
      report,
      seen,
      origin.object,
      origin.field,
      `${problem.message} (the route is left out of the table)`,
    );
  }
}

function reportOnce(
  report: ImportReport,
  seen: Set<string>,
  object: ObjectRef,
  field: string,
  reason: string,
): void {
  const key = `${object.kind}/${object.namespace}/${object.name}\u0000${field}\u0000${reason}`;
  if (seen.has(key)) return;
  seen.add(key);
  report.problems.push({ object, field, reason, severity: "error" });
}

function targetExists(
  inventory: Inventory,
  kind: string,
  namespace: string,
  name: string,
  section?: string,
): boolean {
  const key = keyOf(namespace, name);
  switch (kind) {
    case "Service": {
      const service = inventory.services.get(key);
      return (
        !!service &&
        (section === undefined ||
          list<{ name?: string }>(service.spec?.ports).some((p) => p.name === section))
      );
    }
    case "Gateway": {
      const gateway = inventory.gatewaysByName.get(key);
      return (
        !!gateway &&
        (section === undefined ||
          list<{ name?: string }>(gateway.spec?.listeners).some((l) => l.name === section))
      );
    }
    case "HTTPRoute": {
      const route = inventory.httpRoutes.find(
        (r) => refOf(r).namespace === namespace && refOf(r).name === name,
      );
      return (
        !!route &&
        (section === undefined || list<{ name?: string }>(route.spec?.rules).some((r) => r.name === section))
      );
    }
    case "Ingress":
      return (
        section === undefined &&
        inventory.ingresses.some((i) => refOf(i).namespace === namespace && refOf(i).name === name)
      );
    default:
      return false;
  }
}

export { formatImportProblem } from "./report.ts";
