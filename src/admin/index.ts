/**
 * The read-only status surface on the admin host (`ADMIN_HOSTNAME`). The worker sends that host here
 * before any route is matched, so no route can shadow it.
 *
 *   GET /status   JSON (see StatusDocument)
 *   GET /         the same, as a page a person reads at a glance
 *
 * Locked by `Authorization: Bearer <ADMIN_TOKEN>`; with no ADMIN_TOKEN set the surface does not exist.
 */
import type { GatewayConfig } from "../gateway/compile.ts";
import type { Env } from "../gateway/env.ts";
import { errorResponse } from "../gateway/errors.ts";
import { checkBearer } from "./bearer.ts";
import { renderStatusPage } from "./page.ts";
import { buildStatus } from "./status.ts";

const REALM = "gatehouse-admin";

/** Nothing here may be cached or framed, and the page needs nothing but its own inline style. */
const SECURITY_HEADERS = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

export async function handleAdmin(
  request: Request,
  env: Env,
  gateway: GatewayConfig | undefined,
): Promise<Response> {
  const requestId = crypto.randomUUID();
  const token = typeof env.ADMIN_TOKEN === "string" ? env.ADMIN_TOKEN : "";
  if (token === "") {
    return errorResponse(
      404,
      "admin_disabled",
      "the status surface is disabled: set the ADMIN_TOKEN secret to enable it",
      requestId,
    );
  }

  const bearer = await checkBearer(request.headers.get("authorization"), token);
  if (!bearer.ok) {
    // RFC 6750: no error code when no credentials were sent; invalid_token when wrong ones were.
    const challenge = bearer.presented
      ? `Bearer realm="${REALM}", error="invalid_token", error_description="the admin token is not valid"`
      : `Bearer realm="${REALM}"`;
    return errorResponse(
      401,
      "admin_unauthorized",
      bearer.presented ? "the admin token is not valid" : "send Authorization: Bearer <ADMIN_TOKEN>",
      requestId,
      { "www-authenticate": challenge },
    );
  }

  if (request.method !== "GET" && request.method !== "HEAD") {
    return errorResponse(405, "method_not_allowed", "the status surface is read-only (GET)", requestId, {
      allow: "GET, HEAD",
    });
  }

  const path = new URL(request.url).pathname.replace(/\/+$/, "") || "/";
  if (path === "/status") {
    const body = JSON.stringify(
      buildStatus(env, gateway),
      (_key, value) => (value === undefined ? null : value),
      2,
    );
    return respond(request, body, "application/json; charset=utf-8", requestId);
  }
  if (path === "/") {
    const page = renderStatusPage(buildStatus(env, gateway), gateway);
    return respond(request, page, "text/html; charset=utf-8", requestId, {
      "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    });
  }
  return errorResponse(404, "route_not_found", "the status surface serves / and /status only", requestId);
}

function respond(
  request: Request,
  body: string,
  contentType: string,
  requestId: string,
  extra: Record<string, string> = {},
): Response {
  const headers = new Headers({
    ...SECURITY_HEADERS,
    ...extra,
    "content-type": contentType,
    "x-request-id": requestId,
  });
  return new Response(request.method === "HEAD" ? null : body, { status: 200, headers });
}
