/**
 * Where a provider looks for a token, and how the token is kept from the origin when it should be.
 *
 * The places: the `headers` in listed order, then the `cookies`, then the query `params`. Without
 * `extractFrom` the only place is `Authorization: Bearer <token>`; with `extractFrom`, only the places it
 * lists. A prefix is compared without regard to case (the auth scheme is case-insensitive, RFC 9110
 * §11.1), and whitespace after it is skipped.
 *
 * Exactly one token may be presented. A request that holds one in two places (or twice in one query)
 * is refused, `invalid_request` (RFC 6750 §3.1: "uses more than one method for including an access
 * token"): the gateway would verify one and the origin might read the other, unverified. Without
 * `extractFrom` the RFC 6750 §2.3 query parameter `access_token` counts as a place too: the gateway
 * does not read a token from it, but an origin might.
 */
import type { Provider } from "../config/schema.ts";
import type { UpstreamDraft } from "../gateway/draft.ts";

export interface HeaderPlace {
  /** Lower-case header name. */
  readonly name: string;
  /** Lower-case prefix; "" = the whole value is the token. */
  readonly prefix: string;
}

export interface ExtractionPlan {
  readonly headers: readonly HeaderPlace[];
  readonly cookies: readonly string[];
  readonly params: readonly string[];
  /** Query parameters never read as the token, but that count as a second one (see above). */
  readonly otherParams: readonly string[];
}

export type TokenSource =
  | { readonly kind: "header"; readonly name: string }
  | { readonly kind: "cookie"; readonly name: string }
  | { readonly kind: "param"; readonly name: string };

export interface ExtractedToken {
  /** May be "" when a place held the prefix and nothing after it: a presented, malformed token. */
  readonly token: string;
  readonly source: TokenSource;
}

/** No token, one, or more than one (refused whatever they are: none of them is read). */
export type TokenExtraction = ExtractedToken | "none" | "several";

export const DEFAULT_EXTRACTION: ExtractionPlan = {
  headers: [{ name: "authorization", prefix: "bearer " }],
  cookies: [],
  params: [],
  otherParams: ["access_token"],
};

export function compileExtraction(extractFrom: Provider["extractFrom"]): ExtractionPlan {
  if (!extractFrom) return DEFAULT_EXTRACTION;
  return {
    headers: (extractFrom.headers ?? []).map((h) => ({
      name: h.name.toLowerCase(),
      prefix: (h.valuePrefix ?? "").toLowerCase(),
    })),
    cookies: [...(extractFrom.cookies ?? [])],
    params: [...(extractFrom.params ?? [])],
    otherParams: [],
  };
}

/** Every place is looked at, so that a second token is found wherever it is. */
export function extractToken(
  plan: ExtractionPlan,
  headers: Headers,
  query: URLSearchParams,
): TokenExtraction {
  let found: ExtractedToken | undefined;
  let several = false;
  const take = (token: string, source: TokenSource) => {
    if (found) several = true;
    else found = { token, source };
  };
  for (const place of plan.headers) {
    const value = headers.get(place.name);
    if (value === null) continue;
    const token = afterPrefix(value, place.prefix);
    if (token !== undefined) take(token, { kind: "header", name: place.name });
  }
  if (plan.cookies.length > 0) {
    const cookieHeader = headers.get("cookie");
    if (cookieHeader) {
      for (const name of plan.cookies) {
        const token = cookieValue(cookieHeader, name);
        if (token !== undefined) take(token, { kind: "cookie", name });
      }
    }
  }
  // Most requests have no query at all.
  if (query.size > 0) {
    for (const name of plan.params) {
      const tokens = query.getAll(name);
      if (tokens.length > 1) several = true;
      if (tokens.length > 0) take(tokens[0]!, { kind: "param", name });
    }
    if (plan.otherParams.some((name) => query.has(name)) && found) several = true;
  }
  if (several) return "several";
  return found ?? "none";
}

/** The rest of `value` after `prefix` (case-insensitive), trimmed; undefined when it does not start so. */
function afterPrefix(value: string, prefix: string): string | undefined {
  if (prefix === "") return value.trim();
  if (value.slice(0, prefix.length).toLowerCase() === prefix) return value.slice(prefix.length).trim();
  // "Bearer" alone: the scheme without a token is a presented, empty token.
  if (value.trim().toLowerCase() === prefix.trimEnd()) return "";
  return undefined;
}

/** RFC 6265 §4.2.1 `cookie-string`; a quoted value is unquoted. First cookie of that name wins. */
export function cookieValue(cookieHeader: string, name: string): string | undefined {
  for (const pair of cookieHeader.split(";")) {
    const eq = pair.indexOf("=");
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    const value = pair.slice(eq + 1).trim();
    return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  }
  return undefined;
}

/**
 * Query parameters that carry tokens never reach the origin, whatever `forwardToken` says: URLs end up
 * in access logs, caches and `Referer` headers.
 */
export function removeQueryTokens(plan: ExtractionPlan, draft: UpstreamDraft): void {
  for (const name of plan.params) draft.query.delete(name);
}

/**
 * `forwardToken: false`: every place this provider reads tokens from is cleared on the upstream
 * request, not only the one the token came from, so that a second, unverified token cannot ride along.
 */
export function removeTokenPlaces(plan: ExtractionPlan, draft: UpstreamDraft): void {
  for (const place of plan.headers) draft.headers.delete(place.name);
  if (plan.cookies.length > 0) {
    const cookieHeader = draft.headers.get("cookie");
    if (cookieHeader) {
      const kept = withoutCookies(cookieHeader, plan.cookies);
      if (kept) draft.headers.set("cookie", kept);
      else draft.headers.delete("cookie");
    }
  }
  removeQueryTokens(plan, draft);
}

function withoutCookies(cookieHeader: string, names: readonly string[]): string {
  return cookieHeader
    .split(";")
    .map((pair) => pair.trim())
    .filter((pair) => {
      const eq = pair.indexOf("=");
      return pair !== "" && !names.includes((eq < 0 ? pair : pair.slice(0, eq)).trim());
    })
    .join("; ");
}
