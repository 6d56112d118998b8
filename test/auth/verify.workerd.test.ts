/**
 * Verification rules and the attacks on them, inside workerd, with keys generated here and tokens
 * signed by jose. Providers here are `localJWKS` and `secret`; `remote-jwks.workerd.test.ts` covers
 * fetched key sets.
 */
import { env } from "cloudflare:test";
import { exportJWK, exportSPKI, generateKeyPair, jwtVerify } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { describeKeySets } from "../../src/auth/index.ts";
import { gatewayFor } from "../support/gateway.ts";
import { jwksFetchCount, podRequests, podUrl, putJwks, resetAllPods } from "../support/origins.ts";
import {
  authTable,
  bearer,
  expectInvalidToken,
  expectPass,
  expectRefusal,
  ISSUER,
  ruleAt,
  throughAuth,
  url,
} from "./harness.ts";
import {
  claimsFor,
  jwks,
  makeKey,
  mint,
  mintHmac,
  rawToken,
  signBytes,
  type TestKey,
  utf8,
} from "./tokens.ts";

let rsa: TestKey;
let ec: TestKey;
let ec384: TestKey;
let ed: TestKey;
let ps: TestKey;
let stranger: TestKey;

beforeAll(async () => {
  [rsa, ec, ec384, ed, ps, stranger] = await Promise.all([
    makeKey("RS256"),
    makeKey("ES256"),
    makeKey("ES384"),
    makeKey("EdDSA"),
    makeKey("PS256"),
    makeKey("RS256"),
  ]);
  await resetAllPods();
});

function keysTable(extra: Record<string, unknown> = {}) {
  return gatewayFor(
    authTable(
      {
        keys: {
          issuer: ISSUER,
          audiences: ["svc-a", "svc-b"],
          localJWKS: jwks(rsa, ec, ec384, ed, ps),
          ...extra,
        },
      },
      [
        ruleAt("/a", { provider: "keys", audiences: ["svc-a"] }),
        ruleAt("/b", { provider: "keys", audiences: ["svc-b"] }),
        ruleAt("/any", { provider: "keys" }),
      ],
    ),
  );
}

describe("key sets: each algorithm family verifies", () => {
  for (const name of ["rsa", "ps", "ec", "ec384", "ed"] as const) {
    it(`accepts a ${name} token for its audience`, async () => {
      const key = { rsa, ps, ec, ec384, ed }[name];
      const token = await mint(key, { issuer: ISSUER, audience: "svc-a", subject: "alice" });
      const { claims } = expectPass(await throughAuth(keysTable(), url("/a"), bearer(token)));
      expect(claims.sub).toBe("alice");
    });
  }

  it("finds the key by type when the token has no kid", async () => {
    const token = await mint(ec, { issuer: ISSUER, audience: "svc-a", kid: null });
    expectPass(await throughAuth(keysTable(), url("/a"), bearer(token)));
  });

  it("enforces the algorithms allow-list", async () => {
    const gw = keysTable({ algorithms: ["ES256"] });
    expectPass(
      await throughAuth(gw, url("/a"), bearer(await mint(ec, { issuer: ISSUER, audience: "svc-a" }))),
    );
    const token = await mint(rsa, { issuer: ISSUER, audience: "svc-a" });
    await expectInvalidToken(
      await throughAuth(gw, url("/a"), bearer(token)),
      "signing algorithm not allowed",
    );
  });

  it("refuses a token signed by a key that is not in the set", async () => {
    const token = await mint(stranger, { issuer: ISSUER, audience: "svc-a" });
    await expectInvalidToken(
      await throughAuth(keysTable(), url("/a"), bearer(token)),
      "no matching signing key",
    );
  });

  it("refuses a token whose kid names a key of the set but whose signature is another key's", async () => {
    const token = await mint(stranger, { issuer: ISSUER, audience: "svc-a", kid: rsa.kid });
    await expectInvalidToken(await throughAuth(keysTable(), url("/a"), bearer(token)), "invalid signature");
  });
});

describe("registered claims", () => {
  it("refuses a wrong issuer", async () => {
    const token = await mint(rsa, { issuer: "https://evil.test/", audience: "svc-a" });
    await expectInvalidToken(await throughAuth(keysTable(), url("/a"), bearer(token)), "issuer not accepted");
  });

  it("refuses a token without an issuer when the provider names one", async () => {
    const token = await mint(rsa, { audience: "svc-a" });
    await expectInvalidToken(await throughAuth(keysTable(), url("/a"), bearer(token)), "issuer not accepted");
  });

  it("a token for service A never opens service B (401 invalid_token), and the cache keeps them apart", async () => {
    const gw = keysTable();
    const token = await mint(rsa, { issuer: ISSUER, audience: "svc-a" });
    expectPass(await throughAuth(gw, url("/a"), bearer(token)));
    // The same token, now cached for /a, is still refused by /b.
    await expectInvalidToken(await throughAuth(gw, url("/b"), bearer(token)), "audience not accepted");
    expectPass(await throughAuth(gw, url("/a"), bearer(token)));
  });

  it("a rule without audiences accepts any of the provider's, and nothing else", async () => {
    const gw = keysTable();
    expectPass(
      await throughAuth(gw, url("/any"), bearer(await mint(rsa, { issuer: ISSUER, audience: "svc-b" }))),
    );
    const other = await mint(rsa, { issuer: ISSUER, audience: "svc-c" });
    await expectInvalidToken(await throughAuth(gw, url("/any"), bearer(other)), "audience not accepted");
    const none = await mint(rsa, { issuer: ISSUER });
    await expectInvalidToken(await throughAuth(gw, url("/any"), bearer(none)), "audience not accepted");
  });

  it("accepts an aud array that contains the service", async () => {
    const token = await mint(rsa, { issuer: ISSUER, audience: ["other", "svc-b"] });
    expectPass(await throughAuth(keysTable(), url("/b"), bearer(token)));
  });

  it("refuses an expired token, and accepts one expired within the clock skew", async () => {
    const gw = keysTable({ clockSkew: "30s" });
    const expired = await mint(rsa, { issuer: ISSUER, audience: "svc-a", expiresIn: -31 });
    await expectInvalidToken(await throughAuth(gw, url("/a"), bearer(expired)), "token expired");
    const justExpired = await mint(rsa, { issuer: ISSUER, audience: "svc-a", expiresIn: -20 });
    expectPass(await throughAuth(gw, url("/a"), bearer(justExpired)));
  });

  it("refuses a token that is not valid yet (nbf beyond the skew), accepts one within it", async () => {
    const gw = keysTable({ clockSkew: "30s" });
    const now = Math.floor(Date.now() / 1000);
    const future = await mint(rsa, { issuer: ISSUER, audience: "svc-a", notBefore: now + 60 });
    await expectInvalidToken(await throughAuth(gw, url("/a"), bearer(future)), "token not yet valid");
    const soon = await mint(rsa, { issuer: ISSUER, audience: "svc-a", notBefore: now + 20 });
    expectPass(await throughAuth(gw, url("/a"), bearer(soon)));
  });

  it("refuses a token issued in the future beyond the skew", async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await mint(rsa, { issuer: ISSUER, audience: "svc-a", issuedAt: now + 120, expiresIn: 600 });
    await expectInvalidToken(
      await throughAuth(keysTable(), url("/a"), bearer(token)),
      "token issued in the future",
    );
  });

  it("requires exp by default; requireExpiration: false lets a token without exp through", async () => {
    const token = await mint(rsa, { issuer: ISSUER, audience: "svc-a", expiresIn: null });
    await expectInvalidToken(
      await throughAuth(keysTable(), url("/a"), bearer(token)),
      "token has no expiration",
    );
    expectPass(await throughAuth(keysTable({ requireExpiration: false }), url("/a"), bearer(token)));
  });
});

describe("attacks", () => {
  const honest = () => ({
    iss: ISSUER,
    aud: "svc-a",
    sub: "mallory",
    exp: Math.floor(Date.now() / 1000) + 300,
  });

  it("alg none with an empty signature is malformed", async () => {
    const token = rawToken({ alg: "none" }, honest());
    await expectInvalidToken(await throughAuth(keysTable(), url("/a"), bearer(token)), "malformed token");
  });

  it("alg none with something in the signature slot is not an allowed algorithm", async () => {
    for (const alg of ["none", "None", "NONE"]) {
      const token = rawToken({ alg, kid: rsa.kid }, honest(), "c2lnbmF0dXJl");
      await expectInvalidToken(
        await throughAuth(keysTable(), url("/a"), bearer(token)),
        "signing algorithm not allowed",
      );
    }
  });

  it("HS256 signed with the RSA public key is refused (algorithm confusion), even if the table lists HS256", async () => {
    const spki = new TextEncoder().encode(await exportSPKI(await publicKeyOf(rsa)));
    const jwkBytes = new TextEncoder().encode(JSON.stringify(rsa.jwk));
    for (const secret of [spki, jwkBytes]) {
      const token = await mintHmac(secret, "HS256", { issuer: ISSUER, audience: "svc-a", kid: rsa.kid });
      await expectInvalidToken(
        await throughAuth(keysTable(), url("/a"), bearer(token)),
        "signing algorithm not allowed",
      );
      // A table that (wrongly) lists HS256 on a key set still never verifies HMAC from it.
      const listed = keysTable({ algorithms: ["RS256", "HS256"] });
      await expectInvalidToken(
        await throughAuth(listed, url("/a"), bearer(token)),
        "signing algorithm not allowed",
      );
    }
  });

  it("a stripped signature is malformed", async () => {
    const token = await mint(rsa, { issuer: ISSUER, audience: "svc-a" });
    const [h, p] = token.split(".");
    for (const stripped of [`${h}.${p}.`, `${h}.${p}`]) {
      await expectInvalidToken(
        await throughAuth(keysTable(), url("/a"), bearer(stripped)),
        "malformed token",
      );
    }
  });

  it("a signature from another token is invalid", async () => {
    const mine = await mint(rsa, { issuer: ISSUER, audience: "svc-a", subject: "mallory" });
    const theirs = await mint(rsa, { issuer: ISSUER, audience: "svc-a", subject: "admin" });
    const [h, p] = theirs.split(".");
    const forged = `${h}.${p}.${mine.split(".")[2]}`;
    await expectInvalidToken(await throughAuth(keysTable(), url("/a"), bearer(forged)), "invalid signature");
  });

  it("malformed segments are refused as malformed, never as a crash", async () => {
    const good = await mint(rsa, { issuer: ISSUER, audience: "svc-a" });
    const [h, p, s] = good.split(".");
    const cases = [
      "not-a-jwt",
      `${h}.${p}.${s}.extra`,
      `${h}.${p}.${s}.a.b`, // JWE-shaped
      `${h}!.${p}.${s}`,
      `${btoa("{not json").replace(/=+$/, "")}.${p}.${s}`,
      `${btoa('"a string header"').replace(/=+$/, "")}.${p}.${s}`,
      `.${p}.${s}`,
      `${h}..${s}`,
    ];
    for (const token of cases) {
      const result = await throughAuth(keysTable(), url("/a"), bearer(token));
      const refusal = await expectRefusal(result, 401);
      expect(refusal.challenge).toContain('error="invalid_token"');
    }
    // A header that is JSON but whose payload is not a JSON object.
    const notObject = `${h}.${btoa("[1,2]").replace(/=+$/, "")}.${s}`;
    await expectRefusal(await throughAuth(keysTable(), url("/a"), bearer(notObject)), 401);
  });

  it("an oversized token is refused before it is parsed", async () => {
    // Garbage that would be "malformed" if parsed: being called "too large" proves the size check came first.
    const garbage = "!".repeat(9000);
    await expectInvalidToken(await throughAuth(keysTable(), url("/a"), bearer(garbage)), "token too large");
    const padded = await mint(rsa, { issuer: ISSUER, audience: "svc-a", claims: { pad: "x".repeat(9000) } });
    await expectInvalidToken(await throughAuth(keysTable(), url("/a"), bearer(padded)), "token too large");
    // maxTokenBytes is the provider's to choose.
    const normal = await mint(rsa, { issuer: ISSUER, audience: "svc-a" });
    const strict = keysTable({ maxTokenBytes: 256 });
    await expectInvalidToken(await throughAuth(strict, url("/a"), bearer(normal)), "token too large");
  });

  it("an unknown crit header parameter is refused", async () => {
    const token = await mint(rsa, {
      issuer: ISSUER,
      audience: "svc-a",
      header: { crit: ["urn:example:must-understand"], "urn:example:must-understand": true },
      crit: { "urn:example:must-understand": true },
    });
    await expectInvalidToken(
      await throughAuth(keysTable(), url("/a"), bearer(token)),
      "unsupported critical header parameter",
    );
  });

  it("jku, x5u and jwk pointing elsewhere are never followed nor trusted", async () => {
    await resetAllPods();
    const evilJwks = await putJwks("evil-jku", jwks(stranger));
    const evilPod = `${podUrl("pod-b")}/jwks.json`;
    const token = await mint(stranger, {
      issuer: ISSUER,
      audience: "svc-a",
      header: { jku: evilJwks, x5u: evilPod, jwk: stranger.jwk },
    });
    await expectInvalidToken(
      await throughAuth(keysTable(), url("/a"), bearer(token)),
      "no matching signing key",
    );
    // Same with the kid of a trusted key: the embedded key is not used either.
    const spoofKid = await mint(stranger, {
      issuer: ISSUER,
      audience: "svc-a",
      kid: rsa.kid,
      header: { jku: evilJwks, x5u: evilPod, jwk: { ...stranger.jwk, kid: rsa.kid } },
    });
    await expectInvalidToken(
      await throughAuth(keysTable(), url("/a"), bearer(spoofKid)),
      "invalid signature",
    );
    expect(await jwksFetchCount("evil-jku")).toBe(0);
    expect(await podRequests("pod-b")).toEqual([]);
  });

  it("a token never reaches the answer, whatever is wrong with it", async () => {
    const token = await mint(stranger, { issuer: "https://evil.test/", audience: "svc-z" });
    const result = await throughAuth(keysTable(), url("/a"), bearer(token));
    if (result.outcome.ok) throw new Error("passed");
    const text = `${[...result.outcome.response.headers].join("\n")}\n${await result.outcome.response.text()}`;
    for (const part of token.split(".")) expect(text).not.toContain(part.slice(0, 16));
  });
});

describe("secret providers (HMAC from a Worker secret)", () => {
  const secretTable = (binding = "TEST_HMAC_SECRET", extra: Record<string, unknown> = {}) =>
    gatewayFor(
      authTable({ shared: { issuer: ISSUER, audiences: ["svc-a"], secret: { binding }, ...extra } }, [
        ruleAt("/a", { provider: "shared" }),
      ]),
    );
  const secretText = () => (env as unknown as Record<string, string>).TEST_HMAC_SECRET!;

  it("accepts HS256 signed with the secret's UTF-8 text", async () => {
    const token = await mintHmac(secretText(), "HS256", {
      issuer: ISSUER,
      audience: "svc-a",
      subject: "bob",
    });
    const { claims } = expectPass(await throughAuth(secretTable(), url("/a"), bearer(token)));
    expect(claims.sub).toBe("bob");
  });

  it("refuses HS256 signed with another secret", async () => {
    const token = await mintHmac("another-secret-that-is-long-enough-0123456789", "HS256", {
      issuer: ISSUER,
      audience: "svc-a",
    });
    await expectInvalidToken(await throughAuth(secretTable(), url("/a"), bearer(token)), "invalid signature");
  });

  it("refuses asymmetric tokens: a secret provider verifies HMAC only", async () => {
    const token = await mint(rsa, { issuer: ISSUER, audience: "svc-a" });
    await expectInvalidToken(
      await throughAuth(secretTable(), url("/a"), bearer(token)),
      "signing algorithm not allowed",
    );
  });

  it("refuses HS384 when the secret is shorter than 48 bytes (RFC 7518 §3.2)", async () => {
    const token = await mintHmac(secretText(), "HS384", { issuer: ISSUER, audience: "svc-a" });
    await expectInvalidToken(
      await throughAuth(secretTable(), url("/a"), bearer(token)),
      "signing algorithm not allowed",
    );
    const long = "x".repeat(64);
    const hs512 = await mintHmac(long, "HS512", { issuer: ISSUER, audience: "svc-a" });
    expectPass(
      await throughAuth(secretTable(), url("/a"), bearer(hs512), { env: { TEST_HMAC_SECRET: long } }),
    );
  });

  it("a missing secret is a 500 auth_misconfigured, not a crash, and never a pass", async () => {
    const token = await mintHmac(secretText(), "HS256", { issuer: ISSUER, audience: "svc-a" });
    const refusal = await expectRefusal(
      await throughAuth(secretTable("NO_SUCH_SECRET"), url("/a"), bearer(token)),
      500,
    );
    expect(refusal.body.error).toBe("auth_misconfigured");
    expect(refusal.challenge).toBeNull();
  });

  it("a secret under 32 bytes is a 500 auth_misconfigured", async () => {
    const token = await mintHmac("short", "HS256", { issuer: ISSUER, audience: "svc-a" });
    const result = await throughAuth(secretTable(), url("/a"), bearer(token), {
      env: { TEST_HMAC_SECRET: "short" },
    });
    expect((await expectRefusal(result, 500)).body.error).toBe("auth_misconfigured");
  });
});

async function publicKeyOf(key: TestKey): Promise<CryptoKey> {
  const { importJWK } = await import("jose");
  return (await importJWK(key.jwk, key.alg, { extractable: true })) as CryptoKey;
}

describe("JSON with a byte-order mark (RFC 8259 §8.1: never at the start of a JSON text)", () => {
  const header = (key: TestKey) => JSON.stringify({ alg: key.alg, kid: key.kid, typ: "JWT" });
  const payload = () => JSON.stringify(claimsFor(ISSUER, "svc-a"));

  it("jose takes such a token as valid: the gateway refuses it as malformed, in the header or the claims", async () => {
    for (const key of [ec, rsa]) {
      const bomHeader = await signBytes(key, utf8(header(key), true), utf8(payload()));
      const bomClaims = await signBytes(key, utf8(header(key)), utf8(payload(), true));
      for (const token of [bomHeader, bomClaims]) {
        // The very token is authentic to jose: the refusal below is the gateway's own rule.
        expect((await jwtVerify(token, await publicKeyOf(key))).payload.sub).toBe("alice");
        await expectInvalidToken(await throughAuth(keysTable(), url("/a"), bearer(token)), "malformed token");
      }
    }
  });

  it("the same bytes without the mark pass (the test signs what jose would)", async () => {
    const token = await signBytes(ec, utf8(header(ec)), utf8(payload()));
    expectPass(await throughAuth(keysTable(), url("/a"), bearer(token)));
  });
});

describe("an inline localJWKS as issuers publish it", () => {
  /** Copies of `key`'s public JWK that may not verify, as a pasted issuer set holds them. */
  const published = async (key: TestKey) => {
    const { publicKey: x25519 } = await generateKeyPair("ECDH-ES", { crv: "X25519", extractable: true });
    return [
      { ...key.jwk, kid: "enc-1", use: "enc" },
      { ...key.jwk, kid: "wrap-1", use: undefined, key_ops: ["wrapKey"] },
      { ...(await exportJWK(x25519)), kid: "ecdh-1" },
      { ...key.jwk, kid: "k1-1", crv: "secp256k1", alg: "ES256K" },
      key.jwk,
    ] as { kty: string }[];
  };
  const inlineTable = async () =>
    gatewayFor(
      authTable(
        { keys: { issuer: ISSUER, audiences: ["svc-a"], localJWKS: { keys: await published(ec) } } },
        [ruleAt("/a", { provider: "keys" })],
      ),
    );

  it("verifies with the one signing key, skips the others, and counts only it in the status view", async () => {
    const gw = await inlineTable();
    const token = await mint(ec, { issuer: ISSUER, audience: "svc-a", subject: "alice" });
    expectPass(await throughAuth(gw, url("/a"), bearer(token)));
    const noKid = await mint(ec, { issuer: ISSUER, audience: "svc-a", kid: null });
    expectPass(await throughAuth(gw, url("/a"), bearer(noKid)));
    expect(describeKeySets(gw.auth, env as never)).toEqual([
      { provider: "keys", kind: "localJWKS", state: "ready", keys: 1, algorithms: ["ES256"] },
    ]);
  });

  it("a token naming a skipped key finds no key, even signed by the same key material", async () => {
    const gw = await inlineTable();
    for (const kid of ["enc-1", "wrap-1", "k1-1"]) {
      const token = await mint(ec, { issuer: ISSUER, audience: "svc-a", kid });
      await expectInvalidToken(await throughAuth(gw, url("/a"), bearer(token)), "no matching signing key");
    }
  });
});
