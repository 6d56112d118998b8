/**
 * Ingress (networking.k8s.io/v1) → routes, with ingress-nginx's meanings for what the Ingress spec
 * leaves to the implementation.
 *
 * - One route per host of an Ingress: `namespace/name` when the Ingress has one host, else
 *   `namespace/name/HOST` (`namespace/name/all-hosts` for rules without a host). `defaultBackend`
 *   becomes a route without hostnames matching every path (`namespace/name/default-backend` when the
 *   Ingress has rules too): it is tried after every host-specific route, as a default backend is.
 * - `Exact` → `Exact`; `Prefix` → `PathPrefix` (both element-wise); `ImplementationSpecific` → as
 *   ingress-nginx reads it: a prefix (element-wise here, a warning: nginx's is a string prefix), or a
 *   regular expression under `use-regex`/`rewrite-target`.
 * - TLS hosts: HTTPS at the edge is Cloudflare's, so `spec.tls` means what ingress-nginx makes of it,
 *   a redirect of plain HTTP (`ssl-redirect`, default on); the Secret is not used.
 * - Canary Ingresses (`canary: "true"`) are merged into the rule of the main Ingress with the same host
 *   and path, as weighted backends and header-matched rules.
 */
import { formatPath } from "../config/problems.ts";
import type { Backends } from "./backends.ts";
import { type CanarySettings, type NginxSettings, readNginxAnnotations } from "./ingress-nginx.ts";
import type { Inventory } from "./inventory.ts";
import {
  type HTTPIngressPath,
  type Ingress,
  type IngressBackend,
  type IngressRule,
  NETWORKING_GROUP,
  type ObjectRef,
  refOf,
} from "./objects.ts";
import type { PolicyIndex } from "./policy.ts";
import { type ImportReport, isRecord, list, reportUnknownFields } from "./report.ts";
import type { FieldSource, RouteInput, RuleInput, SourcedRoute } from "./sources.ts";
import type { IngressStatus } from "./translate.ts";

export interface IngressContext {
  readonly inventory: Inventory;
  readonly report: ImportReport;
  readonly backends: Backends;
  readonly policies: PolicyIndex;
  readonly className: string | undefined;
  readonly controllerName: string | undefined;
}

const LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class";
const DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class";

type Path = (string | number)[];

/** One path of one Ingress, ready to become a rule, before canaries are merged in. */
interface PathPlan {
  readonly ingress: Ingress;
  readonly ref: ObjectRef;
  readonly host: string;
  readonly field: Path;
  readonly match: Record<string, unknown>;
  /** The path rewrite `rewrite-target` implies for this path. */
  readonly rewrite: Record<string, unknown> | undefined;
  /** `pathType` and `path` as written, for finding the canaries of this path. */
  readonly key: string;
  readonly backend: IngressBackend | undefined;
  readonly settings: NginxSettings;
}

export function translateIngresses(ctx: IngressContext): {
  routes: SourcedRoute[];
  status: () => IngressStatus[];
} {
  const { inventory, report } = ctx;
  const defaultClass = [...inventory.ingressClasses.values()].find(
    (c) => c.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === "true",
  );
  const taken: { ingress: Ingress; ref: ObjectRef; settings: NginxSettings }[] = [];
  for (const ingress of inventory.ingresses) {
    const ref = refOf(ingress);
    const className =
      ingress.spec?.ingressClassName ??
      ingress.metadata?.annotations?.[LEGACY_CLASS_ANNOTATION] ??
      (defaultClass ? refOf(defaultClass).name : undefined);
    if (ctx.className !== undefined && className !== ctx.className) continue;
    if (ctx.controllerName !== undefined) {
      const cls = className === undefined ? undefined : inventory.ingressClasses.get(className);
      if (cls?.spec?.controller !== ctx.controllerName) continue;
    }
    reportUnknownFields(report, ref, ["spec"], ingress.spec, [
      "ingressClassName",
      "defaultBackend",
      "tls",
      "rules",
    ]);
    const settings = readNginxAnnotations(ingress.metadata?.annotations ?? {}, ref, report);
    taken.push({ ingress, ref, settings });
  }

  const accepted = new Map<string, { ok: boolean; reason: string }>();
  const statusKey = (ref: ObjectRef) => `${ref.namespace}/${ref.name}`;
  const canaries = new Map<string, { plan: PathPlan; used: boolean }[]>();
  const mains: { ingress: Ingress; ref: ObjectRef; settings: NginxSettings; plans: PathPlan[] }[] = [];
  for (const { ingress, ref, settings } of taken) {
    if (settings.restricted) {
      accepted.set(statusKey(ref), {
        ok: false,
        reason: "an access restriction Gatehouse cannot enforce yet",
      });
      continue;
    }
    const plans = planPaths(ctx, ingress, ref, settings);
    if (settings.canary) {
      for (const plan of plans)
        canaries.set(plan.key, [...(canaries.get(plan.key) ?? []), { plan, used: false }]);
      accepted.set(statusKey(ref), {
        ok: false,
        reason: "a canary with no main Ingress for its host and path",
      });
    } else {
      mains.push({ ingress, ref, settings, plans });
    }
  }

  const routes: SourcedRoute[] = [];
  for (const { ingress, ref, settings, plans } of mains) {
    const byHost = new Map<string, PathPlan[]>();
    for (const plan of plans) byHost.set(plan.host, [...(byHost.get(plan.host) ?? []), plan]);
    const defaultBackend = ingress.spec?.defaultBackend;
    const parts = byHost.size + (defaultBackend ? 1 : 0);
    const idOf = (suffix: string) =>
      parts > 1 ? `${ref.namespace}/${ref.name}/${suffix}` : `${ref.namespace}/${ref.name}`;

    for (const [host, hostPlans] of byHost) {
      const sources: FieldSource[] = [{ prefix: "", object: ref, field: "spec" }];
      const rules: RuleInput[] = [];
      for (const plan of hostPlans) {
        for (const rule of rulesFor(ctx, plan, canaries.get(plan.key), accepted)) {
          sources.push({
            prefix: formatPath(["rules", rules.length]),
            object: ref,
            field: formatPath(plan.field),
          });
          // What annotations set is reported on the annotations.
          for (const field of ["sessionPersistence", "timeouts"] as const)
            if (rule[field])
              sources.push({
                prefix: formatPath(["rules", rules.length, field]),
                object: ref,
                field: "metadata.annotations",
              });
          rules.push(rule);
        }
      }
      const route: RouteInput = { id: idOf(host || "all-hosts"), rules };
      if (host) {
        route.hostnames = [host];
        sources.push({
          prefix: "hostnames[0]",
          object: ref,
          field: formatPath([...hostPlans[0]!.field.slice(0, 3), "host"]),
        });
      }
      const tls = tlsFor(ctx, ingress, ref, host, settings, sources);
      if (tls) route.tls = tls;
      attachRoutePolicy(ctx, ref, route, sources);
      routes.push({ route, object: ref, sources });
    }
    if (defaultBackend) {
      const field: Path = ["spec", "defaultBackend"];
      const sources: FieldSource[] = [{ prefix: "", object: ref, field: formatPath(field) }];
      const rule = ruleWithBackend(ctx, ref, field, defaultBackend, settings, {});
      const route: RouteInput = { id: idOf("default-backend"), rules: [rule] };
      attachRoutePolicy(ctx, ref, route, sources);
      routes.push({ route, object: ref, sources });
    }
    if (byHost.size === 0 && !defaultBackend) {
      const written = list<IngressRule>(ingress.spec?.rules).some((r) => list(r.http?.paths).length > 0);
      report.error(
        ref,
        ["spec"],
        written
          ? "none of its paths could be translated: nothing to route"
          : "has no rules with paths and no defaultBackend: nothing to route",
      );
      accepted.set(statusKey(ref), { ok: false, reason: "nothing to route" });
    } else {
      accepted.set(statusKey(ref), { ok: true, reason: "translated by Gatehouse" });
    }
  }
  for (const list of canaries.values()) {
    for (const { plan, used } of list) {
      if (used) continue;
      report.error(
        plan.ref,
        plan.field,
        `no main (non-canary) Ingress serves host ${plan.host || "(any)"} path ${plan.key.split("\u0000")[2]}: the canary has nothing to split`,
      );
    }
  }

  return {
    routes,
    status: () =>
      taken.map(({ ingress, ref }) => {
        const refused = routes.filter((r) => r.object === ref && r.refused).flatMap((r) => r.refused ?? []);
        const outcome = accepted.get(statusKey(ref)) ?? { ok: false, reason: "not translated" };
        const own = routes.filter((r) => r.object === ref);
        const allRefused = outcome.ok && own.length > 0 && own.every((r) => r.refused);
        const g = ingress.metadata?.generation;
        return {
          object: ref,
          ...(typeof g === "number" ? { generation: g } : {}),
          accepted: outcome.ok && !allRefused,
          reason: allRefused ? refused.join("; ") : outcome.reason,
        };
      }),
  };
}

function attachRoutePolicy(
  ctx: IngressContext,
  ref: ObjectRef,
  route: RouteInput,
  sources: FieldSource[],
): void {
  for (const field of ["tls", "trustRequestId"] as const) {
    const attached = ctx.policies.lookup("Ingress", ref.namespace, ref.name, field);
    if (!attached) continue;
    // A policy's tls is merged over what the Ingress itself implies (its redirect).
    (route as Record<string, unknown>)[field] =
      field === "tls" && isRecord(route.tls) && isRecord(attached.value)
        ? { ...route.tls, ...attached.value }
        : attached.value;
    sources.push({ prefix: field, object: attached.from, field: `spec.${field}` });
  }
  const auth = ctx.policies.lookup("Ingress", ref.namespace, ref.name, "auth");
  if (!auth) return;
  route.rules.forEach((rule, i) => {
    rule.auth = auth.value as RuleInput["auth"];
    sources.push({ prefix: formatPath(["rules", i, "auth"]), object: auth.from, field: "spec.auth" });
  });
}

/** ingress-nginx redirects plain HTTP to HTTPS for hosts in `spec.tls` (unless `ssl-redirect: "false"`), or always with `force-ssl-redirect`. */
function tlsFor(
  ctx: IngressContext,
  ingress: Ingress,
  ref: ObjectRef,
  host: string,
  settings: NginxSettings,
  sources: FieldSource[],
): RouteInput["tls"] | undefined {
  let covered = false;
  list<Record<string, unknown>>(ingress.spec?.tls).forEach((tls, i) => {
    const hosts = list<string>(tls.hosts);
    if (host && hosts.some((h) => h === host || (h.startsWith("*.") && host.endsWith(h.slice(1)))))
      covered = true;
    if (tls.secretName !== undefined && host && hosts.includes(host))
      ctx.report.warn(
        ref,
        ["spec", "tls", i, "secretName"],
        `not used for ${host}: Cloudflare terminates TLS with the zone's edge certificate`,
      );
  });
  if (settings.forceSslRedirect || (covered && settings.sslRedirect)) {
    sources.push({ prefix: "tls", object: ref, field: covered ? "spec.tls" : `metadata.annotations` });
    return { httpsRedirect: true, redirectStatusCode: 308 };
  }
  return undefined;
}

function planPaths(
  ctx: IngressContext,
  ingress: Ingress,
  ref: ObjectRef,
  settings: NginxSettings,
): PathPlan[] {
  const plans: PathPlan[] = [];
  list<IngressRule>(ingress.spec?.rules).forEach((rule, r) => {
    const rulePath: Path = ["spec", "rules", r];
    reportUnknownFields(ctx.report, ref, rulePath, rule, ["host", "http"]);
    const host = typeof rule.host === "string" ? rule.host : "";
    list<HTTPIngressPath>(rule.http?.paths).forEach((p, i) => {
      const field: Path = [...rulePath, "http", "paths", i];
      reportUnknownFields(ctx.report, ref, field, p, ["path", "pathType", "backend"]);
      const planned = matchFor(ctx, ref, field, p, settings);
      if (!planned) return;
      plans.push({
        ingress,
        ref,
        host,
        field,
        match: planned.match,
        rewrite: planned.rewrite,
        key: `${host}\u0000${p.pathType ?? ""}\u0000${p.path ?? "/"}`,
        backend: p.backend,
        settings,
      });
    });
  });
  return plans;
}

// ingress-nginx's rewrite idiom: `PREFIX(/|$)(.*)` with `…/$2`, or `PREFIX/(.*)` with `…/$1`.
const PREFIX_IDIOM = /^\^?(\/[A-Za-z0-9._~\-/]*?)\/?\(\/\|\$\)\(\.\*\)$/;
const SLASH_IDIOM = /^\^?(\/[A-Za-z0-9._~\-/]*?)\/\(\.\*\)$/;
const LITERAL_PATH = /^\/[A-Za-z0-9._~\-/]*$/;

interface PlannedMatch {
  readonly match: Record<string, unknown>;
  readonly rewrite?: Record<string, unknown>;
}

/** The match for one Ingress path and the rewrite it implies; `undefined` when it cannot be expressed (reported). */
function matchFor(
  ctx: IngressContext,
  ref: ObjectRef,
  field: Path,
  p: HTTPIngressPath,
  settings: NginxSettings,
): PlannedMatch | undefined {
  const { report } = ctx;
  const value = typeof p.path === "string" && p.path !== "" ? p.path : "/";
  const pathType = p.pathType ?? "ImplementationSpecific";
  const target = settings.rewriteTarget;
  const captures = target !== undefined && /\$[0-9]/.test(target);

  if (pathType === "Exact" || pathType === "Prefix") {
    const match = { path: { type: pathType === "Exact" ? "Exact" : "PathPrefix", value } };
    if (target === undefined) return { match };
    if (captures) {
      report.error(
        ref,
        [...field, "path"],
        `rewrite-target ${JSON.stringify(target)} refers to capture groups, which a ${pathType} path has none of: left out`,
      );
      return undefined;
    }
    // nginx replaces the whole URI with a target that has no capture groups.
    return { match, rewrite: { type: "ReplaceFullPath", replaceFullPath: target } };
  }
  if (pathType !== "ImplementationSpecific") {
    report.error(ref, [...field, "pathType"], `unknown pathType ${JSON.stringify(pathType)}: left out`);
    return undefined;
  }
  if (captures) {
    const idiom = PREFIX_IDIOM.exec(value) ?? SLASH_IDIOM.exec(value);
    const group = PREFIX_IDIOM.test(value) ? "$2" : "$1";
    if (idiom && target!.endsWith(group) && !target!.slice(0, -group.length).includes("$")) {
      const prefix = idiom[1] || "/";
      const replacement = target!.slice(0, -group.length).replace(/\/$/, "") || "/";
      return {
        match: { path: { type: "PathPrefix", value: prefix } },
        rewrite: { type: "ReplacePrefixMatch", replacePrefixMatch: replacement },
      };
    }
    report.error(
      ref,
      [...field, "path"],
      `rewrite-target ${JSON.stringify(target)} with path ${JSON.stringify(value)}: the table rewrites by prefix or whole path, ` +
        `so only the PREFIX(/|$)(.*) → /…$2 and PREFIX/(.*) → /…$1 forms translate: left out`,
    );
    return undefined;
  }
  const rewrite = target !== undefined ? { type: "ReplaceFullPath", replaceFullPath: target } : undefined;
  if (!settings.regexPaths || LITERAL_PATH.test(value)) {
    report.warn(
      ref,
      [...field, "pathType"],
      `ImplementationSpecific is read as Prefix, element-wise: ${JSON.stringify(value)} matches ${value.replace(/\/$/, "")}/… but not ${value.replace(/\/$/, "")}x (nginx's plain prefix would)`,
    );
    return { match: { path: { type: "PathPrefix", value } }, ...(rewrite ? { rewrite } : {}) };
  }
  // nginx: `location ~* "^PATH"`, a case-insensitive regex anchored at the start only.
  const pattern = value.replace(/^\^/, "");
  const anchoredEnd = pattern.endsWith("$") || pattern.endsWith(".*") || pattern.endsWith("(.*)");
  report.warn(
    ref,
    [...field, "path"],
    "regular expression paths are case-sensitive here (ingress-nginx matches them case-insensitively)",
  );
  const regex = anchoredEnd ? pattern.replace(/\$$/, "") : `${pattern}.*`;
  return { match: { path: { type: "RegularExpression", value: regex } }, ...(rewrite ? { rewrite } : {}) };
}

/** The rule for a path, preceded by the header-matched rules of its canaries. */
function rulesFor(
  ctx: IngressContext,
  plan: PathPlan,
  canaries: { plan: PathPlan; used: boolean }[] | undefined,
  accepted: Map<string, { ok: boolean; reason: string }>,
): RuleInput[] {
  const baseMatch = plan.match;
  const main = ruleWithBackend(
    ctx,
    plan.ref,
    plan.field,
    plan.backend,
    plan.settings,
    { rewrite: plan.rewrite },
    baseMatch,
  );
  const rules: RuleInput[] = [];
  for (const canary of canaries ?? []) {
    const settings = canary.plan.settings.canary as CanarySettings;
    const resolved = resolveIngressBackend(ctx, canary.plan.ref, canary.plan.field, canary.plan.backend);
    if (!resolved) continue;
    canary.used = true;
    accepted.set(`${canary.plan.ref.namespace}/${canary.plan.ref.name}`, {
      ok: true,
      reason: `merged into Ingress ${plan.ref.namespace}/${plan.ref.name}`,
    });
    type HeaderMatch = NonNullable<NonNullable<RuleInput["matches"]>[number]["headers"]>[number];
    const canaryRule = (headerMatch: HeaderMatch, backend: string): RuleInput => ({
      ...structuredClone(main),
      matches: [{ ...(baseMatch as object), headers: [headerMatch] }],
      backendRefs: [{ name: backend, weight: 1 }],
    });
    const mainCluster = main.backendRefs?.[0]?.name;
    if (settings.header !== undefined) {
      if (settings.headerPattern !== undefined)
        rules.push(
          canaryRule(
            { name: settings.header, type: "RegularExpression", value: settings.headerPattern },
            resolved,
          ),
        );
      else
        rules.push(canaryRule({ name: settings.header, value: settings.headerValue ?? "always" }, resolved));
      // `never` keeps a client off the canary whatever the weight says.
      if (
        settings.headerValue === undefined &&
        settings.headerPattern === undefined &&
        settings.weight &&
        mainCluster
      )
        rules.push(canaryRule({ name: settings.header, value: "never" }, mainCluster));
    }
    if (settings.weight !== undefined && main.backendRefs && main.backendRefs.length > 0) {
      const mainWeight = settings.weightTotal - settings.weight;
      main.backendRefs = [
        ...main.backendRefs.map((b) => ({ ...b, weight: mainWeight })),
        { name: resolved, weight: settings.weight },
      ];
    }
  }
  return [...rules, main];
}

function resolveIngressBackend(
  ctx: IngressContext,
  ref: ObjectRef,
  field: Path,
  backend: IngressBackend | undefined,
): string | undefined {
  if (!backend?.service) {
    ctx.report.error(
      ref,
      [...field, "backend"],
      backend?.resource
        ? "resource backends are not supported (Services only): left out"
        : "names no Service: left out",
    );
    return undefined;
  }
  const port = backend.service.port ?? {};
  const resolution = ctx.backends.resolve(
    { group: NETWORKING_GROUP, kind: "Ingress", namespace: ref.namespace },
    {
      name: backend.service.name,
      ...(typeof port.number === "number" ? { port: port.number } : {}),
      ...(typeof port.name === "string" ? { portName: port.name } : {}),
    },
  );
  if (!resolution.ok) {
    ctx.report.error(ref, [...field, "backend", "service"], `${resolution.message}: the rule answers 500`);
    return undefined;
  }
  return resolution.cluster;
}

function ruleWithBackend(
  ctx: IngressContext,
  ref: ObjectRef,
  field: Path,
  backend: IngressBackend | undefined,
  settings: NginxSettings,
  extras: { rewrite?: Record<string, unknown> | undefined },
  match?: Record<string, unknown>,
): RuleInput {
  const rule: RuleInput = {};
  if (match) rule.matches = [match as NonNullable<RuleInput["matches"]>[number]];
  const filters: NonNullable<RuleInput["filters"]> = [];
  if (settings.redirect) {
    const redirect = redirectFilter(ctx, ref, settings.redirect);
    if (redirect) filters.push(redirect);
    rule.filters = filters;
    return rule;
  }
  if (extras.rewrite || settings.upstreamHost) {
    filters.push({
      type: "URLRewrite",
      urlRewrite: {
        ...(settings.upstreamHost ? { hostname: settings.upstreamHost } : {}),
        ...(extras.rewrite ? { path: extras.rewrite as never } : {}),
      },
    });
  }
  if (settings.cors) filters.push({ type: "CORS", cors: settings.cors as never });
  if (filters.length > 0) rule.filters = filters;
  if (settings.sessionPersistence)
    rule.sessionPersistence = settings.sessionPersistence as RuleInput["sessionPersistence"];
  if (settings.timeouts) rule.timeouts = settings.timeouts;
  const cluster = resolveIngressBackend(ctx, ref, field, backend);
  if (cluster) rule.backendRefs = [{ name: cluster, weight: 1 }];
  return rule;
}

function redirectFilter(
  ctx: IngressContext,
  ref: ObjectRef,
  redirect: NonNullable<NginxSettings["redirect"]>,
): NonNullable<RuleInput["filters"]>[number] | undefined {
  let url: URL;
  try {
    url = new URL(redirect.url);
  } catch {
    ctx.report.error(
      ref,
      ["metadata", "annotations", `nginx.ingress.kubernetes.io/${redirect.annotation}`],
      "is not an absolute URL: ignored",
    );
    return undefined;
  }
  if (url.search || url.hash)
    ctx.report.warn(
      ref,
      ["metadata", "annotations", `nginx.ingress.kubernetes.io/${redirect.annotation}`],
      "its query and fragment are dropped: the redirect keeps the request's query",
    );
  return {
    type: "RequestRedirect",
    requestRedirect: {
      scheme: url.protocol === "https:" ? "https" : "http",
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: { type: "ReplaceFullPath", replaceFullPath: url.pathname || "/" },
      statusCode: redirect.statusCode as 301,
    },
  };
}
