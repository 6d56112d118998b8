/**
 * A trie of path segments. `/api/v1` and `/api/v1/` both end at the node api → v1; the root stands
 * for `/`. Walking a request path visits at most one node per segment of the path.
 *
 * Tables hold hundreds of thousands of nodes, most with one child and no candidates, so a node keeps
 * a lone child in two fields (no map) and shares one empty list until a candidate arrives: memory and
 * compile time stay proportional to the table, and the walk compares a lone child's segment in place,
 * without slicing the path. A few children sit in one flat array, scanned the same way; only a node
 * with many children has a map. In a large table the walk's cost is cache misses, one or more per
 * object it visits, so the fewer objects per level the better.
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
  if (node.prefixes === NO_CANDIDATES) node.prefixes = [candidate];
  else (node.prefixes as MatchCandidate[]).push(candidate);
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
 * Fills `into` with the nodes a normalised path walks through, root first, and returns how many.
 * Stops at the first segment without a child: no deeper prefix or pattern can apply.
 */
export function walkTrie(root: PathTrieNode, path: string, into: PathTrieNode[]): number {
  into[0] = root;
  let count = 1;
  let node = root;
  let start = 1;
  while (start < path.length) {
    let end = path.indexOf("/", start);
    if (end === -1) end = path.length;
    let child: PathTrieNode | undefined;
    const only = node.onlySegment;
    if (only !== undefined) {
      if (only.length === end - start && path.startsWith(only, start)) child = node.onlyChild;
    } else if (node.branches !== undefined) {
      const branches = node.branches;
      for (let i = 0; i < branches.length; i += 2) {
        const segment = branches[i] as string;
        if (segment.length === end - start && path.startsWith(segment, start)) {
          child = branches[i + 1] as PathTrieNode;
          break;
        }
      }
    } else if (node.children !== undefined) {
      child = node.children.get(path.slice(start, end));
    }
    if (child === undefined) break;
    into[count++] = child;
    node = child;
    start = end + 1;
  }
  return count;
}
