/**
 * A JWKS document, fetched or inline, reduced to what signature verification needs: public signing
 * keys of the types jose verifies, each rebuilt from its public members only. Private members a
 * careless issuer published, `x5c`/`x5u` chains and symmetric (`oct`) keys never reach a key set; nor
 * do keys that may not verify (`use` other than `sig`, `key_ops` without `verify`) or that jose cannot
 * use (an unknown type or curve). Issuers publish such keys beside their signing keys: they are skipped,
 * never a reason to refuse the whole set.
 */
import type { JWK } from "jose";
import { algorithmsForJwk } from "./algorithms.ts";

/** The members of a public signing JWK that verification reads (RFC 7517, RFC 7518 §6, RFC 8037). */
const PUBLIC_MEMBERS = ["kty", "kid", "alg", "use", "key_ops", "crv", "x", "y", "n", "e"] as const;

export interface PublicKeys {
  readonly keys: readonly JWK[];
  /** Keys that were in the document but cannot verify anything here (wrong type, `use: enc`, …). */
  readonly ignored: number;
}

/** Undefined when `doc` is not a JWKS at all (not an object with a `keys` array). */
export function publicSigningKeys(doc: unknown): PublicKeys | undefined {
  if (typeof doc !== "object" || doc === null || !Array.isArray((doc as { keys?: unknown }).keys)) {
    return undefined;
  }
  const keys: JWK[] = [];
  let ignored = 0;
  for (const candidate of (doc as { keys: unknown[] }).keys) {
    const jwk = publicSigningKey(candidate);
    if (jwk) keys.push(jwk);
    else ignored++;
  }
  return { keys, ignored };
}

function publicSigningKey(candidate: unknown): JWK | undefined {
  if (typeof candidate !== "object" || candidate === null || Array.isArray(candidate)) return undefined;
  const source = candidate as Record<string, unknown>;
  if (source.use !== undefined && source.use !== "sig") return undefined;
  if (!mayVerify(source.key_ops)) return undefined;
  const jwk: Record<string, unknown> = {};
  for (const member of PUBLIC_MEMBERS) {
    if (source[member] !== undefined) jwk[member] = source[member];
  }
  if (typeof jwk.kid !== "undefined" && typeof jwk.kid !== "string") return undefined;
  return algorithmsForJwk(jwk as JWK).length > 0 ? (jwk as JWK) : undefined;
}

/**
 * RFC 7517 §4.3: a key whose `key_ops` are given may be used only for those. jose's own key selection
 * wants an array of distinct strings that includes `verify`.
 */
export function mayVerify(keyOps: unknown): boolean {
  if (keyOps === undefined) return true;
  return (
    Array.isArray(keyOps) &&
    keyOps.includes("verify") &&
    keyOps.every((op, i) => typeof op === "string" && keyOps.indexOf(op) === i)
  );
}
