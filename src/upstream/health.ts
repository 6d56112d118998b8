/**
 * Passive health (Envoy's outlier detection, consecutive gateway failures only): an endpoint that
 * answers `consecutiveGatewayErrors` times in a row with 502/503/504, a timeout, no connection at all or
 * an answer that is not valid HTTP (what counts, and what a client cannot charge to it, is decided in
 * exchange.ts and listed in docs/data-path.md) is ejected for `baseEjectionTime` × the number of times
 * it was ejected since it last served well (capped at 300 s or the base, whichever is longer).
 *
 * The state is this isolate's own, at module scope, keyed by cluster name and endpoint URL, so it
 * survives a new table version that keeps the endpoint. Other isolates learn on their own: there is no
 * shared state to coordinate, and nothing to go stale.
 */

export interface PassiveHealthPolicy {
  readonly consecutiveGatewayErrors: number;
  readonly baseEjectionMs: number;
}

/** Envoy's defaults for `consecutive_gateway_failure` and `base_ejection_time`. */
export const DEFAULT_PASSIVE_HEALTH: PassiveHealthPolicy = {
  consecutiveGatewayErrors: 5,
  baseEjectionMs: 30_000,
};
const MAX_EJECTION_MS = 300_000;

interface EndpointState {
  consecutiveErrors: number;
  ejectedAt: number;
  ejectedUntil: number;
  ejections: number;
}

/** Only endpoints that have failed have an entry; a success on a clean endpoint costs one lookup. */
const states = new Map<string, EndpointState>();

export function healthKey(cluster: string, endpointUrl: string): string {
  return `${cluster}\n${endpointUrl}`;
}

export function isEjected(key: string, now: number): boolean {
  const state = states.get(key);
  return state !== undefined && state.ejectedUntil > now;
}

/** Records one attempt's outcome; true when this failure ejected the endpoint. */
export function recordOutcome(
  key: string,
  policy: PassiveHealthPolicy,
  gatewayError: boolean,
  now: number,
): boolean {
  let state = states.get(key);
  if (!gatewayError) {
    if (state !== undefined && state.ejectedUntil <= now) states.delete(key);
    return false;
  }
  if (state === undefined) {
    state = { consecutiveErrors: 0, ejectedAt: 0, ejectedUntil: 0, ejections: 0 };
    states.set(key, state);
  }
  // Failures of requests that were already in flight when it was ejected do not extend the ejection.
  if (state.ejectedUntil > now) return false;
  state.consecutiveErrors++;
  if (state.consecutiveErrors < policy.consecutiveGatewayErrors) return false;
  state.ejections++;
  state.consecutiveErrors = 0;
  const cap = Math.max(MAX_EJECTION_MS, policy.baseEjectionMs);
  state.ejectedAt = now;
  state.ejectedUntil = now + Math.min(policy.baseEjectionMs * state.ejections, cap);
  return true;
}

export interface HealthSnapshot {
  readonly consecutiveErrors: number;
  /** When the ejection in force began, and when it ends; both undefined when not ejected. */
  readonly ejectedAt: number | undefined;
  readonly ejectedUntil: number | undefined;
}

export function healthSnapshot(key: string, now: number): HealthSnapshot {
  const state = states.get(key);
  if (state === undefined || state.ejectedUntil <= now) {
    return {
      consecutiveErrors: state?.consecutiveErrors ?? 0,
      ejectedAt: undefined,
      ejectedUntil: undefined,
    };
  }
  return {
    consecutiveErrors: state.consecutiveErrors,
    ejectedAt: state.ejectedAt,
    ejectedUntil: state.ejectedUntil,
  };
}

/** For unit tests only: forget everything this isolate learned. */
export function resetHealthForTests(): void {
  states.clear();
}
