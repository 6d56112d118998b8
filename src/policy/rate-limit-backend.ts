/** What a rate-limit backend is asked and answers; the backends are `rate-limit-binding.ts` and `rate-limit-object.ts`. */
import type { RateLimitBackend } from "../config/schema.ts";

/** One limit of a rule, compiled once per table (`rate-limit.ts`). */
export interface CompiledRateLimit {
  /** The limit's id in `RateLimit-Policy` / `RateLimit`: `limit-<position in the rule's list>`. */
  readonly policyName: string;
  readonly requests: number;
  readonly periodSeconds: number;
  readonly backend: RateLimitBackend;
  /** The binding backend's per-call increment (`rate-limit-binding.ts`). */
  readonly delta: number;
  /** Prefix of every counter key: the route, the rule and the limit's position, so rules never share counts. */
  readonly counterPrefix: string;
  readonly key: readonly CompiledKeyPart[];
  /** True when a part is a claim: the limit runs after auth. */
  readonly usesClaims: boolean;
}

export type CompiledKeyPart =
  | { readonly kind: "clientAddress" }
  | { readonly kind: "header"; readonly name: string }
  | { readonly kind: "claim"; readonly name: string; readonly path: readonly string[] };

export interface BackendCall {
  readonly limit: CompiledRateLimit;
  /** The counter: `counterPrefix` and the key parts' values. */
  readonly key: string;
}

export interface RateLimitVerdict {
  readonly allowed: boolean;
  /** Undefined where the backend does not say (the binding). */
  readonly remaining: number | undefined;
  /** Seconds until the quota is whole again (an upper bound where the backend does not say). */
  readonly resetSeconds: number;
}

/** The table asks for a backend the Worker has no binding for: a deployment fault, answered 500. */
export class RateLimitMisconfigured extends Error {
  override readonly name = "RateLimitMisconfigured";
}
