/**
 * A trie of path segments. `/api/v1` and `/api/v1/` both end at the node api → v1; the root stands
 * for `/`. Walking a request path visits at most one node per segment of the path.
 *
 * Tables hold hundreds of thousands of nodes, most with few children and no candidates, so a node
 * keeps its first four children in its own fields (no array, no map) and shares one empty list until
 * a candidate arrives: memory and compile time stay proportional to the table, and the walk compares
 * the segments in place, on the node it already has, without slicing the path. Up to four more
 * children sit in one flat array, scanned the same way; only a node with many children has a map. In a large table the walk's cost is cache misses, one or more per
 * object it visits, so the fewer objects per level the better: once built, a trie is folded
 * (`foldTrie`) so that the walk visits only the nodes that hold candidates.
 */
import type { MatchCandidate, PathTrieNode } from "./lookup.ts";

const NO_CANDIDATES: readonly MatchCandidate[] = Object.freeze([]);

/** Beyond this many children a map's one hash beats scanning the segments. */
export const MAX_BRANCHES = 8;

export function newTrieNode(): PathTrieNode {
  // Every node gets every field, in the interface's order: one hidden class, so the walk's property
  // reads stay monomorphic.
  return {
    label0: undefined,
    child0: undefined,
    children: undefined,
    exacts: NO_CANDIDATES,
    prefixes: NO_CANDIDATES,
    unconditionalPrefix: undefined,
    regexes: NO_CANDIDATES,
    label1: undefined,
    child1: undefined,
    label2: undefined,
    child2: undefined,
    label3: undefined,
    child3: undefined,
    branches: undefined,
    regexIndex: undefined,
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
  const existing = childWithLabel(node, segment);
  if (existing !== undefined) return existing;
  const child = newTrieNode();
  if (node.children !== undefined) {
    node.children.set(segment, child);
  } else if (node.label0 === undefined) {
    node.label0 = segment;
    node.child0 = child;
  } else if (node.label1 === undefined) {
    node.label1 = segment;
    node.child1 = child;
  } else if (node.label2 === undefined) {
    node.label2 = segment;
    node.child2 = child;
  } else if (node.label3 === undefined) {
    node.label3 = segment;
    node.child3 = child;
  } else if ((node.branches?.length ?? 0) < 2 * (MAX_BRANCHES - INLINE_EDGES)) {
    node.branches ??= [];
    node.branches.push(segment, child);
  } else {
    const edges = edgeList(node);
    setEdges(node, []);
    node.children = new Map();
    for (let i = 0; i < edges.length; i += 2) {
      node.children.set(edges[i] as string, edges[i + 1] as PathTrieNode);
    }
    node.children.set(segment, child);
  }
  return child;
}

function childWithLabel(node: PathTrieNode, label: string): PathTrieNode | undefined {
  if (node.children !== undefined) return node.children.get(label);
  if (node.label0 === label) return node.child0;
  if (node.label1 === label) return node.child1;
  if (node.label2 === label) return node.child2;
  if (node.label3 === label) return node.child3;
  const branches = node.branches;
  if (branches !== undefined) {
    for (let i = 0; i < branches.length; i += 2) {
      if (branches[i] === label) return branches[i + 1] as PathTrieNode;
    }
  }
  return undefined;
}

/** Edges kept in a node's own fields (see `PathTrieNode`); the rest, up to `MAX_BRANCHES`, in `branches`. */
export const INLINE_EDGES = 4;

/** A node's edges outside a map as one flat `[label, child, …]` list, inline ones first. */
function edgeList(node: PathTrieNode): (string | PathTrieNode)[] {
  const edges: (string | PathTrieNode)[] = [];
  if (node.label0 !== undefined) edges.push(node.label0, node.child0!);
  if (node.label1 !== undefined) edges.push(node.label1, node.child1!);
  if (node.label2 !== undefined) edges.push(node.label2, node.child2!);
  if (node.label3 !== undefined) edges.push(node.label3, node.child3!);
  if (node.branches !== undefined) edges.push(...node.branches);
  return edges;
}

/** The inverse of `edgeList`: replaces the node's edges outside a map with `edges`. */
function setEdges(node: PathTrieNode, edges: readonly (string | PathTrieNode)[]): void {
  node.label0 = edges[0] as string | undefined;
  node.child0 = edges[1] as PathTrieNode | undefined;
  node.label1 = edges[2] as string | undefined;
  node.child1 = edges[3] as PathTrieNode | undefined;
  node.label2 = edges[4] as string | undefined;
  node.child2 = edges[5] as PathTrieNode | undefined;
  node.label3 = edges[6] as string | undefined;
  node.child3 = edges[7] as PathTrieNode | undefined;
  node.branches = edges.length > 2 * INLINE_EDGES ? edges.slice(2 * INLINE_EDGES) : undefined;
}

/** A node's edges as `[label, child]` pairs, inline ones first: for tests and diagnostics. */
export function edgesOf(node: PathTrieNode): [string, PathTrieNode][] {
  const pairs: [string, PathTrieNode][] = [];
  const edges = edgeList(node);
  for (let i = 0; i < edges.length; i += 2) pairs.push([edges[i] as string, edges[i + 1] as PathTrieNode]);
  for (const [label, child] of node.children ?? []) pairs.push([label, child]);
  return pairs;
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

/** From this many regex candidates on one node, they are filed by literal start (`regexIndex`). */
export const REGEX_INDEX_MIN = 8;

/**
 * Files the regex candidates of every node of the trie holding more than `REGEX_INDEX_MIN` by their
 * literal start, once the last candidate is added (after `foldTrie`): each list keeps the precedence
 * order the candidates were added in.
 */
export function indexRegexes(node: PathTrieNode): void {
  if (node.regexes.length > REGEX_INDEX_MIN) {
    const lists = new Map<string, MatchCandidate[]>();
    for (const candidate of node.regexes) {
      const start = candidate.pathRegex?.literalPrefix ?? "";
      const list = lists.get(start);
      if (list === undefined) lists.set(start, [candidate]);
      else list.push(candidate);
    }
    const lengths = [...new Set([...lists.keys()].map((key) => key.length))].sort((a, b) => a - b);
    node.regexIndex = { lengths, lists };
    node.regexes = NO_CANDIDATES;
  }
  if (node.children !== undefined) {
    for (const child of node.children.values()) indexRegexes(child);
    return;
  }
  const edges = edgeList(node);
  for (let i = 1; i < edges.length; i += 2) indexRegexes(edges[i] as PathTrieNode);
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
  if (node.label0 === undefined) return;
  const edges = foldedEdges(edgeList(node), names);
  setEdges(node, edges);
  for (let i = 1; i < edges.length; i += 2) foldTrie(edges[i] as PathTrieNode, names);
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
    const inner = foldable(child) ? edgeList(child) : undefined;
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
    node.regexes === NO_CANDIDATES &&
    node.regexIndex === undefined
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
    // Inline edges first: compared on the node already in hand, no other object read.
    if (edgeAt(path, start, node.label0)) {
      child = node.child0;
      end += node.label0.length;
    } else if (node.label1 !== undefined) {
      if (edgeAt(path, start, node.label1)) {
        child = node.child1;
        end += node.label1.length;
      } else if (edgeAt(path, start, node.label2)) {
        child = node.child2;
        end += node.label2.length;
      } else if (edgeAt(path, start, node.label3)) {
        child = node.child3;
        end += node.label3.length;
      } else if (node.branches !== undefined) {
        const branches = node.branches;
        for (let i = 0; i < branches.length; i += 2) {
          const label = branches[i] as string;
          if (edgeAt(path, start, label)) {
            child = branches[i + 1] as PathTrieNode;
            end += label.length;
            break;
          }
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

/** `path` continues at `start` with the whole segments of `label` (then ends or has a `/`). */
function edgeAt(path: string, start: number, label: string | undefined): label is string {
  if (label === undefined) return false;
  const end = start + label.length;
  return atBoundary(path, end) && path.startsWith(label, start);
}

/** A segment of `path` can end at `end`: the path ends there or continues with `/`. */
function atBoundary(path: string, end: number): boolean {
  return end === path.length || (end < path.length && path.charCodeAt(end) === 0x2f);
}
