/**
 * What the gateway would do with one request, decided by the same compiled matcher, normaliser and
 * rewrite functions as the worker: which route and rule, and where the request would go (or where it
 * would be redirected). Load balancing is shown deterministically: the backend with the highest weight
 * and that cluster's first endpoint with the highest weight, so the answer is the same on every run.
 *
 * Not simulated: auth (no token is checked), health and session affinity (no traffic has been seen).
 */
import type { Cluster, Endpoint, RouteTable, Rule } from "../config/schema.ts";
import { effectivePolicy } from "../policy/rule-policy.ts";
import {
  type CompiledRouteTable,
  type CompiledRule,
  matchRoute,
  normalizeHost,
  normalizePath,
  type RouteMatch,
  redirectLocation,
  rewritePath,
} from "../routing/index.ts";

export interface ExplainInput {
  readonly method: string;
  /** Absolute http(s) URL. */
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>> | readonly (readonly [string, string])[];
}

/** The shapes of the contract (`gatehouse explain`), plus the 500/503 a matched rule may answer with. */
export type ExplainResult =
  | {
      matched: true;
      route: string;
      rule: number;
      backend: string;
      upstreamUrl: string;
      upstreamHost: string;
      policy?: ExplainPolicy;
    }
  | { matched: true; route: string; rule: number; redirect: { status: number; location: string } }
  | { matched: true; route: string; rule: number; status: 500 | 503; reason: string; policy?: ExplainPolicy }
  | { matched: false; status: 404 }
  | { matched: false; status: 400; reason: string };

/** Methods fetch() upper-cases (the worker sees `GET` for `get`); any other is kept as written. */
const NORMALISED_METHODS = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);

export function normaliseMethod(method: string): string {
  const upper = method.toUpperCase();
  return NORMALISED_METHODS.has(upper) ? upper : method;
}

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

  const method = normaliseMethod(input.method);
  const match = matchRoute(compiled, {
    method,
    host: normalizeHost(url.host),
    path: normalized.path,
    query: url.searchParams,
    headers,
  });
  if (!match) return { matched: false, status: 404 };

  const { rule } = match;
  const found = { matched: true as const, route: rule.routeId, rule: rule.ruleIndex };
  const redirect = tlsRedirect(rule, url, method) ?? filterRedirect(match, url, normalized.path);
  if (redirect) return { ...found, redirect };
  const policy = policyOf(compiled.table, rule.rule);
  return { ...found, ...(policy ? { policy } : {}), ...upstreamOf(compiled, match, url, normalized.path) };
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

function upstreamOf(
  compiled: CompiledRouteTable,
  match: RouteMatch,
  url: URL,
  path: string,
): { backend: string; upstreamUrl: string; upstreamHost: string } | { status: 500 | 503; reason: string } {
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
  const origin = new URL((endpoint as Endpoint).url);
  return {
    backend: backend.name,
    upstreamUrl: `${origin.protocol}//${origin.host}${upstreamPath}${url.search}`,
    upstreamHost: rewrittenHost ?? cluster.hostname ?? origin.host,
  };
}

/** The first item with the highest weight, or undefined when none weighs more than 0. */
function heaviest<T extends { weight: number }>(items: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const item of items) if (item.weight > (best?.weight ?? 0)) best = item;
  return best;
}
