/**
 * How a refusal is said (RFC 6750 §3): the status, the `WWW-Authenticate` challenge and the gateway's
 * JSON body with the request id.
 *
 *   no token                      401  Bearer realm="…"
 *   more than one token           400  Bearer realm="…", error="invalid_request", error_description="…"
 *     (RFC 6750 §3.1: the request uses more than one method for including an access token)
 *   token not acceptable here     401  Bearer realm="…", error="invalid_token", error_description="…"
 *     (bad signature, expired, wrong issuer, wrong audience: a token for another service is invalid
 *      for this one, not merely short of privileges)
 *   valid token, missing scope    403  Bearer realm="…", error="insufficient_scope", scope="…"
 *   valid token, claim not met    403  Bearer realm="…", error="insufficient_scope", error_description="…"
 *   table/env misconfigured       500  auth_misconfigured (no challenge: the client can do nothing)
 *   signing keys unavailable      503  jwks_unavailable, Retry-After
 *
 * Every description is a fixed text from `errors.ts`; the realm is the request's host. Nothing here
 * ever sees the token.
 */
import { errorResponse } from "../gateway/errors.ts";
import { type AuthErrorCode, failureClass, failureDescription } from "./errors.ts";
import { REMOTE_JWKS_LIMITS } from "./remote-key-set.ts";

export interface AnswerContext {
  /** The `realm` of the challenge: the host the client addressed. */
  readonly realm: string;
  readonly requestId: string;
}

export interface RefusalDetail {
  /** For `insufficient_scope`: every scope the rule requires. */
  readonly scopes?: readonly string[];
  /** For `claim_mismatch`: the name of the claim (from the table, never a value from the token). */
  readonly claim?: string;
}

export function refusal(code: AuthErrorCode, ctx: AnswerContext, detail: RefusalDetail = {}): Response {
  const description = failureDescription(code);
  const realm = `realm=${quoted(ctx.realm)}`;
  switch (failureClass(code)) {
    case "no_token":
      return errorResponse(401, "unauthorized", description, ctx.requestId, {
        "www-authenticate": `Bearer ${realm}`,
      });
    case "invalid_request":
      return errorResponse(400, "invalid_request", description, ctx.requestId, {
        "www-authenticate": `Bearer ${realm}, error="invalid_request", error_description=${quoted(description)}`,
      });
    case "invalid_token":
      return errorResponse(401, "unauthorized", `the token was refused: ${description}`, ctx.requestId, {
        "www-authenticate": `Bearer ${realm}, error="invalid_token", error_description=${quoted(description)}`,
      });
    case "insufficient_scope": {
      const scope = detail.scopes?.length ? `, scope=${quoted(detail.scopes.join(" "))}` : "";
      const message =
        code === "claim_mismatch" && detail.claim
          ? `the token does not satisfy the required claim ${JSON.stringify(detail.claim)}`
          : `the token lacks a required scope${detail.scopes?.length ? `: ${detail.scopes.join(" ")}` : ""}`;
      return errorResponse(403, "forbidden", message, ctx.requestId, {
        "www-authenticate": `Bearer ${realm}, error="insufficient_scope", error_description=${quoted(description)}${scope}`,
      });
    }
    case "misconfigured":
      return errorResponse(
        500,
        "auth_misconfigured",
        "token verification for this route is misconfigured",
        ctx.requestId,
      );
    case "keys_unavailable":
      return errorResponse(
        503,
        "jwks_unavailable",
        "the token signing keys are unavailable; try again shortly",
        ctx.requestId,
        { "retry-after": String(Math.ceil(REMOTE_JWKS_LIMITS.retryAfterFailureMs / 1000)) },
      );
  }
}

/** RFC 9110 §5.6.4 quoted-string; anything outside visible ASCII is dropped rather than escaped. */
function quoted(value: string): string {
  return `"${value.replace(/[^\x20-\x7e]/g, "").replace(/["\\]/g, "\\$&")}"`;
}
