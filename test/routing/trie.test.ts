import { describe, expect, it } from "vitest";
import type { PathTrieNode } from "../../src/routing/lookup.ts";
import {
  addExactCandidate,
  addPrefixCandidate,
  edgesOf,
  foldTrie,
  INLINE_EDGES,
  MAX_BRANCHES,
  newTrieNode,
  trieNodeAt,
  walkTrie,
} from "../../src/routing/trie.ts";

/** The nodes a path walks through, as the segments that lead to each (root first). */
function walk(root: PathTrieNode, path: string, names: Map<PathTrieNode, string>): string[] {
  const into: PathTrieNode[] = [];
  const depth = walkTrie(root, path, into);
  return into.slice(0, depth).map((node) => names.get(node) ?? "?");
}

describe("path trie", () => {
  // A node's children move from the lone-child fields to a flat array to a map as they grow; the
  // walk must find every child whatever the representation, and nothing that is not a child.
  for (const count of [1, 2, MAX_BRANCHES, MAX_BRANCHES + 1, 3 * MAX_BRANCHES]) {
    it(`finds each of ${count} children and only them`, () => {
      const root = newTrieNode();
      const interned = new Map<string, string>();
      const names = new Map<PathTrieNode, string>([[root, "/"]]);
      for (let i = 0; i < count; i++) {
        names.set(trieNodeAt(root, [`s${i}`], interned), `s${i}`);
        names.set(trieNodeAt(root, [`s${i}`, "leaf"], interned), `s${i}/leaf`);
      }
      for (let i = 0; i < count; i++) {
        expect(walk(root, `/s${i}`, names)).toEqual(["/", `s${i}`]);
        expect(walk(root, `/s${i}/leaf/more`, names)).toEqual(["/", `s${i}`, `s${i}/leaf`]);
        expect(trieNodeAt(root, [`s${i}`], interned)).toBe(
          [...names].find(([, name]) => name === `s${i}`)![0],
        );
      }
      expect(walk(root, `/s${count}`, names)).toEqual(["/"]);
      expect(walk(root, "/s", names)).toEqual(["/"]);
      expect(walk(root, "/s0x", names)).toEqual(["/"]);
    });
  }

  it("interns segment strings across tries", () => {
    const interned = new Map<string, string>();
    const a = newTrieNode();
    const b = newTrieNode();
    trieNodeAt(a, ["api", "x"], interned);
    trieNodeAt(b, [["a", "p", "i"].join(""), "y"], interned);
    expect(a.label0).toBe(b.label0);
    expect(interned.size).toBe(3);
  });

  describe("folding", () => {
    // Any object stands for a candidate here: folding only asks whether a node holds one.
    const candidate = { method: "GET", headers: [], queryParams: [], pathRegex: undefined } as never;

    /** A trie with a candidate at each path, folded; `names` labels the nodes that hold one. */
    function folded(paths: string[]) {
      const root = newTrieNode();
      const interned = new Map<string, string>();
      const names = new Map<PathTrieNode, string>([[root, "/"]]);
      for (const path of paths) {
        const node = trieNodeAt(root, path.split("/").slice(1), interned);
        addPrefixCandidate(node, candidate);
        names.set(node, path);
      }
      foldTrie(root, new Map());
      return { root, names };
    }

    it("visits only nodes that hold candidates, whole segments only", () => {
      const { root, names } = folded([
        "/api/v1/orders",
        "/api/v2/users",
        "/api/v3/carts",
        "/api/v3/carts/x/y",
      ]);
      // The empty `api` node is gone: its three edges moved up to the root, labels joined.
      expect(edgesOf(root).map(([label]) => label)).toEqual([
        "api/v1/orders",
        "api/v2/users",
        "api/v3/carts",
      ]);
      expect(walk(root, "/api/v1/orders/42", names)).toEqual(["/", "/api/v1/orders"]);
      expect(walk(root, "/api/v3/carts/x/y/z", names)).toEqual(["/", "/api/v3/carts", "/api/v3/carts/x/y"]);
      expect(walk(root, "/api/v3/carts/x", names)).toEqual(["/", "/api/v3/carts"]);
      expect(walk(root, "/api/v1/ordersx", names)).toEqual(["/"]);
      expect(walk(root, "/api/v1", names)).toEqual(["/"]);
      expect(walk(root, "/api", names)).toEqual(["/"]);
    });

    it("keeps a node that holds an exact path, and one whose folding would overflow its parent", () => {
      const many = Array.from({ length: MAX_BRANCHES + 1 }, (_, i) => `/api/s${i}`);
      const { root, names } = folded(many);
      expect(edgesOf(root).map(([label]) => label)).toEqual(["api"]);
      expect(walk(root, "/api/s3/x", names)).toEqual(["/", "?", "/api/s3"]);
      const exact = newTrieNode();
      addExactCandidate(trieNodeAt(exact, ["a"], new Map()), candidate);
      addPrefixCandidate(trieNodeAt(exact, ["a", "b", "c"], new Map()), candidate);
      foldTrie(exact, new Map());
      expect(exact.label0).toBe("a");
      expect(exact.child0?.label0).toBe("b/c");
    });

    it("keeps the first edges in the node's own fields and walks those beyond them too", () => {
      const paths = Array.from({ length: MAX_BRANCHES }, (_, i) => `/s${i}`);
      const { root, names } = folded(paths);
      expect(MAX_BRANCHES).toBeGreaterThan(INLINE_EDGES);
      expect([root.label0, root.label1, root.label2, root.label3]).toEqual(["s0", "s1", "s2", "s3"]);
      expect(root.branches).toHaveLength(2 * (MAX_BRANCHES - INLINE_EDGES));
      for (const path of paths) expect(walk(root, `${path}/x`, names)).toEqual(["/", path]);
      expect(walk(root, "/s", names)).toEqual(["/"]);
      const two = folded(["/a", "/b"]);
      expect([two.root.label0, two.root.label1, two.root.label2]).toEqual(["a", "b", undefined]);
      expect(two.root.branches).toBeUndefined();
      expect(walk(two.root, "/b", two.names)).toEqual(["/", "/b"]);
    });

    it("folds chains below a node whose children are in a map", () => {
      const wide = Array.from({ length: 3 * MAX_BRANCHES }, (_, i) => `/s${i}/deep/er`);
      const { root, names } = folded(wide);
      expect(root.children?.size).toBe(3 * MAX_BRANCHES);
      expect(root.children?.get("s5")?.label0).toBe("deep/er");
      // The map's own child stays (it is looked up by one segment); the chain below it is one edge.
      expect(walk(root, "/s5/deep/er/x", names)).toEqual(["/", "?", "/s5/deep/er"]);
    });
  });
});
