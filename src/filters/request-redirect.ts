/**
 * Gateway API `RequestRedirect`: the gateway answers itself with the status (default 302) and a
 * `Location` built by the routing core from the request with the filter's parts replaced. Nothing
 * reaches an origin. The query kept is the one the origin would have received, so a credential that
 * auth took out of the query string is not echoed back.
 */
import type { PathMatch } from "../config/schema.ts";
import type { UpstreamDraft } from "../gateway/draft.ts";
import { type RequestRedirect, redirectLocation } from "../routing/index.ts";
import { draftSearch } from "../upstream/forward.ts";

export function redirectResponse(
  draft: UpstreamDraft,
  url: URL,
  pathMatch: PathMatch,
  redirect: RequestRedirect,
  requestId: string,
): Response {
  const location = redirectLocation(
    {
      scheme: url.protocol,
      hostname: url.hostname,
      port: url.port,
      path: draft.path,
      search: draftSearch(draft, url),
    },
    pathMatch,
    redirect,
  );
  return new Response(null, {
    status: redirect.statusCode,
    headers: { location, "x-request-id": requestId },
  });
}
