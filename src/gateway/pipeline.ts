/**
 * The request pipeline, one way through:
 *   normalise → route match → origin readings → tls policy → address rules → request limits
 *   → preflight → rate limits keyed without claims → auth → rate limits keyed by a claim
 *   → upstream (filters, pick, forward, retry) → response.
 * Cheap refusals come first: a request refused by address, size or a limit that needs no token never
 * costs a token verification, and no refused request reaches the origin.
 * Each stage is a function in its own module; this file only wires them and owns the request's record:
 * the access-log line, the Analytics Engine data point and this isolate's counters, all written once in
 * `finish` from the same entry (docs/observability.md).
 */
import { authenticate } from "../auth/index.ts";
import { answerPreflight, withCors } from "../filters/index.ts";
import { ANALYTICS_BINDING, writeRequestDataPoint } from "../observability/analytics.ts";
import { recordRequest } from "../observability/isolate-traffic.ts";
import { withServerTiming } from "../observability/server-timing.ts";
import { checkAddressRules } from "../policy/address-rules.ts";
import { enforceRateLimits } from "../policy/rate-limit.ts";
import { bodyTooLarge, checkRequestLimits } from "../policy/request-limits.ts";
import {
  ambiguityMessage,
  findAmbiguity,
  type MatchInput,
  matchRoute,
  normalizeHost,
  normalizePath,
  RegexSubjectTooLong,
} from "../routing/index.ts";
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
    const input: MatchInput = {
      method: request.method,
      host,
      path: normalized.path,
      query,
      headers: request.headers,
    };
    const match = matchRoute(gateway.routing, input);
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
    // Decided on the path every common origin acts on: a reading that lands on a differently
    // protected rule is refused before anything is forwarded (docs/routing.md).
    const ambiguity = findAmbiguity(gateway.routing, input, match);
    if (ambiguity !== undefined) {
      log.error = "ambiguous_path";
      return finish(errorResponse(400, "ambiguous_path", ambiguityMessage(ambiguity), requestId));
    }
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
    // A policy refusal is answered as auth's are: with CORS headers a browser can read it by, and HSTS.
    const refuse = (response: Response): Response =>
      finish(withHsts(withCors(rule, request, response), tls.hsts));

    const policy = gateway.policies[rule.routeIndex]![rule.ruleIndex]!;
    if (policy.addressRules) {
      const refused = checkAddressRules(policy.addressRules, request, requestId);
      if (refused) return refuse(refused);
    }
    if (policy.requestLimits) {
      const refused = checkRequestLimits(policy.requestLimits, request, url, draft, requestId);
      if (refused) return refuse(refused);
    }

    // A browser sends no credentials on a CORS preflight, so it is answered before auth.
    const preflight = answerPreflight(rule, request, requestId);
    if (preflight) return finish(withHsts(preflight, tls.hsts));

    const limits = policy.rateLimits;
    if (limits && limits.beforeAuth.length > 0) {
      const refused = await enforceRateLimits(limits, limits.beforeAuth, {
        request,
        claims: undefined,
        env,
        requestId,
      });
      if (refused) return refuse(refused);
    }

    const authStarted = Date.now();
    const auth = await authenticate({ rule, request, draft, auth: gateway.auth, env, requestId, ctx });
    if (rule.auth) {
      log.provider = rule.auth.provider;
      log.authMs = Date.now() - authStarted;
    }
    log.auth = auth.ok ? (rule.auth ? "ok" : "none") : auth.code;
    if (auth.ok && auth.tokenCache) log.tokenCache = auth.tokenCache;
    if (!auth.ok) return finish(withHsts(withCors(rule, request, auth.response), tls.hsts));

    if (limits && limits.afterAuth.length > 0) {
      const refused = await enforceRateLimits(limits, limits.afterAuth, {
        request,
        claims: auth.claims,
        env,
        requestId,
      });
      if (refused) return refuse(refused);
    }

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
    if (draft.bodyCut && policy.requestLimits?.bodyBytes !== undefined) {
      // The body went past the limit before the origin answered: whatever came back (most often the
      // failed upload's 502) is not the client's answer.
      await response.body?.cancel();
      return refuse(bodyTooLarge(policy.requestLimits.bodyBytes, requestId));
    }
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
