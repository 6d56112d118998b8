/**
 * Warnings about protected backends that a less protected rule also reaches. The gateway refuses the
 * paths an origin would read as a protected rule's (docs/routing.md, "Origin readings"), but an origin
 * that serves a protected handler and an open one behind the same cluster is still relying on the
 * gateway's path matching alone; and a rule that protects only some methods leaves the others to
 * whatever matches next. Both are legitimate designs, so these are warnings.
 *
 * Hosts: two routes share a host when either has no hostnames, or a hostname of one equals or (as a
 * wildcard) covers a hostname of the other. Open rules are indexed by cluster and by hostname, so a
 * protected rule looks up only its own clusters and hostnames: the check stays linear in large tables.
 */
import { formatPath, type ProblemReport } from "./problems.ts";
import type { Match, Rule } from "./schema.ts";
import type { RouteView, Salvaged, TableView } from "./table-view.ts";

interface RuleRef {
  readonly route: number;
  readonly rule: number;
}

/** Open rules (no auth) filed by hostname: exact names, wildcard suffixes (`.example.com`), and all hosts. */
class HostIndex {
  readonly exact = new Map<string, RuleRef>();
  readonly wildcard = new Map<string, RuleRef>();
  allHosts: RuleRef | undefined;

  add(hostnames: readonly string[], ref: RuleRef): void {
    if (hostnames.length === 0) this.allHosts ??= ref;
    for (const hostname of hostnames) {
      if (hostname.startsWith("*.")) {
        if (!this.wildcard.has(hostname.slice(1))) this.wildcard.set(hostname.slice(1), ref);
      } else if (!this.exact.has(hostname)) this.exact.set(hostname, ref);
    }
  }

  /** The first open rule filed under a host some of `hostnames` can serve. */
  find(hostnames: readonly string[]): RuleRef | undefined {
    if (this.allHosts) return this.allHosts;
    if (hostnames.length === 0)
      return this.exact.values().next().value ?? this.wildcard.values().next().value;
    for (const hostname of hostnames) {
      const name = hostname.startsWith("*.") ? hostname.slice(1) : hostname;
      if (!hostname.startsWith("*.")) {
        const exact = this.exact.get(name);
        if (exact) return exact;
      } else {
        for (const [host, ref] of this.exact) if (host.endsWith(name)) return ref;
      }
      // Wildcards covering the name: every suffix starting at a dot (the name's own, for a wildcard).
      for (let dot = name.indexOf("."); dot !== -1; dot = name.indexOf(".", dot + 1)) {
        const ref = this.wildcard.get(name.slice(dot));
        if (ref) return ref;
      }
      if (hostname.startsWith("*.")) {
        for (const [suffix, ref] of this.wildcard) if (suffix.endsWith(name)) return ref;
      }
    }
    return undefined;
  }
}

export function checkProtectedBackends(view: TableView, report: ProblemReport): void {
  const openByCluster = new Map<string, HostIndex>();
  const openPaths = new Map<string, HostIndex>();
  const hostsOf = (route: RouteView) => route.hostnames.map((h) => (h ?? "").toLowerCase()).filter(Boolean);

  for (const route of view.routes) {
    if (!route.hostnamesComplete) continue;
    const hostnames = hostsOf(route);
    route.rules.forEach((rule, ruleIndex) => {
      if (!rule || rule.auth !== undefined || view.incomplete(rule)) return;
      const ref = { route: route.index, rule: ruleIndex };
      for (const name of clustersOf(rule)) indexFor(openByCluster, name).add(hostnames, ref);
      for (const match of matchesOf(rule)) {
        // What an open match takes: any method but the one it names (or all), on its path.
        indexFor(openPaths, pathKey(match)).add(hostnames, ref);
      }
    });
  }

  for (const route of view.routes) {
    if (!route.hostnamesComplete) continue;
    const hostnames = hostsOf(route);
    route.rules.forEach((rule, ruleIndex) => {
      if (!rule || rule.auth === undefined || view.incomplete(rule)) return;
      const rulePath = ["routes", route.index, "rules", ruleIndex];
      for (const name of clustersOf(rule)) {
        const open = openByCluster.get(name)?.find(hostnames);
        if (!open) continue;
        report.warn(
          rulePath,
          `its backend ${JSON.stringify(name)} is also reachable without auth through ${formatPath(["routes", open.route, "rules", open.rule])} on the same host: the origin must not rely on the path alone to tell the two apart (docs/routing.md, "Origin readings")`,
        );
        break;
      }
      const methodLimited = matchesOf(rule);
      if (methodLimited.length === 0 || !methodLimited.every((match) => match?.method !== undefined)) return;
      const methods = [...new Set(methodLimited.map((match) => match!.method))].join(", ");
      for (const match of methodLimited) {
        const open = coveringOpenRule(openPaths, match, hostnames);
        if (!open) continue;
        report.warn(
          rulePath,
          `requires auth only for ${methods}: other methods on its paths go to ${formatPath(["routes", open.route, "rules", open.rule])}, which requires none`,
        );
        return;
      }
    });
  }
}

function indexFor(map: Map<string, HostIndex>, key: string): HostIndex {
  let index = map.get(key);
  if (!index) {
    index = new HostIndex();
    map.set(key, index);
  }
  return index;
}

function clustersOf(rule: Salvaged<Rule>): string[] {
  const names = (rule.backendRefs ?? []).map((ref) => ref?.name);
  for (const filter of rule.filters ?? []) {
    if (filter?.type === "RequestMirror") names.push(filter.requestMirror.backendRef.name);
  }
  return names.filter((name): name is string => typeof name === "string");
}

/** A rule's matches, the default `PathPrefix /` for a rule without any. */
function matchesOf(rule: Salvaged<Rule>): (Salvaged<Match> | undefined)[] {
  return rule.matches?.length ? [...rule.matches] : [undefined];
}

/** Path type and value, a prefix's trailing slash dropped (`/abc/` is `/abc`). */
function pathKey(match: Salvaged<Match> | undefined): string {
  const type = match?.path?.type ?? "PathPrefix";
  let value = match?.path?.value ?? "/";
  if (type === "PathPrefix" && value.length > 1) value = value.replace(/\/+$/, "") || "/";
  return `${type} ${value}`;
}

/**
 * An open rule taking the requests this (method-limited) match leaves: one with the same path, or a
 * PathPrefix covering it, segment by segment up to `/`. Regular expressions are compared as written.
 */
function coveringOpenRule(
  openPaths: ReadonlyMap<string, HostIndex>,
  match: Salvaged<Match> | undefined,
  hostnames: readonly string[],
): RuleRef | undefined {
  const same = openPaths.get(pathKey(match))?.find(hostnames);
  if (same) return same;
  const type = match?.path?.type ?? "PathPrefix";
  if (type === "RegularExpression") return openPaths.get("PathPrefix /")?.find(hostnames);
  let value = match?.path?.value ?? "/";
  for (;;) {
    value = value.replace(/\/+$/, "");
    const found = openPaths.get(`PathPrefix ${value || "/"}`)?.find(hostnames);
    if (found) return found;
    if (value === "") return undefined;
    value = value.slice(0, value.lastIndexOf("/"));
  }
}
