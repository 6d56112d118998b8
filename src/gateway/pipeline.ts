/**
 * The request pipeline, one way through:
 *   normalise → route match → tls policy → auth → upstream (filters, pick, forward, retry) → response.
 * Each stage is a function in its own module; this file only wires them and owns the request's record:
 * the access-log line, the Analytics Engine data point and this isolate's counters, all written once in
 * `finish` from the same entry (docs/observability.md).
 */
import { authenticate } from "../auth/index.ts";
import { answerPreflight, withCors } from "../filters/index.ts";
import { ANALYTICS_BINDING, writeRequestDataPoint } from "../observability/analytics.ts";
import { recordRequest } from "../observability/isolate-traffic.ts";
import { withServerTiming } from "../observability/server-timing.ts";
import { matchRoute, normalizeHost, normalizePath, RegexSubjectTooLong } from "../routing/index.ts";
import { enforceTlsPolicy } from "../tls/policy.ts";
import { routeToUpstream } from "../upstream/index.ts";
import { type AccessLogEntry, accessLogPolicy, writeAccessLog } from "./access-log.ts";
import type { GatewayConfig } from "./compile.ts";
import type { UpstreamDraft } from "./draft.ts";
import type { Env } from "./env.ts";
import { errorResponse } from "./errors.ts";
import { requestIdFor } from "./request-id.ts";
import { prepareUpstreamHeaders } from "./strip-headers.ts";

export async function handleRequest(
  request: Request,
  env: Env,
  ctx: ExecutionContext,
  gateway: GatewayConfig,
  /** `request.url` parsed, when the caller already has it. */
  url = new URL(request.url),
): Promise<Response> {
  const started = Date.now();
  let requestId = requestIdFor(null, false);
  const log: AccessLogEntry = {
    requestId,
    method: request.method,
    host: url.hostname,
    path: url.pathname,
    tableVersion: gateway.meta.version,
  };
  let serverTiming = false;
  const finish = (response: Response): Response => {
    const now = Date.now();
    log.requestId = requestId;
    log.status = response.status;
    log.totalMs = now - started;
    writeAccessLog(log, accessLogPolicy(env));
    writeRequestDataPoint(env[ANALYTICS_BINDING], log, request.headers.get("cf-connecting-ip") ?? "");
    recordRequest(log.route, response.status, log.totalMs, now);
    return serverTiming ? withServerTiming(response, log) : response;
  };

  try {
    const normalized = normalizePath(url.pathname, {
      allowEncodedSlashes: gateway.table.paths?.allowEncodedSlashes ?? false,
    });
    if (!normalized.ok) {
      log.error = "invalid_path";
      return finish(errorResponse(400, "invalid_path", normalized.reason, requestId));
    }
    const host = normalizeHost(url.host);
    // One parameter list per request: matching only reads it, and then it becomes the draft's, which
    // later stages may change.
    const query = new URLSearchParams(url.search);
    const match = matchRoute(gateway.routing, {
      method: request.method,
      host,
      path: normalized.path,
      query,
      headers: request.headers,
    });
    if (!match) {
      log.error = "route_not_found";
      return finish(
        errorResponse(
          404,
          "route_not_found",
          `no route for ${request.method} ${host}${normalized.path}`,
          requestId,
        ),
      );
    }
    const { rule } = match;
    log.route = rule.routeId;
    log.rule = rule.ruleName ?? rule.ruleIndex;
    serverTiming = rule.serverTiming;
    // The id made on arrival stands unless the route trusts the client's (one UUID per request).
    if (rule.trustRequestId) requestId = requestIdFor(request.headers.get("x-request-id"), true);

    const draft: UpstreamDraft = {
      method: request.method,
      path: normalized.path,
      query,
      headers: prepareUpstreamHeaders(request, url, gateway.spoofableHeaders, requestId),
      hostOverride: undefined,
      body: request.body,
    };

    const tls = enforceTlsPolicy({ policy: rule.tls, request, url, draft, requestId });
    if (!tls.ok) return finish(tls.response);

    // A browser sends no credentials on a CORS preflight, so it is answered before auth.
    const preflight = answerPreflight(rule, request, requestId);
    if (preflight) return finish(withHsts(preflight, tls.hsts));

    const authStarted = Date.now();
    const auth = await authenticate({ rule, request, draft, auth: gateway.auth, env, requestId, ctx });
    if (rule.auth) {
      log.provider = rule.auth.provider;
      log.authMs = Date.now() - authStarted;
    }
    log.auth = auth.ok ? (rule.auth ? "ok" : "none") : auth.code;
    if (auth.ok && auth.tokenCache) log.tokenCache = auth.tokenCache;
    if (!auth.ok) return finish(withHsts(withCors(rule, request, auth.response), tls.hsts));

    const response = await routeToUpstream({
      match,
      request,
      url,
      draft,
      clusters: gateway.clusters,
      claims: auth.claims,
      clientIp: request.headers.get("cf-connecting-ip") ?? "",
      env,
      ctx,
      requestId,
      log,
      started,
    });
    return finish(withHsts(response, tls.hsts));
  } catch (err) {
    // A route regex would have had to judge a value longer than it runs on (routing/regex.ts): refused,
    // never treated as "no match", since the origin would act on that very value.
    if (err instanceof RegexSubjectTooLong) {
      log.error = "bad_request";
      return finish(errorResponse(400, "bad_request", err.message, requestId));
    }
    // A bug must not leak a stack trace to the client; the log keeps the message for operators.
    log.error = "internal_error";
    console.error(JSON.stringify({ type: "error", requestId, message: String(err) }));
    return finish(
      errorResponse(500, "internal_error", "the gateway failed to handle the request", requestId),
    );
  }
}

function withHsts(response: Response, hsts: string | undefined): Response {
  if (!hsts || response.status === 101) return response;
  const headers = new Headers(response.headers);
  headers.set("strict-transport-security", hsts);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
