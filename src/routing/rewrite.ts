/**
 * URLRewrite and RequestRedirect paths (Gateway API `HTTPPathModifier`) and redirect locations.
 * Pure functions of the normalised request path and the match that held, shared by the worker and
 * `gatehouse explain`.
 */
import type { Filter, PathMatch, PathModifier } from "../config/schema.ts";
import { pathSegments } from "./trie.ts";

export type RequestRedirect = Extract<Filter, { type: "RequestRedirect" }>["requestRedirect"];

/**
 * `ReplaceFullPath` replaces the whole path. `ReplacePrefixMatch` replaces the matched prefix element
 * by element, as the Gateway API table has it:
 *
 *   prefix /foo, replacement /xyz:  /foo/bar → /xyz/bar   /foo → /xyz   /foo/ → /xyz/
 *   prefix /foo, replacement /:     /foo/bar → /bar       /foo → /      /foo/ → /
 *
 * A trailing slash on the prefix or on the replacement makes no difference. For a match that is not a
 * prefix (validation refuses that pairing) the whole path counts as matched.
 */
export function rewritePath(path: string, pathMatch: PathMatch, modifier: PathModifier): string {
  if (modifier.type === "ReplaceFullPath") return modifier.replaceFullPath;
  const replacement = stripTrailingSlash(modifier.replacePrefixMatch);
  const rest = pathMatch.type === "PathPrefix" ? pathAfterPrefix(path, pathMatch.value) : "";
  if (rest === "") return replacement === "" ? "/" : replacement;
  return replacement + rest;
}

function stripTrailingSlash(path: string): string {
  return path.endsWith("/") ? path.slice(0, -1) : path;
}

/**
 * What follows the prefix's segments in the path: "" or a string starting with "/". The prefix is
 * skipped segment by segment, so it holds for any prefix that matched element-wise.
 */
function pathAfterPrefix(path: string, prefix: string): string {
  // The root prefix matched all of "/": `/` rewritten to `/xyz` is `/xyz`, not `/xyz/`.
  if (path === "/") return "";
  let index = 0;
  for (let skip = pathSegments(prefix).length; skip > 0; skip--) {
    const next = path.indexOf("/", index + 1);
    if (next === -1) return "";
    index = next;
  }
  return path.slice(index);
}

const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: "80", https: "443" };

export interface RedirectSource {
  /** `http` or `https` (a trailing `:`, as in `URL.protocol`, is accepted). */
  readonly scheme: string;
  readonly hostname: string;
  /** As in `URL.port`: "" when the scheme's default port was used. */
  readonly port: string;
  /** The normalised request path. */
  readonly path: string;
  /** As in `URL.search`: "" or "?…". */
  readonly search: string;
}

/**
 * The `Location` of a RequestRedirect: the request's URL with the parts the filter names replaced.
 * The port follows Gateway API: the filter's port; else, when the filter changes the scheme, that
 * scheme's well-known port; else the request's port. It is left out when it is the scheme's default.
 * The query string is kept.
 */
export function redirectLocation(
  request: RedirectSource,
  pathMatch: PathMatch,
  redirect: RequestRedirect,
): string {
  const scheme = redirect.scheme ?? stripColon(request.scheme);
  const hostname = redirect.hostname ?? request.hostname;
  let port: string;
  if (redirect.port !== undefined) port = String(redirect.port);
  else if (redirect.scheme !== undefined) port = "";
  else port = request.port;
  if (port === DEFAULT_PORTS[scheme]) port = "";
  const path =
    redirect.path === undefined ? request.path : rewritePath(request.path, pathMatch, redirect.path);
  const host = hostname.includes(":") && !hostname.startsWith("[") ? `[${hostname}]` : hostname;
  return `${scheme}://${host}${port === "" ? "" : `:${port}`}${path}${request.search}`;
}

function stripColon(scheme: string): string {
  return scheme.endsWith(":") ? scheme.slice(0, -1) : scheme;
}
