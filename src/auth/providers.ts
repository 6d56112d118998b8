/**
 * A table's `providers` entry compiled once per table: every default filled in, durations in numbers,
 * the allow-list cut to the key source's family, the extraction plan and the claim headers prepared.
 * The request path only reads these.
 */
import { durationMs } from "../config/duration.ts";
import type { Provider } from "../config/schema.ts";
import { allowedAlgorithms, type JwsAlgorithm } from "./algorithms.ts";
import { type ClaimHeader, claimPath } from "./claims.ts";
import { compileExtraction, type ExtractionPlan } from "./extract-token.ts";
import type { KeySource } from "./key-source.ts";
import { LocalKeySource } from "./local-key-set.ts";
import { REMOTE_JWKS_LIMITS, RemoteKeySource } from "./remote-key-set.ts";
import { SecretKeySource } from "./secret-key.ts";

export const PROVIDER_DEFAULTS = {
  clockSkewMs: 30_000,
  requireExpiration: true,
  maxTokenBytes: 8192,
  forwardToken: true,
} as const;

export interface CompiledProvider {
  readonly name: string;
  /** Exact `iss` required; undefined = any issuer (validation warns). */
  readonly issuer: string | undefined;
  /** `aud` values accepted unless a rule narrows them; undefined = any audience (validation warns). */
  readonly audiences: readonly string[] | undefined;
  /** The table's `algorithms` (or every algorithm) within the key source's family. */
  readonly algorithms: ReadonlySet<JwsAlgorithm>;
  readonly clockSkewSec: number;
  readonly requireExpiration: boolean;
  readonly maxTokenBytes: number;
  readonly forwardToken: boolean;
  readonly extraction: ExtractionPlan;
  readonly claimHeaders: readonly ClaimHeader[];
  /** Undefined when the provider names no key source, or more than one: every token is then refused. */
  readonly keys: KeySource | undefined;
}

export function compileProvider(name: string, provider: Provider): CompiledProvider {
  const keys = compileKeySource(provider);
  return {
    name,
    issuer: provider.issuer,
    audiences: provider.audiences,
    algorithms: allowedAlgorithms(keys?.family ?? "asymmetric", provider.algorithms),
    clockSkewSec: Math.floor(durationMs(provider.clockSkew, PROVIDER_DEFAULTS.clockSkewMs) / 1000),
    requireExpiration: provider.requireExpiration ?? PROVIDER_DEFAULTS.requireExpiration,
    maxTokenBytes: provider.maxTokenBytes ?? PROVIDER_DEFAULTS.maxTokenBytes,
    forwardToken: provider.forwardToken ?? PROVIDER_DEFAULTS.forwardToken,
    extraction: compileExtraction(provider.extractFrom),
    claimHeaders: (provider.claimToHeaders ?? []).map((m) => ({
      ...claimPath(m.claim),
      header: m.header.toLowerCase(),
    })),
    keys,
  };
}

function compileKeySource(provider: Provider): KeySource | undefined {
  const sources = [provider.remoteJWKS, provider.localJWKS, provider.secret].filter((s) => s !== undefined);
  if (sources.length !== 1) return undefined;
  if (provider.remoteJWKS) {
    const remote = provider.remoteJWKS;
    return new RemoteKeySource({
      uri: remote.uri,
      timeoutMs: durationMs(remote.timeout, REMOTE_JWKS_LIMITS.defaultTimeoutMs),
      cacheMs: durationMs(remote.cacheDuration, REMOTE_JWKS_LIMITS.defaultCacheMs),
      staleMs: durationMs(remote.staleDuration, REMOTE_JWKS_LIMITS.defaultStaleMs),
      maxBytes: remote.maxBytes ?? REMOTE_JWKS_LIMITS.defaultMaxBytes,
    });
  }
  if (provider.localJWKS) return new LocalKeySource(provider.localJWKS.keys);
  return new SecretKeySource(provider.secret!.binding);
}
