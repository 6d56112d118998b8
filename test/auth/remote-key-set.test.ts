/**
 * The pure parts of the remote key set, and its state machine with a stand-in `fetch` (the real
 * endpoint is exercised in remote-jwks.workerd.test.ts).
 */
import { exportJWK, generateKeyPair } from "jose";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { AuthError } from "../../src/auth/errors.ts";
import type { KeyContext } from "../../src/auth/key-source.ts";
import {
  cacheLifetimeMs,
  REMOTE_JWKS_LIMITS,
  RemoteKeySet,
  type RemoteKeySetOptions,
} from "../../src/auth/remote-key-set.ts";
import type { Env } from "../../src/gateway/env.ts";

describe("cacheLifetimeMs", () => {
  const h = (init: Record<string, string>) => new Headers(init);
  const fallback = 300_000;

  it("uses max-age, minus Age", () => {
    expect(cacheLifetimeMs(h({ "cache-control": "public, max-age=600" }), fallback)).toBe(600_000);
    expect(cacheLifetimeMs(h({ "cache-control": 'max-age="600"' }), fallback)).toBe(600_000);
    expect(cacheLifetimeMs(h({ "cache-control": "max-age=600", age: "100" }), fallback)).toBe(500_000);
    expect(cacheLifetimeMs(h({ "cache-control": "Max-Age=120" }), fallback)).toBe(120_000);
  });

  it("falls back to cacheDuration without max-age", () => {
    expect(cacheLifetimeMs(h({}), fallback)).toBe(fallback);
    expect(cacheLifetimeMs(h({ "cache-control": "public" }), fallback)).toBe(fallback);
    expect(cacheLifetimeMs(h({ "cache-control": "max-age=abc" }), fallback)).toBe(fallback);
  });

  it("clamps into [30 s, 24 h]; no-store and no-cache mean the minimum", () => {
    expect(cacheLifetimeMs(h({ "cache-control": "max-age=0" }), fallback)).toBe(30_000);
    expect(cacheLifetimeMs(h({ "cache-control": "max-age=600", age: "9999" }), fallback)).toBe(30_000);
    expect(cacheLifetimeMs(h({ "cache-control": "max-age=999999999" }), fallback)).toBe(86_400_000);
    expect(cacheLifetimeMs(h({ "cache-control": "no-store" }), fallback)).toBe(30_000);
    expect(cacheLifetimeMs(h({ "cache-control": "no-cache, max-age=600" }), fallback)).toBe(30_000);
    expect(cacheLifetimeMs(h({}), 1000)).toBe(30_000);
    expect(cacheLifetimeMs(h({}), 7 * 86_400_000)).toBe(86_400_000);
  });
});

describe("RemoteKeySet", () => {
  let jwk: Record<string, unknown>;
  beforeAll(async () => {
    const { publicKey } = await generateKeyPair("ES256");
    jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" };
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  const options: RemoteKeySetOptions = {
    uri: "https://idp.test/jwks",
    timeoutMs: 1000,
    cacheMs: 60_000,
    staleMs: 600_000,
    maxBytes: 65_536,
  };
  const ctx = (nowMs: number, waitUntil?: (p: Promise<unknown>) => void): KeyContext => ({
    env: {} as Env,
    nowMs,
    waitUntil,
  });
  const header = { alg: "ES256", kid: "k1" };

  function stubFetch(...answers: (() => Response)[]) {
    const calls: number[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => {
        calls.push(calls.length);
        const answer = answers[Math.min(calls.length - 1, answers.length - 1)]!;
        return answer();
      }),
    );
    return calls;
  }
  const ok = () => Response.json({ keys: [jwk] }, { headers: { "cache-control": "max-age=60" } });
  const fail = () => new Response("down", { status: 502 });

  it("serves expired keys at once and refreshes in the background, one refresh at a time", async () => {
    // The background refresh's fetch is held open until both requests have been served.
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const calls: number[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => {
        calls.push(calls.length);
        if (calls.length > 1) await held;
        return ok();
      }),
    );
    const set = new RemoteKeySet(options.uri);
    const t0 = Date.now();
    expect(await set.keysFor(header, ctx(t0), options)).toHaveLength(1);
    const pending: Promise<unknown>[] = [];
    const later = t0 + 61_000;
    await set.keysFor(
      header,
      ctx(later, (p) => pending.push(p)),
      options,
    );
    await set.keysFor(
      header,
      ctx(later, (p) => pending.push(p)),
      options,
    );
    expect(pending).toHaveLength(1); // the second request saw the refresh running
    release();
    await Promise.all(pending);
    expect(calls).toHaveLength(2);
    expect(set.describe(Date.now(), options.staleMs).state).toBe("ready");
  });

  it("refreshes inline when there is no waitUntil", async () => {
    const calls = stubFetch(ok, fail);
    const set = new RemoteKeySet(options.uri);
    const t0 = Date.now();
    await set.keysFor(header, ctx(t0), options);
    expect(await set.keysFor(header, ctx(t0 + 61_000), options)).toHaveLength(1);
    expect(calls).toHaveLength(2);
    expect(set.describe(t0 + 61_000, options.staleMs)).toMatchObject({ state: "stale", error: "status 502" });
  });

  it("says keys_unavailable, not unknown_key, when it has never had keys", async () => {
    stubFetch(fail);
    const set = new RemoteKeySet(options.uri);
    await expect(set.keysFor(header, ctx(Date.now()), options)).rejects.toEqual(
      new AuthError("keys_unavailable"),
    );
  });

  it("counts its fetches and uses the documented limits", async () => {
    stubFetch(ok);
    const set = new RemoteKeySet(options.uri);
    await set.keysFor(header, ctx(Date.now()), options);
    await expect(set.keysFor({ alg: "ES256", kid: "other" }, ctx(Date.now()), options)).rejects.toEqual(
      new AuthError("unknown_key"),
    );
    expect(set.fetchCount).toBe(2);
    expect(REMOTE_JWKS_LIMITS).toMatchObject({
      unknownKidRefetchIntervalMs: 30_000,
      retryAfterFailureMs: 5_000,
      minCacheMs: 30_000,
      maxCacheMs: 86_400_000,
      defaultMaxBytes: 65_536,
    });
  });
});
