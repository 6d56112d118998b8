/**
 * What the gateway would do with one request, decided by the same compiled matcher, normaliser and
 * rewrite functions as the worker: which route and rule (named as the access log names it), what the
 * rule demands before forwarding (TLS policy, a JWT: provider, issuer, audiences, scopes, claims), what
 * it changes (path and Host rewrites, header modifiers, mirrors), and where the request would go: the
 * URL and the `Host` the origin really receives over the cluster's transport (or where it would be
 * redirected). Load balancing is shown deterministically: the backend with the highest weight and that
 * cluster's first endpoint with the highest weight, so the answer is the same on every run.
 *
 * Not simulated: auth is described, not checked (no token is verified), and health and session affinity
 * need traffic.
 */

import { effectivePolicy } from "../config/effective-policy.ts";
import { UNSENT_HOST_REASON } from "../config/host-checks.ts";
import type { Auth, Cluster, Endpoint, Filter, RouteTable, Rule, TlsPolicy } from "../config/schema.ts";
import {
  ambiguityMessage,
  type CompiledRouteTable,
  type CompiledRule,
  findAmbiguity,
  type MatchInput,
  matchRoute,
  normalizeHost,
  normalizePath,
  RegexSubjectTooLong,
  type RouteMatch,
  redirectLocation,
  rewritePath,
} from "../routing/index.ts";
import { isPlainHttpOffMachine } from "../transport/loopback.ts";

export interface ExplainInput {
  readonly method: string;
  /** Absolute http(s) URL. */
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>> | readonly (readonly [string, string])[];
}

/** A rule as the access log names it: its `name`, else its index in the route's `rules`. */
export type RuleLabel = string | number;

/** What a matched rule requires and changes, beyond where it sends the request. Absent keys: none. */
export interface RuleEffects {
  /** The edge TLS policy in force (the table's, overridden field by field by the route's). */
  tls?: TlsPolicy;
  /** The JWT the rule requires; without it, the rule lets every request through unauthenticated. */
  auth?: {
    provider: string;
    issuer?: string;
    /** Accepted audiences: the rule's own, else the provider's. */
    audiences?: string[];
    scopes?: string[];
    claims?: { name: string; values: string[] }[];
  };
  /** URLRewrite: the path the origin receives instead, and the Host asked for. */
  rewrite?: { path?: string; hostname?: string };
  requestHeaders?: { set?: unknown[]; add?: unknown[]; remove?: string[] };
  responseHeaders?: { set?: unknown[]; add?: unknown[]; remove?: string[] };
  mirrors?: { backend: string; percent: number }[];
  cors?: true;
  /** Address rules, size limits and rate limits the request meets before auth (docs/traffic-policy.md). */
  policy?: ExplainPolicy;
}

/** How the request reaches the chosen cluster (docs/transports.md). */
export type TransportView = { type: "direct" } | { type: "vpc"; binding: string } | { type: "access" };

/** The shapes of the contract (`gatehouse explain`), plus the 500/502/503 a matched rule may answer with. */
export type ExplainResult =
  | ({
      matched: true;
      route: string;
      rule: RuleLabel;
      backend: string;
      /** The URL the transport fetches: for `vpc` and `access`, with the Host it sends in it. */
      upstreamUrl: string;
      /** The `Host` the origin really receives over this transport. */
      upstreamHost: string;
      transport: TransportView;
      /** A Host the rule or cluster asks for that this transport does not send, and why. */
      hostNotSent?: { requested: string; reason: string };
    } & RuleEffects)
  | ({
      matched: true;
      route: string;
      rule: RuleLabel;
      redirect: { status: number; location: string };
    } & RuleEffects)
  | ({ matched: true; route: string; rule: RuleLabel; status: 500 | 502 | 503; reason: string } & RuleEffects)
  | { matched: false; status: 404 }
  | { matched: false; status: 400; reason: string };

/**
 * Explain one request. Throws `TypeError` when the URL is not an absolute http(s) URL or a header is
 * not a valid HTTP header: those are the caller's input errors, not the table's.
 */
export function explainRequest(compiled: CompiledRouteTable, input: ExplainInput): ExplainResult {
  const url = parseRequestUrl(input.url);
  const headers = new Headers(input.headers as HeadersInit | undefined);
  const normalized = normalizePath(url.pathname, {
    allowEncodedSlashes: compiled.table.paths?.allowEncodedSlashes ?? false,
  });
  if (!normalized.ok) return { matched: false, status: 400, reason: normalized.reason };

  // Compared exactly as sent, as the Worker's matcher does: `get` is not `GET` (RFC 9110 §9.1).
  const method = input.method;
  const request: MatchInput = {
    method,
    host: normalizeHost(url.host),
    path: normalized.path,
    query: url.searchParams,
    headers,
  };
  let match: RouteMatch | undefined;
  let ambiguity: ReturnType<typeof findAmbiguity>;
  try {
    match = matchRoute(compiled, request);
    ambiguity = match && findAmbiguity(compiled, request, match);
  } catch (err) {
    // A value longer than a route regex judges: the Worker refuses the request (routing/regex.ts).
    if (err instanceof RegexSubjectTooLong) return { matched: false, status: 400, reason: err.message };
    throw err;
  }
  if (!match) return { matched: false, status: 404 };
  if (ambiguity) return { matched: false, status: 400, reason: ambiguityMessage(ambiguity) };

  const { rule } = match;
  const found = { matched: true as const, route: rule.routeId, rule: rule.ruleName ?? rule.ruleIndex };
  // The TLS policy answers before anything else of the rule runs (docs/data-path.md).
  const tls = tlsRedirect(rule, url, method);
  if (tls) return { ...found, redirect: tls, ...(rule.tls ? { tls: rule.tls } : {}) };
  const effects = ruleEffects(compiled.table, rule);
  const redirect = filterRedirect(match, url, normalized.path);
  if (redirect) return { ...found, redirect, ...effects };
  return { ...found, ...upstreamOf(compiled, match, url, normalized.path), ...effects };
}

/** Everything the rule demands and changes, in the order the worker applies it. */
export function ruleEffects(table: RouteTable, rule: CompiledRule): RuleEffects {
  const effects: RuleEffects = {};
  if (rule.tls) effects.tls = rule.tls;
  const policy = policyOf(table, rule.rule);
  if (policy) effects.policy = policy;
  if (rule.auth) effects.auth = authOf(table, rule.auth);
  for (const filter of rule.filters) applyFilter(effects, filter);
  return effects;
}

function authOf(table: RouteTable, auth: Auth): NonNullable<RuleEffects["auth"]> {
  const provider = table.providers[auth.provider];
  const audiences = auth.audiences ?? provider?.audiences;
  return {
    provider: auth.provider,
    ...(provider?.issuer ? { issuer: provider.issuer } : {}),
    ...(audiences?.length ? { audiences } : {}),
    ...(auth.requiredScopes?.length ? { scopes: auth.requiredScopes } : {}),
    ...(auth.requiredClaims?.length ? { claims: auth.requiredClaims } : {}),
  };
}

function applyFilter(effects: RuleEffects, filter: Filter): void {
  switch (filter.type) {
    case "URLRewrite": {
      const { path, hostname } = filter.urlRewrite;
      effects.rewrite = {
        ...effects.rewrite,
        ...(path
          ? {
              path:
                path.type === "ReplaceFullPath"
                  ? path.replaceFullPath
                  : `${path.replacePrefixMatch} (prefix)`,
            }
          : {}),
        ...(hostname ? { hostname } : {}),
      };
      return;
    }
    case "RequestHeaderModifier":
      effects.requestHeaders = modifier(filter.requestHeaderModifier);
      return;
    case "ResponseHeaderModifier":
      effects.responseHeaders = modifier(filter.responseHeaderModifier);
      return;
    case "RequestMirror":
      effects.mirrors = [
        ...(effects.mirrors ?? []),
        { backend: filter.requestMirror.backendRef.name, percent: filter.requestMirror.percent },
      ];
      return;
    case "CORS":
      effects.cors = true;
      return;
    case "RequestRedirect":
      return; // the answer itself (see filterRedirect)
  }
}

function modifier(m: { set?: unknown[]; add?: unknown[]; remove?: string[] }) {
  return {
    ...(m.set?.length ? { set: m.set } : {}),
    ...(m.add?.length ? { add: m.add } : {}),
    ...(m.remove?.length ? { remove: m.remove } : {}),
  };
}

/**
 * The traffic policy the request would meet before it is forwarded (defaults merged), not evaluated:
 * explain sees no client address, country or counter. Address lists are given as their sizes.
 */
export interface ExplainPolicy {
  rateLimit?: { requests: number; period: string; key: unknown; backend: string }[];
  clientAddresses?: { allow: number; deny: number };
  countries?: { allow?: string[]; deny?: string[] };
  requestLimits?: { bodyBytes?: number; headerBytes?: number; urlBytes?: number };
}

function policyOf(table: RouteTable, rule: Rule): ExplainPolicy | undefined {
  const effective = effectivePolicy(table.defaults, rule);
  const policy: ExplainPolicy = {};
  if (effective.rateLimit?.length) policy.rateLimit = effective.rateLimit.map((limit) => ({ ...limit }));
  const { clientAddresses, countries, requestLimits } = effective;
  if (clientAddresses?.allow?.length || clientAddresses?.deny?.length) {
    policy.clientAddresses = {
      allow: clientAddresses.allow?.length ?? 0,
      deny: clientAddresses.deny?.length ?? 0,
    };
  }
  if (countries) policy.countries = countries;
  if (requestLimits && Object.keys(requestLimits).length > 0) policy.requestLimits = requestLimits;
  return Object.keys(policy).length > 0 ? policy : undefined;
}

export function parseRequestUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError(`not an absolute URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`not an http(s) URL: ${JSON.stringify(raw)}`);
  }
  return url;
}

/** The edge TLS policy runs right after the match: a plain-HTTP request to an `httpsRedirect` route. */
function tlsRedirect(
  rule: CompiledRule,
  url: URL,
  method: string,
): { status: number; location: string } | undefined {
  if (url.protocol !== "http:" || rule.tls?.httpsRedirect !== true) return undefined;
  const location = new URL(url);
  location.protocol = "https:";
  location.port = "";
  const getOrHead = method === "GET" || method === "HEAD";
  return { status: getOrHead ? (rule.tls.redirectStatusCode ?? 308) : 308, location: location.href };
}

function filterRedirect(
  match: RouteMatch,
  url: URL,
  path: string,
): { status: number; location: string } | undefined {
  for (const filter of match.rule.filters) {
    if (filter.type !== "RequestRedirect") continue;
    const location = redirectLocation(
      { scheme: url.protocol, hostname: url.hostname, port: url.port, path, search: url.search },
      match.pathMatch,
      filter.requestRedirect,
    );
    return { status: filter.requestRedirect.statusCode, location };
  }
  return undefined;
}

type Upstream =
  | {
      backend: string;
      upstreamUrl: string;
      upstreamHost: string;
      transport: TransportView;
      hostNotSent?: { requested: string; reason: string };
    }
  | { status: 500 | 502 | 503; reason: string };

function upstreamOf(compiled: CompiledRouteTable, match: RouteMatch, url: URL, path: string): Upstream {
  const backend = heaviest(match.rule.backendRefs);
  if (!backend) {
    const reason =
      match.rule.backendRefs.length === 0 ? "the rule has no backendRefs" : "every backendRef has weight 0";
    return { status: 500, reason };
  }
  const cluster: Cluster | undefined = compiled.table.clusters[backend.name];
  const endpoint = cluster && heaviest(cluster.endpoints);
  if (!endpoint)
    return { status: 503, reason: `cluster "${backend.name}" has no endpoint with weight above 0` };

  let upstreamPath = path;
  let rewrittenHost: string | undefined;
  for (const filter of match.rule.filters) {
    if (filter.type !== "URLRewrite") continue;
    if (filter.urlRewrite.path) upstreamPath = rewritePath(path, match.pathMatch, filter.urlRewrite.path);
    rewrittenHost = filter.urlRewrite.hostname ?? rewrittenHost;
  }
  const requested = rewrittenHost ?? cluster.hostname;
  const sent = overTransport(cluster, new URL((endpoint as Endpoint).url), requested);
  if ("status" in sent) return sent;
  return {
    backend: backend.name,
    upstreamUrl: `${sent.origin}${upstreamPath}${url.search}`,
    upstreamHost: sent.host,
    transport: sent.transport,
    ...(requested !== undefined && requested.toLowerCase() !== sent.host.toLowerCase()
      ? { hostNotSent: { requested, reason: sent.dropped } }
      : {}),
  };
}

/**
 * Where the transport really sends, as src/transport does it: a Worker's `fetch` takes the Host from
 * the URL, so `direct` sends the endpoint's own host; `vpc` moves the wanted Host into the URL (Host and
 * SNI); `access` goes to the Access hostname and the tunnel routes on it.
 */
function overTransport(
  cluster: Cluster,
  endpoint: URL,
  requested: string | undefined,
):
  | { origin: string; host: string; transport: TransportView; dropped: string }
  | { status: 502; reason: string } {
  const transport = cluster.transport ?? { type: "direct" as const };
  switch (transport.type) {
    case "vpc": {
      const target = new URL(endpoint);
      if (requested !== undefined) {
        const wanted = new URL(`${target.protocol}//${requested}`);
        target.hostname = wanted.hostname;
        target.port = wanted.port;
      }
      return {
        origin: target.origin,
        host: target.host,
        transport: { type: "vpc", binding: transport.binding },
        dropped: "",
      };
    }
    case "access": {
      const target = new URL(endpoint);
      if (transport.hostname !== undefined) {
        const access = new URL(`https://${transport.hostname}`);
        target.hostname = access.hostname;
        target.port = access.port;
      }
      if (isPlainHttpOffMachine(target)) {
        return {
          status: 502,
          reason: "an access cluster would send its service token over plain HTTP; use https",
        };
      }
      return {
        origin: target.origin,
        host: target.host,
        transport: { type: "access" },
        dropped: UNSENT_HOST_REASON.access,
      };
    }
    default: {
      if (!transport.allowInsecure && isPlainHttpOffMachine(endpoint)) {
        return {
          status: 502,
          reason:
            "plain HTTP to a non-loopback host: the direct transport refuses it (transport_misconfigured) unless transport.allowInsecure is true",
        };
      }
      return {
        origin: endpoint.origin,
        host: endpoint.host,
        transport: { type: "direct" },
        dropped: UNSENT_HOST_REASON.direct,
      };
    }
  }
}

/** The first item with the highest weight, or undefined when none weighs more than 0. */
function heaviest<T extends { weight: number }>(items: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const item of items) if (item.weight > (best?.weight ?? 0)) best = item;
  return best;
}
