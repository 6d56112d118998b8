/**
 * Kubernetes objects → one route table, with everything that could not be honoured said out loud.
 *
 * `translate` is the whole job of `gatehouse import` and of every reconcile of `gatehouse controller`:
 * pure and synchronous (no I/O, no Node or Workers globals), the whole table from the whole set of
 * objects every time, never a patch. Same input, same table, byte for byte: objects are taken in a
 * fixed order (kind, namespace, name), not the order they were read in.
 */
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
    problems: report.problems,
    status: { ...gatewayApi.status(), ingresses: ingresses.status() },
  };
}

/**
 * Each route is validated with the clusters and providers it uses, as the whole table will be: a route
 * the table's validation would refuse (an unsafe regex, a bad hostname, a policy value of the wrong
 * shape) is kept out, reported on the object and field it came from, and the rest of the table stands.
 * One bad HTTPRoute must not take down every other route.
 */
function admit(
  routes: readonly SourcedRoute[],
  backends: Backends,
  policies: PolicyIndex,
  report: ImportReport,
): RouteTableInput {
  const seen = new Set<string>();
  const admitted: SourcedRoute[] = [];
  const ids = new Set<string>();
  for (const sourced of routes) {
    const { route } = sourced;
    if (ids.has(route.id)) {
      refuse(sourced, report, seen, [{ path: "id", message: `duplicate route id "${route.id}"` }]);
      continue;
    }
    const clusterNames = new Set<string>();
    const providerNames = new Set<string>();
    for (const rule of route.rules) {
      for (const ref of rule.backendRefs ?? []) clusterNames.add(ref.name);
      for (const filter of rule.filters ?? [])
        if (filter.type === "RequestMirror") clusterNames.add(filter.requestMirror.backendRef.name);
      if (rule.auth?.provider) providerNames.add(rule.auth.provider);
    }
    const result = validateRouteTable({
      version: 1,
      providers: pick(policies.providers, providerNames),
      clusters: pick(Object.fromEntries(backends.clusters), clusterNames),
      routes: [route],
    });
    if (!result.ok) {
      refuse(sourced, report, seen, result.problems);
      continue;
    }
    ids.add(route.id);
    admitted.push(sourced);
  }
  const used = new Set<string>();
  for (const { route } of admitted)
    for (const rule of route.rules) {
      for (const ref of rule.backendRefs ?? []) used.add(ref.name);
      for (const filter of rule.filters ?? [])
        if (filter.type === "RequestMirror") used.add(filter.requestMirror.backendRef.name);
    }
  // Providers no admitted route uses still go in (they were asked for), when they are valid alone.
  const providers: Record<string, unknown> = {};
  for (const [name, provider] of Object.entries(policies.providers).sort(([a], [b]) => a.localeCompare(b))) {
    const alone = validateRouteTable({ version: 1, providers: { [name]: provider }, routes: [] });
    if (alone.ok) providers[name] = provider;
    else
      for (const problem of alone.problems)
        reportOnce(
          report,
          seen,
          policies.providerOrigin(name),
          problem.path.replace(/^providers(\.[A-Za-z0-9_-]+|\["[^"]*"\])/, `spec.providers$1`),
          problem.message,
        );
  }
  const clusters = Object.fromEntries([...used].sort().map((name) => [name, backends.clusters.get(name)!]));
  const table: RouteTableInput = { version: 1, routes: [] };
  if (Object.keys(providers).length > 0) table.providers = providers as RouteTableInput["providers"];
  if (Object.keys(clusters).length > 0) table.clusters = clusters;
  table.routes = admitted.map((r) => inWritingOrder(r.route));
  return table;
}

/** A route's fields in the order an operator writes them (id, hostnames, tls, …, rules). */
function inWritingOrder(route: SourcedRoute["route"]): SourcedRoute["route"] {
  const { id, hostnames, tls, trustRequestId, rules, ...rest } = route;
  return {
    id,
    ...(hostnames !== undefined ? { hostnames } : {}),
    ...(tls !== undefined ? { tls } : {}),
    ...(trustRequestId !== undefined ? { trustRequestId } : {}),
    ...rest,
    rules,
  };
}

function pick<T>(record: Record<string, T>, names: ReadonlySet<string>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const name of names) if (record[name] !== undefined) out[name] = record[name];
  return out;
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
    const route = /^routes\[0\](.*)$/.exec(problem.path);
    const cluster = /^clusters(\.[A-Za-z0-9_-]+|\["[^"]*"\])(.*)$/.exec(problem.path);
    let origin: { object: ObjectRef; field: string } | undefined;
    if (route) origin = originOf(sourced.sources, route[1]!.replace(/^\./, ""));
    else if (cluster)
      origin = {
        object: sourced.object,
        field: `(cluster ${cluster[1]!.replace(/^\.|^\["|"\]$/g, "")})${cluster[2]}`,
      };
    else if (problem.path === "id") origin = { object: sourced.object, field: "metadata.name" };
    origin ??= { object: sourced.object, field: problem.path };
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
