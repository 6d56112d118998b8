/**
 * One request's exchange with a cluster: attempts, each on an endpoint, bounded by the rule's timeouts,
 * retried by `retry.ts`'s rule, and every outcome reported to passive health.
 *
 * Timeouts (Gateway API `timeouts`, 0 = none) bound the wait for response headers only:
 *   - `request`: from the start of the exchange, across every attempt and backoff;
 *   - `backendRequest`: each attempt on its own.
 * When the headers are here the exchange is over; the body (a download, an event stream, a WebSocket)
 * is not timed by the gateway. docs/data-path.md says what bounds those instead.
 */
import type { UpstreamDraft } from "../gateway/draft.ts";
import type { CompiledRule } from "../routing/types.ts";
import type { CompiledCluster, CompiledEndpoint } from "./clusters.ts";
import { type AttemptResult, sendAttempt, upstreamRequest } from "./forward.ts";
import { recordOutcome } from "./health.ts";
import { pickEndpoint } from "./pick.ts";
import { backoffMs, isReplayable, shouldRetry } from "./retry.ts";

/** What counts against an endpoint's health: the gateway errors of Envoy's `consecutive_gateway_failure`. */
const GATEWAY_ERROR_STATUSES = new Set([502, 503, 504]);

export interface ExchangeInput {
  readonly rule: CompiledRule;
  readonly draft: UpstreamDraft;
  readonly search: string;
  readonly cluster: CompiledCluster;
  readonly first: CompiledEndpoint;
  readonly send: (request: Request) => Promise<Response>;
  readonly hashKey: string | undefined;
  readonly started: number;
  readonly random: () => number;
}

export interface ExchangeOutcome {
  readonly result: AttemptResult;
  /** The endpoint of the last attempt: the one whose answer the client gets. */
  readonly endpoint: CompiledEndpoint;
  readonly attempts: number;
  /** Time to response headers of the last attempt. */
  readonly upstreamMs: number;
}

export async function exchange(input: ExchangeInput): Promise<ExchangeOutcome> {
  const { rule, draft, cluster } = input;
  const { requestMs, backendRequestMs } = rule.timeouts;
  const deadline = requestMs > 0 ? input.started + requestMs : Number.POSITIVE_INFINITY;
  const replayable = isReplayable(draft.method, draft.body !== null);
  const tried = new Set<CompiledEndpoint>();
  let endpoint = input.first;

  for (let attempt = 1; ; attempt++) {
    tried.add(endpoint);
    const begun = Date.now();
    const result = await sendAttempt(
      input.send,
      (signal) => upstreamRequest(draft, input.search, cluster, endpoint, signal),
      attemptTimeout(backendRequestMs, deadline, begun),
    );
    const ended = Date.now();
    const outcome = { result, endpoint, attempts: attempt, upstreamMs: ended - begun };
    // A body cut at the route's size limit fails the exchange by the client's doing: the endpoint is
    // neither blamed (a client could eject it at will) nor retried (the body is gone).
    if (draft.bodyCut) return outcome;
    recordOutcome(endpoint.healthKey, cluster.health, isGatewayError(result), ended);

    if (!shouldRetry(result, attempt, rule.retry, replayable)) return outcome;
    const wait = backoffMs(rule.retry, attempt, input.random);
    if (ended + wait >= deadline) return outcome;
    const next = pickEndpoint(cluster, { tried, hashKey: input.hashKey, now: ended, random: input.random });
    if (next === undefined) return outcome;
    // The answer being replaced is never read: let the origin stop sending it.
    if (result.kind === "response") await result.response.body?.cancel();
    await sleep(wait);
    endpoint = next;
  }
}

function attemptTimeout(backendRequestMs: number, deadline: number, now: number): number {
  const remaining = deadline - now;
  const perAttempt = backendRequestMs > 0 ? backendRequestMs : Number.POSITIVE_INFINITY;
  const bound = Math.min(perAttempt, remaining);
  // At least 1 ms: 0 would mean "no timeout" to `sendAttempt`.
  return bound === Number.POSITIVE_INFINITY ? 0 : Math.max(1, bound);
}

function isGatewayError(result: AttemptResult): boolean {
  return result.kind !== "response" || GATEWAY_ERROR_STATUSES.has(result.response.status);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
