/**
 * Compiles a validated route table, once per published version, into the lookup structures of
 * `lookup.ts` and one fully precomputed `CompiledRule` per rule. Everything a request would otherwise
 * recompute (precedence order, regular expressions, lower-cased header names, durations, the effective
 * TLS policy) is done here.
 */

import { durationMs } from "../config/duration.ts";
import { effectivePolicy } from "../config/effective-policy.ts";
import type {
  HeaderMatch,
  Match,
  PathMatch,
  QueryParamMatch,
  Route,
  RouteTable,
  Rule,
  TlsPolicy,
  TrafficPolicy,
} from "../config/schema.ts";
import { parseRouteHostname } from "./hostname.ts";
import type { HostGroup, MatchCandidate, PathTrieNode, RouteLookup, ValueCondition } from "./lookup.ts";
import { normalizePath } from "./normalize.ts";
import { ALL_READINGS, enabledReadings } from "./origin-readings.ts";
import { compilePathAmbiguity, protectionKey } from "./path-ambiguity.ts";
import { comparePrecedence, PathKind, type PrecedenceKey } from "./precedence.ts";
import { compileTableRegex, literalPathSegments, type TableRegex } from "./regex.ts";
import {
  addExactCandidate,
  addPrefixCandidate,
  addRegexCandidate,
  foldTrie,
  indexRegexes,
  type LabelNames,
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
  const compiled = compileLookup(table);
  return { ...compiled, ambiguity: compilePathAmbiguity(compiled, compileLookup) };
}

/** Rules and lookup, without the path-ambiguity plan (which compiles a case-folded copy with this). */
function compileLookup(table: RouteTable): CompiledRouteTable {
  const rules: CompiledRule[] = [];
  const protections = new Map<string, string>();
  const readings = readingsByCluster(table);
  const drafts: Drafts = { candidates: [], trieSegments: [], keys: [] };
  const paths: PathCache = { values: new Map(), patterns: new Map(), segments: new Map() };
  // Plain loops, no callbacks: a large table compiles 200,000 matches, and a closure per match (or
  // per route) is garbage the young generation has to copy or sweep.
  const routes = table.routes;
  for (let routeIndex = 0; routeIndex < routes.length; routeIndex++) {
    const route = routes[routeIndex]!;
    const tls = effectiveTls(table.tls, route.tls);
    for (let ruleIndex = 0; ruleIndex < route.rules.length; ruleIndex++) {
      const rule = route.rules[ruleIndex]!;
      const policy = effectivePolicy(table.defaults, rule);
      const compiled = compileRule(route, routeIndex, rule, ruleIndex, tls, policy, readings, protections);
      rules.push(compiled);
      const matches: readonly Match[] = rule.matches?.length ? rule.matches : DEFAULT_MATCHES;
      for (let matchIndex = 0; matchIndex < matches.length; matchIndex++) {
        draftCandidate(compiled, matches[matchIndex]!, matchIndex, paths, drafts);
      }
    }
  }
  const order = precedenceOrder(drafts);
  const ordered = new Array<Candidate>(order.length);
  for (let rank = 0; rank < order.length; rank++) {
    const candidate = drafts.candidates[order[rank]!]!;
    candidate.rank = rank;
    ordered[rank] = candidate;
  }
  return {
    table,
    rules,
    lookup: buildLookup(routes, ordered, order, drafts.trieSegments, new Map()),
    ambiguity: undefined,
  };
}

const DEFAULT_MATCHES: readonly Match[] = Object.freeze([Object.freeze({})]);

/** A candidate while its rank is not yet known. */
type Candidate = MatchCandidate & { rank: number };

/**
 * Candidates in table order (route, rule, match), and beside them, index for index, what only
 * compiling needs: their trie position and the packed precedence key (see `precedenceOrder`). Kept
 * out of the candidates, which the matcher reads, so those stay small.
 */
interface Drafts {
  readonly candidates: Candidate[];
  readonly trieSegments: (readonly string[])[];
  /** NaN when a key does not fit the packing. */
  readonly keys: number[];
}

/**
 * The candidates' table-order indices in precedence order (`comparePrecedence`). The keys that come
 * before table order are packed into one number (see `packedKey`), the index below them, and the
 * numbers sorted natively: no comparator call per comparison, which at 200,000 matches is several
 * million calls. A table whose keys do not fit takes the comparator, which gives the same order.
 */
function precedenceOrder(drafts: Drafts): ArrayLike<number> {
  const { candidates, keys } = drafts;
  if (candidates.length > POSITION_LIMIT || keys.some(Number.isNaN)) {
    const precedence = candidates.map(precedenceKeyOf);
    return candidates.map((_, i) => i).sort((a, b) => comparePrecedence(precedence[a]!, precedence[b]!));
  }
  const sorted = new Float64Array(keys.length);
  for (let i = 0; i < keys.length; i++) sorted[i] = keys[i]! * POSITION_LIMIT + i;
  sorted.sort();
  const order = new Int32Array(sorted.length);
  for (let i = 0; i < sorted.length; i++) order[i] = sorted[i]! % POSITION_LIMIT;
  return order;
}

/** 2^24 positions below 2 + 12 + 1 + 12 key bits: 51 bits, exact in a double. */
const POSITION_LIMIT = 2 ** 24;

/**
 * `comparePrecedence`'s keys before table order as one number, lower first: path kind, longer path,
 * method, more headers, more query parameters. NaN when a part does not fit its bits (a path of over
 * 4,095 characters, over 63 conditions).
 */
function packedKey(
  kind: PathKind,
  length: number,
  hasMethod: boolean,
  headers: number,
  query: number,
): number {
  if (length > 4095 || headers > 63 || query > 63) return Number.NaN;
  return (
    ((kind * 4096 + (4095 - length)) * 2 + (hasMethod ? 0 : 1)) * 4096 + (63 - headers) * 64 + (63 - query)
  );
}

function precedenceKeyOf(candidate: MatchCandidate): PrecedenceKey {
  const { type, value } = candidate.pathMatch;
  return {
    pathKind: PathKind[type],
    pathLength: pathLengthOf(type, value),
    hasMethod: candidate.method !== undefined,
    headerCount: candidate.headers.length,
    queryCount: candidate.queryParams.length,
    routeIndex: candidate.rule.routeIndex,
    ruleIndex: candidate.rule.ruleIndex,
    matchIndex: candidate.matchIndex,
  };
}

/** See `PrecedenceKey.pathLength`: `value` is the compiled (normalised) one. */
function pathLengthOf(type: PathMatch["type"], value: string): number {
  if (type === "Exact") return 0;
  if (type === "PathPrefix" && value.endsWith("/")) return value.length - 1;
  return value.length;
}

// ---------------------------------------------------------------------------------------------------
// Rules

/** Each cluster's enabled origin readings (`origin-readings.ts`): its own settings over the table's. */
function readingsByCluster(table: RouteTable): Map<string, number> {
  const readings = new Map<string, number>();
  for (const [name, cluster] of Object.entries(table.clusters)) {
    readings.set(name, enabledReadings(table.paths?.readings, cluster.pathReadings));
  }
  return readings;
}

/**
 * The readings of every origin the rule sends requests to: its backends and its mirrors. A name the
 * table lacks (validation refuses that; the request will be answered 500) gets every reading.
 */
function ruleReadings(rule: Rule, readings: ReadonlyMap<string, number>): number {
  let mask = 0;
  for (const ref of rule.backendRefs ?? NONE) mask |= readings.get(ref.name) ?? ALL_READINGS;
  for (const filter of rule.filters ?? NONE) {
    if (filter.type === "RequestMirror")
      mask |= readings.get(filter.requestMirror.backendRef.name) ?? ALL_READINGS;
  }
  return mask;
}

function compileRule(
  route: Route,
  routeIndex: number,
  rule: Rule,
  ruleIndex: number,
  tls: TlsPolicy | undefined,
  policy: TrafficPolicy,
  readings: ReadonlyMap<string, number>,
  protections: Map<string, string>,
): CompiledRule {
  return {
    protection: protectionKey({ auth: rule.auth, tls }, policy, protections),
    pathReadings: ruleReadings(rule, readings),
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
    serverTiming: route.serverTiming ?? false,
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
 * What a path value compiles to, once per distinct value: a large table repeats the same few hundred
 * paths under thousands of hosts, so each is normalised, split and interned once, and each pattern
 * compiled once (a `TableRegex` keeps no state between tests, so candidates share it).
 */
interface PathCache {
  /** Exact and PathPrefix values as written → normalised value and its interned segments. */
  readonly values: Map<string, { readonly value: string; readonly segments: readonly string[] }>;
  readonly patterns: Map<string, { readonly regex: TableRegex; readonly segments: readonly string[] }>;
  /** Every segment string of every trie: `api` under a hundred thousand hosts is one string. */
  readonly segments: Map<string, string>;
}

/** Where a problem is, spelled only when there is one: a large table would build 100,000 of them. */
function matchField(rule: CompiledRule, matchIndex: number): string {
  return `routes[${rule.routeIndex}].rules[${rule.ruleIndex}].matches[${matchIndex}]`;
}

function draftCandidate(
  rule: CompiledRule,
  match: Match,
  matchIndex: number,
  paths: PathCache,
  drafts: Drafts,
): void {
  const pathMatch = match.path ?? DEFAULT_PATH_MATCH;
  const headers = match.headers?.length
    ? compileConditions(match.headers, true, rule, matchIndex, "headers")
    : NO_CONDITIONS;
  const queryParams = match.queryParams?.length
    ? compileConditions(match.queryParams, false, rule, matchIndex, "queryParams")
    : NO_CONDITIONS;
  let compiledPathMatch = pathMatch;
  let pathRegex: TableRegex | undefined;
  let exactPath: string | undefined;
  let trieSegments: readonly string[];
  if (pathMatch.type === "RegularExpression") {
    const compiled = compiledPattern(pathMatch.value, paths, rule, matchIndex);
    pathRegex = compiled.regex;
    trieSegments = compiled.segments;
  } else {
    const { value, segments } = normalizedValue(pathMatch.value, paths);
    if (value !== pathMatch.value) compiledPathMatch = { type: pathMatch.type, value };
    if (pathMatch.type === "Exact") exactPath = value;
    trieSegments = segments;
  }
  // What `holds` reads first, so that it shares the object's first cache line.
  drafts.candidates.push({
    method: match.method,
    headers,
    queryParams,
    pathRegex,
    exactPath,
    pathMatch: compiledPathMatch,
    rule,
    matchIndex,
    rank: -1,
  });
  drafts.trieSegments.push(trieSegments);
  drafts.keys.push(
    packedKey(
      PathKind[pathMatch.type],
      pathLengthOf(pathMatch.type, compiledPathMatch.value),
      match.method !== undefined,
      headers.length,
      queryParams.length,
    ),
  );
}

/**
 * Exact and prefix values go through the request normaliser, so that `/%7Ea` in a table matches the
 * request `/~a` exactly as the origin will see it. A value the normaliser refuses (`%00`) stays as
 * written and can never match a request, which is refused the same way; validation reports it.
 */
function normalizedValue(written: string, paths: PathCache): { value: string; segments: readonly string[] } {
  let entry = paths.values.get(written);
  if (entry === undefined) {
    const normalized = normalizePath(written, { allowEncodedSlashes: true });
    const value = normalized.ok ? normalized.path : written;
    entry = { value, segments: interned(pathSegments(value), paths.segments) };
    paths.values.set(written, entry);
  }
  return entry;
}

function compiledPattern(
  pattern: string,
  paths: PathCache,
  rule: CompiledRule,
  matchIndex: number,
): { regex: TableRegex; segments: readonly string[] } {
  let entry = paths.patterns.get(pattern);
  if (entry === undefined) {
    const regex = compileRegex(pattern, rule, matchIndex, ".path.value");
    entry = { regex, segments: interned(literalPathSegments(pattern), paths.segments) };
    paths.patterns.set(pattern, entry);
  }
  return entry;
}

function interned(segments: string[], names: Map<string, string>): string[] {
  for (let i = 0; i < segments.length; i++) {
    const name = names.get(segments[i]!);
    if (name === undefined) names.set(segments[i]!, segments[i]!);
    else segments[i] = name;
  }
  return segments;
}

/**
 * Gateway API: when several conditions name the same header (case-insensitively) or the same query
 * parameter, only the first counts, for matching and for precedence alike.
 */
function compileConditions(
  conditions: readonly (HeaderMatch | QueryParamMatch)[],
  lowerCaseNames: boolean,
  rule: CompiledRule,
  matchIndex: number,
  part: "headers" | "queryParams",
): readonly ValueCondition[] {
  if (conditions.length === 0) return NO_CONDITIONS;
  const seen = new Set<string>();
  const compiled: ValueCondition[] = [];
  for (let index = 0; index < conditions.length; index++) {
    const condition = conditions[index]!;
    const name = lowerCaseNames ? condition.name.toLowerCase() : condition.name;
    if (seen.has(name)) continue;
    seen.add(name);
    const regex =
      condition.type === "RegularExpression"
        ? compileRegex(condition.value, rule, matchIndex, `.${part}[${index}].value`)
        : undefined;
    compiled.push({ name, value: condition.value, regex });
  }
  return compiled;
}

const NO_CONDITIONS: readonly ValueCondition[] = Object.freeze([]);

function compileRegex(pattern: string, rule: CompiledRule, matchIndex: number, within: string): TableRegex {
  try {
    return compileTableRegex(pattern);
  } catch (err) {
    throw new Error(`${matchField(rule, matchIndex)}${within}: ${(err as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Host groups

/**
 * `candidates` are in precedence order; `order[rank]` is a candidate's index in table order, where
 * `trieSegments` has its trie position.
 */
function buildLookup(
  routes: readonly Route[],
  candidates: readonly MatchCandidate[],
  order: ArrayLike<number>,
  trieSegments: readonly (readonly string[])[],
  labelNames: LabelNames,
): RouteLookup {
  const exactHosts = new Map<string, HostGroup>();
  const wildcardSuffixes = new Map<string, HostGroup>();
  let catchAll: HostGroup | undefined;
  // Every group, numbered as created; each route's groups as one run of `routeGroups` (route i's are
  // routeGroups[groupStart[i]] up to routeGroups[groupStart[i + 1]]): no array per route.
  const groups: HostGroup[] = [];
  const groupNumbers = new Map<HostGroup, number>();
  const numberOf = (group: HostGroup): number => {
    let number = groupNumbers.get(group);
    if (number === undefined) {
      number = groups.push(group) - 1;
      groupNumbers.set(group, number);
    }
    return number;
  };
  const numberByHostname = new Map<string, number>();
  const groupStart = new Int32Array(routes.length + 1);
  const routeGroups: number[] = [];
  for (let routeIndex = 0; routeIndex < routes.length; routeIndex++) {
    groupStart[routeIndex] = routeGroups.length;
    const hostnames = routes[routeIndex]!.hostnames;
    if (!hostnames?.length) {
      catchAll ??= newHostGroup();
      routeGroups.push(numberOf(catchAll));
      continue;
    }
    for (const hostname of hostnames) {
      // A table names each host in several routes: parsed once.
      let number = numberByHostname.get(hostname);
      if (number === undefined) {
        const parsed = parseRouteHostname(hostname);
        number = numberOf(
          parsed.kind === "exact"
            ? groupIn(exactHosts, parsed.host)
            : groupIn(wildcardSuffixes, parsed.suffix),
        );
        numberByHostname.set(hostname, number);
      }
      // A name listed twice (or twice after normalisation) must not file the route twice.
      if (routeGroups.indexOf(number, groupStart[routeIndex]) === -1) routeGroups.push(number);
    }
  }
  groupStart[routes.length] = routeGroups.length;

  // The ranks of each group in precedence order, by counting sort: every list a candidate is
  // appended to stays in that order. Filled one group at a time, so that a group's trie nodes are
  // allocated side by side: a request walks one group, and in a large table that is a few pages
  // instead of one per node.
  const filled = new Int32Array(groups.length + 1);
  for (const candidate of candidates) {
    const routeIndex = candidate.rule.routeIndex;
    for (let g = groupStart[routeIndex]!; g < groupStart[routeIndex + 1]!; g++) {
      filled[routeGroups[g]! + 1]!++;
    }
  }
  for (let n = 1; n <= groups.length; n++) filled[n]! += filled[n - 1]!;
  const groupBegins = filled.slice();
  const ranks = new Int32Array(filled[groups.length]!);
  for (let rank = 0; rank < candidates.length; rank++) {
    const routeIndex = candidates[rank]!.rule.routeIndex;
    for (let g = groupStart[routeIndex]!; g < groupStart[routeIndex + 1]!; g++) {
      ranks[filled[routeGroups[g]!]!++] = rank;
    }
  }
  for (let n = 0; n < groups.length; n++) {
    const group = groups[n]!;
    for (let at = groupBegins[n]!; at < groupBegins[n + 1]!; at++) {
      const rank = ranks[at]!;
      addCandidate(trieNodeAt(group, trieSegments[order[rank]!]!), candidates[rank]!);
    }
    foldTrie(group, labelNames);
    indexRegexes(group);
  }
  let longestSuffix = 0;
  for (const suffix of wildcardSuffixes.keys()) longestSuffix = Math.max(longestSuffix, suffix.length);
  const suffixLengths = new Uint8Array(longestSuffix + 1);
  for (const suffix of wildcardSuffixes.keys()) suffixLengths[suffix.length] = 1;
  return { exactHosts, wildcardSuffixes, suffixLengths, catchAll, candidates };
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

function addCandidate(node: PathTrieNode, candidate: MatchCandidate): void {
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
