/**
 * Gateway API → routes: which HTTPRoutes attach to which listeners of the Gateways taken, the hostnames
 * each serves (listener ∩ route), and each rule's matches, filters and backends, with the statuses the
 * spec defines (`Accepted`, `ResolvedRefs` per parent; `attachedRoutes` and conditions per listener).
 *
 * One HTTPRoute is one table route, id `namespace/name`, whose hostnames are the union of its
 * intersections with every listener it attached to. Matches, filters, timeouts, retry and session
 * persistence have the same names and meanings in the route table, so they are carried over field by
 * field; every field that is not carried is reported.
 */
import { formatPath } from "../config/problems.ts";
import type { Backends, UnresolvedReason } from "./backends.ts";
import { type Inventory, keyOf } from "./inventory.ts";
import {
  GATEWAY_API_GROUP,
  type Gateway,
  type HTTPBackendRef,
  type HTTPRoute,
  type HTTPRouteFilter,
  type HTTPRouteRule,
  type Listener,
  type ObjectRef,
  type ParentReference,
  refOf,
} from "./objects.ts";
import type { PolicyIndex } from "./policy.ts";
import { type ImportReport, isRecord, list, reportUnknownFields } from "./report.ts";
import type { FieldSource, RuleInput, SourcedRoute } from "./sources.ts";
import type {
  Condition,
  GatewayClassStatus,
  GatewayStatus,
  HTTPRouteStatus,
  ListenerStatus,
  RouteParentStatus,
} from "./translate.ts";

export interface GatewayApiContext {
  readonly inventory: Inventory;
  readonly report: ImportReport;
  readonly backends: Backends;
  readonly policies: PolicyIndex;
  readonly className: string | undefined;
  readonly controllerName: string | undefined;
  /** Written into route parent statuses. */
  readonly statusControllerName: string;
}

export interface GatewayApiResult {
  readonly routes: SourcedRoute[];
  /** Fills in the statuses once validation has said which routes made it into the table. */
  readonly status: () => {
    httpRoutes: HTTPRouteStatus[];
    gateways: GatewayStatus[];
    gatewayClasses: GatewayClassStatus[];
  };
}

const SUPPORTED_PROTOCOLS = new Set(["HTTP", "HTTPS"]);

interface ListenerPlan {
  readonly index: number;
  readonly listener: Listener;
  readonly name: string;
  readonly usable: boolean;
  readonly acceptsHTTPRoute: boolean;
  attachedRoutes: number;
  readonly conditions: Condition[];
}

interface GatewayPlan {
  readonly gateway: Gateway;
  readonly ref: ObjectRef;
  readonly listeners: ListenerPlan[];
}

/** A route's parent: the listeners it attached to, and its conditions until validation has spoken. */
interface ParentOutcome {
  readonly parentRef: ParentReference;
  readonly gateway: GatewayPlan;
  readonly listeners: ListenerPlan[];
  readonly accepted: Condition;
}

export function translateGatewayApi(ctx: GatewayApiContext): GatewayApiResult {
  const { inventory, report } = ctx;
  const claimedClasses = [...inventory.gatewayClasses.values()].filter(
    (c) => ctx.controllerName === undefined || c.spec?.controllerName === ctx.controllerName,
  );
  const gateways = new Map<string, GatewayPlan>();
  for (const gateway of inventory.gateways) {
    const ref = refOf(gateway);
    const className = gateway.spec?.gatewayClassName;
    if (ctx.className !== undefined && className !== ctx.className) continue;
    if (ctx.controllerName !== undefined && !claimedClasses.some((c) => refOf(c).name === className))
      continue;
    gateways.set(keyOf(ref.namespace, ref.name), planGateway(gateway, ref, report));
  }

  const routes: SourcedRoute[] = [];
  const routeOutcomes: {
    route: HTTPRoute;
    ref: ObjectRef;
    parents: ParentOutcome[];
    resolved: Condition;
    sourced?: SourcedRoute;
  }[] = [];
  for (const route of inventory.httpRoutes) {
    const ref = refOf(route);
    const spec = isRecord(route.spec) ? route.spec : {};
    reportUnknownFields(report, ref, ["spec"], spec, ["parentRefs", "hostnames", "rules"]);
    const parentRefs = list<ParentReference>(spec.parentRefs);
    if (parentRefs.length === 0 && ctx.controllerName === undefined && ctx.className === undefined)
      report.error(ref, ["spec", "parentRefs"], "missing: the route attaches to no Gateway");
    const parents = parentRefs
      .map((parentRef, i) => attach(ctx, gateways, route, ref, parentRef, i))
      .filter((p): p is ParentOutcome => p !== undefined);
    if (parents.length === 0) continue;
    const accepted = parents.filter((p) => p.accepted.status === "True");
    const outcome: (typeof routeOutcomes)[number] = {
      route,
      ref,
      parents,
      resolved: condition("ResolvedRefs", true, "ResolvedRefs", "all references resolved", route),
    };
    routeOutcomes.push(outcome);
    if (accepted.length === 0) continue;
    const built = buildRoute(ctx, route, ref, accepted);
    outcome.resolved = built.resolved;
    outcome.sourced = built.sourced;
    routes.push(built.sourced);
  }

  return {
    routes,
    status: () => {
      // A listener's attachedRoutes: the routes accepted there that validation kept in the table.
      for (const plan of gateways.values())
        for (const listener of plan.listeners) listener.attachedRoutes = 0;
      for (const { parents, sourced } of routeOutcomes) {
        if (!sourced || sourced.refused) continue;
        for (const parent of parents)
          if (parent.accepted.status === "True")
            for (const listener of parent.listeners) listener.attachedRoutes++;
      }
      return statusOf();
    },
  };

  function statusOf() {
    return {
      httpRoutes: routeOutcomes.map(({ route, ref, parents, resolved, sourced }) => ({
        object: ref,
        ...generation(route),
        parents: parents.map((p): RouteParentStatus => {
          const refused = p.accepted.status === "True" && sourced?.refused;
          const accepted = refused
            ? condition("Accepted", false, "UnsupportedValue", refused.join("; "), route)
            : p.accepted;
          return {
            parentRef: p.parentRef,
            controllerName: ctx.statusControllerName,
            conditions: [accepted, resolved],
          };
        }),
      })),
      gateways: [...gateways.values()].map(({ gateway, ref, listeners }) => ({
        object: ref,
        ...generation(gateway),
        conditions: [
          listeners.some((l) => l.usable)
            ? condition("Accepted", true, "Accepted", "translated by Gatehouse", gateway)
            : condition("Accepted", false, "ListenersNotValid", "no listener Gatehouse can serve", gateway),
        ],
        listeners: listeners.map(
          (l): ListenerStatus => ({
            name: l.name,
            attachedRoutes: l.attachedRoutes,
            supportedKinds:
              l.usable && l.acceptsHTTPRoute ? [{ group: GATEWAY_API_GROUP, kind: "HTTPRoute" }] : [],
            conditions: l.conditions,
          }),
        ),
      })),
      gatewayClasses: claimedClasses.map((c) => ({
        object: refOf(c),
        ...generation(c),
        conditions: [condition("Accepted", true, "Accepted", "handled by Gatehouse", c)],
      })),
    };
  }
}

function generation(object: { metadata?: { generation?: number } }): { generation?: number } {
  const g = object.metadata?.generation;
  return typeof g === "number" ? { generation: g } : {};
}

export function condition(
  type: string,
  ok: boolean,
  reason: string,
  message: string,
  object: { metadata?: { generation?: number } },
): Condition {
  const g = object.metadata?.generation;
  return {
    type,
    status: ok ? "True" : "False",
    reason,
    message,
    ...(typeof g === "number" ? { observedGeneration: g } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------
// Gateways and listeners

function planGateway(gateway: Gateway, ref: ObjectRef, report: ImportReport): GatewayPlan {
  const spec = isRecord(gateway.spec) ? gateway.spec : {};
  reportUnknownFields(report, ref, ["spec"], spec, [
    "gatewayClassName",
    "listeners",
    "addresses",
    "infrastructure",
  ]);
  if (spec.addresses !== undefined)
    report.warn(
      ref,
      ["spec", "addresses"],
      "not used: requests reach Gatehouse at Cloudflare's edge addresses",
    );
  if (spec.infrastructure !== undefined)
    report.warn(ref, ["spec", "infrastructure"], "not used: Gatehouse runs no per-Gateway infrastructure");
  const listeners = list<Listener>(spec.listeners).map((listener, index): ListenerPlan => {
    const path = ["spec", "listeners", index];
    reportUnknownFields(report, ref, path, listener, [
      "name",
      "hostname",
      "port",
      "protocol",
      "tls",
      "allowedRoutes",
    ]);
    const name = typeof listener.name === "string" ? listener.name : `listener-${index}`;
    const conditions: Condition[] = [];
    const protocol = listener.protocol ?? "";
    let usable = SUPPORTED_PROTOCOLS.has(protocol);
    if (!usable) {
      report.error(
        ref,
        [...path, "protocol"],
        `${protocol || "(none)"} listeners are not supported (HTTP and HTTPS only): the listener is not served`,
      );
    } else if (listener.tls?.mode === "Passthrough") {
      usable = false;
      report.error(
        ref,
        [...path, "tls", "mode"],
        "Passthrough is not supported: Cloudflare terminates TLS at the edge",
      );
    } else if (protocol === "HTTPS" && list(listener.tls?.certificateRefs).length > 0) {
      report.warn(
        ref,
        [...path, "tls", "certificateRefs"],
        "not used: Cloudflare terminates TLS with the zone's edge certificate for the hostname",
      );
    }
    conditions.push(
      usable
        ? condition("Accepted", true, "Accepted", "listener served by Gatehouse", gateway)
        : condition(
            "Accepted",
            false,
            "UnsupportedProtocol",
            `${protocol || "(none)"} is not supported`,
            gateway,
          ),
    );
    const kinds = listener.allowedRoutes?.kinds;
    let acceptsHTTPRoute = true;
    let invalidKinds = false;
    if (Array.isArray(kinds) && kinds.length > 0) {
      acceptsHTTPRoute = kinds.some(
        (k) => (k.group ?? GATEWAY_API_GROUP) === GATEWAY_API_GROUP && k.kind === "HTTPRoute",
      );
      kinds.forEach((k, i) => {
        if ((k.group ?? GATEWAY_API_GROUP) !== GATEWAY_API_GROUP || k.kind !== "HTTPRoute") {
          invalidKinds = true;
          report.error(
            ref,
            [...path, "allowedRoutes", "kinds", i],
            `${k.kind ?? "(none)"} routes are not supported (HTTPRoute only)`,
          );
        }
      });
    }
    conditions.push(
      invalidKinds
        ? condition("ResolvedRefs", false, "InvalidRouteKinds", "only HTTPRoute is supported", gateway)
        : condition("ResolvedRefs", true, "ResolvedRefs", "references resolved", gateway),
    );
    if (listener.allowedRoutes?.namespaces?.from === "Selector") {
      report.error(
        ref,
        [...path, "allowedRoutes", "namespaces", "selector"],
        "namespace selectors need Namespace objects, which are not read: only routes in the Gateway's own namespace attach",
      );
    }
    return { index, listener, name, usable, acceptsHTTPRoute, attachedRoutes: 0, conditions };
  });
  return { gateway, ref, listeners };
}

function namespaceAllowed(listener: Listener, gatewayNamespace: string, routeNamespace: string): boolean {
  const from = listener.allowedRoutes?.namespaces?.from ?? "Same";
  if (from === "All") return true;
  return routeNamespace === gatewayNamespace;
}

function attach(
  ctx: GatewayApiContext,
  gateways: ReadonlyMap<string, GatewayPlan>,
  route: HTTPRoute,
  ref: ObjectRef,
  parentRef: ParentReference,
  i: number,
): ParentOutcome | undefined {
  const path = ["spec", "parentRefs", i];
  const group = parentRef.group ?? GATEWAY_API_GROUP;
  const kind = parentRef.kind ?? "Gateway";
  if (group !== GATEWAY_API_GROUP || kind !== "Gateway") {
    ctx.report.error(ref, path, `${kind} parents are not supported (Gateway only): not attached there`);
    return undefined;
  }
  const namespace = parentRef.namespace ?? ref.namespace;
  const gateway = gateways.get(keyOf(namespace, parentRef.name ?? ""));
  if (!gateway) {
    // Another controller's Gateway is none of the live controller's business; offline, say it.
    if (ctx.controllerName === undefined && ctx.className === undefined)
      ctx.report.error(
        ref,
        path,
        `no Gateway ${namespace}/${parentRef.name ?? ""} in the input: not attached there`,
      );
    return undefined;
  }
  const fail = (reason: string, message: string) => {
    ctx.report.error(ref, path, `not attached: ${message}`);
    return {
      parentRef,
      gateway,
      listeners: [],
      accepted: condition("Accepted", false, reason, message, route),
    };
  };
  let candidates = gateway.listeners.filter((l) => l.usable && l.acceptsHTTPRoute);
  if (parentRef.sectionName !== undefined) {
    candidates = candidates.filter((l) => l.name === parentRef.sectionName);
    if (candidates.length === 0)
      return fail(
        "NoMatchingParent",
        `Gateway ${gateway.ref.namespace}/${gateway.ref.name} has no usable listener "${parentRef.sectionName}"`,
      );
  }
  if (parentRef.port !== undefined) {
    candidates = candidates.filter((l) => l.listener.port === parentRef.port);
    if (candidates.length === 0)
      return fail(
        "NoMatchingParent",
        `Gateway ${gateway.ref.namespace}/${gateway.ref.name} has no usable listener on port ${parentRef.port}`,
      );
  }
  if (candidates.length === 0)
    return fail(
      "NoMatchingParent",
      `Gateway ${gateway.ref.namespace}/${gateway.ref.name} has no listener that serves HTTPRoutes`,
    );
  const allowed = candidates.filter((l) =>
    namespaceAllowed(l.listener, gateway.ref.namespace, ref.namespace),
  );
  if (allowed.length === 0)
    return fail(
      "NotAllowedByListeners",
      `the listeners of Gateway ${gateway.ref.namespace}/${gateway.ref.name} do not allow routes from namespace ${ref.namespace}`,
    );
  const routeHostnames = list<string>(route.spec?.hostnames);
  const matching = allowed.filter((l) => intersectHostnames(l.listener.hostname, routeHostnames) !== "none");
  if (matching.length === 0)
    return fail(
      "NoMatchingListenerHostname",
      `no listener hostname of Gateway ${gateway.ref.namespace}/${gateway.ref.name} intersects the route's hostnames`,
    );
  return {
    parentRef,
    gateway,
    listeners: matching,
    accepted: condition("Accepted", true, "Accepted", "attached", route),
  };
}

/**
 * Gateway API hostname intersection: the names that both a listener and a route would serve. `"any"`
 * when neither narrows it (every host), `"none"` when they have nothing in common. A wildcard covers
 * one or more labels (`*.example.com` covers `a.b.example.com`, never `example.com`).
 */
export function intersectHostnames(
  listener: string | undefined,
  route: readonly string[],
): string[] | "any" | "none" {
  if (!listener) return route.length === 0 ? "any" : [...route];
  if (route.length === 0) return [listener];
  const out: string[] = [];
  for (const hostname of route) {
    if (covers(listener, hostname)) out.push(hostname);
    else if (covers(hostname, listener)) out.push(listener);
  }
  return out.length === 0 ? "none" : [...new Set(out)];
}

/** Whether `pattern` (a name or `*.` wildcard) serves every name `name` stands for. */
function covers(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  const n = name.toLowerCase();
  if (p === n) return true;
  if (!p.startsWith("*.")) return false;
  const suffix = p.slice(1); // ".example.com"
  const bare = n.startsWith("*.") ? n.slice(2) : n;
  return bare.endsWith(suffix) && bare.length > suffix.length;
}

// ---------------------------------------------------------------------------------------------------
// Routes and rules

const RULE_FIELDS = ["name", "matches", "filters", "backendRefs", "timeouts", "retry", "sessionPersistence"];
const MATCH_FIELDS = ["path", "headers", "queryParams", "method"];
const BACKEND_FIELDS = ["group", "kind", "name", "namespace", "port", "weight", "filters"];

interface Unresolved {
  readonly reason: UnresolvedReason;
  readonly message: string;
}

function buildRoute(
  ctx: GatewayApiContext,
  route: HTTPRoute,
  ref: ObjectRef,
  parents: readonly ParentOutcome[],
): { sourced: SourcedRoute; resolved: Condition } {
  const sources: FieldSource[] = [{ prefix: "", object: ref, field: "spec" }];
  const unresolved: Unresolved[] = [];
  const rules = list<HTTPRouteRule>(route.spec?.rules).map((rule, i) =>
    buildRule(ctx, ref, rule, i, parents, sources, unresolved),
  );

  // Hostnames: the union of the intersections with every listener attached to.
  const routeHostnames = list<string>(route.spec?.hostnames);
  let hostnames: string[] | undefined = [];
  for (const parent of parents) {
    for (const listener of parent.listeners) {
      const served = intersectHostnames(listener.listener.hostname, routeHostnames);
      if (served === "any") hostnames = undefined;
      else if (served !== "none" && hostnames) hostnames.push(...served);
    }
  }

  const table: SourcedRoute["route"] = {
    id: `${ref.namespace}/${ref.name}`,
    rules: rules.length > 0 ? rules : [{}],
  };
  if (hostnames) {
    table.hostnames = [...new Set(hostnames)].sort();
    // Each served name came from the route's hostnames or, where the route had none, a listener's.
    table.hostnames.forEach((hostname, k) => {
      const j = routeHostnames.indexOf(hostname);
      sources.push({
        prefix: formatPath(["hostnames", k]),
        object: j >= 0 ? ref : parents[0]!.gateway.ref,
        field: j >= 0 ? formatPath(["spec", "hostnames", j]) : "spec.listeners (hostname)",
      });
    });
  }
  // Route-level policy: the route's own, else its Gateway's (listener section first).
  for (const field of ["tls", "trustRequestId"] as const) {
    const attached =
      ctx.policies.lookup("HTTPRoute", ref.namespace, ref.name, field) ?? gatewayPolicy(ctx, parents, field);
    if (attached === undefined) continue;
    (table as Record<string, unknown>)[field] = attached.value;
    sources.push({ prefix: field, object: attached.from, field: `spec.${field}` });
  }
  const resolved =
    unresolved.length === 0
      ? condition("ResolvedRefs", true, "ResolvedRefs", "all references resolved", route)
      : condition(
          "ResolvedRefs",
          false,
          unresolved[0]!.reason,
          unresolved.map((u) => u.message).join("; "),
          route,
        );
  return { sourced: { route: table, object: ref, sources }, resolved };
}

function gatewayPolicy(
  ctx: GatewayApiContext,
  parents: readonly ParentOutcome[],
  field: "tls" | "trustRequestId" | "auth",
) {
  for (const parent of parents) {
    for (const listener of parent.listeners) {
      const found = ctx.policies.lookup(
        "Gateway",
        parent.gateway.ref.namespace,
        parent.gateway.ref.name,
        field,
        listener.name,
      );
      if (found) return found;
    }
  }
  return undefined;
}

function buildRule(
  ctx: GatewayApiContext,
  ref: ObjectRef,
  rule: HTTPRouteRule,
  i: number,
  parents: readonly ParentOutcome[],
  sources: FieldSource[],
  unresolved: Unresolved[],
): RuleInput {
  const { report } = ctx;
  const path = ["spec", "rules", i];
  const tablePath = formatPath(["rules", i]);
  sources.push({ prefix: tablePath, object: ref, field: formatPath(path) });
  if (rule === null || typeof rule !== "object" || Array.isArray(rule)) return {};
  reportUnknownFields(report, ref, path, rule, RULE_FIELDS);
  const out: RuleInput = {};
  if (rule.name !== undefined) out.name = rule.name;
  if (rule.matches !== undefined) {
    out.matches = list<Record<string, unknown>>(rule.matches).map((match, m) => {
      reportUnknownFields(report, ref, [...path, "matches", m], match, MATCH_FIELDS);
      const copy: Record<string, unknown> = {};
      for (const key of MATCH_FIELDS) if (match[key] !== undefined) copy[key] = match[key];
      return copy;
    });
  }
  for (const key of ["timeouts", "retry", "sessionPersistence"] as const) {
    if (rule[key] !== undefined) (out as Record<string, unknown>)[key] = rule[key];
  }

  // Filters: carried over in order, ExtensionRef refused (the rule then answers 500, as the spec says
  // for a filter that cannot be applied), RequestMirror's backend resolved like any other.
  const filters: unknown[] = [];
  let brokenFilter = false;
  list<HTTPRouteFilter>(rule.filters).forEach((filter, f) => {
    const at = [...path, "filters", f];
    const translated = translateFilter(ctx, ref, filter, at, unresolved);
    if (translated === "broken") {
      brokenFilter = true;
      return;
    }
    if (translated === undefined) return;
    sources.push({
      prefix: formatPath(["rules", i, "filters", filters.length]),
      object: ref,
      field: formatPath(at),
    });
    filters.push(translated);
  });
  if (filters.length > 0) out.filters = filters as RuleInput["filters"];

  // Backends: resolved ones carried (weights merged per cluster), the rest reported.
  const refs = list<HTTPBackendRef>(rule.backendRefs);
  const weights = new Map<string, number>();
  refs.forEach((backend, b) => {
    const at = [...path, "backendRefs", b];
    reportUnknownFields(report, ref, at, backend, BACKEND_FIELDS);
    if (list(backend.filters).length > 0)
      report.error(
        ref,
        [...at, "filters"],
        "per-backend filters are not supported: ignored (put them on the rule)",
      );
    const resolution = ctx.backends.resolve(
      { group: GATEWAY_API_GROUP, kind: "HTTPRoute", namespace: ref.namespace },
      backend,
    );
    if (!resolution.ok) {
      unresolved.push(resolution);
      report.error(
        ref,
        at,
        `${resolution.message} (${resolution.reason}): left out; ${
          refs.length > 1 ? "its share of traffic goes to the rule's other backends" : "the rule answers 500"
        }`,
      );
      return;
    }
    const weight = typeof backend.weight === "number" ? backend.weight : 1;
    if (!weights.has(resolution.cluster))
      sources.push({
        prefix: formatPath(["rules", i, "backendRefs", weights.size]),
        object: ref,
        field: formatPath(at),
      });
    weights.set(resolution.cluster, (weights.get(resolution.cluster) ?? 0) + weight);
  });
  if (brokenFilter) {
    // The spec: requests the filter would have handled must get an error, never skip the filter.
    report.error(ref, path, "answers 500: a filter of this rule cannot be applied");
  } else if (weights.size > 0) {
    out.backendRefs = [...weights].map(([name, weight]) => ({ name, weight }));
  }

  // Per-rule auth: a policy on this rule (by name), the route, then the Gateway.
  const auth =
    (rule.name !== undefined
      ? ctx.policies.lookup("HTTPRoute", ref.namespace, ref.name, "auth", rule.name)
      : undefined) ??
    ctx.policies.lookup("HTTPRoute", ref.namespace, ref.name, "auth") ??
    gatewayPolicy(ctx, parents, "auth");
  if (auth) {
    out.auth = auth.value as RuleInput["auth"];
    sources.push({ prefix: formatPath(["rules", i, "auth"]), object: auth.from, field: "spec.auth" });
  }
  return out;
}

const FILTER_FIELDS: Record<string, readonly string[]> = {
  RequestHeaderModifier: ["set", "add", "remove"],
  ResponseHeaderModifier: ["set", "add", "remove"],
  URLRewrite: ["hostname", "path"],
  RequestRedirect: ["scheme", "hostname", "path", "port", "statusCode"],
  RequestMirror: ["backendRef", "percent", "fraction"],
  CORS: ["allowOrigins", "allowMethods", "allowHeaders", "exposeHeaders", "allowCredentials", "maxAge"],
};

const FILTER_KEY: Record<string, keyof HTTPRouteFilter> = {
  RequestHeaderModifier: "requestHeaderModifier",
  ResponseHeaderModifier: "responseHeaderModifier",
  URLRewrite: "urlRewrite",
  RequestRedirect: "requestRedirect",
  RequestMirror: "requestMirror",
  CORS: "cors",
};

/** One filter: the table's object, `undefined` (left out, reported) or `"broken"` (the rule answers 500). */
function translateFilter(
  ctx: GatewayApiContext,
  ref: ObjectRef,
  filter: HTTPRouteFilter,
  at: (string | number)[],
  unresolved: Unresolved[],
): unknown {
  const { report } = ctx;
  const type = filter?.type ?? "";
  if (type === "ExtensionRef") {
    const ext = filter.extensionRef;
    report.error(
      ref,
      [...at, "extensionRef"],
      `ExtensionRef filters (${ext?.group ?? ""}/${ext?.kind ?? ""} ${ext?.name ?? ""}) are not supported: the rule answers 500 rather than skip it`,
    );
    unresolved.push({
      reason: "InvalidKind",
      message: `ExtensionRef ${ext?.kind ?? ""} ${ext?.name ?? ""} is not supported`,
    });
    return "broken";
  }
  const key = FILTER_KEY[type];
  if (!key) {
    report.error(
      ref,
      [...at, "type"],
      `unknown filter type ${JSON.stringify(type)}: the rule answers 500 rather than skip it`,
    );
    return "broken";
  }
  reportUnknownFields(report, ref, at, filter, ["type", key]);
  const body = filter[key] as Record<string, unknown> | undefined;
  reportUnknownFields(report, ref, [...at, key], body, FILTER_FIELDS[type]!);
  if (type !== "RequestMirror") {
    const copy: Record<string, unknown> = {};
    for (const field of FILTER_FIELDS[type]!) if (body?.[field] !== undefined) copy[field] = body[field];
    return { type, [key]: copy };
  }
  const mirror = (body ?? {}) as NonNullable<HTTPRouteFilter["requestMirror"]>;
  const resolution = ctx.backends.resolve(
    { group: GATEWAY_API_GROUP, kind: "HTTPRoute", namespace: ref.namespace },
    mirror.backendRef ?? {},
  );
  if (!resolution.ok) {
    unresolved.push(resolution);
    report.error(
      ref,
      [...at, "requestMirror", "backendRef"],
      `${resolution.message} (${resolution.reason}): nothing is mirrored`,
    );
    return undefined;
  }
  let percent = mirror.percent;
  const fraction = mirror.fraction;
  if (percent === undefined && fraction && typeof fraction.numerator === "number") {
    const denominator = fraction.denominator ?? 100;
    percent = denominator > 0 ? (fraction.numerator / denominator) * 100 : 0;
  }
  return {
    type,
    requestMirror: {
      backendRef: { name: resolution.cluster },
      ...(percent !== undefined ? { percent } : {}),
    },
  };
}
