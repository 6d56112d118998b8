/**
 * The lookup structures a table compiles into (private to `compile.ts` and `match.ts`; the rest of the
 * pipeline sees only `CompiledRule` and `RouteMatch`).
 *
 *   host ─┬─ exact-host map ──────────┐
 *         ├─ wildcard-suffix map ─────┼─▶ HostGroup ─┬─ exact-path map ─────▶ candidates
 *         └─ catch-all group ─────────┘              └─ segment trie ─┬─ prefix candidates per node
 *                                                                     └─ regex candidates per node
 *
 * Every candidate list is in precedence order (see `precedence.ts`), fixed once at compile time.
 */
import type { PathMatch } from "../config/schema.ts";
import type { CompiledRule, RouteMatch } from "./types.ts";

/** One header or query-parameter condition: exact value, or an anchored regular expression. */
export interface ValueCondition {
  /** Header names lower-cased; query-parameter names as written (they are case-sensitive). */
  readonly name: string;
  readonly value: string;
  readonly regex: RegExp | undefined;
}

/** One `matches[i]` of one rule: everything but the host and the path's trie position. */
export interface MatchCandidate {
  readonly rule: CompiledRule;
  readonly matchIndex: number;
  readonly pathMatch: PathMatch;
  /** Set for RegularExpression paths. */
  readonly pathRegex: RegExp | undefined;
  readonly method: string | undefined;
  readonly headers: readonly ValueCondition[];
  readonly queryParams: readonly ValueCondition[];
  /** Position in the table-wide precedence order; lower wins. */
  readonly rank: number;
  /** Built once: a match allocates nothing. */
  readonly result: RouteMatch;
}

export interface PathTrieNode {
  /** The child when there is exactly one (most nodes): no map to allocate or hash into. */
  onlySegment: string | undefined;
  onlyChild: PathTrieNode | undefined;
  /** The children when there are two or more. */
  children: Map<string, PathTrieNode> | undefined;
  /** PathPrefix candidates whose prefix ends at this node. */
  prefixes: readonly MatchCandidate[];
  /** RegularExpression candidates whose literal leading segments end at this node. */
  regexes: readonly MatchCandidate[];
}

/** Every rule reachable through one route hostname (or through none, for the catch-all group). */
export interface HostGroup {
  /** Created with the first Exact path: most groups have none. */
  exactPaths: Map<string, MatchCandidate[]> | undefined;
  readonly trie: PathTrieNode;
  regexCount: number;
}

export interface RouteLookup {
  readonly exactHosts: ReadonlyMap<string, HostGroup>;
  /** Keyed by suffix with its leading dot (`*.example.com` → `.example.com`). */
  readonly wildcardSuffixes: ReadonlyMap<string, HostGroup>;
  /** Routes without hostnames: tried after every hostname-specific group. */
  readonly catchAll: HostGroup | undefined;
  /** Every candidate, in precedence order (hostname tiers aside): for `explain` and shadowing checks. */
  readonly candidates: readonly MatchCandidate[];
}
