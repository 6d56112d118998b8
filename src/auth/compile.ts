/**
 * `compileAuth`: once per table, every provider compiled and every rule's `auth` turned into what the
 * request path needs (its provider, its effective audiences, its cache scope, its scopes and claims).
 *
 * What is per table and what is not: verification options, extraction plans, allow-lists, inline key
 * sets and the verified-token cache belong to one table (a new version starts a fresh cache, so a
 * changed issuer or audience can never be served from an old entry). Remote key sets belong to the
 * isolate, keyed by JWKS URI (`remote-key-set.ts`): publishing routes never refetches keys.
 */
import type { Auth, RouteTable } from "../config/schema.ts";
import { claimPath, type RequiredClaim } from "./claims.ts";
import { type CompiledProvider, compileProvider } from "./providers.ts";
import { VerifiedTokenCache } from "./token-cache.ts";

export interface CompiledRuleAuth {
  readonly providerName: string;
  /** Undefined when the rule names a provider the table does not define (validation refuses that). */
  readonly provider: CompiledProvider | undefined;
  /**
   * The `aud` values this rule accepts: the rule's audiences within the provider's (the per-service
   * key), the provider's when the rule names none, undefined when neither does. An empty list (the
   * rule names only audiences the provider does not accept) refuses every token.
   */
  readonly audiences: readonly string[] | undefined;
  /** Provider and audience set: the part of the cache key that keeps services apart. */
  readonly cacheScope: string;
  readonly requiredScopes: readonly string[];
  readonly requiredClaims: readonly RequiredClaim[];
}

export interface CompiledAuth {
  readonly providers: ReadonlyMap<string, CompiledProvider>;
  readonly cache: VerifiedTokenCache;
  /** Compiled rule auth by the table's own `auth` objects; see `ruleAuth`. */
  readonly rules: WeakMap<Auth, CompiledRuleAuth>;
}

export function compileAuth(table: RouteTable): CompiledAuth {
  const providers = new Map<string, CompiledProvider>();
  for (const [name, provider] of Object.entries(table.providers)) {
    providers.set(name, compileProvider(name, provider));
  }
  const auth: CompiledAuth = { providers, cache: new VerifiedTokenCache(), rules: new WeakMap() };
  for (const route of table.routes) {
    for (const rule of route.rules) if (rule.auth) ruleAuth(auth, rule.auth);
  }
  return auth;
}

/**
 * The compiled form of a rule's `auth`. Found by identity for every rule of the compiled table; an
 * `auth` object the table did not contain (a caller that copied rules) is compiled on first sight.
 */
export function ruleAuth(auth: CompiledAuth, source: Auth): CompiledRuleAuth {
  let compiled = auth.rules.get(source);
  if (!compiled) {
    compiled = compileRuleAuth(source, auth.providers.get(source.provider));
    auth.rules.set(source, compiled);
  }
  return compiled;
}

function compileRuleAuth(source: Auth, provider: CompiledProvider | undefined): CompiledRuleAuth {
  const audiences = effectiveAudiences(provider?.audiences, source.audiences);
  return {
    providerName: source.provider,
    provider,
    audiences,
    cacheScope: `${source.provider}\u0000${audiences === undefined ? "*" : [...audiences].sort().join("\u0001")}`,
    requiredScopes: source.requiredScopes ?? [],
    requiredClaims: (source.requiredClaims ?? []).map((c) => ({
      ...claimPath(c.name),
      values: new Set(c.values),
    })),
  };
}

export function effectiveAudiences(
  providerAudiences: readonly string[] | undefined,
  ruleAudiences: readonly string[] | undefined,
): readonly string[] | undefined {
  if (ruleAudiences === undefined) return providerAudiences;
  if (providerAudiences === undefined) return ruleAudiences;
  return ruleAudiences.filter((a) => providerAudiences.includes(a));
}
