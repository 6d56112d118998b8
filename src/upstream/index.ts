/**
 * The data path after routing and auth, one way through:
 *
 *   request filters → backend (weights) → endpoint (session, balancer, health) → exchange (forward,
 *   timeouts, retries) → response filters
 *
 * Each step is its own module; this one wires them, turns outcomes into answers and fills the access
 * log. Errors are the gateway's JSON answers (`errorResponse`): 500 no backend, 502 no connection, a
 * broken one or an answer that is not valid HTTP, 503 nothing in the cluster may take traffic, 504 no
 * response headers in time; 408 and 400 when the client's own body did not arrive in time or broke off.
 * None of them names an endpoint URL.
 */
import type { RouteTable } from "../config/schema.ts";
import {
  applyRequestFilters,
  applyResponseFilters,
  decorateCors,
  type FilterPlan,
  filterPlanFor,
  startMirror,
  withCors,
} from "../filters/index.ts";
import type { AccessLogEntry } from "../gateway/access-log.ts";
import type { UpstreamDraft } from "../gateway/draft.ts";
import type { Env } from "../gateway/env.ts";
import { errorResponse, type GatewayErrorCode } from "../gateway/errors.ts";
import { removeHopByHop } from "../gateway/strip-headers.ts";
import type { CompiledRule, RouteMatch } from "../routing/types.ts";
import { resolveTransport } from "../transport/index.ts";
import { activeVerdict } from "./active-health.ts";
import type { HashKeySource } from "./balancer.ts";
import { type CompiledClusters, compileClusters as compileClusterTable } from "./clusters.ts";
import { exchange } from "./exchange.ts";
import { draftSearch } from "./forward.ts";
import { healthSnapshot } from "./health.ts";
import { compileBackends, isHealthy, pickBackend, pickEndpoint, type WeightedBackends } from "./pick.ts";
import { cookieValue, readSession, sessionUpdate } from "./session.ts";

export type { CompiledCluster, CompiledClusters, CompiledEndpoint } from "./clusters.ts";

export function compileClusters(table: RouteTable): CompiledClusters {
  return compileClusterTable(table);
}

export interface ForwardInput {
  match: RouteMatch;
  request: Request;
  /** The public URL as the client sent it (scheme, host, port): redirects and X-Forwarded-* need it. */
  url: URL;
  draft: UpstreamDraft;
  clusters: CompiledClusters;
  claims: Readonly<Record<string, unknown>> | undefined;
  clientIp: string;
  env: Env;
  ctx: ExecutionContext;
  requestId: string;
  log: AccessLogEntry;
  /** When the gateway received the request (`Date.now()`): the `request` timeout counts from here. */
  started?: number;
}

/** Request filters, backend choice, endpoint choice, forward with retries, response filters. */
export async function routeToUpstream(input: ForwardInput): Promise<Response> {
  const { match, draft, url, requestId } = input;
  const rule = match.rule;
  const filters = filterPlanFor(rule);
  const answered = applyRequestFilters(filters, { draft, url, pathMatch: match.pathMatch, requestId });
  if (answered) return answered;
  return forward(input, rule, filters);
}

async function forward(input: ForwardInput, rule: CompiledRule, filters: FilterPlan): Promise<Response> {
  const { draft, url, clusters, env } = input;
  const fail = (status: number, code: GatewayErrorCode, message: string) =>
    refuse(input, status, code, message);
  const started = input.started ?? Date.now();
  const random = Math.random;
  const search = draftSearch(draft, url);
  for (const plan of filters.mirrors) {
    startMirror({ plan, draft, search, clusters, env, ctx: input.ctx, requestId: input.requestId, random });
  }

  const backends = backendsFor(rule);
  const now = Date.now();
  // Most rules have no session persistence: no async call (and its promise) for them.
  const session =
    rule.sessionPersistence &&
    (await readSession(rule.sessionPersistence, draft, env, clusters, backends, now));
  const cluster = session?.pinned?.cluster ?? clusters.byName.get(pickBackend(backends, random) ?? "");
  if (cluster === undefined) return fail(500, "no_backend", noBackendMessage(rule, backends));
  input.log.cluster = cluster.name;

  const hashKey = hashKeyFor(cluster.balancer.hashKey, input);
  const first =
    session?.pinned?.endpoint ?? pickEndpoint(cluster, { tried: new Set(), hashKey, now, random });
  if (first === undefined) {
    return fail(503, "no_healthy_endpoint", "no endpoint of the backend may take traffic");
  }
  const transport = resolveTransport(cluster.cluster, env);
  if (!transport.ok) return fail(502, transport.code, transport.message);

  const outcome = await exchange({
    rule,
    draft,
    search,
    cluster,
    first,
    send: transport.send,
    hashKey,
    started,
    random,
  });
  const { log } = input;
  log.endpoint = outcome.endpoint.label;
  log.attempts = outcome.attempts;
  log.upstreamMs = outcome.upstreamMs;
  const { result } = outcome;
  switch (result.kind) {
    case "timeout":
      return fail(504, "upstream_timeout", "the origin did not send response headers in time");
    case "failed":
      return fail(502, "upstream_unreachable", "the origin could not be reached or closed the connection");
    case "invalid":
      return fail(502, "upstream_invalid_response", "the origin's answer was not a valid HTTP response");
    case "client_timeout":
      return fail(408, "request_timeout", "the request body did not arrive in time");
    case "client_body_broken":
      return fail(400, "incomplete_request_body", "the request body ended before it was complete");
  }
  const update =
    session && (await sessionUpdate(session, outcome.endpoint, Date.now(), url.protocol === "https:"));
  if (update) log.session = update.outcome;
  return clientResponse(result.response, input, filters, update);
}

/**
 * The origin's response as the client gets it: same status and body stream (never read here), headers
 * minus hop-by-hop, plus the rule's response filters, the request id, the session value and CORS.
 */
function clientResponse(
  origin: Response,
  input: ForwardInput,
  filters: FilterPlan,
  session: { name: string; value: string } | undefined,
): Response {
  const upgraded = origin.status === 101;
  // A fetched response's headers are immutable. A 101 is rebuilt around its WebSocket; any other
  // response is re-wrapped once (`new Response(body, origin)` copies status, text and headers in the
  // runtime) and its own header copy edited in place, rather than copied into a `Headers` and again
  // into the `Response`.
  const response = upgraded
    ? new Response(null, { status: 101, webSocket: origin.webSocket, headers: origin.headers })
    : new Response(origin.body, origin);
  const { headers } = response;
  removeHopByHop(headers, upgraded);
  applyResponseFilters(filters, headers);
  headers.set("x-request-id", input.requestId);
  if (session) headers.append(session.name, session.value);
  if (filters.cors) decorateCors(filters.cors, input.request.headers, headers);
  return response;
}

/** The gateway's own answer, with the rule's CORS headers so that a browser may read it. */
function refuse(input: ForwardInput, status: number, code: GatewayErrorCode, message: string): Response {
  input.log.error = code;
  return withCors(input.match.rule, input.request, errorResponse(status, code, message, input.requestId));
}

const backendPlans = new WeakMap<CompiledRule, WeightedBackends>();

function backendsFor(rule: CompiledRule): WeightedBackends {
  let backends = backendPlans.get(rule);
  if (backends === undefined) {
    backends = compileBackends(rule.backendRefs);
    backendPlans.set(rule, backends);
  }
  return backends;
}

function noBackendMessage(rule: CompiledRule, backends: WeightedBackends): string {
  const where = `route "${rule.routeId}" rule ${rule.ruleName ?? rule.ruleIndex}`;
  if (rule.backendRefs.length === 0) return `${where} has no backendRefs`;
  if (backends.totalWeight === 0) return `every backendRef of ${where} has weight 0`;
  return `a backendRef of ${where} names no cluster of the table`;
}

function hashKeyFor(source: HashKeySource | undefined, input: ForwardInput): string | undefined {
  if (source === undefined) return undefined;
  switch (source.from) {
    case "header":
      return input.request.headers.get(source.name) ?? undefined;
    case "cookie":
      return cookieValue(input.request.headers.get("cookie"), source.name);
    case "sourceIP":
      return input.clientIp || undefined;
    case "claim": {
      const claim = input.claims?.[source.name];
      if (claim === undefined || claim === null) return undefined;
      return typeof claim === "string" ? claim : JSON.stringify(claim);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Status view

export interface EndpointHealth {
  cluster: string;
  endpoint: string;
  /** Passive health: not ejected. */
  healthy: boolean;
  consecutiveErrors: number;
  ejectedAt?: string;
  ejectedUntil?: string;
  /** The active check's verdict in force here; absent when the cluster has no active check or none was read yet. */
  active?: ActiveVerdictStatus;
  /** Whether the balancer picks it outside panic mode: weight > 0 and neither check says down (`pick.ts`). */
  takesTraffic: boolean;
}

export interface ActiveVerdictStatus {
  verdict: "up" | "down";
  /** When the verdict was taken, and when the latest probe ran. */
  since: string;
  checkedAt: string;
  /** The latest probe's status, or why it failed. */
  result: string;
  consecutiveSuccesses: number;
  consecutiveFailures: number;
}

/** For the status view: both health verdicts of every endpoint as this isolate sees them. */
export function describeEndpointHealth(clusters: CompiledClusters): EndpointHealth[] {
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const report: EndpointHealth[] = [];
  for (const cluster of clusters.byName.values()) {
    for (const endpoint of cluster.endpoints) {
      const { consecutiveErrors, ejectedAt, ejectedUntil } = healthSnapshot(endpoint.healthKey, now);
      const active = cluster.active ? activeVerdict(endpoint.healthKey, now) : undefined;
      report.push({
        cluster: cluster.name,
        endpoint: endpoint.label,
        healthy: ejectedUntil === undefined,
        consecutiveErrors,
        ...(ejectedAt === undefined ? {} : { ejectedAt: iso(ejectedAt) }),
        ...(ejectedUntil === undefined ? {} : { ejectedUntil: iso(ejectedUntil) }),
        ...(active === undefined
          ? {}
          : {
              active: {
                verdict: active.verdict,
                since: iso(active.since),
                checkedAt: iso(active.checkedAt),
                result: active.result,
                consecutiveSuccesses: active.consecutiveSuccesses,
                consecutiveFailures: active.consecutiveFailures,
              },
            }),
        takesTraffic: isHealthy(endpoint, now),
      });
    }
  }
  return report;
}
