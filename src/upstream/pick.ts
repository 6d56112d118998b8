/**
 * Which backend, then which endpoint.
 *
 * Backends: weighted `backendRefs` (Gateway API) — a ref's share is its weight over the sum of weights;
 * weight 0 gets nothing; no refs, or only zero weights, is a configuration without a backend (500).
 *
 * Endpoints: the cluster's balancer picks among eligible endpoints, relaxing eligibility step by step so
 * that a request is never failed for want of a "good" endpoint while any endpoint could take it:
 *   1. healthy and not yet tried by this request
 *   2. not yet tried (unhealthy ones included)
 *   3. healthy (a retry may go back to one already tried)
 *   4. any endpoint with weight > 0
 * Healthy: weight > 0 and neither health check says down, i.e. not ejected by passive health
 * (`health.ts`) and not marked down by an active check (`active-health.ts`). When no endpoint is healthy,
 * steps 2 and 4 try them all anyway: panic mode, Envoy's healthy panic threshold set at 0 % (a client
 * is better served by an endpoint the checks doubt than by a certain 503).
 */
import type { BackendRef } from "../config/schema.ts";
import { isActiveDown } from "./active-health.ts";
import type { Eligible } from "./balancer.ts";
import type { CompiledCluster, CompiledEndpoint } from "./clusters.ts";
import { isEjected } from "./health.ts";

export interface WeightedBackends {
  readonly refs: readonly { readonly name: string; readonly weight: number }[];
  readonly totalWeight: number;
}

export function compileBackends(refs: readonly BackendRef[]): WeightedBackends {
  const live = refs.filter((r) => r.weight > 0).map((r) => ({ name: r.name, weight: r.weight }));
  return { refs: live, totalWeight: live.reduce((sum, r) => sum + r.weight, 0) };
}

export function pickBackend(backends: WeightedBackends, random: () => number): string | undefined {
  if (backends.totalWeight === 0) return undefined;
  let point = random() * backends.totalWeight;
  for (const ref of backends.refs) {
    point -= ref.weight;
    if (point < 0) return ref.name;
  }
  return backends.refs[backends.refs.length - 1]!.name;
}

export function isBackendOf(backends: WeightedBackends, cluster: string): boolean {
  return backends.refs.some((r) => r.name === cluster);
}

export interface EndpointChoice {
  /** Endpoints this request already tried (retries prefer others). */
  readonly tried: ReadonlySet<CompiledEndpoint>;
  /** The ConsistentHash key, when the balancer wants one and the request has it. */
  readonly hashKey: string | undefined;
  readonly now: number;
  readonly random: () => number;
}

export function pickEndpoint(cluster: CompiledCluster, choice: EndpointChoice): CompiledEndpoint | undefined {
  if (cluster.totalWeight === 0) return undefined;
  const { tried, now } = choice;
  const healthy = (e: CompiledEndpoint) => isHealthy(e, now);
  const steps: Eligible[] = [
    (e) => healthy(e) && !tried.has(e),
    (e) => e.weight > 0 && !tried.has(e),
    healthy,
    (e) => e.weight > 0,
  ];
  for (const eligible of steps) {
    const endpoint = cluster.balancer.pick(eligible, choice.hashKey, choice.random);
    if (endpoint) return endpoint;
  }
  return undefined;
}

/** May take traffic: weight > 0, not ejected by passive health, not marked down by an active check. */
export function isHealthy(endpoint: CompiledEndpoint, now: number): boolean {
  return endpoint.weight > 0 && !isEjected(endpoint.healthKey, now) && !isActiveDown(endpoint.healthKey, now);
}
