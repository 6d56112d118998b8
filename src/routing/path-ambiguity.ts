/**
 * The gateway decides on the path any common origin will act on: after matching, the request path is
 * read the ways origins read it (`origin-readings.ts`), and a request whose reading would land on a
 * rule with a different protection than the matched one is refused (`ambiguous_path`) before anything
 * is forwarded.
 *
 * Protection is what the gateway enforces before forwarding: the auth requirement (provider,
 * audiences, scopes, claims) and the edge TLS policy (HTTPS redirect, minimum version, client
 * certificates). Compiled once per table into a plan the request only reads:
 *
 * - every rule carries its protection as one interned key, and the readings its origins need (the
 *   clusters it forwards or mirrors to; a rule that forwards nowhere needs none);
 * - every host group knows the one protection all its rules share, or that they differ. A request
 *   whose host's groups (the exact host, the wildcards covering it, the catch-all) all share the
 *   matched rule's protection pays nothing more: an all-public or all-protected host, or a table
 *   without protected rules;
 * - when some Exact or PathPrefix value has upper-case letters, a copy of the lookup with those values
 *   folded to lower case, for the case-insensitive reading.
 *
 * Per request, beyond that: one regex test per enabled reading whose characters the path holds, and a
 * match (`matchRoute`, whose cost does not grow with the table) per distinct reading.
 */
import type { RouteTable, TlsPolicy, TrafficPolicy } from "../config/schema.ts";
import { parseRouteHostname } from "./hostname.ts";
import type { HostGroup, RouteLookup } from "./lookup.ts";
import { matchRoute } from "./match.ts";
import { CASE_INSENSITIVE_BIT, originReadings, UNREADABLE } from "./origin-readings.ts";
import type { CompiledRouteTable, CompiledRule, MatchInput, RouteMatch } from "./types.ts";

/** A host group whose rules do not all share one protection. */
const MIXED = "\u0000mixed";

export interface PathAmbiguityPlan {
  /** Each host group's one protection key, or `MIXED`. */
  readonly groupProtection: ReadonlyMap<HostGroup, string>;
  /** The table with Exact and PathPrefix values lower-cased; undefined when folding changes none. */
  readonly caseFolded: CompiledRouteTable | undefined;
  readonly allowEncodedSlashes: boolean;
}

/**
 * What the gateway enforces before forwarding, as one comparable string: auth, the edge TLS policy and
 * the traffic policy (address and country rules, size limits, rate limits: a `/LOGIN` that an origin
 * reads as `/login` must not escape the login's rate limit).
 */
export function protectionKey(
  rule: Pick<CompiledRule, "auth" | "tls">,
  policy: TrafficPolicy,
  interned: Map<string, string>,
): string {
  const auth = rule.auth;
  const tls: TlsPolicy | undefined = rule.tls;
  const key = JSON.stringify([
    auth === undefined
      ? null
      : [
          auth.provider,
          sorted(auth.audiences),
          sorted(auth.requiredScopes),
          (auth.requiredClaims ?? [])
            .map((claim) => [claim.name, sorted(claim.values)] as const)
            .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
        ],
    tls?.httpsRedirect ?? false,
    tls?.minVersion ?? null,
    tls?.clientCertificate === undefined
      ? null
      : [tls.clientCertificate.mode, sorted(tls.clientCertificate.fingerprintsSHA256?.map(fingerprint))],
    sorted(policy.clientAddresses?.allow),
    sorted(policy.clientAddresses?.deny),
    sorted(policy.countries?.allow),
    sorted(policy.countries?.deny),
    policy.requestLimits ?? null,
    policy.rateLimit ?? null,
  ]);
  let same = interned.get(key);
  if (same === undefined) {
    same = key;
    interned.set(key, key);
  }
  return same;
}

function sorted(values: readonly string[] | undefined): string[] {
  return [...(values ?? [])].sort();
}

function fingerprint(value: string): string {
  return value.replaceAll(":", "").toLowerCase();
}

/**
 * The plan for a compiled table, or undefined when no request can be ambiguous: every rule has the
 * same protection, or no rule's origins need a reading.
 */
export function compilePathAmbiguity(
  compiled: Omit<CompiledRouteTable, "ambiguity">,
  compileFolded: (table: RouteTable) => CompiledRouteTable,
): PathAmbiguityPlan | undefined {
  const { rules, table, lookup } = compiled;
  if (rules.length === 0 || rules.every((rule) => rule.pathReadings === 0)) return undefined;
  const first = rules[0]!.protection;
  if (rules.every((rule) => rule.protection === first)) return undefined;
  return {
    groupProtection: groupProtections(table, rules, lookup),
    caseFolded: rules.some((rule) => (rule.pathReadings & CASE_INSENSITIVE_BIT) !== 0)
      ? foldedTable(table, compileFolded)
      : undefined,
    allowEncodedSlashes: table.paths?.allowEncodedSlashes ?? false,
  };
}

function groupProtections(
  table: RouteTable,
  rules: readonly CompiledRule[],
  lookup: RouteLookup,
): Map<HostGroup, string> {
  const protections = new Map<HostGroup, string>();
  const note = (group: HostGroup | undefined, key: string) => {
    if (group === undefined) return;
    const seen = protections.get(group);
    if (seen === undefined) protections.set(group, key);
    else if (seen !== key) protections.set(group, MIXED);
  };
  // `rules` is in table order, so each route's rules are one run: its hostnames are parsed once.
  for (let start = 0; start < rules.length; ) {
    const routeIndex = rules[start]!.routeIndex;
    let end = start;
    while (end < rules.length && rules[end]!.routeIndex === routeIndex) end++;
    const groups: (HostGroup | undefined)[] = [];
    const hostnames = table.routes[routeIndex]!.hostnames;
    if (!hostnames?.length) groups.push(lookup.catchAll);
    for (const hostname of hostnames ?? []) {
      const parsed = parseRouteHostname(hostname);
      groups.push(
        parsed.kind === "exact"
          ? lookup.exactHosts.get(parsed.host)
          : lookup.wildcardSuffixes.get(parsed.suffix),
      );
    }
    for (let r = start; r < end; r++) for (const group of groups) note(group, rules[r]!.protection);
    start = end;
  }
  return protections;
}

/** The table with its Exact and PathPrefix values in lower case, compiled; undefined when none changes. */
function foldedTable(
  table: RouteTable,
  compile: (table: RouteTable) => CompiledRouteTable,
): CompiledRouteTable | undefined {
  let changed = false;
  const routes = table.routes.map((route) => ({
    ...route,
    rules: route.rules.map((rule) => ({
      ...rule,
      matches: rule.matches?.map((match) => {
        const path = match.path;
        if (path === undefined || path.type === "RegularExpression") return match;
        const value = foldCase(path.value);
        if (value === path.value) return match;
        changed = true;
        return { ...match, path: { ...path, value } };
      }),
    })),
  }));
  return changed ? compile({ ...table, routes }) : undefined;
}

/** ASCII letters to lower case; percent-encodings as they are. */
function foldCase(path: string): string {
  return path.replace(/%[0-9A-Fa-f]{2}|[A-Z]+/g, (part) => (part[0] === "%" ? part : part.toLowerCase()));
}

export interface Ambiguity {
  /** The reading (or `+`-joined readings) that lands elsewhere. */
  readonly reading: string;
  /** The path as that origin reads it; undefined when it reads as no path the gateway can match. */
  readonly path: string | undefined;
  /** The differently protected rule it lands on; undefined for an unreadable path. */
  readonly rule: CompiledRule | undefined;
}

/**
 * Whether an origin of the matched rule could act on this request as a differently protected rule's
 * request: the first reading that shows it, or undefined.
 */
export function findAmbiguity(
  compiled: CompiledRouteTable,
  input: MatchInput,
  match: RouteMatch,
): Ambiguity | undefined {
  const plan = compiled.ambiguity;
  const rule = match.rule;
  if (plan === undefined || rule.pathReadings === 0) return undefined;
  if (!hostProtectionDiffers(plan, compiled.lookup, input.host, rule.protection)) return undefined;
  // With upper-case letters in the table's values, folding the request alone is not enough (a
  // lower-case `/admin` is `/Admin` to a case-insensitive origin): every reading, and the path itself,
  // is also folded and matched against the folded table.
  const folded = (rule.pathReadings & CASE_INSENSITIVE_BIT) !== 0 ? plan.caseFolded : undefined;
  if (folded !== undefined) {
    const found = landsElsewhere(folded, input, foldCase(input.path), rule, "caseInsensitive");
    if (found !== undefined) return found;
  }
  for (const reading of originReadings(input.path, rule.pathReadings, plan.allowEncodedSlashes)) {
    if (reading.path === UNREADABLE) return { reading: reading.name, path: undefined, rule: undefined };
    let found: Ambiguity | undefined;
    if (folded === undefined) {
      found = landsElsewhere(compiled, input, reading.path, rule, reading.name);
    } else if ((reading.bits & CASE_INSENSITIVE_BIT) !== 0) {
      // Already folded: compared with the folded values.
      found = landsElsewhere(folded, input, reading.path, rule, reading.name);
    } else {
      found =
        landsElsewhere(compiled, input, reading.path, rule, reading.name) ??
        landsElsewhere(folded, input, foldCase(reading.path), rule, `${reading.name}+caseInsensitive`);
    }
    if (found !== undefined) return found;
  }
  return undefined;
}

function landsElsewhere(
  table: CompiledRouteTable,
  input: MatchInput,
  path: string,
  rule: CompiledRule,
  reading: string,
): Ambiguity | undefined {
  const landed = matchRoute(table, { ...input, path });
  if (landed === undefined || landed.rule.protection === rule.protection) return undefined;
  return { reading, path, rule: landed.rule };
}

/** Whether some group the host visits (as `matchRoute` does) holds a rule protected otherwise. */
function hostProtectionDiffers(
  plan: PathAmbiguityPlan,
  lookup: RouteLookup,
  host: string,
  protection: string,
): boolean {
  const differs = (group: HostGroup | undefined) => {
    if (group === undefined) return false;
    const key = plan.groupProtection.get(group);
    return key !== undefined && key !== protection;
  };
  if (differs(lookup.exactHosts.get(host)) || differs(lookup.catchAll)) return true;
  if (lookup.wildcardSuffixes.size > 0) {
    for (let dot = host.indexOf(".", 1); dot !== -1; dot = host.indexOf(".", dot + 1)) {
      if (lookup.suffixLengths[host.length - dot] !== 1) continue;
      if (differs(lookup.wildcardSuffixes.get(host.slice(dot)))) return true;
    }
  }
  return false;
}

/** The refusal's message: what the path reads as, and to which origins. */
export function ambiguityMessage(ambiguity: Ambiguity): string {
  if (ambiguity.path === undefined) {
    return `origins that read paths with "${ambiguity.reading}" would not read this path as the gateway does`;
  }
  return `origins that read paths with "${ambiguity.reading}" would read this path as ${ambiguity.path}, which a differently protected rule serves`;
}
