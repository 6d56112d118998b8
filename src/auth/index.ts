/**
 * Per-service JWT verification at the edge. The pipeline and the status view use only this file;
 * each concept lives in its own module:
 *
 *   compile.ts         compileAuth: providers and rules, once per table
 *   providers.ts       one provider's options, defaults filled in
 *   remote-key-set.ts  remoteJWKS: isolate-wide key set per URI (timeout, size cap, cache, stale, refetch)
 *   local-key-set.ts   localJWKS and the in-memory selection both kinds of key set use
 *   secret-key.ts      secret: HMAC key from a Worker secret binding
 *   jwks-document.ts   a JWKS reduced to public signing keys
 *   algorithms.ts      allow-lists; HMAC and asymmetric never mix
 *   extract-token.ts   where the token is read, and kept from the origin
 *   verify-token.ts    size, shape, header, key, signature, registered claims
 *   token-cache.ts     verified tokens by hash, bounded, never past `exp`
 *   claims.ts          time checks, scopes, required claims, identity headers
 *   answers.ts         RFC 6750 answers
 *   errors.ts          closed set of failure codes with fixed descriptions
 *   status.ts          describeKeySets for the status view
 *
 * See docs/auth.md.
 */
export { type AuthInput, type AuthOutcome, authenticate } from "./authenticate.ts";
export { claimHeaderNames } from "./claims.ts";
export { type CompiledAuth, compileAuth } from "./compile.ts";
export { AuthError, type AuthErrorCode } from "./errors.ts";
export { describeKeySets, type KeySetStatus } from "./status.ts";
