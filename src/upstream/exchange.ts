/**
 * One request's exchange with a cluster: attempts, each on an endpoint, bounded by the rule's timeouts,
 * retried by `retry.ts`'s rule, and every outcome reported to passive health.
 *
 * Timeouts (Gateway API `timeouts`, 0 = none) bound the wait for response headers only:
 *   - `request`: from the start of the exchange, across every attempt and backoff;
 *   - `backendRequest`: each attempt on its own.
 * When the headers are here the exchange is over; the body (a download, an event stream, a WebSocket)
 * is not timed by the gateway. docs/data-path.md says what bounds those instead.
 *
 * What counts against the endpoint (passive health, `health.ts`): a 502/503/504 from it, no response
 * headers in time, a failed or broken connection, an answer that is not valid HTTP for the request. Not
 * counted: a timeout or failure while the client's own body had not fully arrived (`request-body.ts`):
 * the exchange ends there (`blameClient`), never retried.
 */
import type { UpstreamDraft } from "../gateway/draft.ts";
import type { CompiledRule } from "../routing/types.ts";
import type { CompiledCluster, CompiledEndpoint } from "./clusters.ts";
import { type AttemptResult, sendAttempt, sendsBody, upstreamRequest } from "./forward.ts";
import { recordOutcome } from "./health.ts";
import { pickEndpoint } from "./pick.ts";
import { type ClientBodyState, trackClientBody } from "./request-body.ts";
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

/**
 * How an exchange ended: the last attempt's result, or the client's own fault: the attempt timed out
 * while the client was still sending its body (`client_timeout`), or failed after the client's body
 * broke off (`client_body_broken`).
 */
export type ExchangeResult =
  | AttemptResult
  | { readonly kind: "client_timeout" }
  | { readonly kind: "client_body_broken" };

export interface ExchangeOutcome {
  readonly result: ExchangeResult;
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
  // A body is sent at most once (never replayable), so one tracked stream serves every attempt.
  const body =
    draft.body !== null && sendsBody(draft)
      ? trackClientBody(draft.body, draft.headers.get("content-length"))
      : undefined;
  const tried = new Set<CompiledEndpoint>();
  let endpoint = input.first;

  for (let attempt = 1; ; attempt++) {
    tried.add(endpoint);
    const begun = Date.now();
    const result = await sendAttempt(
      input.send,
      (signal) => upstreamRequest(draft, input.search, cluster, endpoint, signal, body?.stream ?? null),
      attemptTimeout(backendRequestMs, deadline, begun),
    );
    const ended = Date.now();
    // A body cut at the route's size limit fails the exchange by the client's doing: the endpoint is
    // neither blamed (a client could eject it at will) nor retried (the body is gone).
    if (draft.bodyCut) return { result, endpoint, attempts: attempt, upstreamMs: ended - begun };
    const bodyState = body?.state() ?? "complete";
    if (bodyState !== "complete" && (result.kind === "timeout" || result.kind === "failed")) {
      // Not the endpoint's fault, so not counted; and a body is never sent twice.
      const blamed = blameClient(result, bodyState);
      return { result: blamed, endpoint, attempts: attempt, upstreamMs: ended - begun };
    }
    recordOutcome(endpoint.healthKey, cluster.health, isGatewayError(result), ended);
    const outcome = { result, endpoint, attempts: attempt, upstreamMs: ended - begun };

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

/**
 * An attempt that ended without an answer while the client's body had not fully arrived. Waiting for
 * the body is not the endpoint being slow: the client's `408`. A body that broke off is the client's
 * `400`. A connection that failed while the client was still sending is a `502` for the client, but
 * says as little about the endpoint (it may have closed on a client that sent too slowly).
 */
function blameClient(
  result: Extract<AttemptResult, { kind: "timeout" | "failed" }>,
  body: Exclude<ClientBodyState, "complete">,
): ExchangeResult {
  if (result.kind === "timeout") return { kind: "client_timeout" };
  return body === "broken" ? { kind: "client_body_broken" } : result;
}

function isGatewayError(result: AttemptResult): boolean {
  return result.kind !== "response" || GATEWAY_ERROR_STATUSES.has(result.response.status);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
