import { describe, expect, it } from "vitest";
import {
  applyClaimHeaders,
  claimHeaderNames,
  claimHeaderValue,
  claimPath,
  claimValue,
  grantedScopes,
  missingScopes,
  timeFailure,
  unsatisfiedClaim,
} from "../../src/auth/claims.ts";
import { AuthError } from "../../src/auth/errors.ts";
import { RouteTableSchema } from "../../src/config/schema.ts";

describe("claimValue", () => {
  const claims = {
    sub: "alice",
    "https://example.com/roles": ["admin"],
    realm_access: { roles: ["user"], nested: { deep: 1 } },
    "a.b": "literal",
    a: { b: "nested" },
    list: [{ x: 1 }],
  };

  it("reads top-level claims, dotted names through objects, and exact names that contain dots first", () => {
    expect(claimValue(claims, claimPath("sub"))).toBe("alice");
    expect(claimValue(claims, claimPath("https://example.com/roles"))).toEqual(["admin"]);
    expect(claimValue(claims, claimPath("realm_access.roles"))).toEqual(["user"]);
    expect(claimValue(claims, claimPath("realm_access.nested.deep"))).toBe(1);
    expect(claimValue(claims, claimPath("a.b"))).toBe("literal");
  });

  it("does not walk into arrays, missing members or inherited properties", () => {
    expect(claimValue(claims, claimPath("list.0"))).toBeUndefined();
    expect(claimValue(claims, claimPath("realm_access.missing"))).toBeUndefined();
    expect(claimValue(claims, claimPath("sub.length"))).toBeUndefined();
    expect(claimValue(claims, claimPath("realm_access.constructor"))).toBeUndefined();
    expect(claimValue(claims, claimPath("__proto__"))).toBeUndefined();
    expect(claimValue(claims, claimPath("toString"))).toBeUndefined();
  });
});

describe("timeFailure", () => {
  const now = 1_000_000;
  it("checks exp, nbf and iat with the skew", () => {
    expect(timeFailure({ exp: now + 1 }, now, 0, true)).toBeUndefined();
    expect(timeFailure({ exp: now }, now, 0, true)).toBe("token_expired");
    expect(timeFailure({ exp: now - 29 }, now, 30, true)).toBeUndefined();
    expect(timeFailure({ exp: now - 30 }, now, 30, true)).toBe("token_expired");
    expect(timeFailure({ exp: now + 60, nbf: now + 31 }, now, 30, true)).toBe("token_not_yet_valid");
    expect(timeFailure({ exp: now + 60, nbf: now + 30 }, now, 30, true)).toBeUndefined();
    expect(timeFailure({ exp: now + 60, iat: now + 31 }, now, 30, true)).toBe("token_issued_in_future");
    expect(timeFailure({ exp: now + 60, iat: now - 3600 }, now, 30, true)).toBeUndefined();
  });

  it("requires exp unless told otherwise, and numeric dates only", () => {
    expect(timeFailure({}, now, 30, true)).toBe("expiration_required");
    expect(timeFailure({}, now, 30, false)).toBeUndefined();
    expect(timeFailure({ exp: String(now + 60) }, now, 30, true)).toBe("token_malformed");
    expect(timeFailure({ exp: now + 60, nbf: "soon" }, now, 30, true)).toBe("token_malformed");
    expect(timeFailure({ exp: Number.NaN }, now, 30, true)).toBe("token_malformed");
  });
});

describe("scopes", () => {
  it("reads scope strings and scp arrays or strings", () => {
    expect([...grantedScopes({ scope: "a  b c" })]).toEqual(["a", "b", "c"]);
    expect([...grantedScopes({ scp: ["a", 3, "b"] })]).toEqual(["a", "b"]);
    expect([...grantedScopes({ scp: "a b" })]).toEqual(["a", "b"]);
    expect([...grantedScopes({ scope: ["x"], scp: "y" })]).toEqual(["x", "y"]);
    expect([...grantedScopes({ scope: 42 })]).toEqual([]);
  });

  it("lists the required scopes that are missing", () => {
    expect(missingScopes([], {})).toEqual([]);
    expect(missingScopes(["a", "b"], { scope: "b" })).toEqual(["a"]);
    expect(missingScopes(["a"], { scope: "ab" })).toEqual(["a"]);
  });
});

describe("unsatisfiedClaim", () => {
  const rule = (name: string, ...values: string[]) => ({ ...claimPath(name), values: new Set(values) });
  it("matches strings, arrays, numbers and booleans by their text", () => {
    expect(unsatisfiedClaim([rule("t", "acme")], { t: "acme" })).toBeUndefined();
    expect(unsatisfiedClaim([rule("t", "acme")], { t: ["x", "acme"] })).toBeUndefined();
    expect(unsatisfiedClaim([rule("n", "42")], { n: 42 })).toBeUndefined();
    expect(unsatisfiedClaim([rule("b", "true")], { b: true })).toBeUndefined();
    expect(unsatisfiedClaim([rule("o.t", "acme")], { o: { t: "acme" } })).toBeUndefined();
  });

  it("names the first claim that fails", () => {
    expect(unsatisfiedClaim([rule("t", "acme"), rule("u", "x")], { t: "acme" })).toBe("u");
    expect(unsatisfiedClaim([rule("t", "acme")], { t: "ACME" })).toBe("t");
    expect(unsatisfiedClaim([rule("t", "acme")], { t: { acme: true } })).toBe("t");
    expect(unsatisfiedClaim([rule("t", "null")], { t: null })).toBe("t");
  });
});

describe("claim headers", () => {
  it("formats values", () => {
    expect(claimHeaderValue("alice")).toBe("alice");
    expect(claimHeaderValue(7)).toBe("7");
    expect(claimHeaderValue(true)).toBe("true");
    expect(claimHeaderValue(["a", 1])).toBe('["a",1]');
    expect(claimHeaderValue({ k: "é\n" })).toBe('{"k":"\\u00e9\\n"}');
    expect(claimHeaderValue(null)).toBeUndefined();
    expect(claimHeaderValue(undefined)).toBeUndefined();
  });

  it("refuses values that are not portable header text", () => {
    for (const bad of ["a\r\nb", "a\nb", "\u0000", "\u007f", "é", "日本"]) {
      expect(() => claimHeaderValue(bad)).toThrow(AuthError);
    }
  });

  it("applies all or nothing, and clears mapped headers whose claim is missing", () => {
    const headers = new Headers({ "x-user": "spoof", "x-tenant": "spoof" });
    const mappings = [
      { ...claimPath("sub"), header: "x-user" },
      { ...claimPath("tenant"), header: "x-tenant" },
    ];
    applyClaimHeaders(headers, mappings, { sub: "alice" });
    expect(headers.get("x-user")).toBe("alice");
    expect(headers.get("x-tenant")).toBeNull();

    const untouched = new Headers({ "x-user": "before" });
    expect(() => applyClaimHeaders(untouched, mappings, { sub: "bob", tenant: "a\nb" })).toThrow(AuthError);
    expect(untouched.get("x-user")).toBe("before");
  });

  it("collects every claimToHeaders header of the table, lower-case", () => {
    const table = RouteTableSchema.parse({
      version: 1,
      providers: {
        a: { secret: { binding: "A" }, claimToHeaders: [{ claim: "sub", header: "X-User-Id" }] },
        b: {
          secret: { binding: "B" },
          claimToHeaders: [
            { claim: "org", header: "x-org" },
            { claim: "sub", header: "x-user-id" },
          ],
        },
        c: { secret: { binding: "C" } },
      },
      routes: [],
    });
    expect(claimHeaderNames(table)).toEqual(["x-user-id", "x-org"]);
  });
});
