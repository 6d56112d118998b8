/**
 * Clusters: endpoint URLs name an origin and nothing else, endpoint names are unique, a consistent hash
 * says what it hashes, and Host overrides are DNS names.
 */

import { ACTIVE_HEALTH_DEFAULTS } from "./constants.ts";
import { parseDuration } from "./duration.ts";
import { hostnameProblem } from "./hostnames.ts";
import { type FieldPath, type ProblemReport, quote } from "./problems.ts";
import type { ActiveHealthCheck, Cluster } from "./schema.ts";
import type { Salvaged, TableView } from "./table-view.ts";

export function checkClusters(view: TableView, report: ProblemReport): void {
  for (const [name, cluster] of view.clusters) {
    if (cluster) checkCluster(cluster, view, ["clusters", name], report);
  }
}

function checkCluster(
  cluster: Salvaged<Cluster>,
  view: TableView,
  path: FieldPath,
  report: ProblemReport,
): void {
  const names = new Map<string, number>();
  cluster.endpoints.forEach((endpoint, i) => {
    if (!endpoint) return;
    const at: FieldPath = [...path, "endpoints", i];
    const problem = endpointUrlProblem(endpoint.url);
    if (problem) report.error([...at, "url"], problem);
    const name = endpoint.name ?? endpoint.url;
    const first = names.get(name);
    if (first !== undefined) {
      report.error(
        [...at, endpoint.name === undefined ? "url" : "name"],
        `${quote(name)} names endpoints[${first}] already (endpoint names, or URLs where no name is given, are unique)`,
      );
    } else {
      names.set(name, i);
    }
  });
  if (!view.incomplete(cluster.endpoints) && cluster.endpoints.every((endpoint) => endpoint?.weight === 0)) {
    report.warn(
      [...path, "endpoints"],
      "every endpoint has weight 0: no request routed to this cluster can be served",
    );
  }

  const balancer = cluster.loadBalancer;
  if (balancer.type === "ConsistentHash" && !view.incomplete(balancer)) {
    const { header, cookie, sourceIP, claim } = balancer;
    const keys = [header && "header", cookie && "cookie", sourceIP && "sourceIP", claim && "claim"].filter(
      Boolean,
    );
    if (keys.length !== 1) {
      report.error(
        [...path, "loadBalancer"],
        `ConsistentHash needs exactly one of header, cookie, sourceIP, claim (${keys.length === 0 ? "has none" : `has ${keys.join(" and ")}`})`,
      );
    }
  }

  const active = cluster.healthCheck?.active;
  if (active && !view.incomplete(active))
    checkActiveHealth(active, [...path, "healthCheck", "active"], report);

  if (cluster.hostname !== undefined) {
    const problem = hostnameProblem(cluster.hostname, { wildcard: false });
    if (problem) report.error([...path, "hostname"], `${quote(cluster.hostname)} ${problem}`);
  }
  if (cluster.transport.type === "access" && cluster.transport.hostname !== undefined) {
    const problem = hostnameProblem(cluster.transport.hostname, { wildcard: false });
    if (problem)
      report.error([...path, "transport", "hostname"], `${quote(cluster.transport.hostname)} ${problem}`);
  }
}

/**
 * Probes run on a once-a-minute Cron Trigger (docs/data-path.md, "Active health"): a shorter interval
 * cannot be kept, so it is said rather than silently stretched; a probe must end before the next is due.
 */
function checkActiveHealth(
  active: Salvaged<ActiveHealthCheck>,
  path: FieldPath,
  report: ProblemReport,
): void {
  const interval =
    active.interval === undefined ? ACTIVE_HEALTH_DEFAULTS.intervalMs : parseDuration(active.interval);
  const timeout =
    active.timeout === undefined ? ACTIVE_HEALTH_DEFAULTS.timeoutMs : parseDuration(active.timeout);
  if (interval === 0) report.error([...path, "interval"], "must be more than 0s");
  else if (interval < ACTIVE_HEALTH_DEFAULTS.intervalMs || interval % 60_000 !== 0) {
    report.warn(
      [...path, "interval"],
      `probes run on a once-a-minute schedule: ${active.interval} is kept as ${Math.max(1, Math.ceil(interval / 60_000))}m`,
    );
  }
  if (timeout === 0) report.error([...path, "timeout"], "must be more than 0s");
  else if (timeout > ACTIVE_HEALTH_DEFAULTS.maxTimeoutMs) {
    report.error(
      [...path, "timeout"],
      `must be at most ${ACTIVE_HEALTH_DEFAULTS.maxTimeoutMs / 1000}s (a probe round has to end within the minute)`,
    );
  }
}

/**
 * An endpoint is an origin: scheme, host and port. Decided: no path either, because the request's own
 * (rewritten) path is what the origin receives and a base path would silently change it; no query,
 * fragment or credentials, which would leak into every request or logs.
 */
export function endpointUrlProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "is not a URL";
  }
  if (url.username || url.password || /^[a-z]+:\/\/[^/?#]*@/i.test(raw)) {
    return "must not carry credentials (use transport access, or a RequestHeaderModifier)";
  }
  if (raw.includes("?")) return "must not carry a query string";
  if (raw.includes("#")) return "must not carry a fragment";
  if (url.pathname !== "/")
    return "must not carry a path: the origin receives the request's path (use URLRewrite to change it)";
  if (!url.hostname) return "must name a host";
  return undefined;
}
