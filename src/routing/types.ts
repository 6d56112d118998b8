/**
 * What the routing core hands to the rest of the pipeline. The lookup structures behind
 * `CompiledRouteTable` are private to `compile.ts`/`match.ts`; everything downstream sees only these.
 */
import type {
  Auth,
  BackendRef,
  Filter,
  PathMatch,
  Route,
  RouteTable,
  Rule,
  SessionPersistence,
  TlsPolicy,
} from "../config/schema.ts";
import type { RouteLookup } from "./lookup.ts";
import type { PathAmbiguityPlan } from "./path-ambiguity.ts";

/** A request as the matcher sees it: path already normalised (see `normalize.ts`). */
export interface MatchInput {
  readonly method: string;
  /** Hostname only, lower-case, no port, no trailing dot. */
  readonly host: string;
  /** Normalised path, no query. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: { get(name: string): string | null };
}

export interface CompiledRetry {
  /** Extra attempts after the first; 0 = no retry. */
  readonly attempts: number;
  readonly codes: ReadonlySet<number>;
  readonly backoffMs: number;
}

export interface CompiledSessionPersistence {
  readonly type: SessionPersistence["type"];
  readonly sessionName: string;
  /** 0 = no limit. */
  readonly absoluteTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly permanentCookie: boolean;
}

/** One rule of one route, with everything the later stages need precomputed once per table. */
export interface CompiledRule {
  readonly routeId: string;
  readonly routeIndex: number;
  readonly ruleIndex: number;
  readonly ruleName: string | undefined;
  readonly route: Route;
  readonly rule: Rule;
  /** The table's `tls` overridden field by field by the route's; undefined when neither says anything. */
  readonly tls: TlsPolicy | undefined;
  readonly filters: readonly Filter[];
  readonly backendRefs: readonly BackendRef[];
  readonly auth: Auth | undefined;
  /** Milliseconds; 0 = disabled. `requestMs` bounds the whole exchange up to response headers. */
  readonly timeouts: { readonly requestMs: number; readonly backendRequestMs: number };
  readonly retry: CompiledRetry;
  readonly sessionPersistence: CompiledSessionPersistence | undefined;
  readonly trustRequestId: boolean;
  /**
   * What the gateway enforces before forwarding (auth, edge TLS policy) as one interned key: rules
   * with equal keys are equally protected (`path-ambiguity.ts`).
   */
  readonly protection: string;
  /** The origin readings (`origin-readings.ts`) of the clusters this rule sends to, as bits; 0: none. */
  readonly pathReadings: number;
  /** The route's `serverTiming`: responses carry a `Server-Timing` header. */
  readonly serverTiming: boolean;
}

/** The result of `matchRoute`: the winning rule and the match (of its OR list) that held. */
export interface RouteMatch {
  readonly rule: CompiledRule;
  readonly matchIndex: number;
  /** The path match that held (default `PathPrefix /` when the match named none): rewrites need it. */
  readonly pathMatch: PathMatch;
}

export interface CompiledRouteTable {
  readonly table: RouteTable;
  /** Every rule of every route, in table order. */
  readonly rules: readonly CompiledRule[];
  /** The lookup structures `matchRoute` walks (see `lookup.ts`). */
  readonly lookup: RouteLookup;
  /** Undefined when no request can read differently to an origin (`path-ambiguity.ts`). */
  readonly ambiguity: PathAmbiguityPlan | undefined;
}
