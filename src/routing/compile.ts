/**
 * Compiles a validated route table, once per published version, into the lookup structures of
 * `lookup.ts` and one fully precomputed `CompiledRule` per rule. Everything a request would otherwise
 * recompute (precedence order, regular expressions, lower-cased header names, durations, the effective
 * TLS policy) is done here.
 */
import { durationMs } from "../config/duration.ts";
import type {
  HeaderMatch,
  Match,
  PathMatch,
  QueryParamMatch,
  Route,
  RouteTable,
  Rule,
  TlsPolicy,
} from "../config/schema.ts";
import { parseRouteHostname } from "./hostname.ts";
import type { HostGroup, MatchCandidate, RouteLookup, ValueCondition } from "./lookup.ts";
import { normalizePath } from "./normalize.ts";
import { comparePrecedence, PathKind, type PrecedenceKey } from "./precedence.ts";
import { compileAnchoredRegex, literalPathSegments } from "./regex.ts";
import {
  addExactCandidate,
  addPrefixCandidate,
  addRegexCandidate,
  newTrieNode,
  pathSegments,
  trieNodeAt,
} from "./trie.ts";
import type { CompiledRetry, CompiledRouteTable, CompiledRule, CompiledSessionPersistence } from "./types.ts";

/** Envoy's route timeout default: a request that has no response headers after 15 s ends in 504. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
export const DEFAULT_RETRY_CODES: readonly number[] = [502, 503, 504];
const DEFAULT_RETRY_BACKOFF_MS = 25;

// Shared by every rule that sets nothing: most rules of a large table.
const DEFAULT_TIMEOUTS: CompiledRule["timeouts"] = Object.freeze({
  requestMs: DEFAULT_REQUEST_TIMEOUT_MS,
  backendRequestMs: 0,
});
const NO_RETRY: CompiledRetry = Object.freeze({
  attempts: 0,
  codes: new Set(DEFAULT_RETRY_CODES),
  backoffMs: DEFAULT_RETRY_BACKOFF_MS,
});

const NONE: readonly never[] = Object.freeze([]);

/** Gateway API: a rule without matches, or a match without a path, matches the prefix `/`. */
const DEFAULT_PATH_MATCH: PathMatch = Object.freeze({ type: "PathPrefix", value: "/" });

export function compileRouteTable(table: RouteTable): CompiledRouteTable {
  const rules: CompiledRule[] = [];
  const drafts: CandidateDraft[] = [];
  table.routes.forEach((route, routeIndex) => {
    const tls = effectiveTls(table.tls, route.tls);
    route.rules.forEach((rule, ruleIndex) => {
      const compiled = compileRule(route, routeIndex, rule, ruleIndex, tls);
      rules.push(compiled);
      const matches: readonly Match[] = rule.matches?.length ? rule.matches : [{}];
      matches.forEach((match, matchIndex) => {
        drafts.push(draftCandidate(compiled, match, matchIndex));
      });
    });
  });
  drafts.sort(comparePrecedence);
  drafts.forEach((draft, rank) => {
    draft.rank = rank;
  });
  return { table, rules, lookup: buildLookup(table.routes, drafts) };
}

// ---------------------------------------------------------------------------------------------------
// Rules

function compileRule(
  route: Route,
  routeIndex: number,
  rule: Rule,
  ruleIndex: number,
  tls: TlsPolicy | undefined,
): CompiledRule {
  return {
    routeId: route.id,
    routeIndex,
    ruleIndex,
    ruleName: rule.name,
    route,
    rule,
    tls,
    filters: rule.filters ?? NONE,
    backendRefs: rule.backendRefs ?? NONE,
    auth: rule.auth,
    timeouts:
      rule.timeouts === undefined
        ? DEFAULT_TIMEOUTS
        : {
            requestMs: durationMs(rule.timeouts.request, DEFAULT_REQUEST_TIMEOUT_MS),
            backendRequestMs: durationMs(rule.timeouts.backendRequest, 0),
          },
    retry:
      rule.retry === undefined
        ? NO_RETRY
        : {
            attempts: rule.retry.attempts,
            codes: new Set(rule.retry.codes),
            backoffMs: durationMs(rule.retry.backoff, DEFAULT_RETRY_BACKOFF_MS),
          },
    sessionPersistence: compileSessionPersistence(rule.sessionPersistence),
    trustRequestId: route.trustRequestId ?? false,
  };
}

/** The table's policy overridden field by field by the route's; undefined when neither has one. */
export function effectiveTls(
  tableTls: TlsPolicy | undefined,
  routeTls: TlsPolicy | undefined,
): TlsPolicy | undefined {
  if (tableTls === undefined) return routeTls;
  if (routeTls === undefined) return tableTls;
  const merged: Record<string, unknown> = { ...tableTls };
  for (const [field, value] of Object.entries(routeTls)) {
    if (value !== undefined) merged[field] = value;
  }
  return merged as TlsPolicy;
}

function compileSessionPersistence(
  persistence: Rule["sessionPersistence"],
): CompiledSessionPersistence | undefined {
  if (persistence === undefined) return undefined;
  return {
    type: persistence.type,
    sessionName: persistence.sessionName,
    absoluteTimeoutMs: durationMs(persistence.absoluteTimeout, 0),
    idleTimeoutMs: durationMs(persistence.idleTimeout, 0),
    permanentCookie: persistence.cookieConfig?.lifetimeType === "Permanent",
  };
}

// ---------------------------------------------------------------------------------------------------
// Match candidates

/**
 * A candidate while the table compiles: its precedence key and trie position beside what the matcher
 * reads. It becomes the `MatchCandidate` itself once sorted (one object per match, not two: a large
 * table's compile time is mostly allocation and garbage collection).
 */
interface CandidateDraft extends MatchCandidate, PrecedenceKey {
  rank: number;
  /** Where the candidate sits in a host group's trie. */
  readonly trieSegments: readonly string[];
}

/** Where a problem is, spelled only when there is one: a large table would build 100,000 of them. */
type Field = () => string;

function draftCandidate(rule: CompiledRule, match: Match, matchIndex: number): CandidateDraft {
  const field = () => `routes[${rule.routeIndex}].rules[${rule.ruleIndex}].matches[${matchIndex}]`;
  const path = compilePath(match.path ?? DEFAULT_PATH_MATCH, field);
  const headers = match.headers?.length
    ? compileConditions(match.headers, (name) => name.toLowerCase(), field, "headers")
    : NO_CONDITIONS;
  const queryParams = match.queryParams?.length
    ? compileConditions(match.queryParams, (name) => name, field, "queryParams")
    : NO_CONDITIONS;
  // What `holds` reads first, so that it shares the object's first cache line.
  return {
    method: match.method,
    headers,
    queryParams,
    pathRegex: path.pathRegex,
    pathMatch: path.pathMatch,
    rule,
    matchIndex,
    rank: -1,
    pathKind: path.pathKind,
    pathLength: path.pathLength,
    hasMethod: match.method !== undefined,
    headerCount: headers.length,
    queryCount: queryParams.length,
    routeIndex: rule.routeIndex,
    ruleIndex: rule.ruleIndex,
    trieSegments: path.trieSegments,
  };
}

type CompiledPath = Pick<
  CandidateDraft,
  "pathMatch" | "pathRegex" | "trieSegments" | "pathKind" | "pathLength"
>;

function compilePath(pathMatch: PathMatch, field: Field): CompiledPath {
  switch (pathMatch.type) {
    case "Exact": {
      const value = normalizedRouteValue(pathMatch.value);
      return {
        pathMatch: value === pathMatch.value ? pathMatch : { type: "Exact", value },
        pathRegex: undefined,
        trieSegments: pathSegments(value),
        pathKind: PathKind.Exact,
        pathLength: 0,
      };
    }
    case "PathPrefix": {
      const value = normalizedRouteValue(pathMatch.value);
      const withoutTrailingSlash = value.endsWith("/") ? value.slice(0, -1) : value;
      return {
        pathMatch: value === pathMatch.value ? pathMatch : { type: "PathPrefix", value },
        pathRegex: undefined,
        trieSegments: pathSegments(value),
        pathKind: PathKind.PathPrefix,
        pathLength: withoutTrailingSlash.length,
      };
    }
    case "RegularExpression":
      return {
        pathMatch,
        pathRegex: compileRegex(pathMatch.value, () => `${field()}.path.value`),
        trieSegments: literalPathSegments(pathMatch.value),
        pathKind: PathKind.RegularExpression,
        pathLength: pathMatch.value.length,
      };
  }
}

/**
 * Exact and prefix values go through the request normaliser, so that `/%7Ea` in a table matches the
 * request `/~a` exactly as the origin will see it. A value the normaliser refuses (`%00`) stays as
 * written and can never match a request, which is refused the same way; validation reports it.
 */
function normalizedRouteValue(value: string): string {
  const normalized = normalizePath(value, { allowEncodedSlashes: true });
  return normalized.ok ? normalized.path : value;
}

/**
 * Gateway API: when several conditions name the same header (case-insensitively) or the same query
 * parameter, only the first counts, for matching and for precedence alike.
 */
function compileConditions(
  conditions: readonly (HeaderMatch | QueryParamMatch)[],
  canonicalName: (name: string) => string,
  field: Field,
  part: "headers" | "queryParams",
): readonly ValueCondition[] {
  if (conditions.length === 0) return NO_CONDITIONS;
  const seen = new Set<string>();
  const compiled: ValueCondition[] = [];
  conditions.forEach((condition, index) => {
    const name = canonicalName(condition.name);
    if (seen.has(name)) return;
    seen.add(name);
    const regex =
      condition.type === "RegularExpression"
        ? compileRegex(condition.value, () => `${field()}.${part}[${index}].value`)
        : undefined;
    compiled.push({ name, value: condition.value, regex });
  });
  return compiled;
}

const NO_CONDITIONS: readonly ValueCondition[] = Object.freeze([]);

function compileRegex(pattern: string, field: Field): RegExp {
  try {
    return compileAnchoredRegex(pattern);
  } catch (err) {
    throw new Error(`${field()}: invalid regular expression (${(err as Error).message})`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Host groups

function buildLookup(routes: readonly Route[], drafts: readonly CandidateDraft[]): RouteLookup {
  const exactHosts = new Map<string, HostGroup>();
  const wildcardSuffixes = new Map<string, HostGroup>();
  let catchAll: HostGroup | undefined;
  const groupsByRoute = routes.map((route): HostGroup[] => {
    if (!route.hostnames?.length) {
      catchAll ??= newHostGroup();
      return [catchAll];
    }
    const groups: HostGroup[] = [];
    for (const hostname of route.hostnames) {
      const parsed = parseRouteHostname(hostname);
      const group =
        parsed.kind === "exact" ? groupIn(exactHosts, parsed.host) : groupIn(wildcardSuffixes, parsed.suffix);
      // A name listed twice (or twice after normalisation) must not file the route twice.
      if (!groups.includes(group)) groups.push(group);
    }
    return groups;
  });

  // Each group's ranks in precedence order, so every list they are appended to stays in that order.
  const ranksByGroup = new Map<HostGroup, number[]>();
  drafts.forEach((draft, rank) => {
    for (const group of groupsByRoute[draft.rule.routeIndex]!) {
      const ranks = ranksByGroup.get(group);
      if (ranks === undefined) ranksByGroup.set(group, [rank]);
      else ranks.push(rank);
    }
  });
  // One group at a time, so that a group's trie nodes are allocated side by side: a request walks one
  // group, and in a large table that is a few pages instead of one per node.
  const segmentNames = new Map<string, string>();
  for (const [group, ranks] of ranksByGroup) {
    for (const rank of ranks) {
      const draft = drafts[rank]!;
      addCandidate(group, draft, draft.trieSegments, segmentNames);
    }
  }
  return { exactHosts, wildcardSuffixes, catchAll, candidates: drafts };
}

function newHostGroup(): HostGroup {
  return newTrieNode();
}

function groupIn(groups: Map<string, HostGroup>, key: string): HostGroup {
  let group = groups.get(key);
  if (!group) {
    group = newHostGroup();
    groups.set(key, group);
  }
  return group;
}

function addCandidate(
  group: HostGroup,
  candidate: MatchCandidate,
  trieSegments: readonly string[],
  segmentNames: Map<string, string>,
): void {
  const node = trieNodeAt(group, trieSegments, segmentNames);
  switch (candidate.pathMatch.type) {
    case "Exact":
      addExactCandidate(node, candidate);
      return;
    case "PathPrefix":
      addPrefixCandidate(node, candidate);
      return;
    case "RegularExpression":
      addRegexCandidate(node, candidate);
      return;
  }
}
