/**
 * Active health probes: one `GET <path>` per endpoint, through the cluster's own transport (what
 * traffic uses: a `vpc` or `access` cluster is probed through its binding or its tunnel, with the same
 * `Host` a request would carry), bounded by the check's `timeout`, and the round that walks a table's
 * checked clusters. Never on the request path: the Worker's `scheduled` handler runs rounds, and
 * requests only read the verdicts (`active-health.ts`).
 */
import type { Env } from "../gateway/env.ts";
import { resolveTransport } from "../transport/index.ts";
import {
  type ActiveHealthPolicy,
  type EndpointVerdict,
  nextVerdict,
  type ProbeOutcome,
} from "./active-health.ts";
import type { CompiledCluster, CompiledClusters, CompiledEndpoint } from "./clusters.ts";
import { sendAttempt } from "./forward.ts";

/** What probes identify as, for the origin's logs. */
export const PROBE_USER_AGENT = "gatehouse-health-check/1";

/**
 * Probes of one round in flight at once: workerd keeps at most six connections open per invocation and
 * queues the rest, and a probe waiting in that queue would spend its timeout there.
 */
export const PROBE_CONCURRENCY = 6;

/**
 * A round is due for a cluster once its interval has passed since the last, less half a minute: the
 * scheduled times of a once-a-minute cron are a minute apart, never more exactly than that.
 */
const DUE_SLACK_MS = 30_000;

export async function probeEndpoint(
  send: (request: Request) => Promise<Response>,
  cluster: CompiledCluster,
  endpoint: CompiledEndpoint,
  policy: ActiveHealthPolicy,
): Promise<ProbeOutcome> {
  const build = (signal: AbortSignal | undefined) =>
    new Request(endpoint.origin + policy.path, {
      method: "GET",
      headers: { host: cluster.hostname ?? endpoint.host, "user-agent": PROBE_USER_AGENT },
      redirect: "manual",
      signal: signal ?? null,
    });
  const attempt = await sendAttempt(send, build, policy.timeoutMs);
  const at = Date.now();
  switch (attempt.kind) {
    case "response": {
      const { status } = attempt.response;
      // Only the status matters: let the origin stop sending the body.
      await attempt.response.body?.cancel().catch(() => {});
      return { ok: policy.expectedStatuses.has(status), result: String(status), at };
    }
    case "timeout":
      return { ok: false, result: "timeout", at };
    case "failed":
      return { ok: false, result: `connection failed: ${attempt.message}`, at };
    case "invalid":
      return { ok: false, result: `invalid answer: ${attempt.message}`, at };
  }
}

/** One cluster's state in the verdict record. */
export interface ClusterVerdicts {
  /** The scheduled time of the round that last probed it (ms since the epoch). */
  readonly roundAt: number;
  /** Endpoint URL (normal form) → verdict. */
  readonly endpoints: Readonly<Record<string, EndpointVerdict>>;
}

export type TableVerdicts = Readonly<Record<string, ClusterVerdicts>>;

export interface RoundResult {
  readonly clusters: TableVerdicts;
  /** The endpoints whose verdict this round changed (or took for the first time). */
  readonly changes: readonly { cluster: string; endpoint: string; verdict: EndpointVerdict }[];
}

/**
 * Probes every endpoint of every checked cluster whose interval has come round at `scheduledAt`, and
 * returns the verdicts of all of them (those not due carried over as they were).
 */
export async function probeRound(
  clusters: CompiledClusters,
  env: Env,
  previous: TableVerdicts,
  scheduledAt: number,
): Promise<RoundResult> {
  const next: Record<string, ClusterVerdicts> = {};
  const jobs: (() => Promise<void>)[] = [];
  const changes: RoundResult["changes"][number][] = [];
  for (const cluster of clusters.activelyChecked) {
    const policy = cluster.active!;
    const before = previous[cluster.name];
    if (before && scheduledAt - before.roundAt < policy.intervalMs - DUE_SLACK_MS) {
      next[cluster.name] = before;
      continue;
    }
    const endpoints: Record<string, EndpointVerdict> = {};
    next[cluster.name] = { roundAt: scheduledAt, endpoints };
    const transport = resolveTransport(cluster.cluster, env);
    for (const endpoint of cluster.endpoints) {
      const url = endpointUrl(endpoint);
      const last = before?.endpoints[url];
      jobs.push(async () => {
        const probe: ProbeOutcome = transport.ok
          ? await probeEndpoint(transport.send, cluster, endpoint, policy)
          : { ok: false, result: `${transport.code}: ${transport.message}`, at: Date.now() };
        const verdict = nextVerdict(last, probe, policy);
        endpoints[url] = verdict;
        if (last?.verdict !== verdict.verdict)
          changes.push({ cluster: cluster.name, endpoint: endpoint.label, verdict });
      });
    }
  }
  await runPooled(jobs, PROBE_CONCURRENCY);
  return { clusters: next, changes };
}

/** The endpoint's URL as the record keys it: origin only (endpoint URLs have no path). */
export function endpointUrl(endpoint: CompiledEndpoint): string {
  return `${endpoint.origin}/`;
}

async function runPooled(jobs: readonly (() => Promise<void>)[], concurrency: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
}
