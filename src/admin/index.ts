/**
 * The read-only status surface on the admin host (`ADMIN_HOSTNAME`). The worker sends that host here
 * before any route is matched, so no route can shadow it.
 *
 *   GET  /          the status, as a page a person reads at a glance (?q= search, ?page= paging)
 *   GET  /status    JSON (see StatusDocument)
 *   GET  /traffic   JSON: per-route traffic over the last hour (see TrafficReport)
 *   GET  /sign-in   a form that exchanges the admin token for a session cookie (POST); local development
 *   POST /sign-out  ends that session
 *
 * Who may look (docs/observability.md, "The status page in a browser"):
 *   - `Authorization: Bearer <ADMIN_TOKEN>`: scripts, monitors, curl;
 *   - Cloudflare Access in front of the host (ADMIN_ACCESS_TEAM_DOMAIN + ADMIN_ACCESS_AUD): browsers in
 *     production; the sign-in form is then switched off, so Access is the only way in for a browser;
 *   - otherwise the session cookie the sign-in form sets.
 * With neither ADMIN_TOKEN nor Access configured the surface does not exist.
 */
import type { GatewayConfig } from "../gateway/compile.ts";
import type { Env } from "../gateway/env.ts";
import { errorResponse } from "../gateway/errors.ts";
import { ACCESS_JWT_HEADER, accessConfig, checkAccessJwt } from "./access.ts";
import { checkBearer, sameSecret } from "./bearer.ts";
import { renderSignInPage, renderStatusPage } from "./page.ts";
import { CLEARED_SESSION_COOKIE, sessionCookie, sessionCookieValue, validSession } from "./session.ts";
import { buildStatus } from "./status.ts";
import { trafficReport } from "./traffic.ts";

const REALM = "gatehouse-admin";

/** Nothing here may be cached or framed, and the page needs nothing but its own inline style. */
const SECURITY_HEADERS = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

const PAGE_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** How the caller got in; shown on the page. */
type Viewer = { via: "bearer" } | { via: "access"; email: string | undefined } | { via: "session" };

type Identification = { ok: true; viewer: Viewer } | { ok: false; presented: boolean; message: string };

async function identify(request: Request, env: Env, token: string): Promise<Identification> {
  const authorization = request.headers.get("authorization");
  if (authorization !== null) {
    const bearer =
      token === "" ? { ok: false as const, presented: true } : await checkBearer(authorization, token);
    return bearer.ok
      ? { ok: true, viewer: { via: "bearer" } }
      : { ok: false, presented: bearer.presented, message: "the admin token is not valid" };
  }
  const access = accessConfig(env);
  if (access) {
    const assertion = request.headers.get(ACCESS_JWT_HEADER);
    if (assertion === null) {
      return {
        ok: false,
        presented: false,
        message: "sign in through Cloudflare Access, or send Authorization: Bearer <ADMIN_TOKEN>",
      };
    }
    const checked = await checkAccessJwt(assertion, access, env);
    if (checked.ok) return { ok: true, viewer: { via: "access", email: checked.email } };
    console.warn(JSON.stringify({ type: "admin", event: "access_jwt_refused", reason: checked.reason }));
    return { ok: false, presented: true, message: "the Cloudflare Access token is not valid here" };
  }
  const session = sessionCookieValue(request.headers.get("cookie"));
  if (session !== undefined) {
    if (await validSession(session, token, Date.now())) return { ok: true, viewer: { via: "session" } };
    return { ok: false, presented: true, message: "the session has expired: sign in again" };
  }
  return {
    ok: false,
    presented: false,
    message: "send Authorization: Bearer <ADMIN_TOKEN>, or sign in at /sign-in",
  };
}

export async function handleAdmin(
  request: Request,
  env: Env,
  gateway: GatewayConfig | undefined,
): Promise<Response> {
  const requestId = crypto.randomUUID();
  const token = typeof env.ADMIN_TOKEN === "string" ? env.ADMIN_TOKEN : "";
  const access = accessConfig(env);
  if (token === "" && !access) {
    return errorResponse(
      404,
      "admin_disabled",
      "the status surface is disabled: set the ADMIN_TOKEN secret (or Cloudflare Access) to enable it",
      requestId,
    );
  }
  const url = new URL(request.url);
  const path = url.pathname.replace(/\/+$/, "") || "/";

  // The form exists only for local development: with Access configured, a browser signs in there.
  if ((path === "/sign-in" || path === "/sign-out") && !access && token !== "") {
    return handleSession(request, url, path, token, requestId);
  }

  const who = await identify(request, env, token);
  if (!who.ok) {
    // A person's browser with nothing to show is sent to the form rather than shown JSON.
    if (!access && token !== "" && path === "/" && wantsHtml(request)) return seeOther("/sign-in", requestId);
    // RFC 6750: no error code when no credentials were sent; invalid_token when wrong ones were.
    const challenge = who.presented
      ? `Bearer realm="${REALM}", error="invalid_token", error_description="${who.message}"`
      : `Bearer realm="${REALM}"`;
    return errorResponse(401, "admin_unauthorized", who.message, requestId, {
      "www-authenticate": challenge,
    });
  }

  if (request.method !== "GET" && request.method !== "HEAD") {
    return errorResponse(405, "method_not_allowed", "the status surface is read-only (GET)", requestId, {
      allow: "GET, HEAD",
    });
  }

  if (path === "/status") {
    return respond(request, json(buildStatus(env, gateway)), "application/json; charset=utf-8", requestId);
  }
  if (path === "/traffic") {
    return respond(request, json(await trafficReport(env)), "application/json; charset=utf-8", requestId);
  }
  if (path === "/") {
    const page = renderStatusPage(buildStatus(env, gateway), gateway, {
      query: url.searchParams.get("q") ?? "",
      page: Number.parseInt(url.searchParams.get("page") ?? "1", 10) || 1,
      traffic: await trafficReport(env),
      viewer: describeViewer(who.viewer),
      canSignOut: who.viewer.via === "session",
    });
    return respond(request, page, "text/html; charset=utf-8", requestId, {
      "content-security-policy": PAGE_POLICY,
    });
  }
  return errorResponse(
    404,
    "route_not_found",
    "the status surface serves /, /status and /traffic only",
    requestId,
  );
}

async function handleSession(
  request: Request,
  url: URL,
  path: string,
  token: string,
  requestId: string,
): Promise<Response> {
  if (path === "/sign-in" && (request.method === "GET" || request.method === "HEAD")) {
    return respond(request, renderSignInPage(undefined), "text/html; charset=utf-8", requestId, {
      "content-security-policy": PAGE_POLICY,
    });
  }
  if (request.method !== "POST") {
    return errorResponse(405, "method_not_allowed", `${path} takes POST`, requestId, {
      allow: path === "/sign-in" ? "GET, HEAD, POST" : "POST",
    });
  }
  // A form posted from another site is refused outright (the cookie's SameSite=Strict already keeps it
  // out of such requests; this also stops logging a victim in to our session).
  if (crossSite(request, url)) {
    return errorResponse(403, "forbidden", "the form must be posted from this host", requestId);
  }
  if (path === "/sign-out") {
    return seeOther("/sign-in", requestId, { "set-cookie": CLEARED_SESSION_COOKIE });
  }
  let presented = "";
  try {
    const form = await request.formData();
    const value = form.get("token");
    presented = typeof value === "string" ? value : "";
  } catch {
    // not a form: treated as a wrong token
  }
  if (presented === "" || !(await sameSecret(presented, token))) {
    const page = renderSignInPage("That is not the admin token.");
    return new Response(page, {
      status: 401,
      headers: {
        ...SECURITY_HEADERS,
        "content-security-policy": PAGE_POLICY,
        "content-type": "text/html; charset=utf-8",
        "x-request-id": requestId,
      },
    });
  }
  return seeOther("/", requestId, { "set-cookie": await sessionCookie(token, Date.now()) });
}

/**
 * A form posted from another site: the browser's own Sec-Fetch-Site when it sends one, else the Origin's
 * host against ours. (Hosts, not origins: a local proxy such as `wrangler dev` rewrites scheme and port.)
 */
function crossSite(request: Request, url: URL): boolean {
  const site = request.headers.get("sec-fetch-site");
  if (site !== null) return site !== "same-origin" && site !== "none";
  const origin = request.headers.get("origin");
  if (origin === null) return false;
  try {
    return new URL(origin).hostname !== url.hostname;
  } catch {
    return true;
  }
}

function describeViewer(viewer: Viewer): string {
  switch (viewer.via) {
    case "bearer":
      return "admin token";
    case "access":
      return viewer.email ? `${viewer.email} (Cloudflare Access)` : "Cloudflare Access";
    case "session":
      return "admin token (session cookie)";
  }
}

function wantsHtml(request: Request): boolean {
  return (
    (request.method === "GET" || request.method === "HEAD") &&
    (request.headers.get("accept") ?? "").includes("text/html")
  );
}

function json(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (v === undefined ? null : v), 2);
}

function seeOther(location: string, requestId: string, extra: Record<string, string> = {}): Response {
  return new Response(null, {
    status: 303,
    headers: { ...SECURITY_HEADERS, ...extra, location, "x-request-id": requestId },
  });
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
