/**
 * A trie of path segments. `/api/v1` and `/api/v1/` both end at the node api → v1; the root stands
 * for `/`. Walking a request path visits at most one node per segment of the path.
 *
 * Tables hold hundreds of thousands of nodes, most with one child and no candidates, so a node keeps
 * a lone child in two fields (no map) and shares one empty list until a candidate arrives: memory and
 * compile time stay proportional to the table, and the walk compares a lone child's segment in place,
 * without slicing the path. A few children sit in one flat array, scanned the same way; only a node
 * with many children has a map. In a large table the walk's cost is cache misses, one or more per
 * object it visits, so the fewer objects per level the better: once built, a trie is folded
 * (`foldTrie`) so that the walk visits only the nodes that hold candidates.
 */
import type { MatchCandidate, PathTrieNode } from "./lookup.ts";

const NO_CANDIDATES: readonly MatchCandidate[] = Object.freeze([]);

/** Beyond this many children a map's one hash beats scanning the segments. */
export const MAX_BRANCHES = 8;

export function newTrieNode(): PathTrieNode {
  return {
    onlySegment: undefined,
    onlyChild: undefined,
    branches: undefined,
    children: undefined,
    exacts: NO_CANDIDATES,
    prefixes: NO_CANDIDATES,
    unconditionalPrefix: undefined,
    regexes: NO_CANDIDATES,
  };
}

/**
 * The node for `segments`, created as needed. Segment strings should be interned across every trie of
 * a table (`names`, or the caller did it already): `api` or `v1` under a hundred thousand hosts is then
 * one string, which a request's walk compares against while it is still in the CPU cache.
 */
export function trieNodeAt(
  root: PathTrieNode,
  segments: readonly string[],
  names?: Map<string, string>,
): PathTrieNode {
  let node = root;
  for (let segment of segments) {
    if (names !== undefined) {
      const name = names.get(segment);
      if (name === undefined) names.set(segment, segment);
      else segment = name;
    }
    node = childOf(node, segment);
  }
  return node;
}

function childOf(node: PathTrieNode, segment: string): PathTrieNode {
  if (node.onlySegment === segment) return node.onlyChild!;
  const existing = node.branches ? branchOf(node.branches, segment) : node.children?.get(segment);
  if (existing !== undefined) return existing;
  const child = newTrieNode();
  if (node.onlyChild === undefined && node.branches === undefined && node.children === undefined) {
    node.onlySegment = segment;
    node.onlyChild = child;
  } else if (node.onlyChild !== undefined) {
    node.branches = [node.onlySegment!, node.onlyChild, segment, child];
    node.onlySegment = undefined;
    node.onlyChild = undefined;
  } else if (node.branches !== undefined && node.branches.length < 2 * MAX_BRANCHES) {
    node.branches.push(segment, child);
  } else {
    if (node.branches !== undefined) {
      node.children = new Map();
      for (let i = 0; i < node.branches.length; i += 2) {
        node.children.set(node.branches[i] as string, node.branches[i + 1] as PathTrieNode);
      }
      node.branches = undefined;
    }
    node.children!.set(segment, child);
  }
  return child;
}

function branchOf(branches: (string | PathTrieNode)[], segment: string): PathTrieNode | undefined {
  for (let i = 0; i < branches.length; i += 2) {
    if (branches[i] === segment) return branches[i + 1] as PathTrieNode;
  }
  return undefined;
}

/** Appends in call order: callers add candidates in precedence order. */
export function addExactCandidate(node: PathTrieNode, candidate: MatchCandidate): void {
  if (node.exacts === NO_CANDIDATES) node.exacts = [candidate];
  else (node.exacts as MatchCandidate[]).push(candidate);
}

export function addPrefixCandidate(node: PathTrieNode, candidate: MatchCandidate): void {
  // Shadowed at this node by an earlier candidate that always holds.
  if (node.unconditionalPrefix !== undefined) return;
  if (hasNoConditions(candidate)) node.unconditionalPrefix = candidate;
  else if (node.prefixes === NO_CANDIDATES) node.prefixes = [candidate];
  else (node.prefixes as MatchCandidate[]).push(candidate);
}

function hasNoConditions(candidate: MatchCandidate): boolean {
  return (
    candidate.method === undefined &&
    candidate.headers.length === 0 &&
    candidate.queryParams.length === 0 &&
    candidate.pathRegex === undefined
  );
}

export function addRegexCandidate(node: PathTrieNode, candidate: MatchCandidate): void {
  if (node.regexes === NO_CANDIDATES) node.regexes = [candidate];
  else (node.regexes as MatchCandidate[]).push(candidate);
}

/** The non-empty segments of a normalised path: `/a/b/` → `["a", "b"]`, `/` → `[]`. */
export function pathSegments(path: string): string[] {
  const segments: string[] = [];
  let start = 0;
  while (start < path.length) {
    let end = path.indexOf("/", start);
    if (end === -1) end = path.length;
    if (end > start) segments.push(path.slice(start, end));
    start = end + 1;
  }
  return segments;
}

/**
 * Folds away every node that holds no candidate, once the trie is built: its edges move up to its
 * parent, their labels joined (`api` → `v1` → `orders` becomes one edge `api/v1/orders`; a bare `api`
 * node with children `v1` and `v2` becomes two edges `api/v1`, `api/v2` of its parent). The walk then
 * visits only nodes that hold something, and in a large table each node visited is a cache miss.
 *
 * Labels leaving one node still lead to nodes none of which is an ancestor of another, so at most
 * one label matches a path at a segment boundary, as with single segments. A node stays when folding
 * it would give its parent more than `MAX_BRANCHES` edges, and so does a node whose children are in a
 * map (the walk slices one segment to look a child up), though chains below both are folded. The
 * folded labels are interned in `names` like segments. Call once, after the last candidate is added:
 * a folded trie takes no new paths.
 */
export function foldTrie(node: PathTrieNode, names: LabelNames): void {
  if (node.children !== undefined) {
    for (const child of node.children.values()) foldTrie(child, names);
    return;
  }
  if (node.onlyChild !== undefined && foldable(node.onlyChild)) {
    const edges = foldedEdges([node.onlySegment!, node.onlyChild], names);
    node.onlySegment = edges.length === 2 ? (edges[0] as string) : undefined;
    node.onlyChild = edges.length === 2 ? (edges[1] as PathTrieNode) : undefined;
    node.branches = edges.length === 2 ? undefined : edges;
  } else if (node.branches !== undefined) {
    foldedEdges(node.branches, names);
  }
  if (node.onlyChild !== undefined) foldTrie(node.onlyChild, names);
  const branches = node.branches;
  if (branches !== undefined)
    for (let i = 1; i < branches.length; i += 2) foldTrie(branches[i] as PathTrieNode, names);
}

/**
 * Interned joined labels, by their two parts: `names.get("api")?.get("v1")` is `"api/v1"`. Looking
 * the parts up (strings that already know their hash) costs nothing like building and hashing the
 * joined string for each of a hundred thousand hosts.
 */
export type LabelNames = Map<string, Map<string, string>>;

function foldable(node: PathTrieNode): boolean {
  return isEmpty(node) && node.children === undefined;
}

/** `edges` (`[label, child, …]`) with each empty child replaced by its own edges, in place. */
function foldedEdges(edges: (string | PathTrieNode)[], names: LabelNames): (string | PathTrieNode)[] {
  for (let i = 0; i < edges.length; ) {
    const child = edges[i + 1] as PathTrieNode;
    const inner = foldable(child) ? (child.branches ?? [child.onlySegment!, child.onlyChild!]) : undefined;
    if (inner === undefined || edges.length - 2 + inner.length > 2 * MAX_BRANCHES) {
      i += 2;
      continue;
    }
    const label = edges[i] as string;
    const joined: (string | PathTrieNode)[] = [];
    for (let j = 0; j < inner.length; j += 2)
      joined.push(joinedLabel(label, inner[j] as string, names), inner[j + 1]!);
    // Looked at again from `i`: the moved edges may lead to empty nodes too.
    edges.splice(i, 2, ...joined);
  }
  return edges;
}

function joinedLabel(head: string, tail: string, names: LabelNames): string {
  let tails = names.get(head);
  if (tails === undefined) {
    tails = new Map();
    names.set(head, tails);
  }
  let joined = tails.get(tail);
  if (joined === undefined) {
    joined = `${head}/${tail}`;
    tails.set(tail, joined);
  }
  return joined;
}

function isEmpty(node: PathTrieNode): boolean {
  return (
    node.exacts === NO_CANDIDATES &&
    node.prefixes === NO_CANDIDATES &&
    node.unconditionalPrefix === undefined &&
    node.regexes === NO_CANDIDATES
  );
}

/**
 * Fills `into` with the nodes a normalised path walks through, root first, and returns how many.
 * Stops at the first segment without a child: no deeper prefix or pattern can apply. An edge label
 * matches when the path continues with it and then ends or has a `/`: whole segments only.
 */
export function walkTrie(root: PathTrieNode, path: string, into: PathTrieNode[]): number {
  into[0] = root;
  let count = 1;
  let node = root;
  let start = 1;
  while (start < path.length) {
    let child: PathTrieNode | undefined;
    let end = start;
    const only = node.onlySegment;
    if (only !== undefined) {
      end = start + only.length;
      if (atBoundary(path, end) && path.startsWith(only, start)) child = node.onlyChild;
    } else if (node.branches !== undefined) {
      const branches = node.branches;
      for (let i = 0; i < branches.length; i += 2) {
        const label = branches[i] as string;
        end = start + label.length;
        if (atBoundary(path, end) && path.startsWith(label, start)) {
          child = branches[i + 1] as PathTrieNode;
          break;
        }
      }
    } else if (node.children !== undefined) {
      end = path.indexOf("/", start);
      if (end === -1) end = path.length;
      child = node.children.get(path.slice(start, end));
    }
    if (child === undefined) break;
    into[count++] = child;
    node = child;
    start = end + 1;
  }
  return count;
}

/** A segment of `path` can end at `end`: the path ends there or continues with `/`. */
function atBoundary(path: string, end: number): boolean {
  return end === path.length || (end < path.length && path.charCodeAt(end) === 0x2f);
}
