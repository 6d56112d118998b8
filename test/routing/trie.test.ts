import { describe, expect, it } from "vitest";
import type { PathTrieNode } from "../../src/routing/lookup.ts";
import { MAX_BRANCHES, newTrieNode, trieNodeAt, walkTrie } from "../../src/routing/trie.ts";

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
    expect(a.onlySegment).toBe(b.onlySegment);
    expect(interned.size).toBe(3);
  });
});
