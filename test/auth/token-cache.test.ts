import { describe, expect, it } from "vitest";
import { freezeClaims, tokenCacheKey, VerifiedTokenCache } from "../../src/auth/token-cache.ts";

describe("VerifiedTokenCache", () => {
  const now = 1_700_000_000_000;
  const exp = (ms: number) => Math.floor(ms / 1000);

  it("keeps an entry until the token's exp and no later", () => {
    const cache = new VerifiedTokenCache();
    cache.set("k", { exp: exp(now + 60_000) }, now);
    expect(cache.get("k", now + 59_999)).toBeDefined();
    expect(cache.get("k", now + 60_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("caps an entry's lifetime at five minutes, and a token without exp too", () => {
    const cache = new VerifiedTokenCache();
    cache.set("long", { exp: exp(now + 86_400_000) }, now);
    cache.set("none", {}, now);
    expect(cache.get("long", now + 299_999)).toBeDefined();
    expect(cache.get("none", now + 299_999)).toBeDefined();
    expect(cache.get("long", now + 300_000)).toBeUndefined();
    expect(cache.get("none", now + 300_000)).toBeUndefined();
  });

  it("does not store an already expired token", () => {
    const cache = new VerifiedTokenCache();
    cache.set("old", { exp: exp(now - 1000) }, now);
    expect(cache.size).toBe(0);
  });

  it("is bounded and evicts the least recently used", () => {
    const cache = new VerifiedTokenCache(3);
    const claims = { exp: exp(now + 60_000) };
    for (const k of ["a", "b", "c"]) cache.set(k, claims, now);
    expect(cache.get("a", now)).toBeDefined(); // a becomes the youngest
    cache.set("d", claims, now);
    expect(cache.size).toBe(3);
    expect(cache.get("b", now)).toBeUndefined();
    for (const k of ["a", "c", "d"]) expect(cache.get(k, now)).toBeDefined();
    for (let i = 0; i < 100; i++) cache.set(`x${i}`, claims, now);
    expect(cache.size).toBe(3);
  });

  it("default bound is 10,000 entries", () => {
    const cache = new VerifiedTokenCache();
    const claims = { exp: exp(now + 60_000) };
    for (let i = 0; i < 10_050; i++) cache.set(`k${i}`, claims, now);
    expect(cache.size).toBe(10_000);
    expect(cache.get("k0", now)).toBeUndefined();
    expect(cache.get("k10049", now)).toBeDefined();
  });
});

describe("tokenCacheKey", () => {
  it("is the scope and the token's SHA-256, never the token", async () => {
    const token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln";
    const key = await tokenCacheKey(token, "idp\u0000svc");
    expect(key.startsWith("idp\u0000svc\u0000")).toBe(true);
    const digest = new Uint16Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
    expect(key.slice("idp\u0000svc\u0000".length)).toBe(String.fromCharCode(...digest));
    expect(key).not.toContain("eyJ");
    expect(await tokenCacheKey(token, "idp\u0000svc")).toBe(key);
    expect(await tokenCacheKey(token, "idp\u0000other")).not.toBe(key);
    expect(await tokenCacheKey(`${token}x`, "idp\u0000svc")).not.toBe(key);
  });
});

describe("freezeClaims", () => {
  it("freezes deeply so one request cannot change another's claims", () => {
    const claims = freezeClaims({ a: { b: [1, { c: 2 }] } });
    expect(Object.isFrozen(claims.a.b[1])).toBe(true);
    expect(() => {
      (claims.a as { b: unknown }).b = [];
    }).toThrow(TypeError);
  });
});
