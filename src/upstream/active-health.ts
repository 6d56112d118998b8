/**
 * Active health (Envoy's HTTP health checker): every endpoint of a cluster with `healthCheck.active`
 * is probed on a schedule (`probe.ts`, run by the Worker's `scheduled` handler), and each probe moves
 * the endpoint's verdict by thresholds:
 *
 *   - `unhealthyThreshold` failed probes in a row turn an `up` endpoint `down`;
 *   - `healthyThreshold` successful probes in a row turn a `down` endpoint `up`;
 *   - the first probe of an endpoint decides alone: with no history there is nothing to weigh it against
 *     (Envoy, too, takes a host's first check as its verdict), so a pod that is down when checks start
 *     is marked down before any client is sent to it.
 *
 * A probe succeeds when the endpoint answers, within `timeout`, with a status in `expectedStatuses`;
 * anything else (another status, a timeout, no connection, an answer that is not valid HTTP) fails.
 *
 * This module also holds the verdicts this isolate currently believes (module scope, resolved data
 * only; `store/health-source.ts` refreshes them in the background). The request path asks one question,
 * `isActiveDown`, which costs nothing while no endpoint is down.
 */
import { ACTIVE_HEALTH_DEFAULTS } from "../config/constants.ts";
import { durationMs } from "../config/duration.ts";
import type { ActiveHealthCheck } from "../config/schema.ts";

export interface ActiveHealthPolicy {
  /** Path and query of the probe request. */
  readonly path: string;
  /** Whole minutes: probes run on a once-a-minute Cron Trigger. */
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  readonly expectedStatuses: ReadonlySet<number>;
}

export function compileActiveHealth(config: ActiveHealthCheck | undefined): ActiveHealthPolicy | undefined {
  if (config === undefined) return undefined;
  const interval = durationMs(config.interval, ACTIVE_HEALTH_DEFAULTS.intervalMs);
  return {
    path: config.path,
    // Validation warns about intervals the schedule cannot keep; here they are rounded up to a minute.
    intervalMs: Math.max(1, Math.ceil(interval / 60_000)) * 60_000,
    timeoutMs: durationMs(config.timeout, ACTIVE_HEALTH_DEFAULTS.timeoutMs),
    healthyThreshold: config.healthyThreshold ?? ACTIVE_HEALTH_DEFAULTS.healthyThreshold,
    unhealthyThreshold: config.unhealthyThreshold ?? ACTIVE_HEALTH_DEFAULTS.unhealthyThreshold,
    expectedStatuses: new Set(config.expectedStatuses ?? ACTIVE_HEALTH_DEFAULTS.expectedStatuses),
  };
}

/** One probe's outcome: `result` is the status (`"200"`) or why it failed (`"timeout"`, `"refused: …"`). */
export interface ProbeOutcome {
  readonly ok: boolean;
  readonly result: string;
  readonly at: number;
}

export type Verdict = "up" | "down";

/** An endpoint's active-health state, as stored in the verdict record and shown on the status surface. */
export interface EndpointVerdict {
  readonly verdict: Verdict;
  /** When the verdict was taken (the probe that flipped it, or the first probe). */
  readonly since: number;
  /** The latest probe, and what it found. */
  readonly checkedAt: number;
  readonly result: string;
  /** Probes in a row that agree with the latest one (capped at the threshold that matters). */
  readonly consecutiveSuccesses: number;
  readonly consecutiveFailures: number;
}

/** The verdict after one more probe. */
export function nextVerdict(
  previous: EndpointVerdict | undefined,
  probe: ProbeOutcome,
  policy: ActiveHealthPolicy,
): EndpointVerdict {
  const successes = probe.ok
    ? Math.min((previous?.consecutiveSuccesses ?? 0) + 1, policy.healthyThreshold)
    : 0;
  const failures = probe.ok
    ? 0
    : Math.min((previous?.consecutiveFailures ?? 0) + 1, policy.unhealthyThreshold);
  let verdict: Verdict;
  if (previous === undefined) verdict = probe.ok ? "up" : "down";
  else if (previous.verdict === "up") verdict = failures >= policy.unhealthyThreshold ? "down" : "up";
  else verdict = successes >= policy.healthyThreshold ? "up" : "down";
  return {
    verdict,
    since: previous !== undefined && previous.verdict === verdict ? previous.since : probe.at,
    checkedAt: probe.at,
    result: probe.result,
    consecutiveSuccesses: successes,
    consecutiveFailures: failures,
  };
}

// ---------------------------------------------------------------------------------------------------
// What this isolate believes

interface ActiveView {
  /** The table version the verdicts were taken for. */
  readonly version: string | undefined;
  /** Past this the verdicts are not trusted (the checks stopped running): traffic falls back to passive health. */
  readonly expiresAt: number;
  /** Health key (`health.ts`) → verdict. */
  readonly verdicts: ReadonlyMap<string, EndpointVerdict>;
  /** The keys whose verdict is `down`: the only set the request path looks into. */
  readonly down: ReadonlySet<string>;
}

const EMPTY: ActiveView = { version: undefined, expiresAt: 0, verdicts: new Map(), down: new Set() };
let view: ActiveView = EMPTY;

/** Replaces what this isolate believes with a fresh set of verdicts. */
export function installActiveVerdicts(
  version: string,
  verdicts: ReadonlyMap<string, EndpointVerdict>,
  expiresAt: number,
): void {
  const down = new Set<string>();
  for (const [key, v] of verdicts) if (v.verdict === "down") down.add(key);
  view = { version, expiresAt, verdicts, down };
}

/** True only when a current active check says the endpoint is down. */
export function isActiveDown(key: string, now: number): boolean {
  return view.down.size > 0 && view.down.has(key) && now < view.expiresAt;
}

/** For the status view: the verdict in force for one endpoint, if any. */
export function activeVerdict(key: string, now: number): EndpointVerdict | undefined {
  return now < view.expiresAt ? view.verdicts.get(key) : undefined;
}

/** The table version the installed verdicts were taken for. */
export function activeVerdictsVersion(): string | undefined {
  return view.version;
}

/** For tests only: forget every verdict, as a new isolate would start. */
export function resetActiveHealthForTests(): void {
  view = EMPTY;
}
