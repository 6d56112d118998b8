/**
 * What a verified token says, read the same way on a fresh verification and on a cache hit: time
 * claims against the current clock, scopes, required claims, and the identity headers the origin gets.
 */
import type { RouteTable } from "../config/schema.ts";
import { AuthError, type AuthErrorCode } from "./errors.ts";

export type Claims = Readonly<Record<string, unknown>>;

/** A claim name, and the path to follow when no top-level claim has that exact name. */
export interface ClaimPath {
  readonly name: string;
  readonly path: readonly string[];
}

export function claimPath(name: string): ClaimPath {
  return { name, path: name.split(".") };
}

/**
 * The claim called `name`: a top-level claim of exactly that name first (namespaced claims such as
 * `https://example.com/roles` contain dots), else the dotted path through nested objects
 * (`realm_access.roles`). Only own properties are followed.
 */
export function claimValue(claims: Claims, claim: ClaimPath): unknown {
  if (Object.hasOwn(claims, claim.name)) return claims[claim.name];
  if (claim.path.length < 2) return undefined;
  let value: unknown = claims;
  for (const segment of claim.path) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    if (!Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/**
 * `exp`, `nbf` and `iat` against `nowSec`, each with `skewSec` of tolerance. Run on every request,
 * cache hit or not: a cached token expires exactly when the token does.
 */
export function timeFailure(
  claims: Claims,
  nowSec: number,
  skewSec: number,
  requireExpiration: boolean,
): AuthErrorCode | undefined {
  const { exp, nbf, iat } = claims;
  if (exp === undefined) {
    if (requireExpiration) return "expiration_required";
  } else if (!isNumericDate(exp)) return "token_malformed";
  else if (exp <= nowSec - skewSec) return "token_expired";
  if (nbf !== undefined) {
    if (!isNumericDate(nbf)) return "token_malformed";
    if (nbf > nowSec + skewSec) return "token_not_yet_valid";
  }
  if (iat !== undefined) {
    if (!isNumericDate(iat)) return "token_malformed";
    if (iat > nowSec + skewSec) return "token_issued_in_future";
  }
  return undefined;
}

function isNumericDate(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

/**
 * The scopes a token grants: the space-separated `scope` claim (RFC 8693 §4.2) and the `scp` claim,
 * which issuers write either as an array (Okta) or as a space-separated string (Entra ID).
 */
export function grantedScopes(claims: Claims): Set<string> {
  const scopes = new Set<string>();
  for (const value of [claims.scope, claims.scp]) {
    if (typeof value === "string") {
      for (const s of value.split(" ")) if (s) scopes.add(s);
    } else if (Array.isArray(value)) {
      for (const s of value) if (typeof s === "string" && s) scopes.add(s);
    }
  }
  return scopes;
}

export function missingScopes(required: readonly string[], claims: Claims): string[] {
  if (required.length === 0) return [];
  const granted = grantedScopes(claims);
  return required.filter((s) => !granted.has(s));
}

export interface RequiredClaim extends ClaimPath {
  readonly values: ReadonlySet<string>;
}

/**
 * The first required claim the token does not satisfy. A string claim must equal one of the values;
 * an array claim must contain one; numbers and booleans compare by their JSON text (`42`, `true`).
 */
export function unsatisfiedClaim(required: readonly RequiredClaim[], claims: Claims): string | undefined {
  for (const claim of required) {
    const value = claimValue(claims, claim);
    const candidates = Array.isArray(value) ? value : [value];
    if (!candidates.some((v) => scalarText(v) !== undefined && claim.values.has(scalarText(v)!))) {
      return claim.name;
    }
  }
  return undefined;
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

export interface ClaimHeader extends ClaimPath {
  /** Lower-case header name. */
  readonly header: string;
}

/** Visible ASCII, space and tab: what every HTTP stack carries the same way. */
const PORTABLE_HEADER_VALUE = /^[\t\x20-\x7e]*$/;

/**
 * How a claim travels in a header: strings as they are, numbers and booleans as their JSON text,
 * arrays and objects as JSON with non-ASCII characters written as `\uXXXX` escapes. Undefined for a
 * missing or null claim (the header is then absent). A string with a control character (CR, LF, NUL…)
 * or a non-ASCII character refuses the request rather than being altered: a header must not be
 * splittable, and workerd would send non-ASCII text as raw UTF-8 that other stacks read differently.
 */
export function claimHeaderValue(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text =
    typeof value === "string"
      ? value
      : typeof value === "number" || typeof value === "boolean"
        ? String(value)
        : asciiJson(value);
  if (!PORTABLE_HEADER_VALUE.test(text)) throw new AuthError("claim_not_representable");
  return text;
}

function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * Set every mapped header from the verified claims. Each header is removed first, so a header whose
 * claim is missing is absent rather than whatever the client sent (it was also stripped at the door,
 * see `claimHeaderNames`). All values are computed before any header changes: a refused value leaves
 * the request untouched.
 */
export function applyClaimHeaders(headers: Headers, mappings: readonly ClaimHeader[], claims: Claims): void {
  const values = mappings.map((m) => [m.header, claimHeaderValue(claimValue(claims, m))] as const);
  for (const [header, value] of values) {
    headers.delete(header);
    if (value !== undefined) headers.set(header, value);
  }
}

/**
 * Every header any provider of the table asserts from claims, lower-case. The pipeline strips all of
 * them from every incoming request, authenticated or not and whichever rule matches, before any stage
 * runs: a client can never pose as a user by sending `x-user-id` itself, not even on a public route
 * whose origin also serves protected ones (Envoy's `claim_to_headers` lets such a header through).
 */
export function claimHeaderNames(table: RouteTable): string[] {
  const names = new Set<string>();
  for (const provider of Object.values(table.providers)) {
    for (const mapping of provider.claimToHeaders ?? []) names.add(mapping.header.toLowerCase());
  }
  return [...names];
}
