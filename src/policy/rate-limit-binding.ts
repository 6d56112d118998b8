/**
 * The default backend: the Workers Rate Limiting binding (`[[ratelimits]]` in wrangler.toml), one
 * binding per period it supports, `RATE_LIMIT_10S` and `RATE_LIMIT_60S`.
 *
 * What it is: a counter kept at each Cloudflare location, eventually consistent and approximate by
 * design, cheap (no round trip out of the location). What it is not: a global or billing-grade count;
 * a client spread over several locations gets up to the quota at each one. Use the Durable Object
 * backend where the count must be exact (docs/traffic-policy.md#backends).
 *
 * A binding's limit is fixed in wrangler.toml, so each is declared with a large one (BINDING_CAPACITY)
 * and every call adds `delta = ceil(capacity / requests)`: the binding allows a call while its counter
 * is below the limit, so exactly `requests` calls pass per key and period (BINDING_MAX_REQUESTS says up
 * to where that holds).
 *
 * Miniflare's local simulator (wrangler dev, the tests) implements no `delta` and refuses unknown
 * options, but takes `limit` and `period` per call, which the deployed binding does not document. The
 * first call tells which one this is; the other form is then used for the isolate's life.
 */
import { BINDING_CAPACITY } from "../config/constants.ts";
import type { Env } from "../gateway/env.ts";
import type { BackendCall, RateLimitVerdict } from "./rate-limit-backend.ts";
import { RateLimitMisconfigured } from "./rate-limit-backend.ts";

export const BINDING_NAMES: Readonly<Record<number, string>> = { 10: "RATE_LIMIT_10S", 60: "RATE_LIMIT_60S" };

/** The binding's `delta` for `requests` per period; 1 is the binding's default and is not sent. */
export function bindingDelta(requests: number): number {
  return Math.ceil(BINDING_CAPACITY / requests);
}

/** How many calls a binding of `capacity` lets through per period when each adds `delta`. */
export function callsAllowed(delta: number, capacity = BINDING_CAPACITY): number {
  return Math.ceil(capacity / delta);
}

let simulator = false;

export async function hitBinding(call: BackendCall, env: Env): Promise<RateLimitVerdict> {
  const { limit, key } = call;
  const binding = env[BINDING_NAMES[limit.periodSeconds]!] as RateLimit | undefined;
  if (!binding || typeof binding.limit !== "function") {
    throw new RateLimitMisconfigured(
      `the Rate Limiting binding ${BINDING_NAMES[limit.periodSeconds]} is not bound to the Worker`,
    );
  }
  // The binding says yes or no, not how much is left nor when its window turns: the period bounds both.
  const reset = limit.periodSeconds;
  if (!simulator) {
    try {
      const { success } = await binding.limit({ key, delta: limit.delta });
      return { allowed: success, remaining: undefined, resetSeconds: reset };
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith("bad rate limit options")) throw err;
      simulator = true;
    }
  }
  const options = { key, limit: limit.requests, period: limit.periodSeconds } as RateLimitOptions;
  const { success } = await binding.limit(options);
  return { allowed: success, remaining: undefined, resetSeconds: reset };
}
