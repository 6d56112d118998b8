/** Helpers for the routing suites: tables through the real schema, requests through the normaliser. */
import { type RouteTableInput, RouteTableSchema } from "../../src/config/schema.ts";
import {
  type CompiledRouteTable,
  compileRouteTable,
  type MatchInput,
  matchRoute,
  normalizeHost,
  normalizePath,
  type RouteMatch,
} from "../../src/routing/index.ts";

export type RoutesInput = RouteTableInput["routes"];

export function compileRoutes(routes: RoutesInput, rest: Partial<RouteTableInput> = {}): CompiledRouteTable {
  return compileRouteTable(RouteTableSchema.parse({ version: 1, ...rest, routes }));
}

export interface TestRequest {
  method?: string;
  /** Host header; a port and a trailing dot are allowed. */
  host?: string;
  /** Path with an optional query string. */
  path: string;
  headers?: Record<string, string>;
}

export function matchInput(request: TestRequest): MatchInput {
  const url = new URL(request.path, `http://${request.host ?? "gateway.test"}`);
  const normalized = normalizePath(url.pathname, { allowEncodedSlashes: false });
  if (!normalized.ok) throw new Error(`test request path refused: ${normalized.reason}`);
  return {
    method: request.method ?? "GET",
    host: normalizeHost(request.host ?? "gateway.test"),
    path: normalized.path,
    query: url.searchParams,
    headers: new Headers(request.headers),
  };
}

export function route(compiled: CompiledRouteTable, request: TestRequest): RouteMatch | undefined {
  return matchRoute(compiled, matchInput(request));
}

/** The first backend of the winning rule, or 404 when nothing matched: how conformance tests read. */
export function backendOf(compiled: CompiledRouteTable, request: TestRequest): string | 404 {
  const match = route(compiled, request);
  return match === undefined ? 404 : (match.rule.backendRefs[0]?.name ?? "(no backend)");
}

/** Shorthand for a rule sending its matches to one backend. */
export function to(backend: string, matches?: NonNullable<RoutesInput[number]["rules"][number]["matches"]>) {
  return { matches, backendRefs: [{ name: backend }] };
}

export function describeRequest(request: TestRequest): string {
  const headers = Object.entries(request.headers ?? {})
    .map(([name, value]) => `${name}: ${value}`)
    .join(", ");
  return `${request.method ?? "GET"} ${request.host ?? ""}${request.path}${headers ? ` [${headers}]` : ""}`;
}
