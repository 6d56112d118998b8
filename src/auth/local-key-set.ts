/**
 * A key set held in memory: the table's inline `localJWKS`, or the last good document a remote key set
 * fetched. Selection by `kid`/`alg`/`kty`/`crv` is jose's `createLocalJWKSet`; this wraps it so that a
 * token without `kid` still finds its key among several candidates, and so that failures come out as
 * our error codes.
 *
 * jose caches each imported `CryptoKey` on the set, so a set that lives across requests imports every
 * key once. (jose briefly keeps the import's promise, but WebCrypto imports in workerd complete without
 * I/O, so no request ever waits on another request's promise.)
 */
import { createLocalJWKSet, type JSONWebKeySet, type JWSHeaderParameters, type LocalJWKSet } from "jose";
import { algorithmsForKeys, type JwsAlgorithm } from "./algorithms.ts";
import { AuthError } from "./errors.ts";
import { type PublicKeys, publicSigningKeys } from "./jwks-document.ts";
import type { KeyContext, KeySource, KeySourceState } from "./key-source.ts";

/** A token without `kid` is tried against at most this many keys of its type. */
const MAX_CANDIDATE_KEYS = 8;

export class KeySetSnapshot {
  readonly keyCount: number;
  readonly algorithms: JwsAlgorithm[];
  private readonly select: LocalJWKSet;

  constructor(keys: PublicKeys) {
    this.keyCount = keys.keys.length;
    this.algorithms = algorithmsForKeys(keys.keys);
    this.select = createLocalJWKSet({ keys: [...keys.keys] } as JSONWebKeySet);
  }

  /** Undefined when `doc` is not a JWKS. */
  static fromDocument(doc: unknown): KeySetSnapshot | undefined {
    const keys = publicSigningKeys(doc);
    return keys ? new KeySetSnapshot(keys) : undefined;
  }

  /** Throws `AuthError("unknown_key")` when no key matches the header. */
  async keysFor(header: JWSHeaderParameters): Promise<CryptoKey[]> {
    try {
      return [await this.select(header)];
    } catch (err) {
      if (isMultipleMatches(err)) return collectCandidates(err);
      throw new AuthError("unknown_key");
    }
  }
}

function isMultipleMatches(err: unknown): err is AsyncIterable<CryptoKey> {
  return (err as { code?: unknown } | null)?.code === "ERR_JWKS_MULTIPLE_MATCHING_KEYS";
}

async function collectCandidates(candidates: AsyncIterable<CryptoKey>): Promise<CryptoKey[]> {
  const keys: CryptoKey[] = [];
  for await (const key of candidates) {
    keys.push(key);
    if (keys.length >= MAX_CANDIDATE_KEYS) break;
  }
  if (keys.length === 0) throw new AuthError("unknown_key");
  return keys;
}

/** `localJWKS`: public keys written into the table, compiled once per table. */
export class LocalKeySource implements KeySource {
  readonly kind = "localJWKS";
  readonly family = "asymmetric";
  private readonly snapshot: KeySetSnapshot;

  constructor(keys: readonly unknown[]) {
    this.snapshot = KeySetSnapshot.fromDocument({ keys }) ?? new KeySetSnapshot({ keys: [], ignored: 0 });
  }

  keysFor(header: JWSHeaderParameters, _ctx: KeyContext): Promise<CryptoKey[]> {
    return this.snapshot.keysFor(header);
  }

  describe(): KeySourceState {
    const { keyCount, algorithms } = this.snapshot;
    return keyCount > 0
      ? { state: "ready", keys: keyCount, algorithms }
      : { state: "failed", keys: 0, algorithms, error: "no usable public signing key in localJWKS" };
  }
}
