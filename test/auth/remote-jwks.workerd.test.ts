/**
 * `remoteJWKS` against a real JWKS endpoint on 127.0.0.1 (the control server's `/jwks/NAME`), counting
 * the fetches it actually receives. The clock is faked (`Date` only) so that cache lifetimes, stale
 * periods and rate limits can be crossed without waiting; fetches and timeouts stay real.
 *
 * Key sets live at module scope keyed by URI, so every test uses its own JWKS name.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { describeKeySets } from "../../src/auth/index.ts";
import type { Env } from "../../src/gateway/env.ts";
import { gatewayFor } from "../support/gateway.ts";
import { jwksFetchCount, putJwks } from "../support/origins.ts";
import {
  authTable,
  bearer,
  expectInvalidToken,
  expectPass,
  expectRefusal,
  HOST,
  ISSUER,
  ruleAt,
  throughAuth,
} from "./harness.ts";
import { jwks, makeKey, mint, mintHmac, type TestKey } from "./tokens.ts";

const URL_A = `https://${HOST}/a`;
let first: TestKey;
let second: TestKey;
let third: TestKey;

beforeAll(async () => {
  [first, second, third] = await Promise.all([makeKey("RS256"), makeKey("ES256"), makeKey("RS256")]);
});

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.now());
});
afterEach(() => {
  vi.useRealTimers();
});

const advance = (seconds: number) => vi.setSystemTime(Date.now() + seconds * 1000);

let jwksCounter = 0;
/** A fresh JWKS name (fresh module-scope state) serving `doc`. */
async function endpoint(doc: unknown, options: Parameters<typeof putJwks>[2] = {}) {
  const name = `remote-${++jwksCounter}-${Math.random().toString(36).slice(2, 8)}`;
  const uri = await putJwks(name, doc, options);
  return {
    name,
    uri,
    count: () => jwksFetchCount(name),
    put: (d: unknown, o = options) => putJwks(name, d, o),
  };
}

function remoteTable(uri: string, remote: Record<string, unknown> = {}) {
  return gatewayFor(
    authTable({ idp: { issuer: ISSUER, audiences: ["svc-a"], remoteJWKS: { uri, ...remote } } }, [
      ruleAt("/a", { provider: "idp" }),
    ]),
  );
}

const token = (key: TestKey, extra: Parameters<typeof mint>[1] = {}) =>
  mint(key, { issuer: ISSUER, audience: "svc-a", ...extra });

const status = (gw: ReturnType<typeof remoteTable>) => describeKeySets(gw.auth, {} as Env)[0]!;

describe("fetching and caching", () => {
  it("fetches once on first use and not again while fresh", async () => {
    const ep = await endpoint(jwks(first), { cacheControl: "max-age=300" });
    const gw = remoteTable(ep.uri);
    expect(status(gw)).toMatchObject({
      provider: "idp",
      kind: "remoteJWKS",
      state: "unfetched",
      keys: 0,
      uri: ep.uri,
    });
    for (let i = 0; i < 5; i++) expectPass(await throughAuth(gw, URL_A, bearer(await token(first))));
    expect(await ep.count()).toBe(1);
    expect(status(gw)).toMatchObject({ state: "ready", keys: 1, algorithms: ["RS256"] });
    expect(status(gw).fetchedAt).toBe(new Date(Date.now()).toISOString());
  });

  it("honours Cache-Control max-age", async () => {
    const ep = await endpoint(jwks(first), { cacheControl: "public, max-age=120" });
    const gw = remoteTable(ep.uri);
    expectPass(await throughAuth(gw, URL_A, bearer(await token(first))));
    advance(100);
    expectPass(await throughAuth(gw, URL_A, bearer(await token(first))));
    expect(await ep.count()).toBe(1);
    advance(21);
    expectPass(await throughAuth(gw, URL_A, bearer(await token(first))));
    expect(await ep.count()).toBe(2);
  });

  it("clamps a tiny max-age to the 30 s minimum, and no-store too", async () => {
    for (const cacheControl of ["max-age=5", "no-store", "no-cache, max-age=600"]) {
      const ep = await endpoint(jwks(first), { cacheControl });
      const gw = remoteTable(ep.uri);
      expectPass(await throughAuth(gw, URL_A, bearer(await token(first))));
      advance(10);
      expectPass(await throughAuth(gw, URL_A, bearer(await token(first))));
      expect(await ep.count()).toBe(1);
      advance(21);
      expectPass(await throughAuth(gw, URL_A, bearer(await token(first))));
      expect(await ep.count()).toBe(2);
    }
  });

  it("clamps a huge max-age to 24 h", async () => {
    const ep = await endpoint(jwks(first), { cacheControl: "max-age=31536000" });
    const gw = remoteTable(ep.uri);
    expectPass(await throughAuth(gw, URL_A, bearer(await token(first))));
    advance(24 * 3600 + 1);
    expectPass(await throughAuth(gw, URL_A, bearer(await token(first, { expiresIn: 300 }))));
    expect(await ep.count()).toBe(2);
  });

  it("uses cacheDuration when the response has no max-age", async () => {
    const ep = await endpoint(jwks(first));
    const gw = remoteTable(ep.uri, { cacheDuration: "2m" });
    expectPass(await throughAuth(gw, URL_A, bearer(await token(first))));
    advance(100);
    expectPass(await throughAuth(gw, URL_A, bearer(await token(first))));
    expect(await ep.count()).toBe(1);
    advance(21);
    expectPass(await throughAuth(gw, URL_A, bearer(await token(first))));
    expect(await ep.count()).toBe(2);
  });

  it("is one key set per URI for the isolate: other providers and new table versions share it", async () => {
    const ep = await endpoint(jwks(first), { cacheControl: "max-age=300" });
    const v1 = remoteTable(ep.uri);
    expectPass(await throughAuth(v1, URL_A, bearer(await token(first))));
    const v2 = gatewayFor(
      authTable(
        {
          one: { issuer: ISSUER, audiences: ["svc-a"], remoteJWKS: { uri: ep.uri } },
          two: { issuer: ISSUER, audiences: ["svc-b"], remoteJWKS: { uri: ep.uri, timeout: "1s" } },
        },
        [ruleAt("/a", { provider: "one" }), ruleAt("/b", { provider: "two" })],
      ),
    );
    expectPass(await throughAuth(v2, URL_A, bearer(await token(first))));
    expectPass(await throughAuth(v2, `https://${HOST}/b`, bearer(await token(first, { audience: "svc-b" }))));
    expect(await ep.count()).toBe(1);
  });
});

describe("key rotation", () => {
  it("accepts a token signed with a newly published key at once (one refetch), without waiting for expiry", async () => {
    const ep = await endpoint(jwks(first), { cacheControl: "max-age=3600" });
    const gw = remoteTable(ep.uri);
    expectPass(await throughAuth(gw, URL_A, bearer(await token(first))));
    await ep.put(jwks(first, second));
    expectPass(await throughAuth(gw, URL_A, bearer(await token(second))));
    expect(await ep.count()).toBe(2);
    expect(status(gw)).toMatchObject({ keys: 2, algorithms: ["RS256", "ES256"] });
  });

  it("refetches for unknown kids at most once per 30 s", async () => {
    const ep = await endpoint(jwks(first), { cacheControl: "max-age=3600" });
    const gw = remoteTable(ep.uri);
    expectPass(await throughAuth(gw, URL_A, bearer(await token(first))));
    // A flood of made-up kids costs one fetch.
    for (let i = 0; i < 10; i++) {
      const forged = await token(third, { kid: `made-up-${i}` });
      await expectInvalidToken(await throughAuth(gw, URL_A, bearer(forged)), "no matching signing key");
    }
    expect(await ep.count()).toBe(2);
    // Rotation inside the window waits for the window…
    await ep.put(jwks(first, third));
    await expectInvalidToken(
      await throughAuth(gw, URL_A, bearer(await token(third))),
      "no matching signing key",
    );
    expect(await ep.count()).toBe(2);
    // …and is picked up by the first unknown kid after it.
    advance(31);
    expectPass(await throughAuth(gw, URL_A, bearer(await token(third))));
    expect(await ep.count()).toBe(3);
  });

  it("a key removed by rotation stops verifying once the set is refreshed", async () => {
    const ep = await endpoint(jwks(first, second), { cacheControl: "max-age=60" });
    const gw = remoteTable(ep.uri);
    expectPass(await throughAuth(gw, URL_A, bearer(await token(first))));
    await ep.put(jwks(second));
    advance(61); // expired: this request still uses the old set and refreshes it after the response
    expectPass(await throughAuth(gw, URL_A, bearer(await token(first))));
    expect(await ep.count()).toBe(2);
    advance(31); // past the unknown-kid window, so the refused token may trigger a refetch (same document)
    await expectInvalidToken(
      await throughAuth(gw, URL_A, bearer(await token(first))),
      "no matching signing key",
    );
  });

  it("a cached token outlives its key's removal by at most five minutes", async () => {
    const ep = await endpoint(jwks(first, second), { cacheControl: "max-age=60" });
    const gw = remoteTable(ep.uri);
    const cached = await token(first, { expiresIn: 3600 });
    expectPass(await throughAuth(gw, URL_A, bearer(cached)));
    await ep.put(jwks(second));
    advance(61);
    expectPass(await throughAuth(gw, URL_A, bearer(await token(second)))); // refreshes the set
    expectPass(await throughAuth(gw, URL_A, bearer(cached))); // a cache hit: no signature check
    advance(240); // 301 s after verification: the cache entry is gone
    await expectInvalidToken(await throughAuth(gw, URL_A, bearer(cached)), "no matching signing key");
  });
});

describe("JWKS outages", () => {
  it("keeps serving the last good keys while the endpoint fails, for the stale period only", async () => {
    const ep = await endpoint(jwks(first), { cacheControl: "max-age=60" });
    const gw = remoteTable(ep.uri, { staleDuration: "10m" });
    expectPass(await throughAuth(gw, URL_A, bearer(await token(first))));
    await ep.put(jwks(first), { status: 500 });

    advance(61);
    expectPass(await throughAuth(gw, URL_A, bearer(await token(first))));
    expect(await ep.count()).toBe(2); // the refresh was tried, and failed
    expect(status(gw)).toMatchObject({ state: "stale", keys: 1, error: "status 500" });

    advance(5 * 60);
    expectPass(await throughAuth(gw, URL_A, bearer(await token(first))));

    advance(5 * 60); // 661 s: past fresh (60 s) + stale (600 s)
    const refusal = await expectRefusal(await throughAuth(gw, URL_A, bearer(await token(first))), 503);
    expect(refusal.body.error).toBe("jwks_unavailable");
    expect(refusal.headers.get("retry-after")).toBe("5");
    expect(status(gw)).toMatchObject({ state: "failed", error: "status 500" });
  });

  it("refuses a cached token too once the stale period is over, and accepts it when the keys return", async () => {
    const ep = await endpoint(jwks(first), { cacheControl: "max-age=60" });
    const gw = remoteTable(ep.uri, { staleDuration: "2m" });
    const cached = await token(first, { expiresIn: 3600 });
    expectPass(await throughAuth(gw, URL_A, bearer(cached)));
    await ep.put(jwks(first), { status: 500 });

    advance(61);
    expectPass(await throughAuth(gw, URL_A, bearer(cached))); // stale keys, and a token-cache hit

    advance(120); // 181 s: past fresh (60 s) + stale (120 s), well within the cache's 5 minutes
    const refusal = await expectRefusal(await throughAuth(gw, URL_A, bearer(cached)), 503);
    expect(refusal.body.error).toBe("jwks_unavailable");

    await ep.put(jwks(first), { cacheControl: "max-age=60" });
    advance(6); // past the 5 s back-off after the failed fetch
    expectPass(await throughAuth(gw, URL_A, bearer(cached)));
  });

  it("recovers when the endpoint comes back", async () => {
    const ep = await endpoint(jwks(first), { cacheControl: "max-age=60" });
    const gw = remoteTable(ep.uri, { staleDuration: "1m" });
    expectPass(await throughAuth(gw, URL_A, bearer(await token(first))));
    await ep.put(jwks(first), { status: 503 });
    advance(130);
    await expectRefusal(await throughAuth(gw, URL_A, bearer(await token(first))), 503);
    await ep.put(jwks(first), { cacheControl: "max-age=60" });
    advance(6); // past the 5 s retry back-off
    expectPass(await throughAuth(gw, URL_A, bearer(await token(first))));
    expect(status(gw)).toMatchObject({ state: "ready" });
    expect(status(gw).error).toBeUndefined();
  });

  it("answers 503 when the first fetch fails, and backs off 5 s before trying again", async () => {
    const ep = await endpoint(jwks(first), { status: 500 });
    const gw = remoteTable(ep.uri);
    const refusal = await expectRefusal(await throughAuth(gw, URL_A, bearer(await token(first))), 503);
    expect(refusal.body.error).toBe("jwks_unavailable");
    expect(refusal.challenge).toBeNull();
    await expectRefusal(await throughAuth(gw, URL_A, bearer(await token(first))), 503);
    expect(await ep.count()).toBe(1);
    expect(status(gw)).toMatchObject({ state: "failed", keys: 0, error: "status 500" });
    advance(6);
    await expectRefusal(await throughAuth(gw, URL_A, bearer(await token(first))), 503);
    expect(await ep.count()).toBe(2);
  });

  it("times out a slow endpoint", async () => {
    const ep = await endpoint(jwks(first), { delayMs: 1500 });
    const gw = remoteTable(ep.uri, { timeout: "100ms" });
    await expectRefusal(await throughAuth(gw, URL_A, bearer(await token(first))), 503);
    expect(status(gw)).toMatchObject({ state: "failed", error: "timeout" });
  });

  it("refuses a response over the size cap", async () => {
    const big = jwks(first, second, third);
    const ep = await endpoint(big);
    const gw = remoteTable(ep.uri, { maxBytes: 512 });
    await expectRefusal(await throughAuth(gw, URL_A, bearer(await token(first))), 503);
    expect(status(gw)).toMatchObject({ state: "failed", error: "response too large" });
  });

  it("treats a document that is not a usable JWKS as a failure", async () => {
    for (const [doc, reason] of [
      ["just a string", "not a JWKS"],
      [{ notKeys: [] }, "not a JWKS"],
      [{ keys: [] }, "no usable signing keys"],
      [{ keys: [{ kty: "oct", k: "c2VjcmV0", kid: "hmac" }] }, "no usable signing keys"],
    ] as const) {
      const ep = await endpoint(doc);
      const gw = remoteTable(ep.uri);
      await expectRefusal(await throughAuth(gw, URL_A, bearer(await token(first))), 503);
      expect(status(gw)).toMatchObject({ state: "failed", error: reason });
    }
  });

  it("never verifies HMAC with a symmetric key a JWKS publishes", async () => {
    const k = "a-symmetric-key-published-by-mistake-0123456789";
    const doc = { keys: [first.jwk, { kty: "oct", kid: "sym", k: btoa(k).replace(/=+$/, "") }] };
    const ep = await endpoint(doc);
    const gw = remoteTable(ep.uri);
    const forged = await mintHmac(k, "HS256", { issuer: ISSUER, audience: "svc-a", kid: "sym" });
    await expectInvalidToken(await throughAuth(gw, URL_A, bearer(forged)), "signing algorithm not allowed");
    expect(status(gw)).toMatchObject({ state: "unfetched" }); // refused before any key was looked up
    expectPass(await throughAuth(gw, URL_A, bearer(await token(first))));
    expect(status(gw)).toMatchObject({ keys: 1 });
  });
});
