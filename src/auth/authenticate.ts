/**
 * The auth stage of the pipeline: after the TLS policy, before anything is sent upstream.
 *
 *   rule without `auth`      → pass, no claims
 *   CORS preflight on a rule with a CORS filter → pass (browsers never send credentials on a preflight;
 *                              the CORS filter answers it at the edge, nothing reaches the origin)
 *   no token                 → 401 challenge
 *   more than one token      → 400 invalid_request (none of them is verified, nothing is forwarded)
 *   token                    → size/shape → cache or full verification → rule's scopes and claims
 *                              → identity headers set from claims → token kept from the origin if asked
 *
 * The upstream draft is changed only on success, except that query parameters that carry tokens are
 * always dropped from it.
 */
import type { UpstreamDraft } from "../gateway/draft.ts";
import type { Env } from "../gateway/env.ts";
import type { CompiledRule } from "../routing/types.ts";
import { refusal } from "./answers.ts";
import { applyClaimHeaders, type Claims, missingScopes, timeFailure, unsatisfiedClaim } from "./claims.ts";
import { type CompiledAuth, type CompiledRuleAuth, ruleAuth } from "./compile.ts";
import { AuthError, type AuthErrorCode, failureClass } from "./errors.ts";
import { extractToken, removeQueryTokens, removeTokenPlaces } from "./extract-token.ts";
import type { KeyContext } from "./key-source.ts";
import type { CompiledProvider } from "./providers.ts";
import { freezeClaims, tokenCacheKey } from "./token-cache.ts";
import { precheckToken, verifyToken } from "./verify-token.ts";

/**
 * `tokenCache` says whether the verified-token cache spared the signature check; `code` is the refusal's
 * error code. Both are for the access log and the metrics, never for the decision.
 */
export type AuthOutcome =
  | { ok: true; claims: Readonly<Record<string, unknown>> | undefined; tokenCache?: "hit" | "miss" }
  | { ok: false; response: Response; code: AuthErrorCode };

export interface AuthInput {
  rule: CompiledRule;
  request: Request;
  draft: UpstreamDraft;
  auth: CompiledAuth;
  env: Env;
  requestId: string;
  /** When given, an expired key set is refreshed after the response instead of before it. */
  ctx?: ExecutionContext;
}

const PUBLIC: AuthOutcome = { ok: true, claims: undefined };

export async function authenticate(input: AuthInput): Promise<AuthOutcome> {
  const { rule, draft } = input;
  if (!rule.auth) return PUBLIC;
  if (isCorsPreflight(input.request) && rule.filters.some((f) => f.type === "CORS")) return PUBLIC;

  const compiled = ruleAuth(input.auth, rule.auth);
  const provider = compiled.provider;
  if (!provider) return refuse(input, compiled, "provider_unknown");
  if (!provider.keys) return refuse(input, compiled, "provider_without_keys");

  const extracted = extractToken(provider.extraction, input.request.headers, draft.query);
  removeQueryTokens(provider.extraction, draft);
  if (extracted === "none") return refuse(input, compiled, "token_missing");
  if (extracted === "several") return refuse(input, compiled, "several_tokens");

  let claims: Claims;
  let tokenCache: "hit" | "miss";
  try {
    const verified = await verifiedClaims(extracted.token, compiled, provider, input);
    claims = verified.claims;
    tokenCache = verified.cached ? "hit" : "miss";
    const missing = missingScopes(compiled.requiredScopes, claims);
    if (missing.length > 0) return refuse(input, compiled, "insufficient_scope");
    const claim = unsatisfiedClaim(compiled.requiredClaims, claims);
    if (claim !== undefined) return refuse(input, compiled, "claim_mismatch", claim);
    applyClaimHeaders(draft.headers, provider.claimHeaders, claims);
  } catch (err) {
    if (err instanceof AuthError) return refuse(input, compiled, err.code);
    throw err;
  }
  if (!provider.forwardToken) removeTokenPlaces(provider.extraction, draft);
  return { ok: true, claims, tokenCache };
}

/** The cache first; on a miss the full verification, whose success is cached. */
async function verifiedClaims(
  token: string,
  compiled: CompiledRuleAuth,
  provider: CompiledProvider,
  input: AuthInput,
): Promise<{ claims: Claims; cached: boolean }> {
  precheckToken(token, provider.maxTokenBytes);
  const nowMs = Date.now();
  const cache = input.auth.cache;
  const key = await tokenCacheKey(token, compiled.cacheScope);
  const ctx: KeyContext = {
    env: input.env,
    nowMs,
    waitUntil: input.ctx ? (work) => input.ctx!.waitUntil(work) : undefined,
  };
  const cached = cache.get(key, nowMs);
  if (cached) {
    const late = timeFailure(
      cached,
      Math.floor(nowMs / 1000),
      provider.clockSkewSec,
      provider.requireExpiration,
    );
    if (late) throw new AuthError(late);
    // The cache skips the signature check, not the keys' stale bound: past it, a remembered token
    // gets the same 503 as a new one.
    if (provider.keys?.assertUsable) await provider.keys.assertUsable(ctx);
    return { claims: cached, cached: true };
  }
  const claims = freezeClaims(await verifyToken(token, { provider, audiences: compiled.audiences }, ctx));
  cache.set(key, claims, nowMs);
  return { claims, cached: false };
}

function refuse(
  input: AuthInput,
  compiled: CompiledRuleAuth,
  code: AuthErrorCode,
  claim?: string,
): AuthOutcome {
  if (failureClass(code) === "misconfigured") logMisconfiguration(compiled.providerName, code);
  const realm = new URL(input.request.url).hostname;
  const detail =
    code === "insufficient_scope"
      ? { scopes: compiled.requiredScopes }
      : claim !== undefined
        ? { claim }
        : {};
  return { ok: false, code, response: refusal(code, { realm, requestId: input.requestId }, detail) };
}

function isCorsPreflight(request: Request): boolean {
  return (
    request.method === "OPTIONS" &&
    request.headers.has("origin") &&
    request.headers.has("access-control-request-method")
  );
}

const MISCONFIGURATION_LOG_INTERVAL_MS = 60_000;
const lastMisconfigurationLog = new Map<string, number>();

/** Operators need to hear about a missing secret; once a minute per provider is enough. */
function logMisconfiguration(provider: string, code: AuthErrorCode): void {
  const now = Date.now();
  const key = `${provider}\u0000${code}`;
  if (
    now - (lastMisconfigurationLog.get(key) ?? Number.NEGATIVE_INFINITY) <
    MISCONFIGURATION_LOG_INTERVAL_MS
  ) {
    return;
  }
  lastMisconfigurationLog.set(key, now);
  console.error(JSON.stringify({ type: "auth", event: "provider_misconfigured", provider, code }));
}
