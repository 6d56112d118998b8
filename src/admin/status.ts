/**
 * The status document: what this isolate serves and how it sees the world, assembled from what each
 * module reports about itself. Built per admin request (rare), so it may walk the whole table.
 */
import { describeKeySets, type KeySetStatus } from "../auth/index.ts";
import type { GatewayConfig } from "../gateway/compile.ts";
import type { Env } from "../gateway/env.ts";
import { describeHealthSource, type HealthSourceStatus } from "../store/health-source.ts";
import { tableCounts, versionId } from "../store/kv-layout.ts";
import {
  describeTableSource,
  type LoadError,
  type LoadProblemCode,
  type TableAvailability,
  type WalkStep,
} from "../store/table-source.ts";
import { type MissingBinding, missingBindings } from "../transport/index.ts";
import { type ActiveVerdictStatus, describeEndpointHealth, type EndpointHealth } from "../upstream/index.ts";

export interface EndpointStatus {
  url: string;
  name?: string;
  weight: number;
  /** Passive health. `unknown`: this isolate has not sent it anything that counted yet. */
  health: "healthy" | "ejected" | "unknown";
  consecutiveErrors?: number;
  /** When the ejection in force began and ends. */
  ejectedAt?: string;
  ejectedUntil?: string;
  /**
   * The active check's verdict, when the cluster has one: `unknown` until a verdict is read (or once
   * it expired); otherwise when it was taken (`since`) and last confirmed (`checkedAt`).
   */
  active?: { verdict: "unknown" } | ({ verdict: "up" | "down" } & Omit<ActiveVerdictStatus, "verdict">);
  /** Whether the balancer picks it outside panic mode: weight > 0 and neither verdict says down. */
  takesTraffic: boolean;
}

export interface ClusterStatus {
  name: string;
  transport: string;
  loadBalancer: string;
  endpoints: EndpointStatus[];
}

export interface TableStatus {
  id: string;
  version: number;
  hash: string;
  publishedAt?: string;
  publishedBy?: string;
  loadedAt?: string;
  routes: number;
  rules: number;
}

/**
 * Which version this isolate wants (the one the pointer names) and which it serves, and why they differ:
 * the fields a monitor or a soak test checks, with `summary` saying the same in a sentence.
 */
export interface SourceStatus {
  state: TableAvailability;
  wanted: string | undefined;
  serving: string | undefined;
  /** Why `serving` is not `wanted` (a stable code); undefined when it is. */
  reason: LoadProblemCode | undefined;
  /** The details of `reason`, as logged. */
  reasonMessage: string | undefined;
  /** The records the last load with no table to fall back on looked at, in order, and their outcome. */
  walk: WalkStep[];
  summary: string;
}

export interface StatusDocument {
  generatedAt: string;
  /** `serving`: a table is in force here; `none`: nothing usable was ever loaded (the gateway answers 503). */
  state: "serving" | "none";
  source: SourceStatus;
  table: TableStatus | undefined;
  refresh: {
    intervalSeconds: number;
    lastCheckedAt: string | undefined;
    /** The version the active pointer named at the last read. */
    pointer: string | undefined;
    /** False while this isolate does not serve what the pointer names (see `source` for why). */
    upToDate: boolean;
  };
  lastLoadError: LoadError | undefined;
  rejectedVersions: { version: string; code: LoadProblemCode; reason: string }[];
  clusters: ClusterStatus[];
  /** Which verdict record the active-health verdicts above come from. */
  activeHealth: HealthSourceStatus;
  providers: KeySetStatus[];
  missingBindings: MissingBinding[];
}

function normalUrl(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    return url;
  }
}

function clusterStatus(gateway: GatewayConfig, health: readonly EndpointHealth[]): ClusterStatus[] {
  return Object.entries(gateway.table.clusters).map(([name, cluster]) => ({
    name,
    transport: cluster.transport.type,
    loadBalancer: cluster.loadBalancer.type,
    endpoints: cluster.endpoints.map((endpoint) => {
      // The data path labels an endpoint by its name, else its URL in normal form.
      const label = endpoint.name ?? normalUrl(endpoint.url);
      const seen = health.find(
        (h) => h.cluster === name && (h.endpoint === label || h.endpoint === endpoint.url),
      );
      const checked = cluster.healthCheck?.active !== undefined;
      return {
        url: endpoint.url,
        ...(endpoint.name ? { name: endpoint.name } : {}),
        weight: endpoint.weight,
        health: seen ? (seen.healthy ? "healthy" : "ejected") : "unknown",
        ...(seen ? { consecutiveErrors: seen.consecutiveErrors } : {}),
        ...(seen?.ejectedAt ? { ejectedAt: seen.ejectedAt } : {}),
        ...(seen?.ejectedUntil ? { ejectedUntil: seen.ejectedUntil } : {}),
        ...(checked ? { active: seen?.active ?? { verdict: "unknown" as const } } : {}),
        takesTraffic: seen?.takesTraffic ?? endpoint.weight > 0,
      };
    }),
  }));
}

function sourceSummary(source: ReturnType<typeof describeTableSource>): string {
  const wanted = source.wantedId ?? "the active version";
  const why = source.reason ? ` (${source.reason.code}: ${source.reason.message})` : "";
  switch (source.state) {
    case "current":
      return `serving ${source.servingId}, the version the pointer names`;
    case "fallback":
      return `serving ${source.servingId} instead of ${wanted}${why}`;
    case "unavailable":
      return `serving nothing: ${wanted} cannot be loaded and no earlier version tried loads${why}`;
    case "unpublished":
      return "serving nothing: no route table has been published";
  }
}

export function buildStatus(env: Env, gateway: GatewayConfig | undefined): StatusDocument {
  const source = describeTableSource(env);
  const meta = gateway?.meta;
  const id = meta && versionId(meta.version, meta.hash);
  return {
    generatedAt: new Date().toISOString(),
    state: gateway ? "serving" : "none",
    source: {
      state: source.state,
      wanted: source.wantedId,
      serving: source.servingId,
      reason: source.reason?.code,
      reasonMessage: source.reason?.message,
      walk: source.walk,
      summary: sourceSummary(source),
    },
    table:
      gateway && meta && id
        ? {
            id,
            version: meta.version,
            hash: meta.hash,
            ...(meta.publishedAt ? { publishedAt: meta.publishedAt } : {}),
            ...(meta.publishedBy ? { publishedBy: meta.publishedBy } : {}),
            ...(meta.loadedAt ? { loadedAt: meta.loadedAt } : {}),
            ...tableCounts(gateway.table),
          }
        : undefined,
    refresh: {
      intervalSeconds: source.refreshIntervalSeconds,
      lastCheckedAt: source.lastCheckedAt,
      pointer: source.wantedId,
      upToDate: source.state === "current" || source.state === "unpublished",
    },
    lastLoadError: source.lastError,
    rejectedVersions: source.rejected,
    clusters: gateway ? clusterStatus(gateway, describeEndpointHealth(gateway.clusters)) : [],
    activeHealth: describeHealthSource(),
    providers: gateway ? describeKeySets(gateway.auth, env) : [],
    missingBindings: gateway ? missingBindings(gateway.table, env) : [],
  };
}
