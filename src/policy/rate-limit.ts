/**
 * Rate limits (`rateLimit`): a list, and every limit must allow the request. Compiled once per rule
 * into two groups the pipeline runs at different places:
 *
 * - limits keyed only by the client address and headers run before auth, so a refused request never
 *   costs a token verification;
 * - limits with a claim in their key need a verified token, so they run right after auth.
 *
 * Either way a refused request never reaches the origin. A key is the values of its parts in order; a
 * part the request lacks (no such header, no such claim) counts as the empty value, so leaving a header
 * out puts a client in one shared bucket instead of letting it past the limit.
 *
 * All limits of a group are asked at once (each request counts against each of them); the refusal with
 * the longest wait answers. A backend that fails (not one that is missing) lets the request through and
 * logs it: a limiter outage must not take the routes down with it (Envoy's `failure_mode_deny: false`).
 */
import { claimValue } from "../auth/claims.ts";
import { parseDuration } from "../config/duration.ts";
import type { RateLimit, RateLimitKeyPart } from "../config/schema.ts";
import type { Env } from "../gateway/env.ts";
import { errorResponse } from "../gateway/errors.ts";
import {
  type BackendCall,
  type CompiledKeyPart,
  type CompiledRateLimit,
  RateLimitMisconfigured,
  type RateLimitVerdict,
} from "./rate-limit-backend.ts";
import { BINDING_NAMES, bindingDelta, hitBinding } from "./rate-limit-binding.ts";
import { rateLimitedResponse, rateLimitPolicyField } from "./rate-limit-headers.ts";
import { hitCounterObject } from "./rate-limit-object.ts";

export interface RateLimitPlan {
  readonly beforeAuth: readonly CompiledRateLimit[];
  readonly afterAuth: readonly CompiledRateLimit[];
  /** `RateLimit-Policy` for every limit of the rule, built once. */
  readonly policyField: string;
}

/** `counterScope` names the rule (route id and rule name or index): counts are per rule. */
export function compileRateLimits(
  limits: readonly RateLimit[] | undefined,
  counterScope: string,
): RateLimitPlan | undefined {
  if (!limits || limits.length === 0) return undefined;
  const compiled = limits.map((limit, i): CompiledRateLimit => {
    const parts = (Array.isArray(limit.key) ? limit.key : [limit.key]).map(compileKeyPart);
    const periodSeconds = parseDuration(limit.period) / 1000;
    // `gatehouse validate` refuses these; a record written by hand is refused here, never half-applied.
    if (limit.backend === "RateLimitingBinding" && BINDING_NAMES[periodSeconds] === undefined) {
      throw new Error(
        `${counterScope} rateLimit[${i}].period: the Rate Limiting binding counts over 10s or 60s only`,
      );
    }
    return {
      policyName: `limit-${i}`,
      requests: limit.requests,
      periodSeconds,
      backend: limit.backend,
      delta: bindingDelta(limit.requests),
      counterPrefix: `${counterScope}#${i}`,
      key: parts,
      usesClaims: parts.some((part) => part.kind === "claim"),
    };
  });
  return {
    beforeAuth: compiled.filter((limit) => !limit.usesClaims),
    afterAuth: compiled.filter((limit) => limit.usesClaims),
    policyField: rateLimitPolicyField(compiled),
  };
}

function compileKeyPart(part: RateLimitKeyPart): CompiledKeyPart {
  if (part === "clientAddress") return { kind: "clientAddress" };
  if ("header" in part) return { kind: "header", name: part.header.toLowerCase() };
  return { kind: "claim", name: part.claim, path: part.claim.split(".") };
}

export interface RateLimitInput {
  readonly request: Request;
  readonly claims: Readonly<Record<string, unknown>> | undefined;
  readonly env: Env;
  readonly requestId: string;
}

/** A 429 (or 500 for a missing binding) when a limit refuses; undefined when every one allows. */
export async function enforceRateLimits(
  plan: RateLimitPlan,
  limits: readonly CompiledRateLimit[],
  input: RateLimitInput,
): Promise<Response | undefined> {
  let verdicts: readonly (RateLimitVerdict | undefined)[];
  try {
    verdicts =
      limits.length === 1
        ? [await ask(limits[0]!, input)]
        : await Promise.all(limits.map((limit) => ask(limit, input)));
  } catch (err) {
    if (!(err instanceof RateLimitMisconfigured)) throw err;
    return errorResponse(500, "rate_limit_misconfigured", err.message, input.requestId);
  }
  let refusing: CompiledRateLimit | undefined;
  let wait = 0;
  verdicts.forEach((verdict, i) => {
    if (verdict && !verdict.allowed && verdict.resetSeconds >= wait) {
      refusing = limits[i];
      wait = verdict.resetSeconds;
    }
  });
  return refusing ? rateLimitedResponse(plan.policyField, refusing, wait, input.requestId) : undefined;
}

/** One limit's verdict; undefined (allow) when its backend failed other than by being missing. */
async function ask(limit: CompiledRateLimit, input: RateLimitInput): Promise<RateLimitVerdict | undefined> {
  const call: BackendCall = { limit, key: counterKey(limit, input.request, input.claims) };
  try {
    return limit.backend === "DurableObject"
      ? await hitCounterObject(call, input.env)
      : await hitBinding(call, input.env);
  } catch (err) {
    if (err instanceof RateLimitMisconfigured) throw err;
    console.error(
      JSON.stringify({
        type: "rate_limit_backend_failed",
        requestId: input.requestId,
        backend: limit.backend,
        message: err instanceof Error ? err.message : String(err),
      }),
    );
    return undefined;
  }
}

/**
 * The counter's key: the limit's prefix, then each part as `length:value`, so no value can be written to
 * pass for another split of the parts.
 */
export function counterKey(
  limit: CompiledRateLimit,
  request: Request,
  claims: Readonly<Record<string, unknown>> | undefined,
): string {
  let key = limit.counterPrefix;
  for (const part of limit.key) {
    const value = partValue(part, request, claims);
    key += `|${value.length}:${value}`;
  }
  return key;
}

function partValue(
  part: CompiledKeyPart,
  request: Request,
  claims: Readonly<Record<string, unknown>> | undefined,
): string {
  switch (part.kind) {
    case "clientAddress":
      return request.headers.get("cf-connecting-ip") ?? "";
    case "header":
      return request.headers.get(part.name) ?? "";
    case "claim": {
      const value = claims ? claimValue(claims, part) : undefined;
      if (value === undefined || value === null) return "";
      return typeof value === "string" ? value : JSON.stringify(value);
    }
  }
}
