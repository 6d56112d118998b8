/**
 * Which JWS algorithms a provider accepts. Two families that never mix: HMAC comes only from a
 * `secret` provider, asymmetric signatures only from a key set. That split is what makes algorithm
 * confusion (an HS256 token "signed" with an RSA public key) impossible by construction, whatever the
 * table's `algorithms` says. `none` is in neither family, so it can never pass.
 */
import type { JWK } from "jose";
import { JWS_ALGORITHMS } from "../config/constants.ts";

/** The schema builds its `algorithms` enum from the same list (`config/constants.ts`, zod-free). */
export type JwsAlgorithm = (typeof JWS_ALGORITHMS)[number];

export const HMAC_ALGORITHMS: readonly JwsAlgorithm[] = ["HS256", "HS384", "HS512"];
export const ASYMMETRIC_ALGORITHMS: readonly JwsAlgorithm[] = JWS_ALGORITHMS.filter(
  (alg) => !HMAC_ALGORITHMS.includes(alg),
);

const KNOWN = new Set<string>(JWS_ALGORITHMS);

export function isJwsAlgorithm(alg: unknown): alg is JwsAlgorithm {
  return typeof alg === "string" && KNOWN.has(alg);
}

export function isHmac(alg: string): boolean {
  return alg === "HS256" || alg === "HS384" || alg === "HS512";
}

/**
 * The provider's allow-list, cut down to the family its key source can produce. An empty result
 * means the table asked only for algorithms of the other family: nothing passes (validation reports it).
 */
export function allowedAlgorithms(
  family: "hmac" | "asymmetric",
  configured: readonly string[] | undefined,
): ReadonlySet<JwsAlgorithm> {
  const familyAlgs = family === "hmac" ? HMAC_ALGORITHMS : ASYMMETRIC_ALGORITHMS;
  if (!configured) return new Set(familyAlgs);
  return new Set(familyAlgs.filter((alg) => configured.includes(alg)));
}

/**
 * RFC 7518 §3.2: an HMAC key must be at least as long as the hash output. A 40-byte secret can sign
 * HS256 but not HS384 or HS512.
 */
export function hmacAlgorithmsForKeyLength(bytes: number): JwsAlgorithm[] {
  const algs: JwsAlgorithm[] = [];
  if (bytes >= 32) algs.push("HS256");
  if (bytes >= 48) algs.push("HS384");
  if (bytes >= 64) algs.push("HS512");
  return algs;
}

const RSA_ALGS: JwsAlgorithm[] = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];
const EC_ALGS_BY_CURVE: Record<string, JwsAlgorithm> = {
  "P-256": "ES256",
  "P-384": "ES384",
  "P-521": "ES512",
};

/**
 * What a public JWK can verify: the algorithms of its key type (RSA: RS256…PS512; EC: the curve's
 * ES256/ES384/ES512; OKP Ed25519: EdDSA, Ed25519), narrowed to its own `alg` when it names one. A key
 * whose `alg` does not fit its type or curve (an `ES256` key on secp256k1) verifies nothing: jose would
 * not select it. The same rule jose applies, written out so the status view and the docs can say it.
 */
export function algorithmsForJwk(jwk: JWK): JwsAlgorithm[] {
  const byType = algorithmsForKeyType(jwk);
  if (jwk.alg === undefined) return byType;
  return byType.filter((alg) => alg === jwk.alg);
}

function algorithmsForKeyType(jwk: JWK): JwsAlgorithm[] {
  switch (jwk.kty) {
    case "RSA":
      return RSA_ALGS;
    case "EC": {
      const alg = typeof jwk.crv === "string" ? EC_ALGS_BY_CURVE[jwk.crv] : undefined;
      return alg ? [alg] : [];
    }
    case "OKP":
      return jwk.crv === "Ed25519" ? ["EdDSA", "Ed25519"] : [];
    default:
      return [];
  }
}

/** The union over a key set, in the schema's order. */
export function algorithmsForKeys(keys: readonly JWK[]): JwsAlgorithm[] {
  const found = new Set<JwsAlgorithm>();
  for (const jwk of keys) for (const alg of algorithmsForJwk(jwk)) found.add(alg);
  return JWS_ALGORITHMS.filter((alg) => found.has(alg));
}
