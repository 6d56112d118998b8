import { describe, expect, it } from "vitest";
import { refusal } from "../../src/auth/answers.ts";
import { compileAuth, effectiveAudiences, ruleAuth } from "../../src/auth/compile.ts";
import { AuthError, authErrorFromJose, failureClass } from "../../src/auth/errors.ts";
import { PROVIDER_DEFAULTS } from "../../src/auth/providers.ts";
import { RouteTableSchema } from "../../src/config/schema.ts";

const table = (providers: Record<string, unknown>, auths: Record<string, unknown>[]) =>
  RouteTableSchema.parse({
    version: 1,
    providers,
    routes: [{ id: "r", rules: auths.length ? auths.map((auth) => ({ auth })) : [{}] }],
  });

describe("compileAuth", () => {
  it("fills the documented defaults", () => {
    const auth = compileAuth(
      table({ p: { localJWKS: { keys: [{ kty: "EC", crv: "P-256", x: "x", y: "y" }] } } }, []),
    );
    const p = auth.providers.get("p")!;
    expect(p).toMatchObject({
      issuer: undefined,
      audiences: undefined,
      clockSkewSec: 30,
      requireExpiration: true,
      maxTokenBytes: 8192,
      forwardToken: true,
      extraction: { headers: [{ name: "authorization", prefix: "bearer " }], cookies: [], params: [] },
    });
    expect(PROVIDER_DEFAULTS).toEqual({
      clockSkewMs: 30_000,
      requireExpiration: true,
      maxTokenBytes: 8192,
      forwardToken: true,
    });
    expect([...p.algorithms]).not.toContain("HS256");
    expect(p.keys?.kind).toBe("localJWKS");
  });

  it("a secret provider allows HMAC only; a provider with two sources has no keys", () => {
    const auth = compileAuth(
      table(
        {
          s: { secret: { binding: "S" }, algorithms: ["HS256", "RS256"] },
          two: { secret: { binding: "S" }, remoteJWKS: { uri: "https://idp.test/jwks" } },
          none: {},
        },
        [],
      ),
    );
    expect([...auth.providers.get("s")!.algorithms]).toEqual(["HS256"]);
    expect(auth.providers.get("two")!.keys).toBeUndefined();
    expect(auth.providers.get("none")!.keys).toBeUndefined();
  });

  it("compiles each rule once, with narrowed audiences and a cache scope that keeps services apart", () => {
    const t = table({ p: { audiences: ["a", "b"], secret: { binding: "S" } } }, [
      { provider: "p", audiences: ["a"] },
      { provider: "p", audiences: ["b"] },
      { provider: "p" },
      { provider: "ghost" },
    ]);
    const auth = compileAuth(t);
    const [a, b, any, ghost] = t.routes[0]!.rules.map((r) => ruleAuth(auth, r.auth!));
    expect(a!.audiences).toEqual(["a"]);
    expect(b!.audiences).toEqual(["b"]);
    expect(any!.audiences).toEqual(["a", "b"]);
    expect(new Set([a!.cacheScope, b!.cacheScope, any!.cacheScope]).size).toBe(3);
    expect(ghost!.provider).toBeUndefined();
    expect(ruleAuth(auth, t.routes[0]!.rules[0]!.auth!)).toBe(a);
    // An auth object the table did not contain is compiled on first sight.
    expect(ruleAuth(auth, { provider: "p", audiences: ["b"] }).audiences).toEqual(["b"]);
  });
});

describe("effectiveAudiences", () => {
  it("the rule narrows the provider", () => {
    expect(effectiveAudiences(undefined, undefined)).toBeUndefined();
    expect(effectiveAudiences(["a"], undefined)).toEqual(["a"]);
    expect(effectiveAudiences(undefined, ["x"])).toEqual(["x"]);
    expect(effectiveAudiences(["a", "b"], ["b", "c"])).toEqual(["b"]);
    expect(effectiveAudiences(["a"], ["c"])).toEqual([]); // fail closed
  });
});

describe("errors", () => {
  it("maps jose's errors to fixed codes and drops their messages", () => {
    const jose = (code: string, extra: Record<string, unknown> = {}) =>
      Object.assign(new Error("secret text"), { code, ...extra });
    expect(authErrorFromJose(jose("ERR_JWT_EXPIRED")).code).toBe("token_expired");
    expect(authErrorFromJose(jose("ERR_JWT_CLAIM_VALIDATION_FAILED", { claim: "nbf" })).code).toBe(
      "token_not_yet_valid",
    );
    expect(authErrorFromJose(jose("ERR_JWT_CLAIM_VALIDATION_FAILED", { claim: "iss" })).code).toBe(
      "issuer_mismatch",
    );
    expect(authErrorFromJose(jose("ERR_JWT_CLAIM_VALIDATION_FAILED", { claim: "aud" })).code).toBe(
      "audience_mismatch",
    );
    expect(
      authErrorFromJose(jose("ERR_JWT_CLAIM_VALIDATION_FAILED", { claim: "exp", reason: "missing" })).code,
    ).toBe("expiration_required");
    expect(authErrorFromJose(jose("ERR_JWS_SIGNATURE_VERIFICATION_FAILED")).code).toBe("signature_invalid");
    expect(authErrorFromJose(jose("ERR_JWKS_NO_MATCHING_KEY")).code).toBe("unknown_key");
    expect(authErrorFromJose(new SyntaxError('Unexpected token in "eyJhbGciOi"')).code).toBe(
      "token_rejected",
    );
    expect(authErrorFromJose(new SyntaxError("eyJhbGciOi")).message).not.toContain("eyJ");
    const own = new AuthError("token_too_large");
    expect(authErrorFromJose(own)).toBe(own);
    expect(failureClass("claim_mismatch")).toBe("insufficient_scope");
  });
});

describe("answers", () => {
  const ctx = { realm: 'api.test"\\x', requestId: "rid" };
  it("quote the realm safely and carry the request id", async () => {
    const res = refusal("token_expired", ctx);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe(
      'Bearer realm="api.test\\"\\\\x", error="invalid_token", error_description="token expired"',
    );
    expect(await res.json()).toEqual({
      error: "unauthorized",
      message: "the token was refused: token expired",
      requestId: "rid",
    });
    expect(res.headers.get("x-request-id")).toBe("rid");
  });

  it("503 for unavailable keys, 500 for misconfiguration, with no challenge", () => {
    const unavailable = refusal("keys_unavailable", ctx);
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get("retry-after")).toBe("5");
    expect(unavailable.headers.has("www-authenticate")).toBe(false);
    const misconfigured = refusal("secret_missing", ctx);
    expect(misconfigured.status).toBe(500);
    expect(misconfigured.headers.has("www-authenticate")).toBe(false);
  });
});
