/**
 * Gateway API `CORS` filter (HTTPCORSFilter). Preflights are answered at the edge — before auth, since a
 * browser never sends credentials on a preflight — and never reach an origin. Actual cross-origin
 * requests go through, and the response (the origin's or the gateway's own error) gets the
 * `Access-Control-*` headers when the `Origin` is allowed.
 *
 * `allowOrigins` entries: `*` (any origin), an exact origin (`https://app.example.com`, scheme, host and
 * port compared case-insensitively) or a wildcard host (`https://*.example.com`: one or more labels in
 * place of `*`, same scheme and port). With `allowCredentials`, `*` is never sent back: the browser
 * refuses it, so the request's own origin (or method, or headers) is echoed instead.
 */
import type { Filter } from "../config/schema.ts";

type CorsConfig = Extract<Filter, { type: "CORS" }>["cors"];

export interface CorsPolicy {
  readonly anyOrigin: boolean;
  readonly exactOrigins: ReadonlySet<string>;
  readonly wildcardOrigins: readonly { scheme: string; suffix: string; port: string }[];
  readonly allowMethods: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly allowCredentials: boolean;
  readonly maxAge: number;
}

export function compileCors(config: CorsConfig): CorsPolicy {
  const origins = config.allowOrigins ?? [];
  const exactOrigins = new Set<string>();
  const wildcardOrigins: { scheme: string; suffix: string; port: string }[] = [];
  for (const origin of origins) {
    if (origin === "*") continue;
    const wildcard = /^([a-z][a-z0-9+.-]*):\/\/\*(\.[^:/]+)(?::(\d+))?$/i.exec(origin);
    if (wildcard) {
      wildcardOrigins.push({
        scheme: wildcard[1]!.toLowerCase(),
        suffix: wildcard[2]!.toLowerCase(),
        port: wildcard[3] ?? "",
      });
    } else {
      exactOrigins.add(origin.toLowerCase().replace(/\/$/, ""));
    }
  }
  return {
    anyOrigin: origins.includes("*"),
    exactOrigins,
    wildcardOrigins,
    allowMethods: config.allowMethods ?? [],
    allowHeaders: config.allowHeaders ?? [],
    exposeHeaders: config.exposeHeaders ?? [],
    allowCredentials: config.allowCredentials,
    maxAge: config.maxAge,
  };
}

export function isPreflight(request: Request): boolean {
  return (
    request.method === "OPTIONS" &&
    request.headers.has("origin") &&
    request.headers.has("access-control-request-method")
  );
}

export function originAllowed(policy: CorsPolicy, origin: string): boolean {
  if (policy.anyOrigin) return true;
  const lower = origin.toLowerCase();
  if (policy.exactOrigins.has(lower)) return true;
  if (policy.wildcardOrigins.length === 0) return false;
  let url: URL;
  try {
    url = new URL(lower);
  } catch {
    return false;
  }
  const scheme = url.protocol.slice(0, -1);
  return policy.wildcardOrigins.some(
    (w) =>
      w.scheme === scheme &&
      w.port === url.port &&
      url.hostname.endsWith(w.suffix) &&
      url.hostname.length > w.suffix.length,
  );
}

/** The edge's answer to a preflight: 204, with the allow headers when the origin is allowed. */
export function preflightResponse(policy: CorsPolicy, request: Request, requestId: string): Response {
  const headers = new Headers({ "x-request-id": requestId });
  headers.set("vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
  const origin = request.headers.get("origin")!;
  if (originAllowed(policy, origin)) {
    allowOrigin(policy, origin, headers);
    const method = request.headers.get("access-control-request-method") ?? "";
    const methods = listOrEcho(policy.allowMethods, method, policy.allowCredentials);
    if (methods) headers.set("access-control-allow-methods", methods);
    const requested = request.headers.get("access-control-request-headers") ?? "";
    const allowed = listOrEcho(policy.allowHeaders, requested, policy.allowCredentials);
    if (allowed) headers.set("access-control-allow-headers", allowed);
    headers.set("access-control-max-age", String(policy.maxAge));
  }
  return new Response(null, { status: 204, headers });
}

/** Adds the CORS headers of an actual (non-preflight) response, when the request's origin is allowed. */
export function decorateCors(policy: CorsPolicy, requestHeaders: Headers, responseHeaders: Headers): void {
  const origin = requestHeaders.get("origin");
  if (origin === null) return;
  appendVary(responseHeaders, "Origin");
  if (!originAllowed(policy, origin)) return;
  allowOrigin(policy, origin, responseHeaders);
  if (policy.exposeHeaders.length > 0) {
    responseHeaders.set("access-control-expose-headers", policy.exposeHeaders.join(", "));
  }
}

function allowOrigin(policy: CorsPolicy, origin: string, headers: Headers): void {
  const wildcard = policy.anyOrigin && !policy.allowCredentials;
  headers.set("access-control-allow-origin", wildcard ? "*" : origin);
  if (policy.allowCredentials) headers.set("access-control-allow-credentials", "true");
}

/** `*` means anything: sent as `*`, or as what was asked for when credentials forbid the wildcard. */
function listOrEcho(list: readonly string[], requested: string, credentials: boolean): string {
  if (list.includes("*")) return credentials ? requested : "*";
  return list.join(", ");
}

function appendVary(headers: Headers, name: string): void {
  const vary = headers.get("vary");
  if (vary === null) headers.set("vary", name);
  else if (!vary.split(",").some((v) => v.trim().toLowerCase() === name.toLowerCase() || v.trim() === "*")) {
    headers.set("vary", `${vary}, ${name}`);
  }
}
