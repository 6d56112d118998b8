/**
 * Tokens that passed signature, issuer and audience checks, so that a client's repeated token costs a
 * hash and a map lookup instead of a signature check.
 *
 * - Keyed by SHA-256 of the token, with the provider and the rule's effective audience set: a token
 *   verified for one service is never a hit for another. The token itself is not kept.
 * - An entry lives until the token's `exp` and never longer than `maxEntryLifetimeMs` (5 minutes), so a
 *   signing key withdrawn from a JWKS stops opening doors within that time even for cached tokens.
 * - Bounded: at most `maxEntries`; a hit moves the entry to the young end, the oldest is evicted.
 * - A hit still runs the time checks against the current clock and the rule's scopes and claims: the
 *   cache only skips the signature.
 * - Only successes are cached; a refused token is checked again in full each time.
 */
import type { Claims } from "./claims.ts";

export const TOKEN_CACHE_DEFAULTS = { maxEntries: 10_000, maxEntryLifetimeMs: 5 * 60_000 } as const;

interface Entry {
  readonly claims: Claims;
  readonly expiresAtMs: number;
}

export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly maxEntries: number = TOKEN_CACHE_DEFAULTS.maxEntries,
    readonly maxEntryLifetimeMs: number = TOKEN_CACHE_DEFAULTS.maxEntryLifetimeMs,
  ) {}

  get(key: string, nowMs: number): Claims | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (nowMs >= entry.expiresAtMs) return undefined;
    this.entries.set(key, entry);
    return entry.claims;
  }

  /** `claims` must be frozen: cached claims are shared by every request that presents the token. */
  set(key: string, claims: Claims, nowMs: number): void {
    const expiresAtMs = Math.min(
      nowMs + this.maxEntryLifetimeMs,
      typeof claims.exp === "number" ? claims.exp * 1000 : Number.POSITIVE_INFINITY,
    );
    if (expiresAtMs <= nowMs || this.maxEntries <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { claims, expiresAtMs });
    if (this.entries.size > this.maxEntries) {
      // Map iteration is insertion order: the first key is the least recently used.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

const encoder = new TextEncoder();

/**
 * `provider \0 audiences \0 sha256(token)`: the parts cannot run into each other (names have no NUL).
 * The digest's 32 bytes are the key's last 16 UTF-16 code units as they are: a key only this isolate's
 * map compares, so it needs no printable form, and building one (64 hex digits, a string per byte)
 * was most of what a cache hit cost beside the digest itself.
 */
export async function tokenCacheKey(token: string, scope: string): Promise<string> {
  const digest = new Uint16Array(await crypto.subtle.digest("SHA-256", encoder.encode(token)));
  return `${scope}\u0000${String.fromCharCode.apply(null, digest as unknown as number[])}`;
}

/** Deep-freeze a verified claims set before it is shared through the cache. */
export function freezeClaims<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) freezeClaims(child);
  }
  return value;
}
