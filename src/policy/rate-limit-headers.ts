/**
 * The answer to a request over a rate limit: 429 with a JSON body, `Retry-After`, and the fields of
 * draft-ietf-httpapi-ratelimit-headers-10 ("RateLimit header fields for HTTP"), both Structured Field
 * Lists (RFC 9651):
 *
 *   RateLimit-Policy: "limit-0";q=100;w=60, "limit-1";q=10;w=10    every limit of the rule
 *   RateLimit: "limit-1";r=0;t=7                                    the limit that refused, now
 *
 * `q` is the quota (requests), `w` the window in seconds, `r` what remains, `t` seconds until the quota
 * resets. The policy list is built once per rule at compile time; only the `RateLimit` item and
 * `Retry-After` are written per refusal.
 */
import { errorResponse } from "../gateway/errors.ts";

export interface PolicyItem {
  readonly policyName: string;
  readonly requests: number;
  readonly periodSeconds: number;
}

/** `"name";q=…;w=…` for each limit, in order: the value of `RateLimit-Policy`. */
export function rateLimitPolicyField(limits: readonly PolicyItem[]): string {
  return limits
    .map((limit) => `"${limit.policyName}";q=${limit.requests};w=${limit.periodSeconds}`)
    .join(", ");
}

/** `"name";r=…;t=…`: the value of `RateLimit` for one limit. */
export function rateLimitField(policyName: string, remaining: number, resetSeconds: number): string {
  return `"${policyName}";r=${remaining};t=${resetSeconds}`;
}

export function rateLimitedResponse(
  policyField: string,
  refusing: PolicyItem,
  resetSeconds: number,
  requestId: string,
): Response {
  const retryAfter = Math.max(1, Math.ceil(resetSeconds));
  return errorResponse(
    429,
    "rate_limited",
    `over the limit of ${refusing.requests} requests per ${refusing.periodSeconds}s; retry after ${retryAfter}s`,
    requestId,
    {
      "retry-after": String(retryAfter),
      "ratelimit-policy": policyField,
      ratelimit: rateLimitField(refusing.policyName, 0, retryAfter),
    },
  );
}
