/**
 * One token, one provider, one audience set: is the token authentic and meant for this service?
 *
 * In order, cheapest and most hostile-input-proof first:
 *   1. size: longer than `maxTokenBytes` → refused before anything reads it;
 *   2. shape: exactly three non-empty base64url segments (a stripped signature, an `alg: none` token
 *      with its empty third segment, a JWE's five segments all stop here), and neither the header nor
 *      the claims JSON starting with a byte-order mark (RFC 8259 §8.1 forbids one; jose's decoder drops
 *      it silently, so two byte strings would carry one meaning);
 *   3. header: JSON object; `alg` in the provider's allow-list (never `none`, never the other family);
 *      any `crit` refused (we implement no JWS extension, RFC 7515 §4.1.11); `jku`, `x5u`, `jwk`, `x5c`
 *      are never read: keys come only from the provider's own source;
 *   4. key: by `kid`/`alg` from the provider's source (a remote set may refetch once, see there);
 *   5. jose `jwtVerify`: signature, `iss`, `aud`, `exp`/`nbf` with the clock skew, `exp` presence;
 *   6. our own time check (adds `iat` not in the future), the same function a cache hit runs.
 */
import { decodeProtectedHeader, type JWSHeaderParameters, type JWTVerifyOptions, jwtVerify } from "jose";
import { type Claims, timeFailure } from "./claims.ts";
import { AuthError, authErrorFromJose } from "./errors.ts";
import type { KeyContext } from "./key-source.ts";
import type { CompiledProvider } from "./providers.ts";

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/**
 * How a segment whose bytes start with the UTF-8 byte-order mark EF BB BF starts: three bytes are
 * exactly four base64url characters, whatever follows.
 */
const ENCODED_BOM = "77u_";

/** Steps 1 and 2: no parsing, no decoding. Throws `AuthError`. */
export function precheckToken(token: string, maxTokenBytes: number): void {
  // base64url is ASCII, so characters are bytes; a non-ASCII token fails the shape test anyway.
  if (token.length > maxTokenBytes) throw new AuthError("token_too_large");
  if (!COMPACT_JWS.test(token)) throw new AuthError("token_malformed");
  // The header and the claims are JSON; the signature (third segment) is bytes, and may start so.
  if (token.startsWith(ENCODED_BOM) || token.startsWith(ENCODED_BOM, token.indexOf(".") + 1)) {
    throw new AuthError("token_malformed");
  }
}

/** Step 3. Throws `AuthError`. */
export function checkedHeader(token: string, provider: CompiledProvider): JWSHeaderParameters {
  let header: JWSHeaderParameters;
  try {
    header = decodeProtectedHeader(token) as JWSHeaderParameters;
  } catch {
    throw new AuthError("token_malformed");
  }
  if (typeof header.alg !== "string" || !provider.algorithms.has(header.alg as never)) {
    throw new AuthError("algorithm_not_allowed");
  }
  if (header.crit !== undefined) throw new AuthError("critical_header_unsupported");
  if (header.kid !== undefined && typeof header.kid !== "string") throw new AuthError("token_malformed");
  return header;
}

export interface VerificationTarget {
  readonly provider: CompiledProvider;
  /** The rule's effective audiences; undefined = `aud` not checked. */
  readonly audiences: readonly string[] | undefined;
}

/** Steps 1–6. Resolves to the claims set; throws `AuthError` with a code, never anything else. */
export async function verifyToken(
  token: string,
  target: VerificationTarget,
  ctx: KeyContext,
): Promise<Claims> {
  const { provider, audiences } = target;
  precheckToken(token, provider.maxTokenBytes);
  const header = checkedHeader(token, provider);
  if (!provider.keys) throw new AuthError("provider_without_keys");
  const keys = await provider.keys.keysFor(header, ctx);

  const options: JWTVerifyOptions = {
    algorithms: [header.alg!],
    clockTolerance: provider.clockSkewSec,
    currentDate: new Date(ctx.nowMs),
    requiredClaims: provider.requireExpiration ? ["exp"] : [],
    ...(provider.issuer !== undefined ? { issuer: provider.issuer } : {}),
    ...(audiences !== undefined ? { audience: [...audiences] } : {}),
  };
  let failure: AuthError = new AuthError("unknown_key");
  // Several keys only when the token has no `kid` and the set holds several keys of its type.
  for (const key of keys) {
    try {
      const { payload } = await jwtVerify(token, key, options);
      const late = timeFailure(
        payload,
        Math.floor(ctx.nowMs / 1000),
        provider.clockSkewSec,
        provider.requireExpiration,
      );
      if (late) throw new AuthError(late);
      return payload;
    } catch (err) {
      failure = authErrorFromJose(err);
      if (failure.code !== "signature_invalid") throw failure;
    }
  }
  throw failure;
}
