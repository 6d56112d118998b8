/**
 * The table's clusters, compiled once per published version: endpoints with their stable ids, health
 * keys and weights, each cluster's balancer and health policies.
 */
import { durationMs } from "../config/duration.ts";
import type { Cluster, RouteTable } from "../config/schema.ts";
import { type ActiveHealthPolicy, compileActiveHealth } from "./active-health.ts";
import { type Balancer, compileBalancer } from "./balancer.ts";
import { fnv1a32, stableId } from "./hash.ts";
import { DEFAULT_PASSIVE_HEALTH, healthKey, type PassiveHealthPolicy } from "./health.ts";

export interface CompiledEndpoint {
  /** Opaque and stable for a cluster + URL: what session values name. Never reveals the URL. */
  readonly id: string;
  /** Passive-health key: survives table versions that keep the cluster name and URL. */
  readonly healthKey: string;
  /** For logs and the status view: the endpoint's `name`, else its URL. */
  readonly label: string;
  /** `scheme://host[:port]`: the forwarder appends the path and query. */
  readonly origin: string;
  /** The URL's host (and port): the `Host` the origin sees unless the cluster or a rewrite says otherwise. */
  readonly host: string;
  readonly weight: number;
  /** Per-endpoint hash seed for rendezvous hashing. */
  readonly seed: number;
  /** Position in the cluster's endpoint list (round-robin schedules refer to it). */
  readonly index: number;
}

export interface CompiledCluster {
  readonly name: string;
  /** The validated cluster object (the transport resolves from it). */
  readonly cluster: Cluster;
  readonly endpoints: readonly CompiledEndpoint[];
  /** Sum of the endpoints' weights: 0 means nothing in the cluster may take traffic. */
  readonly totalWeight: number;
  readonly balancer: Balancer;
  readonly health: PassiveHealthPolicy;
  /** `healthCheck.active`, when the cluster has one. */
  readonly active: ActiveHealthPolicy | undefined;
  /** The cluster's `hostname` extension: the Host its origins expect. */
  readonly hostname: string | undefined;
}

export interface CompiledClusters {
  readonly names: readonly string[];
  readonly byName: ReadonlyMap<string, CompiledCluster>;
  /** Endpoint id → where it lives: how a session value is resolved back to an endpoint. */
  readonly endpointsById: ReadonlyMap<string, { cluster: CompiledCluster; endpoint: CompiledEndpoint }>;
  /** The clusters with active health checks: what the scheduled probes walk (empty: nothing to probe). */
  readonly activelyChecked: readonly CompiledCluster[];
}

export function compileClusters(table: RouteTable): CompiledClusters {
  const byName = new Map<string, CompiledCluster>();
  const endpointsById = new Map<string, { cluster: CompiledCluster; endpoint: CompiledEndpoint }>();
  for (const [name, cluster] of Object.entries(table.clusters)) {
    const compiled = compileCluster(name, cluster);
    byName.set(name, compiled);
    for (const endpoint of compiled.endpoints)
      endpointsById.set(endpoint.id, { cluster: compiled, endpoint });
  }
  const activelyChecked = [...byName.values()].filter((c) => c.active !== undefined);
  return { names: [...byName.keys()], byName, endpointsById, activelyChecked };
}

function compileCluster(name: string, cluster: Cluster): CompiledCluster {
  const endpoints = cluster.endpoints.map((endpoint, index): CompiledEndpoint => {
    const url = new URL(endpoint.url);
    return {
      id: stableId(`${name}\n${url.href}`),
      healthKey: healthKey(name, url.href),
      label: endpoint.name ?? url.href,
      origin: url.origin,
      host: url.host,
      weight: endpoint.weight,
      seed: fnv1a32(`${name}\n${url.href}`),
      index,
    };
  });
  const passive = cluster.healthCheck?.passive;
  return {
    name,
    cluster,
    endpoints,
    totalWeight: endpoints.reduce((sum, e) => sum + e.weight, 0),
    balancer: compileBalancer(cluster.loadBalancer, endpoints),
    health: {
      consecutiveGatewayErrors:
        passive?.consecutiveGatewayErrors ?? DEFAULT_PASSIVE_HEALTH.consecutiveGatewayErrors,
      baseEjectionMs: durationMs(passive?.baseEjectionTime, DEFAULT_PASSIVE_HEALTH.baseEjectionMs),
    },
    active: compileActiveHealth(cluster.healthCheck?.active),
    hostname: cluster.hostname,
  };
}
