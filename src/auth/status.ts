/** The status view's picture of every provider's key material, as this isolate sees it. */
import type { Env } from "../gateway/env.ts";
import type { JwsAlgorithm } from "./algorithms.ts";
import type { CompiledAuth } from "./compile.ts";
import type { KeySourceKind } from "./key-source.ts";

export interface KeySetStatus {
  provider: string;
  /** `none`: the provider names no key source, or more than one; every token it sees is refused. */
  kind: KeySourceKind | "none";
  /**
   * ready: keys usable (remote: fresh); stale: a remote set past its freshness, still serving within
   * `staleDuration`; failed: no usable keys (fetch failures, stale period over, a short secret);
   * unfetched: a remote set no request has needed yet; missing-secret: `env[binding]` is not set.
   */
  state: "ready" | "stale" | "failed" | "unfetched" | "missing-secret";
  keys: number;
  fetchedAt?: string;
  /** Remote sets: when the keys stop being fresh, and when they stop being used at all. */
  freshUntil?: string;
  staleUntil?: string;
  /** Algorithms the keys can verify (within the provider's allow-list). */
  algorithms?: JwsAlgorithm[];
  /** Remote sets: the JWKS URI. */
  uri?: string;
  /** Why the state is not `ready` (never secret or token material). */
  error?: string;
}

export function describeKeySets(auth: CompiledAuth, env: Env): KeySetStatus[] {
  const now = Date.now();
  return [...auth.providers.values()].map((provider) => {
    if (!provider.keys) {
      return {
        provider: provider.name,
        kind: "none",
        state: "failed",
        keys: 0,
        error: "the provider must name exactly one of remoteJWKS, localJWKS or secret",
      };
    }
    const { algorithms, ...state } = provider.keys.describe(env, now);
    return {
      provider: provider.name,
      kind: provider.keys.kind,
      ...state,
      algorithms: algorithms.filter((alg) => provider.algorithms.has(alg)),
    };
  });
}
