/**
 * The answer to a plain-HTTP request on a route that wants HTTPS: the same URL on https. 308 keeps the
 * method and body (RFC 9110 §15.4.9), so it is right for every request; a table may ask for 301 for
 * GET and HEAD, which some very old clients understand better and which never changes their method.
 */
import { errorResponse } from "../gateway/errors.ts";

export type RedirectStatus = 301 | 308;

export function httpsRedirect(
  url: URL,
  method: string,
  statusForGetHead: RedirectStatus,
  requestId: string,
): Response {
  const location = new URL(url);
  location.protocol = "https:";
  // Gateway API's rule for a scheme change: the new scheme's well-known port, i.e. none in the URL.
  location.port = "";
  const status = method === "GET" || method === "HEAD" ? statusForGetHead : 308;
  return new Response(null, {
    status,
    headers: { location: location.href, "x-request-id": requestId },
  });
}

/**
 * A route that needs TLS (a minimum version or a required client certificate) and does not redirect:
 * nothing is forwarded, and the client is told where the route lives instead.
 */
export function httpsRequired(url: URL, requestId: string): Response {
  const secure = new URL(url);
  secure.protocol = "https:";
  secure.port = "";
  return errorResponse(
    403,
    "https_required",
    `this route is served over HTTPS only: ${secure.origin}${secure.pathname}`,
    requestId,
  );
}
