import { describe, expect, it } from "vitest";
import {
  ASYMMETRIC_ALGORITHMS,
  algorithmsForJwk,
  algorithmsForKeys,
  allowedAlgorithms,
  HMAC_ALGORITHMS,
  hmacAlgorithmsForKeyLength,
} from "../../src/auth/algorithms.ts";
import { publicSigningKeys } from "../../src/auth/jwks-document.ts";
import { JWS_ALGORITHMS } from "../../src/config/constants.ts";

describe("algorithm families", () => {
  it("split the schema's algorithms in two, with no none anywhere", () => {
    expect([...HMAC_ALGORITHMS, ...ASYMMETRIC_ALGORITHMS].sort()).toEqual([...JWS_ALGORITHMS].sort());
    expect(HMAC_ALGORITHMS).toEqual(["HS256", "HS384", "HS512"]);
    expect([
      ...allowedAlgorithms("hmac", undefined),
      ...allowedAlgorithms("asymmetric", undefined),
    ]).not.toContain("none");
  });

  it("cut the configured list to the key source's family", () => {
    expect([...allowedAlgorithms("asymmetric", ["RS256", "HS256", "ES256"])]).toEqual(["RS256", "ES256"]);
    expect([...allowedAlgorithms("hmac", ["RS256", "HS512"])]).toEqual(["HS512"]);
    expect([...allowedAlgorithms("hmac", ["RS256"])]).toEqual([]);
  });

  it("HMAC strength follows the secret's length (RFC 7518 §3.2)", () => {
    expect(hmacAlgorithmsForKeyLength(31)).toEqual([]);
    expect(hmacAlgorithmsForKeyLength(32)).toEqual(["HS256"]);
    expect(hmacAlgorithmsForKeyLength(48)).toEqual(["HS256", "HS384"]);
    expect(hmacAlgorithmsForKeyLength(64)).toEqual(["HS256", "HS384", "HS512"]);
  });
});

describe("algorithms derived from keys", () => {
  it("by key type and curve, or the key's own alg", () => {
    expect(algorithmsForJwk({ kty: "RSA" })).toEqual(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]);
    expect(algorithmsForJwk({ kty: "EC", crv: "P-256" })).toEqual(["ES256"]);
    expect(algorithmsForJwk({ kty: "EC", crv: "P-384" })).toEqual(["ES384"]);
    expect(algorithmsForJwk({ kty: "EC", crv: "P-521" })).toEqual(["ES512"]);
    expect(algorithmsForJwk({ kty: "EC", crv: "secp256k1" })).toEqual([]);
    expect(algorithmsForJwk({ kty: "OKP", crv: "Ed25519" })).toEqual(["EdDSA", "Ed25519"]);
    expect(algorithmsForJwk({ kty: "OKP", crv: "X25519" })).toEqual([]);
    expect(algorithmsForJwk({ kty: "RSA", alg: "PS256" })).toEqual(["PS256"]);
    expect(algorithmsForJwk({ kty: "oct" })).toEqual([]);
    expect(algorithmsForJwk({ kty: "oct", alg: "HS256" })).toEqual([]);
    expect(algorithmsForJwk({ kty: "RSA", alg: "none" })).toEqual([]);
  });

  it("an alg that does not fit the key's type or curve verifies nothing (jose would not select the key)", () => {
    expect(algorithmsForJwk({ kty: "EC", crv: "secp256k1", alg: "ES256" })).toEqual([]);
    expect(algorithmsForJwk({ kty: "EC", crv: "P-384", alg: "ES256" })).toEqual([]);
    expect(algorithmsForJwk({ kty: "OKP", crv: "X25519", alg: "EdDSA" })).toEqual([]);
    expect(algorithmsForJwk({ kty: "RSA", alg: "ES256" })).toEqual([]);
    expect(algorithmsForJwk({ kty: "RSA", alg: "RSA-OAEP" })).toEqual([]);
  });

  it("a set's union, in the schema's order", () => {
    expect(
      algorithmsForKeys([
        { kty: "OKP", crv: "Ed25519" },
        { kty: "EC", crv: "P-256" },
        { kty: "RSA", alg: "RS256" },
      ]),
    ).toEqual(["RS256", "ES256", "EdDSA", "Ed25519"]);
  });
});

describe("publicSigningKeys", () => {
  it("keeps public signing members only, drops what cannot verify", () => {
    const doc = {
      keys: [
        { kty: "RSA", n: "n", e: "AQAB", kid: "r", d: "private", p: "p", x5c: ["cert"], x5u: "https://evil" },
        { kty: "EC", crv: "P-256", x: "x", y: "y", use: "enc" },
        { kty: "oct", k: "secret" },
        { kty: "EC", crv: "P-256", x: "x", y: "y", kid: 7 },
        "not an object",
        { kty: "OKP", crv: "Ed25519", x: "x", use: "sig", key_ops: ["verify"] },
      ],
    };
    const result = publicSigningKeys(doc);
    expect(result).toEqual({
      keys: [
        { kty: "RSA", n: "n", e: "AQAB", kid: "r" },
        { kty: "OKP", crv: "Ed25519", x: "x", use: "sig", key_ops: ["verify"] },
      ],
      ignored: 4,
    });
  });

  it("is undefined for documents that are not JWKS", () => {
    for (const doc of [null, "x", [], { keys: "no" }, {}]) expect(publicSigningKeys(doc)).toBeUndefined();
  });
});
