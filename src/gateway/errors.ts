/**
 * Every answer the gateway makes itself is one of these: a JSON body with a stable code, a message a
 * person can act on, and the request id. Never a stack trace, never an internal URL.
 */
export type GatewayErrorCode =
  | "bad_request"
  | "invalid_path"
  | "ambiguous_path"
  | "route_not_found"
  | "no_route_table"
  | "route_table_unavailable"
  | "no_backend"
  | "upstream_unreachable"
  | "upstream_error"
  | "no_healthy_endpoint"
  | "upstream_timeout"
  | "upstream_invalid_response"
  | "request_timeout"
  | "incomplete_request_body"
  | "transport_misconfigured"
  | "tls_version_too_low"
  | "client_certificate_required"
  | "https_required"
  | "invalid_request"
  | "unauthorized"
  | "forbidden"
  | "auth_misconfigured"
  | "jwks_unavailable"
  | "admin_unauthorized"
  | "admin_disabled"
  | "method_not_allowed"
  | "address_denied"
  | "country_denied"
  | "url_too_long"
  | "headers_too_large"
  | "body_too_large"
  | "rate_limited"
  | "rate_limit_misconfigured"
  | "internal_error";

export function errorResponse(
  status: number,
  error: GatewayErrorCode,
  message: string,
  requestId: string,
  headers?: HeadersInit,
): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/json; charset=utf-8");
  h.set("cache-control", "no-store");
  h.set("x-request-id", requestId);
  return new Response(JSON.stringify({ error, message, requestId }), { status, headers: h });
}
