/**
 * When an attempt may be repeated, and how long to wait first.
 *
 * The replay rule. workerd starts reading a request body as soon as `fetch` is called — before the
 * connection exists: a refused connection leaves the body already disturbed (measured, see
 * docs/data-path.md#retries) — and it reports a refused connection and a connection lost after the
 * request was sent with the same error. So "a body not yet sent" can never be observed, and a failure
 * never proves the origin did not act. Hence, without buffering anything:
 *
 *   replayable  =  the request has no body  AND  its method is idempotent (RFC 9110 §9.2.2:
 *                  GET, HEAD, OPTIONS, TRACE, PUT, DELETE)
 *
 * A replayable request is retried on another endpoint (when the cluster has one):
 *   - on a response whose status is in `retry.codes`, up to `retry.attempts` times;
 *   - when the origin sent no response headers in time (a timeout counts as 504 for `codes`);
 *   - when its answer was not a valid one (a 101 without an upgrade, a status outside 200–599: counts as
 *     502 for `codes`);
 *   - on a failed connection: up to `retry.attempts` times, and once even without a retry policy, as
 *     Istio does by default — a pod that just went away should cost a client nothing.
 * Anything else is answered with what the first attempt produced.
 */
import type { CompiledRetry } from "../routing/types.ts";
import type { AttemptResult } from "./forward.ts";

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

export function isReplayable(method: string, hasBody: boolean): boolean {
  return !hasBody && IDEMPOTENT.has(method);
}

/** Whether attempt number `attempt` (1-based) should be followed by another. */
export function shouldRetry(
  result: AttemptResult,
  attempt: number,
  policy: CompiledRetry,
  replayable: boolean,
): boolean {
  if (!replayable) return false;
  switch (result.kind) {
    case "response":
      return attempt <= policy.attempts && policy.codes.has(result.response.status);
    case "timeout":
      return attempt <= policy.attempts && policy.codes.has(504);
    case "invalid":
      return attempt <= policy.attempts && policy.codes.has(502);
    case "failed":
      return attempt <= Math.max(policy.attempts, 1);
  }
}

/**
 * Exponential from `backoff` (Gateway API: the minimum wait between attempts): backoff, 2×, 4×… with up
 * to 25 % added at random so that isolates retrying the same failure do not arrive in step.
 */
export function backoffMs(policy: CompiledRetry, retry: number, random: () => number): number {
  const base = policy.backoffMs * 2 ** (retry - 1);
  return Math.round(base * (1 + random() / 4));
}
