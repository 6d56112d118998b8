/**
 * A trie of path segments. `/api/v1` and `/api/v1/` both end at the node api → v1; the root stands
 * for `/`. Walking a request path visits at most one node per segment of the path.
 */
import type { PathTrieNode } from "./lookup.ts";

export function newTrieNode(): PathTrieNode {
  return { children: undefined, prefixes: [], regexes: [] };
}

export function trieNodeAt(root: PathTrieNode, segments: readonly string[]): PathTrieNode {
  let node = root;
  for (const segment of segments) {
    node.children ??= new Map();
    let child = node.children.get(segment);
    if (!child) {
      child = newTrieNode();
      node.children.set(segment, child);
    }
    node = child;
  }
  return node;
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
  while (start < path.length && node.children !== undefined) {
    let end = path.indexOf("/", start);
    if (end === -1) end = path.length;
    const child = node.children.get(path.slice(start, end));
    if (child === undefined) break;
    into[count++] = child;
    node = child;
    start = end + 1;
  }
  return count;
}
