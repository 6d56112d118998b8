/**
 * What a push would change, route by route: routes added, removed or changed (hosts, matches,
 * filters, backends, auth, timeouts…), and the same for clusters, providers and the table-wide
 * settings. Compares validated, normalised tables, so formatting and key order in the file never
 * show up as changes. Pure: the CLI prints it, tests inspect it.
 */
import type {
  Auth,
  BackendRef,
  Filter,
  HeaderModifier,
  Match,
  PathModifier,
  Provider,
  Route,
  RouteTable,
  Rule,
} from "../config/schema.ts";
import { canonicalJson } from "./kv-layout.ts";

export interface FieldChange {
  /** `hostnames`, `rule read: backends`, `endpoints`… */
  field: string;
  before: string;
  after: string;
}

export interface EntryChange {
  /** Route id, cluster or provider name. */
  name: string;
  kind: "added" | "removed" | "changed";
  /** One line describing an added or removed entry. */
  summary?: string;
  changes: FieldChange[];
}

export interface TableDiff {
  routes: EntryChange[];
  /** The routes both tables have, in a different order (order breaks precedence ties). */
  routeOrder?: { before: string[]; after: string[] };
  clusters: EntryChange[];
  providers: EntryChange[];
  /** Table-wide settings: `tls`, `paths`. */
  settings: FieldChange[];
}

export function isEmptyDiff(diff: TableDiff): boolean {
  return (
    diff.routes.length === 0 &&
    !diff.routeOrder &&
    diff.clusters.length === 0 &&
    diff.providers.length === 0 &&
    diff.settings.length === 0
  );
}

// ---------------------------------------------------------------------------------------------------
// One-line descriptions of the parts operators care about

function describeMatch(match: Match): string {
  const path = match.path ?? { type: "PathPrefix", value: "/" };
  const parts = [`${path.type} ${path.value}`];
  if (match.method) parts.push(match.method);
  for (const h of match.headers ?? [])
    parts.push(`header ${h.name}${h.type === "Exact" ? "=" : "~"}${h.value}`);
  for (const q of match.queryParams ?? [])
    parts.push(`query ${q.name}${q.type === "Exact" ? "=" : "~"}${q.value}`);
  return parts.join(" ");
}

export function describeMatches(matches: readonly Match[] | undefined): string {
  if (!matches || matches.length === 0) return "PathPrefix /";
  return matches.map(describeMatch).join(" | ");
}

export function describeBackends(refs: readonly BackendRef[] | undefined): string {
  if (!refs || refs.length === 0) return "none";
  return refs.map((r) => `${r.name}=${r.weight}`).join(", ");
}

export function describeAuth(auth: Auth | undefined): string {
  if (!auth) return "public";
  const parts = [auth.provider];
  if (auth.audiences?.length) parts.push(`aud=[${auth.audiences.join(",")}]`);
  if (auth.requiredScopes?.length) parts.push(`scopes=[${auth.requiredScopes.join(",")}]`);
  for (const c of auth.requiredClaims ?? []) parts.push(`${c.name}∈{${c.values.join(",")}}`);
  return parts.join(" ");
}

export function describeHostnames(hostnames: readonly string[] | undefined): string {
  return hostnames && hostnames.length > 0 ? hostnames.join(", ") : "(every host)";
}

function describePathModifier(path: PathModifier): string {
  return path.type === "ReplaceFullPath"
    ? `path=${path.replaceFullPath}`
    : `prefix→${path.replacePrefixMatch}`;
}

function describeHeaderModifier(m: HeaderModifier): string {
  const parts = [
    ...(m.set ?? []).map((h) => `set ${h.name}: ${h.value}`),
    ...(m.add ?? []).map((h) => `add ${h.name}: ${h.value}`),
    ...(m.remove ?? []).map((name) => `remove ${name}`),
  ];
  return parts.join("; ");
}

/** One filter in a line: what it does to the request or the answer (the status page shows these). */
export function describeFilter(filter: Filter): string {
  switch (filter.type) {
    case "RequestRedirect": {
      const r = filter.requestRedirect;
      const to = [
        r.scheme && `scheme=${r.scheme}`,
        r.hostname && `host=${r.hostname}`,
        r.port && `port=${r.port}`,
        r.path && describePathModifier(r.path),
      ].filter(Boolean);
      return `redirect ${r.statusCode} ${to.join(" ") || "(same URL)"}`;
    }
    case "URLRewrite": {
      const r = filter.urlRewrite;
      const to = [r.hostname && `host=${r.hostname}`, r.path && describePathModifier(r.path)].filter(Boolean);
      return `rewrite ${to.join(" ")}`;
    }
    case "RequestHeaderModifier":
      return `request headers: ${describeHeaderModifier(filter.requestHeaderModifier)}`;
    case "ResponseHeaderModifier":
      return `response headers: ${describeHeaderModifier(filter.responseHeaderModifier)}`;
    case "RequestMirror":
      return `mirror ${filter.requestMirror.percent}% to ${filter.requestMirror.backendRef.name}`;
    case "CORS":
      return `CORS ${(filter.cors.allowOrigins ?? []).join(", ") || "(no origins)"}`;
  }
}

function describeFilters(filters: Rule["filters"]): string {
  return !filters || filters.length === 0 ? "none" : filters.map((f) => f.type).join(", ");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function describeRoute(route: Route): string {
  const backends = [...new Set(route.rules.flatMap((r) => (r.backendRefs ?? []).map((b) => b.name)))];
  return [
    `hosts ${describeHostnames(route.hostnames)}`,
    plural(route.rules.length, "rule"),
    `backends ${backends.length ? backends.join(", ") : "none"}`,
  ].join("; ");
}

// ---------------------------------------------------------------------------------------------------
// Comparison

/**
 * A changed value, shown by its one-line description; when two different values describe alike
 * (a header value the summary leaves out, say) the canonical JSON is shown instead.
 */
function compare<T>(
  field: string,
  before: T,
  after: T,
  describe: (value: T) => string = (v) => (v === undefined ? "(none)" : canonicalJson(v)),
): FieldChange[] {
  if (canonicalJson(before) === canonicalJson(after)) return [];
  let b = describe(before);
  let a = describe(after);
  if (a === b) {
    b = before === undefined ? "(none)" : canonicalJson(before);
    a = after === undefined ? "(none)" : canonicalJson(after);
  }
  return [{ field, before: b, after: a }];
}

function ruleLabel(rule: Rule, index: number): string {
  return rule.name ? `rule ${rule.name}` : `rule ${index}`;
}

/** Rules pair up by name when they have one, otherwise by position. */
function pairRules(before: readonly Rule[], after: readonly Rule[]) {
  const pairs: { label: string; before?: Rule; after?: Rule }[] = [];
  const afterByName = new Map(after.flatMap((r, i) => (r.name ? [[r.name, i] as const] : [])));
  const usedAfter = new Set<number>();
  before.forEach((rule, i) => {
    let j: number | undefined = rule.name ? afterByName.get(rule.name) : undefined;
    if (j === undefined && !rule.name && i < after.length && !after[i]!.name) j = i;
    if (j !== undefined) usedAfter.add(j);
    pairs.push({ label: ruleLabel(rule, i), before: rule, ...(j === undefined ? {} : { after: after[j]! }) });
  });
  after.forEach((rule, j) => {
    if (!usedAfter.has(j)) pairs.push({ label: ruleLabel(rule, j), after: rule });
  });
  return pairs;
}

function diffRule(label: string, before: Rule, after: Rule): FieldChange[] {
  const at = (f: string) => `${label}: ${f}`;
  return [
    ...compare(at("matches"), before.matches, after.matches, describeMatches),
    ...compare(at("filters"), before.filters, after.filters, describeFilters),
    ...compare(at("backends"), before.backendRefs, after.backendRefs, describeBackends),
    ...compare(at("auth"), before.auth, after.auth, describeAuth),
    ...compare(at("timeouts"), before.timeouts, after.timeouts),
    ...compare(at("retry"), before.retry, after.retry),
    ...compare(at("sessionPersistence"), before.sessionPersistence, after.sessionPersistence),
  ];
}

function diffRoute(before: Route, after: Route): FieldChange[] {
  const changes = [
    ...compare("hostnames", before.hostnames, after.hostnames, describeHostnames),
    ...compare("tls", before.tls, after.tls),
    ...compare("trustRequestId", before.trustRequestId, after.trustRequestId),
    ...compare("serverTiming", before.serverTiming, after.serverTiming),
  ];
  for (const pair of pairRules(before.rules, after.rules)) {
    if (pair.before && pair.after) changes.push(...diffRule(pair.label, pair.before, pair.after));
    else if (pair.after) {
      changes.push({
        field: pair.label,
        before: "(none)",
        after: `added: ${describeMatches(pair.after.matches)} -> ${describeBackends(pair.after.backendRefs)}; auth ${describeAuth(pair.after.auth)}; filters ${describeFilters(pair.after.filters)}`,
      });
    } else if (pair.before) {
      changes.push({ field: pair.label, before: describeMatches(pair.before.matches), after: "removed" });
    }
  }
  return changes;
}

function diffNamed<T>(
  before: Record<string, T>,
  after: Record<string, T>,
  summarize: (value: T) => string,
  fields: (before: T, after: T) => FieldChange[],
): EntryChange[] {
  const out: EntryChange[] = [];
  for (const [name, value] of Object.entries(after)) {
    const old = before[name];
    if (old === undefined) out.push({ name, kind: "added", summary: summarize(value), changes: [] });
    else {
      const changes = fields(old, value);
      if (changes.length) out.push({ name, kind: "changed", changes });
    }
  }
  for (const [name, value] of Object.entries(before)) {
    if (!(name in after)) out.push({ name, kind: "removed", summary: summarize(value), changes: [] });
  }
  return out;
}

type ClusterValue = RouteTable["clusters"][string];

function describeEndpoints(endpoints: ClusterValue["endpoints"]): string {
  return endpoints.map((e) => `${e.url}${e.weight === 1 ? "" : ` (weight ${e.weight})`}`).join(", ");
}

function diffCluster(before: ClusterValue, after: ClusterValue): FieldChange[] {
  return [
    ...compare("endpoints", before.endpoints, after.endpoints, describeEndpoints),
    ...compare("transport", before.transport, after.transport),
    ...compare("loadBalancer", before.loadBalancer, after.loadBalancer),
    ...compare("healthCheck", before.healthCheck, after.healthCheck),
    ...compare("hostname", before.hostname, after.hostname),
  ];
}

function describeProvider(p: Provider): string {
  const keys = p.remoteJWKS
    ? `remoteJWKS ${p.remoteJWKS.uri}`
    : p.localJWKS
      ? `localJWKS (${plural(p.localJWKS.keys.length, "key")})`
      : p.secret
        ? `secret ${p.secret.binding}`
        : "no keys";
  return [p.issuer ? `issuer ${p.issuer}` : undefined, keys].filter(Boolean).join("; ");
}

function diffProvider(before: Provider, after: Provider): FieldChange[] {
  const fields = new Set([...Object.keys(before), ...Object.keys(after)]) as Set<keyof Provider>;
  return [...fields]
    .sort()
    .flatMap((f) =>
      f === "localJWKS"
        ? compare(f, before.localJWKS, after.localJWKS, (v) => (v ? plural(v.keys.length, "key") : "(none)"))
        : compare(f, before[f], after[f]),
    );
}

/** Everything `after` changes relative to `before` (undefined: nothing published yet). */
export function diffTables(before: RouteTable | undefined, after: RouteTable): TableDiff {
  const old: RouteTable = before ?? { version: 1, providers: {}, clusters: {}, routes: [] };
  const oldRoutes = new Map(old.routes.map((r) => [r.id, r]));
  const newIds = new Set(after.routes.map((r) => r.id));
  const routes: EntryChange[] = [];
  for (const route of after.routes) {
    const prior = oldRoutes.get(route.id);
    if (!prior) routes.push({ name: route.id, kind: "added", summary: describeRoute(route), changes: [] });
    else {
      const changes = diffRoute(prior, route);
      if (changes.length) routes.push({ name: route.id, kind: "changed", changes });
    }
  }
  for (const route of old.routes) {
    if (!newIds.has(route.id)) {
      routes.push({ name: route.id, kind: "removed", summary: describeRoute(route), changes: [] });
    }
  }

  const commonBefore = old.routes.map((r) => r.id).filter((id) => newIds.has(id));
  const commonAfter = after.routes.map((r) => r.id).filter((id) => oldRoutes.has(id));
  const orderChanged = commonBefore.some((id, i) => commonAfter[i] !== id);

  return {
    routes,
    ...(orderChanged ? { routeOrder: { before: commonBefore, after: commonAfter } } : {}),
    clusters: diffNamed(
      old.clusters,
      after.clusters,
      (c) => `${plural(c.endpoints.length, "endpoint")}: ${describeEndpoints(c.endpoints)}`,
      diffCluster,
    ),
    providers: diffNamed(old.providers, after.providers, describeProvider, diffProvider),
    settings: [...compare("tls", old.tls, after.tls), ...compare("paths", old.paths, after.paths)],
  };
}

// ---------------------------------------------------------------------------------------------------
// Text

const MARK = { added: "+", removed: "-", changed: "~" } as const;

function formatEntries(title: string, entries: readonly EntryChange[], lines: string[]): void {
  if (entries.length === 0) return;
  lines.push(`${title}:`);
  for (const entry of entries) {
    lines.push(`  ${MARK[entry.kind]} ${entry.name}${entry.summary ? `  (${entry.summary})` : ""}`);
    for (const c of entry.changes) lines.push(`      ${c.field}: ${c.before} -> ${c.after}`);
  }
}

function count(entries: readonly EntryChange[], noun: string): string | undefined {
  if (entries.length === 0) return undefined;
  const by = (k: EntryChange["kind"]) => entries.filter((e) => e.kind === k).length;
  const parts = (["added", "removed", "changed"] as const)
    .filter((k) => by(k) > 0)
    .map((k) => `${by(k)} ${k}`);
  return `${plural(entries.length, noun)} (${parts.join(", ")})`;
}

/** The diff as lines for a terminal; the last line sums it up. */
export function formatDiff(diff: TableDiff): string[] {
  const lines: string[] = [];
  formatEntries("routes", diff.routes, lines);
  if (diff.routeOrder) {
    if (diff.routes.length === 0) lines.push("routes:");
    lines.push(`  route order: ${diff.routeOrder.before.join(", ")} -> ${diff.routeOrder.after.join(", ")}`);
  }
  formatEntries("clusters", diff.clusters, lines);
  formatEntries("providers", diff.providers, lines);
  if (diff.settings.length) {
    lines.push("table:");
    for (const c of diff.settings) lines.push(`  ~ ${c.field}: ${c.before} -> ${c.after}`);
  }
  const totals = [
    count(diff.routes, "route"),
    diff.routeOrder ? "route order changed" : undefined,
    count(diff.clusters, "cluster"),
    count(diff.providers, "provider"),
    diff.settings.length ? plural(diff.settings.length, "table setting") : undefined,
  ].filter(Boolean);
  lines.push(totals.length ? `${totals.join("; ")}.` : "no changes.");
  return lines;
}
