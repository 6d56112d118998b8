/**
 * The Durable Object backend (`backend: DurableObject`): an exact, global count per limit and key, at
 * the cost of a call to the one object holding it, wherever it lives (docs/benchmarks.md has the
 * figure). The class is `rate-limit-counter.ts`; this side only calls it.
 */
import type { Env } from "../gateway/env.ts";
import type { BackendCall, RateLimitVerdict } from "./rate-limit-backend.ts";
import { RateLimitMisconfigured } from "./rate-limit-backend.ts";
import type { RateLimitCounter } from "./rate-limit-counter.ts";

export const COUNTER_BINDING = "RATE_LIMITER";

export async function hitCounterObject(call: BackendCall, env: Env): Promise<RateLimitVerdict> {
  const namespace = env[COUNTER_BINDING] as DurableObjectNamespace<RateLimitCounter> | undefined;
  if (!namespace || typeof namespace.idFromName !== "function") {
    throw new RateLimitMisconfigured(
      `the Durable Object binding ${COUNTER_BINDING} is not bound to the Worker`,
    );
  }
  const stub = namespace.get(namespace.idFromName(call.key));
  return stub.hit(call.limit.requests, call.limit.periodSeconds * 1000);
}
