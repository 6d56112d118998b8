/**
 * Where a provider looks for a token, and how the token is kept from the origin when it should be.
 *
 * Order (first found wins): the `headers` in listed order, then the `cookies`, then the query `params`.
 * Without `extractFrom` the only place is `Authorization: Bearer <token>`; with `extractFrom`, only the
 * places it lists. A prefix is compared without regard to case (the auth scheme is case-insensitive,
 * RFC 9110 §11.1), and whitespace after it is skipped.
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

export const DEFAULT_EXTRACTION: ExtractionPlan = {
  headers: [{ name: "authorization", prefix: "bearer " }],
  cookies: [],
  params: [],
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
  };
}

export function extractToken(
  plan: ExtractionPlan,
  headers: Headers,
  query: URLSearchParams,
): ExtractedToken | undefined {
  for (const place of plan.headers) {
    const value = headers.get(place.name);
    if (value === null) continue;
    const token = afterPrefix(value, place.prefix);
    if (token !== undefined) return { token, source: { kind: "header", name: place.name } };
  }
  if (plan.cookies.length > 0) {
    const cookieHeader = headers.get("cookie");
    if (cookieHeader) {
      for (const name of plan.cookies) {
        const token = cookieValue(cookieHeader, name);
        if (token !== undefined) return { token, source: { kind: "cookie", name } };
      }
    }
  }
  for (const name of plan.params) {
    const token = query.get(name);
    if (token !== null) return { token, source: { kind: "param", name } };
  }
  return undefined;
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
