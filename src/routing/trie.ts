/**
 * A trie of path segments. `/api/v1` and `/api/v1/` both end at the node api → v1; the root stands
 * for `/`. Walking a request path visits at most one node per segment of the path.
 *
 * Tables hold hundreds of thousands of nodes, most with one child and no candidates, so a node keeps
 * a lone child in two fields (no map) and shares one empty list until a candidate arrives: memory and
 * compile time stay proportional to the table, and the walk compares a lone child's segment in place,
 * without slicing the path.
 */
import type { MatchCandidate, PathTrieNode } from "./lookup.ts";

const NO_CANDIDATES: readonly MatchCandidate[] = Object.freeze([]);

export function newTrieNode(): PathTrieNode {
  return {
    onlySegment: undefined,
    onlyChild: undefined,
    children: undefined,
    prefixes: NO_CANDIDATES,
    regexes: NO_CANDIDATES,
  };
}

export function trieNodeAt(root: PathTrieNode, segments: readonly string[]): PathTrieNode {
  let node = root;
  for (const segment of segments) node = childOf(node, segment);
  return node;
}

function childOf(node: PathTrieNode, segment: string): PathTrieNode {
  if (node.onlySegment === segment) return node.onlyChild!;
  const existing = node.children?.get(segment);
  if (existing !== undefined) return existing;
  const child = newTrieNode();
  if (node.onlyChild === undefined && node.children === undefined) {
    node.onlySegment = segment;
    node.onlyChild = child;
  } else {
    if (node.children === undefined) {
      node.children = new Map([[node.onlySegment!, node.onlyChild!]]);
      node.onlySegment = undefined;
      node.onlyChild = undefined;
    }
    node.children.set(segment, child);
  }
  return child;
}

/** Appends in call order: callers add candidates in precedence order. */
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
  return path.split("/").filter((segment) => segment !== "");
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
