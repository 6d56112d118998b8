/**
 * Why a request was refused, as a closed set of codes. Every code carries a fixed, short description:
 * the text that reaches `error_description`, the JSON body and the logs is chosen here, never built from
 * the token or from a library's message (a JSON parser's message can quote the text it choked on, and
 * that text would be part of the token).
 */

/** What the answer is: RFC 6750 §3.1 error classes plus the gateway's own faults. */
export type AuthFailureClass =
  /** No token was presented: 401 with a bare challenge. */
  | "no_token"
  /** The request itself is malformed (more than one token): 400 `invalid_request`. */
  | "invalid_request"
  /** A token was presented and is not acceptable here: 401 `invalid_token`. */
  | "invalid_token"
  /** The token is valid but does not grant what the rule needs: 403 `insufficient_scope`. */
  | "insufficient_scope"
  /** The table or the worker's environment is wrong (a missing secret): 500. */
  | "misconfigured"
  /** The signing keys cannot be had right now (JWKS endpoint down, stale period over): 503. */
  | "keys_unavailable";

const FAILURES = {
  token_missing: ["no_token", "a bearer token is required"],
  several_tokens: ["invalid_request", "more than one token was presented"],
  token_too_large: ["invalid_token", "token too large"],
  token_malformed: ["invalid_token", "malformed token"],
  algorithm_not_allowed: ["invalid_token", "signing algorithm not allowed"],
  critical_header_unsupported: ["invalid_token", "unsupported critical header parameter"],
  unknown_key: ["invalid_token", "no matching signing key"],
  signature_invalid: ["invalid_token", "invalid signature"],
  token_expired: ["invalid_token", "token expired"],
  token_not_yet_valid: ["invalid_token", "token not yet valid"],
  token_issued_in_future: ["invalid_token", "token issued in the future"],
  expiration_required: ["invalid_token", "token has no expiration"],
  issuer_mismatch: ["invalid_token", "issuer not accepted"],
  audience_mismatch: ["invalid_token", "audience not accepted"],
  claim_not_representable: ["invalid_token", "a claim cannot be sent as a header"],
  token_rejected: ["invalid_token", "token rejected"],
  insufficient_scope: ["insufficient_scope", "required scope missing"],
  claim_mismatch: ["insufficient_scope", "required claim not satisfied"],
  provider_unknown: ["misconfigured", "the route names an unknown token provider"],
  provider_without_keys: ["misconfigured", "the token provider has no key source"],
  secret_missing: ["misconfigured", "the token provider's secret is not set"],
  secret_too_short: ["misconfigured", "the token provider's secret is shorter than 32 bytes"],
  keys_unavailable: ["keys_unavailable", "the signing keys are unavailable"],
} as const satisfies Record<string, readonly [AuthFailureClass, string]>;

export type AuthErrorCode = keyof typeof FAILURES;

export function failureClass(code: AuthErrorCode): AuthFailureClass {
  return FAILURES[code][0];
}

/** The fixed text for a code: safe for a header, a JSON body and a log line. */
export function failureDescription(code: AuthErrorCode): string {
  return FAILURES[code][1];
}

/**
 * Thrown inside the auth stage and turned into an answer by `answers.ts`. The message is the code's
 * fixed description, so even an error that escapes to a log line cannot carry token material.
 */
export class AuthError extends Error {
  override readonly name = "AuthError";
  constructor(readonly code: AuthErrorCode) {
    super(failureDescription(code));
  }
}

/**
 * jose's error classes mapped onto our codes. Anything unrecognised (a `TypeError` for an RSA key
 * under 2048 bits, a `SyntaxError` from a header that is not JSON) is a refused token, not a crash,
 * and its message is dropped.
 */
export function authErrorFromJose(err: unknown): AuthError {
  if (err instanceof AuthError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const claim = (err as { claim?: unknown } | null)?.claim;
  const reason = (err as { reason?: unknown } | null)?.reason;
  switch (code) {
    case "ERR_JWT_EXPIRED":
      return new AuthError("token_expired");
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      if (claim === "nbf") return new AuthError("token_not_yet_valid");
      if (claim === "iss") return new AuthError("issuer_mismatch");
      if (claim === "aud") return new AuthError("audience_mismatch");
      if (claim === "exp" && reason === "missing") return new AuthError("expiration_required");
      return new AuthError("token_malformed");
    case "ERR_JOSE_ALG_NOT_ALLOWED":
      return new AuthError("algorithm_not_allowed");
    case "ERR_JOSE_NOT_SUPPORTED":
      return new AuthError("algorithm_not_allowed");
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return new AuthError("signature_invalid");
    case "ERR_JWKS_NO_MATCHING_KEY":
    case "ERR_JWKS_INVALID":
    case "ERR_JWK_INVALID":
      return new AuthError("unknown_key");
    case "ERR_JWS_INVALID":
    case "ERR_JWT_INVALID":
      return new AuthError("token_malformed");
    default:
      return new AuthError("token_rejected");
  }
}
