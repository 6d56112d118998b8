/**
 * Tokens in, identity out: where tokens are read from, what the origin receives (identity headers,
 * the token itself, the query), scopes and required claims, spoofed identity headers, the RFC 6750
 * answers, and the status view for inline and secret providers. Asserted on the upstream draft the
 * auth stage leaves, i.e. exactly what the forwarder will send.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { describeKeySets } from "../../src/auth/index.ts";
import type { Env } from "../../src/gateway/env.ts";
import { gatewayFor } from "../support/gateway.ts";
import {
  authTable,
  bearer,
  expectInvalidToken,
  expectPass,
  expectRefusal,
  HOST,
  ISSUER,
  REQUEST_ID,
  ruleAt,
  throughAuth,
  url,
} from "./harness.ts";
import { jwks, makeKey, mint, mintHmac, type TestKey } from "./tokens.ts";

let key: TestKey;

beforeAll(async () => {
  key = await makeKey("ES256");
});

const token = (claims: Record<string, unknown> = {}, audience = "svc") =>
  mint(key, { issuer: ISSUER, audience, subject: "alice", claims });

function table(provider: Record<string, unknown> = {}, rules = [ruleAt("/p", { provider: "idp" })]) {
  return gatewayFor(
    authTable({ idp: { issuer: ISSUER, audiences: ["svc"], localJWKS: jwks(key), ...provider } }, [
      ...rules,
      ruleAt("/public"),
    ]),
  );
}

describe("extractFrom", () => {
  it("reads Authorization: Bearer by default, the scheme in any case", async () => {
    const t = await token();
    for (const scheme of ["Bearer", "bearer", "BEARER", "bEaReR"]) {
      expectPass(await throughAuth(table(), url("/p"), { headers: { authorization: `${scheme} ${t}` } }));
    }
  });

  it("without a token: 401 with a bare challenge and the request id", async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: "Basic YWxpY2U6cHc=" },
      { cookie: `token=${await token()}` },
    ];
    for (const headers of attempts) {
      const refusal = await expectRefusal(await throughAuth(table(), url("/p"), { headers }), 401);
      expect(refusal.challenge).toBe(`Bearer realm="${HOST}"`);
      expect(refusal.body).toEqual({
        error: "unauthorized",
        message: "a bearer token is required",
        requestId: REQUEST_ID,
      });
      expect(refusal.headers.get("content-type")).toContain("application/json");
      expect(refusal.headers.get("cache-control")).toBe("no-store");
    }
  });

  it('"Bearer" with nothing after it is a presented, malformed token', async () => {
    await expectInvalidToken(
      await throughAuth(table(), url("/p"), { headers: { authorization: "Bearer" } }),
      "malformed token",
    );
    await expectInvalidToken(
      await throughAuth(table(), url("/p"), { headers: { authorization: "Bearer   " } }),
      "malformed token",
    );
  });

  it("reads the token from any one of the listed headers, cookies and query parameters", async () => {
    const gw = table({
      extractFrom: {
        headers: [{ name: "x-api-token" }, { name: "authorization", valuePrefix: "Token " }],
        cookies: ["session", "alt"],
        params: ["access_token"],
      },
    });
    const good = await token();
    expectPass(await throughAuth(gw, url("/p"), { headers: { "x-api-token": good } }));
    expectPass(await throughAuth(gw, url("/p"), { headers: { authorization: `token ${good}` } }));
    expectPass(await throughAuth(gw, url("/p"), { headers: { cookie: `other=1; session="${good}"` } }));
    expectPass(await throughAuth(gw, url("/p"), { headers: { cookie: `alt=${good}` } }));
    expectPass(await throughAuth(gw, url(`/p?x=1&access_token=${good}`)));
    // Bearer is not in this provider's list.
    await expectRefusal(await throughAuth(gw, url("/p"), bearer(good)), 401);
  });

  it("a token in two places is 400 invalid_request (RFC 6750 §3.1), whichever of them is valid", async () => {
    const gw = table({
      extractFrom: {
        headers: [{ name: "x-api-token" }, { name: "authorization", valuePrefix: "Token " }],
        cookies: ["session", "alt"],
        params: ["access_token"],
      },
    });
    const good = await token();
    const other = await token({}, "another-service");
    const twice: [string, Record<string, string>][] = [
      [`/p?access_token=${other}`, { "x-api-token": good }],
      [`/p?access_token=${good}`, { cookie: `session=${other}` }],
      ["/p", { "x-api-token": good, authorization: `Token ${other}` }],
      ["/p", { cookie: `session=${good}; alt=${good}` }],
      [`/p?access_token=${good}&access_token=${other}`, {}],
      // The same token twice is still two methods at once.
      [`/p?access_token=${good}`, { "x-api-token": good }],
    ];
    for (const [path, headers] of twice) {
      const refusal = await expectRefusal(await throughAuth(gw, url(path), { headers }), 400);
      expect(refusal.body).toEqual({
        error: "invalid_request",
        message: "more than one token was presented",
        requestId: REQUEST_ID,
      });
      expect(refusal.challenge).toBe(
        `Bearer realm="${HOST}", error="invalid_request", error_description="more than one token was presented"`,
      );
    }
  });

  it("by default, Authorization: Bearer and an access_token query parameter (RFC 6750 §2.3) make two", async () => {
    const good = await token();
    const other = await token({}, "another-service");
    for (const query of [other, good, ""]) {
      await expectRefusal(await throughAuth(table(), url(`/p?access_token=${query}`), bearer(good)), 400);
    }
    // The gateway never reads a token from there itself: alone, it is no token, and nothing passes.
    const alone = await expectRefusal(await throughAuth(table(), url(`/p?access_token=${good}`)), 401);
    expect(alone.challenge).toBe(`Bearer realm="${HOST}"`);
    // A public rule's query is not the gateway's business.
    const open = expectPass(await throughAuth(table(), url(`/public?access_token=${good}`), bearer(good)));
    expect(open.draft.query.get("access_token")).toBe(good);
  });

  it("a token taken from the query never reaches the origin; other parameters do", async () => {
    const gw = table({ extractFrom: { params: ["access_token"] } });
    const { draft } = expectPass(await throughAuth(gw, url(`/p?a=1&access_token=${await token()}&b=2`)));
    expect(draft.query.toString()).toBe("a=1&b=2");
  });
});

describe("forwardToken", () => {
  it("forwards the token by default", async () => {
    const t = await token();
    const { draft } = expectPass(await throughAuth(table(), url("/p"), bearer(t)));
    expect(draft.headers.get("authorization")).toBe(`Bearer ${t}`);
  });

  it("forwardToken: false clears every place the provider reads tokens from", async () => {
    const gw = table({
      forwardToken: false,
      extractFrom: {
        headers: [{ name: "authorization", valuePrefix: "Bearer " }],
        cookies: ["session"],
        params: ["t"],
      },
    });
    const t = await token();
    const fromCookie = expectPass(
      await throughAuth(gw, url("/p?keep=1"), { headers: { cookie: `theme=dark; session=${t}; lang=en` } }),
    );
    expect(fromCookie.draft.headers.get("cookie")).toBe("theme=dark; lang=en");
    expect(fromCookie.draft.query.toString()).toBe("keep=1");
    const fromHeader = expectPass(
      await throughAuth(gw, url("/p?keep=1"), bearer(t, { cookie: "theme=dark; lang=en" })),
    );
    expect(fromHeader.draft.headers.get("authorization")).toBeNull();
    expect(fromHeader.draft.headers.get("cookie")).toBe("theme=dark; lang=en");
    const fromQuery = expectPass(await throughAuth(gw, url(`/p?t=${t}&keep=1`)));
    expect(fromQuery.draft.query.toString()).toBe("keep=1");
  });

  it("a refused request leaves the draft's token headers alone (nothing is forwarded anyway)", async () => {
    const gw = table({ forwardToken: false });
    const result = await throughAuth(gw, url("/p"), bearer("e30.e30.bad"));
    expect(result.outcome.ok).toBe(false);
  });
});

describe("claimToHeaders", () => {
  const mapped = () =>
    table({
      claimToHeaders: [
        { claim: "sub", header: "X-User-Id" },
        { claim: "tenant", header: "x-tenant" },
        { claim: "level", header: "x-level" },
        { claim: "admin", header: "x-admin" },
        { claim: "groups", header: "x-groups" },
        { claim: "org.id", header: "x-org" },
        { claim: "https://example.com/roles", header: "x-roles" },
        { claim: "profile", header: "x-profile" },
        { claim: "missing", header: "x-missing" },
      ],
    });

  it("sets headers from verified claims: strings as-is, numbers and booleans as text, arrays and objects as JSON", async () => {
    const t = await token({
      tenant: "acme",
      level: 3,
      admin: false,
      groups: ["eng", "ops"],
      org: { id: "o-42" },
      "https://example.com/roles": ["reader"],
      profile: { name: "Zoë", tags: [1, 2] },
    });
    const { draft, claims } = expectPass(await throughAuth(mapped(), url("/p"), bearer(t)));
    const h = draft.headers;
    expect(h.get("x-user-id")).toBe("alice");
    expect(h.get("x-tenant")).toBe("acme");
    expect(h.get("x-level")).toBe("3");
    expect(h.get("x-admin")).toBe("false");
    expect(h.get("x-groups")).toBe('["eng","ops"]');
    expect(h.get("x-org")).toBe("o-42");
    expect(h.get("x-roles")).toBe('["reader"]');
    expect(h.get("x-profile")).toBe('{"name":"Zo\\u00eb","tags":[1,2]}');
    expect(JSON.parse(h.get("x-profile")!)).toEqual({ name: "Zoë", tags: [1, 2] });
    expect(h.get("x-missing")).toBeNull();
    expect(claims.tenant).toBe("acme");
  });

  it("refuses a claim that would split or garble a header (CR/LF, control characters, non-ASCII)", async () => {
    for (const tenant of ["acme\r\nx-admin: true", "a\nb", "a\u0000b", "Zoë"]) {
      await expectInvalidToken(
        await throughAuth(mapped(), url("/p"), bearer(await token({ tenant }))),
        "a claim cannot be sent as a header",
      );
    }
  });

  it("strips spoofed identity headers: with a token, the claim wins", async () => {
    const { draft } = expectPass(
      await throughAuth(
        mapped(),
        url("/p"),
        bearer(await token(), { "x-user-id": "admin", "x-tenant": "evil", "x-missing": "1" }),
      ),
    );
    expect(draft.headers.get("x-user-id")).toBe("alice");
    expect(draft.headers.get("x-tenant")).toBeNull();
    expect(draft.headers.get("x-missing")).toBeNull();
  });

  it("strips spoofed identity headers without a token: on a public rule, they are gone", async () => {
    const gw = mapped();
    const { draft } = expectPass(
      await throughAuth(gw, url("/public"), {
        headers: { "x-user-id": "admin", "X-Org": "o-1", "x-other": "kept" },
      }),
    );
    expect(draft.headers.get("x-user-id")).toBeNull();
    expect(draft.headers.get("x-org")).toBeNull();
    expect(draft.headers.get("x-other")).toBe("kept");
    expect(gw.spoofableHeaders).toEqual(
      expect.arrayContaining(["x-user-id", "x-tenant", "x-roles", "x-missing"]),
    );
  });

  it("strips headers named by any provider of the table, even one no rule uses", async () => {
    const gw = gatewayFor(
      authTable(
        {
          idp: { issuer: ISSUER, audiences: ["svc"], localJWKS: jwks(key) },
          unused: {
            issuer: ISSUER,
            localJWKS: jwks(key),
            claimToHeaders: [{ claim: "sub", header: "x-internal-user" }],
          },
        },
        [ruleAt("/p", { provider: "idp" }), ruleAt("/public")],
      ),
    );
    const spoof = { "x-internal-user": "root" };
    expect(
      expectPass(await throughAuth(gw, url("/public"), { headers: spoof })).draft.headers.get(
        "x-internal-user",
      ),
    ).toBeNull();
    const { draft } = expectPass(await throughAuth(gw, url("/p"), bearer(await token(), spoof)));
    expect(draft.headers.get("x-internal-user")).toBeNull();
  });
});

describe("requiredScopes and requiredClaims", () => {
  const scoped = () =>
    table({}, [
      ruleAt("/orders", { provider: "idp", requiredScopes: ["orders:read", "orders:write"] }),
      ruleAt("/read", { provider: "idp", requiredScopes: ["orders:read"] }),
      ruleAt("/tenant", {
        provider: "idp",
        requiredClaims: [{ name: "tenant", values: ["acme", "globex"] }],
      }),
      ruleAt("/nested", {
        provider: "idp",
        requiredClaims: [{ name: "realm_access.roles", values: ["admin"] }],
      }),
      ruleAt("/flag", { provider: "idp", requiredClaims: [{ name: "verified", values: ["true"] }] }),
    ]);

  it("accepts scopes from a space-separated scope, an scp array or an scp string", async () => {
    for (const claims of [
      { scope: "openid orders:read orders:write" },
      { scp: ["orders:write", "orders:read"] },
      { scp: "orders:read orders:write" },
      { scope: "orders:read", scp: ["orders:write"] },
    ]) {
      expectPass(await throughAuth(scoped(), url("/orders"), bearer(await token(claims))));
    }
  });

  it("answers 403 insufficient_scope naming the scope needed", async () => {
    const refusal = await expectRefusal(
      await throughAuth(scoped(), url("/orders"), bearer(await token({ scope: "orders:read" }))),
      403,
    );
    expect(refusal.challenge).toBe(
      `Bearer realm="${HOST}", error="insufficient_scope", error_description="required scope missing", scope="orders:read orders:write"`,
    );
    expect(refusal.body.error).toBe("forbidden");
    expect(refusal.body.message).toBe("the token lacks a required scope: orders:read orders:write");
  });

  it("a cache hit still enforces each rule's own scopes", async () => {
    const gw = scoped();
    const t = await token({ scope: "orders:read" });
    expectPass(await throughAuth(gw, url("/read"), bearer(t)));
    await expectRefusal(await throughAuth(gw, url("/orders"), bearer(t)), 403);
    expectPass(await throughAuth(gw, url("/read"), bearer(t)));
  });

  it("requiredClaims: string or array values, dotted names for nested claims, JSON text for scalars", async () => {
    const gw = scoped();
    expectPass(await throughAuth(gw, url("/tenant"), bearer(await token({ tenant: "globex" }))));
    expectPass(await throughAuth(gw, url("/tenant"), bearer(await token({ tenant: ["initech", "acme"] }))));
    expectPass(
      await throughAuth(
        gw,
        url("/nested"),
        bearer(await token({ realm_access: { roles: ["user", "admin"] } })),
      ),
    );
    expectPass(await throughAuth(gw, url("/flag"), bearer(await token({ verified: true }))));
    for (const [path, claims] of [
      ["/tenant", { tenant: "initech" }],
      ["/tenant", {}],
      ["/tenant", { tenant: { name: "acme" } }],
      ["/nested", { realm_access: { roles: ["user"] } }],
      ["/nested", { "realm_access.roles": "user" }],
      ["/flag", { verified: "false" }],
    ] as const) {
      const refusal = await expectRefusal(await throughAuth(gw, url(path), bearer(await token(claims))), 403);
      expect(refusal.challenge).toContain('error="insufficient_scope"');
      expect(refusal.challenge).toContain('error_description="required claim not satisfied"');
      expect(refusal.challenge).not.toContain("scope=");
      expect(refusal.body.message).toMatch(/^the token does not satisfy the required claim "/);
    }
  });
});

describe("CORS preflights", () => {
  it("pass a protected rule with a CORS filter without a token, and only those", async () => {
    const gw = table({}, [
      ruleAt(
        "/cors",
        { provider: "idp" },
        { filters: [{ type: "CORS", cors: { allowOrigins: ["https://app.test"] } }] },
      ),
      ruleAt("/p", { provider: "idp" }),
    ]);
    const preflight = {
      method: "OPTIONS",
      headers: { origin: "https://app.test", "access-control-request-method": "GET" },
    };
    const passed = await throughAuth(gw, url("/cors"), preflight);
    expect(passed.outcome).toEqual({ ok: true, claims: undefined });
    await expectRefusal(await throughAuth(gw, url("/p"), preflight), 401);
    await expectRefusal(await throughAuth(gw, url("/cors"), { method: "OPTIONS" }), 401);
  });
});

describe("status view", () => {
  it("describes inline and secret providers, and a missing secret", async () => {
    const gw = gatewayFor(
      authTable(
        {
          inline: { issuer: ISSUER, localJWKS: jwks(key) },
          shared: { issuer: ISSUER, secret: { binding: "TEST_HMAC_SECRET" } },
          lost: { issuer: ISSUER, secret: { binding: "NOT_SET" } },
          both: { issuer: ISSUER, secret: { binding: "TEST_HMAC_SECRET" }, localJWKS: jwks(key) },
        },
        [ruleAt("/p", { provider: "inline" })],
      ),
    );
    const states = describeKeySets(gw.auth, env as unknown as Env);
    expect(states).toEqual([
      { provider: "inline", kind: "localJWKS", state: "ready", keys: 1, algorithms: ["ES256"] },
      { provider: "shared", kind: "secret", state: "ready", keys: 1, algorithms: ["HS256"] },
      {
        provider: "lost",
        kind: "secret",
        state: "missing-secret",
        keys: 0,
        algorithms: [],
        error: "secret binding NOT_SET is not set",
      },
      {
        provider: "both",
        kind: "none",
        state: "failed",
        keys: 0,
        error: "the provider must name exactly one of remoteJWKS, localJWKS or secret",
      },
    ]);
    expect(JSON.stringify(states)).not.toContain((env as unknown as Record<string, string>).TEST_HMAC_SECRET);
  });

  it("a provider with two key sources refuses every token (500), it does not pick one", async () => {
    const gw = table({ secret: { binding: "TEST_HMAC_SECRET" } });
    const t = await mintHmac((env as unknown as Record<string, string>).TEST_HMAC_SECRET!, "HS256", {
      issuer: ISSUER,
      audience: "svc",
    });
    expect((await expectRefusal(await throughAuth(gw, url("/p"), bearer(t)), 500)).body.error).toBe(
      "auth_misconfigured",
    );
  });
});
