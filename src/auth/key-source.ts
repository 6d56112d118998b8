/**
 * Where a provider's verification keys come from. Three sources (`remote-key-set.ts`,
 * `local-key-set.ts`, `secret-key.ts`) behind one small interface, so verification never needs to know
 * whether a key was fetched, inlined or read from a Worker secret.
 */
import type { JWSHeaderParameters } from "jose";
import type { Env } from "../gateway/env.ts";
import type { JwsAlgorithm } from "./algorithms.ts";

export type KeySourceKind = "remoteJWKS" | "localJWKS" | "secret";

/** What a key lookup may use besides the token's header. */
export interface KeyContext {
  readonly env: Env;
  readonly nowMs: number;
  /** Present when a refresh may run after the response (`ctx.waitUntil`); else refreshes run inline. */
  readonly waitUntil: ((work: Promise<unknown>) => void) | undefined;
}

export interface KeySource {
  readonly kind: KeySourceKind;
  /** HMAC sources and key sets never share an algorithm (see `algorithms.ts`). */
  readonly family: "hmac" | "asymmetric";
  /**
   * The keys that may have signed a token with this header, most likely first. Throws an `AuthError`:
   * `unknown_key` when none matches, `keys_unavailable` or a misconfiguration code when there are no
   * keys to look in.
   */
  keysFor(header: JWSHeaderParameters, ctx: KeyContext): Promise<readonly CryptoKey[]>;
  /**
   * For a token verified earlier (a token-cache hit, which skips `keysFor`): throws `keys_unavailable`
   * when this source has no keys it may verify with now, as `keysFor` would. Absent: always usable.
   */
  assertUsable?(ctx: KeyContext): Promise<void>;
  /** The key material as this isolate sees it right now (for the status view). */
  describe(env: Env, nowMs: number): KeySourceState;
}

export interface KeySourceState {
  state: "ready" | "stale" | "failed" | "unfetched" | "missing-secret";
  keys: number;
  algorithms: JwsAlgorithm[];
  fetchedAt?: string;
  freshUntil?: string;
  staleUntil?: string;
  uri?: string;
  error?: string;
}
