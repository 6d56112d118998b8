/**
 * The lookup structures a table compiles into (private to `compile.ts` and `match.ts`; the rest of the
 * pipeline sees only `CompiledRule` and `RouteMatch`).
 *
 *   host ─┬─ exact-host map ──────────┐
 *         ├─ wildcard-suffix map ─────┼─▶ HostGroup: a segment trie ─┬─ exact-path candidates per node
 *         └─ catch-all group ─────────┘                                ├─ prefix candidates per node
 *                                                                      └─ regex candidates per node
 *
 * Every candidate list is in precedence order (see `precedence.ts`), fixed once at compile time.
 */
import type { TableRegex } from "./regex.ts";
import type { RouteMatch } from "./types.ts";

/** One header or query-parameter condition: exact value, or an anchored regular expression. */
export interface ValueCondition {
  /** Header names lower-cased; query-parameter names as written (they are case-sensitive). */
  readonly name: string;
  readonly value: string;
  readonly regex: TableRegex | undefined;
}

/**
 * One `matches[i]` of one rule: everything but the host and the path's trie position. A candidate is
 * itself the `RouteMatch` that `matchRoute` returns: built once, so a match allocates nothing and
 * follows no further pointer.
 */
export interface MatchCandidate extends RouteMatch {
  /** Set for RegularExpression paths. */
  readonly pathRegex: TableRegex | undefined;
  /**
   * Set for Exact paths: the normalised value, one string for every candidate with that value (a
   * table repeats its paths under many hosts), so the comparison reads a string that is likely in the
   * CPU cache, not `pathMatch` and its own copy.
   */
  readonly exactPath: string | undefined;
  readonly method: string | undefined;
  readonly headers: readonly ValueCondition[];
  readonly queryParams: readonly ValueCondition[];
  /** Position in the table-wide precedence order; lower wins. */
  readonly rank: number;
}

/**
 * Field order: what a step reads on every node (the first edge, the map, the candidate lists) comes
 * first, the further edges after, so that a leaf (most nodes a walk ends on) is read from the object's
 * first cache lines.
 */
export interface PathTrieNode {
  /**
   * The first edges (label → child) sit in the node's own fields, so that a walk step compares labels
   * on the node it has already loaded: in a large table each further object (an array and its backing
   * store) is another cache miss, and after folding most nodes have one to four edges. Filled in
   * order: `label1` is set only when `label0` is, and so on; `branches` only when all four are.
   *
   * Once the trie is built, a chain of nodes with one child and no candidates is folded into the edge,
   * whose label is then several segments (`api/v1/orders`): the walk compares one string instead of
   * visiting a node per segment.
   */
  label0: string | undefined;
  child0: PathTrieNode | undefined;
  /** The children when there are more than `MAX_BRANCHES`; no edge label is set then. */
  children: Map<string, PathTrieNode> | undefined;
  /**
   * Exact candidates whose path ends at this node (`/a/b` and `/a/b/` both end at a → b): the one
   * walk a request makes anyway finds them, with no separate map to miss in the cache on.
   */
  exacts: readonly MatchCandidate[];
  /**
   * PathPrefix candidates whose prefix ends at this node, in precedence order, up to and without the
   * first that has no condition (no method, header or query parameter): that one is
   * `unconditionalPrefix`, and it always holds, so nothing ranked after it here can win. The common
   * case is one unconditional prefix and an empty list: the walk answers from the node itself, without
   * reading a list or a candidate.
   */
  prefixes: readonly MatchCandidate[];
  unconditionalPrefix: MatchCandidate | undefined;
  /**
   * RegularExpression candidates whose literal leading segments end at this node; empty when there
   * are so many that they are filed in `regexIndex` instead.
   */
  regexes: readonly MatchCandidate[];
  label1: string | undefined;
  child1: PathTrieNode | undefined;
  label2: string | undefined;
  child2: PathTrieNode | undefined;
  label3: string | undefined;
  child3: PathTrieNode | undefined;
  /**
   * The fifth to `MAX_BRANCHES`th edges, as `[label, child, label, child, …]`: one small array
   * scanned in place like the inline edges, comparing interned labels, without slicing the path. Labels leaving one node (inline or
   * here) may be folded chains; their first segments differ.
   */
  branches: (string | PathTrieNode)[] | undefined;
  /**
   * This node's RegularExpression candidates by their pattern's literal start (`literalPrefix`, from
   * the path's first character), when there are more than `REGEX_INDEX_MIN`: a request then reads
   * one list per distinct start length, those its path begins with, instead of meeting every
   * pattern. A host may file hundreds of `/v[0-9]+/…` patterns at its root.
   */
  regexIndex: RegexIndex | undefined;
}

export interface RegexIndex {
  /** The distinct lengths of the keys of `lists`, ascending. */
  readonly lengths: readonly number[];
  /** Candidates by literal start, each list in precedence order. */
  readonly lists: ReadonlyMap<string, readonly MatchCandidate[]>;
}

/**
 * Every rule reachable through one route hostname (or through none, for the catch-all group): the root
 * of that hostname's trie, so the host lookup lands on the first node of the walk.
 */
export type HostGroup = PathTrieNode;

export interface RouteLookup {
  readonly exactHosts: ReadonlyMap<string, HostGroup>;
  /** Keyed by suffix with its leading dot (`*.example.com` → `.example.com`). */
  readonly wildcardSuffixes: ReadonlyMap<string, HostGroup>;
  /**
   * `suffixLengths[n]` is 1 when some key of `wildcardSuffixes` is `n` characters long (0 beyond the
   * array): a request host's suffix of another length is not sliced off to be looked up.
   */
  readonly suffixLengths: Uint8Array;
  /** Routes without hostnames: tried after every hostname-specific group. */
  readonly catchAll: HostGroup | undefined;
  /** Every candidate, in precedence order (hostname tiers aside): for `explain` and shadowing checks. */
  readonly candidates: readonly MatchCandidate[];
}
