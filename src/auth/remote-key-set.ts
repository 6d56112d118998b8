/**
 * `remoteJWKS`: one key set per JWKS URI for the whole isolate, shared by every request and every
 * table version, fetched by us rather than by jose's remote set so that we own each bound:
 *
 * - fetch timeout and response size cap;
 * - freshness from `Cache-Control: max-age` (minus `Age`), clamped to [30 s, 24 h];
 * - stale-while-revalidate: expired keys keep serving while one refresh runs (after the response when
 *   the pipeline gives us `waitUntil`), and keep serving for `staleDuration` while the endpoint fails;
 * - an unknown `kid` triggers one refetch before the token is refused, at most once per 30 s per key
 *   set, so a rotation is picked up at once but random `kid`s cannot turn us into a load generator;
 * - after a failed fetch no new attempt for 5 s: an outage costs one timeout per 5 s, not one per request.
 *
 * Only resolved data lives at module scope: the parsed document and jose's set over it (which holds
 * imported `CryptoKey`s). Never a pending promise or a response body: workerd forbids a request from
 * waiting on I/O that another request started ("Cannot perform I/O on behalf of a different request").
 * The price is that concurrent requests of a cold isolate may each fetch the document once.
 */
import type { JWSHeaderParameters } from "jose";
import { AuthError } from "./errors.ts";
import type { KeyContext, KeySource, KeySourceState } from "./key-source.ts";
import { KeySetSnapshot } from "./local-key-set.ts";

export const REMOTE_JWKS_LIMITS = {
  /** Fetch timeout unless `remoteJWKS.timeout` says otherwise. */
  defaultTimeoutMs: 3_000,
  /** Freshness when the response has no `max-age`, unless `remoteJWKS.cacheDuration` says otherwise. */
  defaultCacheMs: 5 * 60_000,
  /** Any `max-age` (or `cacheDuration`) is clamped into these bounds; `no-cache`/`no-store` → minimum. */
  minCacheMs: 30_000,
  maxCacheMs: 24 * 3_600_000,
  /** How long expired keys keep serving while the endpoint fails, unless `staleDuration` says otherwise. */
  defaultStaleMs: 3_600_000,
  /** Largest JWKS response accepted, unless `maxBytes` says otherwise. */
  defaultMaxBytes: 64 * 1024,
  /** At most one refetch per this interval for tokens whose `kid` is not in the cached set. */
  unknownKidRefetchIntervalMs: 30_000,
  /** No new fetch attempt this soon after a failed one. */
  retryAfterFailureMs: 5_000,
} as const;

export interface RemoteKeySetOptions {
  readonly uri: string;
  readonly timeoutMs: number;
  readonly cacheMs: number;
  readonly staleMs: number;
  readonly maxBytes: number;
}

interface Snapshot {
  readonly keys: KeySetSnapshot;
  readonly fetchStartedMs: number;
  readonly fetchedAtMs: number;
  readonly freshUntilMs: number;
}

/** A fetch that did not produce a usable key set, with a reason fit for a log line and the status view. */
export class JwksFetchError extends Error {
  override readonly name = "JwksFetchError";
}

/** The isolate-wide state of one JWKS URI. */
export class RemoteKeySet {
  private snapshot: Snapshot | undefined;
  private lastFailure: { atMs: number; reason: string } | undefined;
  private lastUnknownKidRefetchMs = Number.NEGATIVE_INFINITY;
  /** A flag, not a promise: other requests skip a background refresh while one is running. */
  private refreshStartedMs: number | undefined;
  private fetches = 0;

  constructor(readonly uri: string) {}

  async keysFor(
    header: JWSHeaderParameters,
    ctx: KeyContext,
    options: RemoteKeySetOptions,
  ): Promise<CryptoKey[]> {
    const snapshot = await this.usableSnapshot(ctx, options);
    try {
      return await snapshot.keys.keysFor(header);
    } catch (err) {
      if (!(err instanceof AuthError) || err.code !== "unknown_key") throw err;
      if (ctx.nowMs - this.lastUnknownKidRefetchMs < REMOTE_JWKS_LIMITS.unknownKidRefetchIntervalMs)
        throw err;
      if (this.inFailureBackoff(ctx.nowMs)) throw err;
      // Rotation: the issuer may have published a key after our copy was fetched. Look once, now.
      this.lastUnknownKidRefetchMs = ctx.nowMs;
      const refreshed = await this.refresh(options, ctx.nowMs);
      if (!refreshed) throw err;
      return refreshed.keys.keysFor(header);
    }
  }

  /**
   * Throws `keys_unavailable` when the keys are past their stale bound and cannot be fetched now. A
   * token the cache remembers must meet it too, or the stale bound would not bound cached tokens.
   */
  async assertUsable(ctx: KeyContext, options: RemoteKeySetOptions): Promise<void> {
    const current = this.snapshot;
    if (current && ctx.nowMs < current.freshUntilMs + options.staleMs) return;
    await this.usableSnapshot(ctx, options);
  }

  private async usableSnapshot(ctx: KeyContext, options: RemoteKeySetOptions): Promise<Snapshot> {
    const now = ctx.nowMs;
    const current = this.snapshot;
    if (current && now < current.freshUntilMs) return current;

    if (current && now < current.freshUntilMs + options.staleMs) {
      // Expired but still within the stale bound: serve these keys, refresh once in the background.
      if (!this.refreshRunning(now, options) && !this.inFailureBackoff(now)) {
        const work = this.refresh(options, now);
        if (ctx.waitUntil) ctx.waitUntil(work);
        else await work;
      }
      return this.snapshot ?? current;
    }

    // Nothing usable: this request must fetch (concurrent cold requests each fetch; see the file note).
    if (!this.inFailureBackoff(now)) {
      const fetched = await this.refresh(options, now);
      if (fetched) return fetched;
    }
    throw new AuthError("keys_unavailable");
  }

  private refreshRunning(now: number, options: RemoteKeySetOptions): boolean {
    // A request cancelled mid-fetch never clears the flag: it lapses after the fetch timeout.
    return this.refreshStartedMs !== undefined && now - this.refreshStartedMs < options.timeoutMs + 1_000;
  }

  private inFailureBackoff(now: number): boolean {
    return !!this.lastFailure && now - this.lastFailure.atMs < REMOTE_JWKS_LIMITS.retryAfterFailureMs;
  }

  /** Fetch, parse and install the document. Never rejects: a failure is recorded and logged. */
  private async refresh(options: RemoteKeySetOptions, now: number): Promise<Snapshot | undefined> {
    this.refreshStartedMs = now;
    this.fetches++;
    try {
      const { keys, cacheMs } = await fetchKeySet(options);
      const fetchedAtMs = Date.now();
      const next: Snapshot = { keys, fetchStartedMs: now, fetchedAtMs, freshUntilMs: fetchedAtMs + cacheMs };
      // Two refreshes may overlap; the one that started later wins.
      if (!this.snapshot || this.snapshot.fetchStartedMs <= now) this.snapshot = next;
      if (this.lastFailure) log({ event: "jwks_recovered", uri: this.uri, keys: keys.keyCount });
      this.lastFailure = undefined;
      return this.snapshot;
    } catch (err) {
      const reason = err instanceof JwksFetchError ? err.message : "fetch failed";
      this.lastFailure = { atMs: Date.now(), reason };
      log({ event: "jwks_fetch_failed", uri: this.uri, reason, servingCachedKeys: !!this.snapshot });
      return undefined;
    } finally {
      this.refreshStartedMs = undefined;
    }
  }

  describe(nowMs: number, staleMs: number): KeySourceState {
    const snap = this.snapshot;
    const error = this.lastFailure?.reason;
    if (!snap) {
      return error
        ? { state: "failed", keys: 0, algorithms: [], error }
        : { state: "unfetched", keys: 0, algorithms: [] };
    }
    const state =
      nowMs < snap.freshUntilMs ? "ready" : nowMs < snap.freshUntilMs + staleMs ? "stale" : "failed";
    return {
      state,
      keys: snap.keys.keyCount,
      algorithms: snap.keys.algorithms,
      fetchedAt: new Date(snap.fetchedAtMs).toISOString(),
      freshUntil: new Date(snap.freshUntilMs).toISOString(),
      staleUntil: new Date(snap.freshUntilMs + staleMs).toISOString(),
      ...(error ? { error } : {}),
    };
  }

  /** How many fetches this isolate started for the URI (status view, tests). */
  get fetchCount(): number {
    return this.fetches;
  }
}

const keySets = new Map<string, RemoteKeySet>();

/** The isolate's key set for a URI, created on first use and kept for the isolate's life. */
export function remoteKeySet(uri: string): RemoteKeySet {
  let set = keySets.get(uri);
  if (!set) {
    set = new RemoteKeySet(uri);
    keySets.set(uri, set);
  }
  return set;
}

/** A provider's view of the shared key set: the shared state plus this table's bounds. */
export class RemoteKeySource implements KeySource {
  readonly kind = "remoteJWKS";
  readonly family = "asymmetric";

  constructor(readonly options: RemoteKeySetOptions) {}

  keysFor(header: JWSHeaderParameters, ctx: KeyContext): Promise<CryptoKey[]> {
    return remoteKeySet(this.options.uri).keysFor(header, ctx, this.options);
  }

  assertUsable(ctx: KeyContext): Promise<void> {
    return remoteKeySet(this.options.uri).assertUsable(ctx, this.options);
  }

  describe(_env: unknown, nowMs: number): KeySourceState {
    return { uri: this.options.uri, ...remoteKeySet(this.options.uri).describe(nowMs, this.options.staleMs) };
  }
}

async function fetchKeySet(options: RemoteKeySetOptions): Promise<{ keys: KeySetSnapshot; cacheMs: number }> {
  let response: Response;
  try {
    response = await fetch(options.uri, {
      headers: { accept: "application/jwk-set+json, application/json" },
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (err) {
    throw new JwksFetchError(isTimeout(err) ? "timeout" : "unreachable");
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new JwksFetchError(`status ${response.status}`);
  }
  let text: string;
  try {
    text = await readBounded(response, options.maxBytes);
  } catch (err) {
    throw err instanceof JwksFetchError
      ? err
      : new JwksFetchError(isTimeout(err) ? "timeout" : "read failed");
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new JwksFetchError("not JSON");
  }
  const keys = KeySetSnapshot.fromDocument(doc);
  if (!keys) throw new JwksFetchError("not a JWKS");
  // An empty set would lock every user out; keep the last good keys instead.
  if (keys.keyCount === 0) throw new JwksFetchError("no usable signing keys");
  return { keys, cacheMs: cacheLifetimeMs(response.headers, options.cacheMs) };
}

async function readBounded(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new JwksFetchError("response too large");
  }
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new JwksFetchError("response too large");
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

/**
 * How long a fetched document stays fresh: `max-age` minus `Age` when the response has one, else the
 * provider's `cacheDuration`; `no-store`/`no-cache` mean "as short as we allow". Always within
 * [minCacheMs, maxCacheMs] so a hostile or broken header can neither pin keys for ever nor make every
 * request fetch.
 */
export function cacheLifetimeMs(headers: Headers, fallbackMs: number): number {
  const { minCacheMs, maxCacheMs } = REMOTE_JWKS_LIMITS;
  let ms = fallbackMs;
  const cacheControl = headers.get("cache-control");
  if (cacheControl) {
    const directives = cacheControl
      .toLowerCase()
      .split(",")
      .map((d) => d.trim());
    const maxAge = directives
      .map((d) => /^max-age="?(\d{1,10})"?$/.exec(d)?.[1])
      .find((v) => v !== undefined);
    if (directives.includes("no-store") || directives.includes("no-cache")) ms = minCacheMs;
    else if (maxAge !== undefined) {
      const age = Number(/^\d{1,10}$/.exec(headers.get("age")?.trim() ?? "")?.[0] ?? "0");
      ms = (Number(maxAge) - age) * 1000;
    }
  }
  return Math.min(maxCacheMs, Math.max(minCacheMs, ms));
}

function isTimeout(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  return name === "TimeoutError" || name === "AbortError";
}

function log(fields: Record<string, unknown>): void {
  console.warn(JSON.stringify({ type: "auth", ...fields }));
}
