/**
 * Finds the rule that serves a request, with the contract's semantics (Gateway API):
 *
 *   host tiers, in order: the exact host's group, then the wildcard groups covering the host
 *   (longest suffix first), then the group of routes without hostnames; the first tier with a
 *   holding match wins, so a request no exact-host rule matches falls through to wildcard and
 *   catch-all routes.
 *
 *   within a group, candidates in precedence order: exact path, regular expressions, prefixes from
 *   the deepest trie node up; each candidate's method, header and query conditions decide.
 *
 * Cost per request: one map lookup for the exact host, one per label of the host for wildcards, and
 * per group visited one trie walk of at most one node per path segment; the
 * only candidates evaluated are those filed under the request's host and path (the rules sharing a
 * host + path key). The number of routes in the table does not appear.
 */
import type { HostGroup, MatchCandidate, PathTrieNode } from "./lookup.ts";
import { walkTrie } from "./trie.ts";
import type { CompiledRouteTable, MatchInput, RouteMatch } from "./types.ts";

export function matchRoute(compiled: CompiledRouteTable, input: MatchInput): RouteMatch | undefined {
  const { exactHosts, wildcardSuffixes, suffixLengths, catchAll } = compiled.lookup;
  const exactGroup = exactHosts.get(input.host);
  if (exactGroup !== undefined) {
    const found = matchInGroup(exactGroup, input);
    if (found !== undefined) return found;
  }
  if (wildcardSuffixes.size > 0) {
    // Every suffix that starts at a dot, longest first: a.b.example.com → .b.example.com, .example.com, .com
    const host = input.host;
    for (let dot = host.indexOf(".", 1); dot !== -1; dot = host.indexOf(".", dot + 1)) {
      // No wildcard suffix is that long: nothing to slice (a string per suffix) and look up.
      if (suffixLengths[host.length - dot] !== 1) continue;
      const group = wildcardSuffixes.get(host.slice(dot));
      if (group === undefined) continue;
      const found = matchInGroup(group, input);
      if (found !== undefined) return found;
    }
  }
  return catchAll === undefined ? undefined : matchInGroup(catchAll, input);
}

// Reused across calls: matching is synchronous, so one walk is ever in progress.
const walked: PathTrieNode[] = [];

function matchInGroup(group: HostGroup, input: MatchInput): RouteMatch | undefined {
  const depth = walkTrie(group, input.path, walked);
  // Exact paths end at the deepest node when the walk consumed the whole path; when it stopped short,
  // that node's exact paths are shorter than the request's and the comparison fails.
  for (const candidate of walked[depth - 1]!.exacts) {
    if (candidate.exactPath === input.path && holds(candidate, input)) return candidate;
  }
  const found = firstRegexMatch(depth, input);
  if (found !== undefined) return found;
  // A deeper node is a longer prefix: deepest first is precedence order.
  for (let level = depth - 1; level >= 0; level--) {
    const node = walked[level]!;
    for (const candidate of node.prefixes) if (holds(candidate, input)) return candidate;
    if (node.unconditionalPrefix !== undefined) return node.unconditionalPrefix;
  }
  return undefined;
}

/**
 * Regular expressions are filed under the trie node of their literal leading segments, so the
 * request's walk collects one sorted list per level; they are tried merged by rank.
 */
function firstRegexMatch(depth: number, input: MatchInput): RouteMatch | undefined {
  let count = 0;
  const path = input.path;
  for (let level = 0; level < depth; level++) {
    const node = walked[level]!;
    const index = node.regexIndex;
    if (index !== undefined) {
      // Only the patterns whose literal start the path begins with: one lookup per start length.
      for (const length of index.lengths) {
        if (length > path.length) break;
        const list = index.lists.get(length === 0 ? "" : path.slice(0, length));
        if (list === undefined) continue;
        regexLists[count] = list;
        regexNext[count++] = 0;
      }
      continue;
    }
    const regexes = node.regexes;
    if (regexes.length === 0) continue;
    regexLists[count] = regexes;
    regexNext[count++] = 0;
  }
  if (count === 0) return undefined;
  if (count === 1) {
    for (const candidate of regexLists[0]!) if (holds(candidate, input)) return candidate;
    return undefined;
  }
  for (;;) {
    let best = -1;
    let bestRank = 0;
    for (let i = 0; i < count; i++) {
      const head = regexLists[i]![regexNext[i]!];
      if (head !== undefined && (best === -1 || head.rank < bestRank)) {
        best = i;
        bestRank = head.rank;
      }
    }
    if (best === -1) return undefined;
    const candidate = regexLists[best]![regexNext[best]!++]!;
    if (holds(candidate, input)) return candidate;
  }
}

// The lists being merged and each one's next position, reused like `walked`: no allocation per lookup.
const regexLists: (readonly MatchCandidate[])[] = [];
const regexNext: number[] = [];

/** Method, headers, query parameters, and for regular expressions the path itself. */
function holds(candidate: MatchCandidate, input: MatchInput): boolean {
  // A string comparison that rules out most regex candidates filed where a request's walk passes,
  // before a header is read or the engine runs (regex.ts, `mayMatch`).
  if (candidate.pathRegex !== undefined && !candidate.pathRegex.mayMatch(input.path)) return false;
  if (candidate.method !== undefined && candidate.method !== input.method) return false;
  for (const header of candidate.headers) {
    const value = input.headers.get(header.name);
    if (value === null || !(header.regex === undefined ? value === header.value : header.regex.test(value))) {
      return false;
    }
  }
  for (const param of candidate.queryParams) {
    const value = input.query.get(param.name);
    if (value === null || !(param.regex === undefined ? value === param.value : param.regex.test(value))) {
      return false;
    }
  }
  return candidate.pathRegex === undefined || candidate.pathRegex.test(input.path);
}
