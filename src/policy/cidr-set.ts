/**
 * A set of IPv4 and IPv6 prefixes, compiled once per table into two multibit tries, asked once per
 * request whether it holds the client's address.
 *
 * Each trie consumes the address four bits (one nibble) a step: a node is sixteen entries, each with a
 * child and a "covered" flag. A prefix whose length is not a multiple of four covers several entries of
 * its last node (prefix expansion). A lookup walks at most 8 nodes for IPv4 and 32 for IPv6 and stops at
 * the first covered entry, so its cost depends on the address family, never on how many prefixes the
 * list holds: 10,000 prefixes cost a request what 10 do (bench: `npm run bench -- policy`).
 *
 * Only membership is asked (is the address inside any prefix?), so a prefix nested in a broader one
 * adds nothing, and the order of the list does not matter.
 */
import { type IpFamily, type ParsedPrefix, parseAddressInto } from "./ip-address.ts";

const STRIDE = 4;
const FANOUT = 1 << STRIDE;

class NibbleTrie {
  /** `children[node * 16 + nibble]`: the next node, 0 for none (node 0 is the root, never a child). */
  private children = new Int32Array(FANOUT * 8);
  /** 1 where a prefix covers every address below this entry. */
  private covered = new Uint8Array(FANOUT * 8);
  private nodes = 1;
  empty = true;

  insert(bytes: Uint8Array, length: number): void {
    this.empty = false;
    let node = 0;
    for (let level = 0; ; level++) {
      const nibble = nibbleAt(bytes, level);
      const remaining = length - level * STRIDE;
      if (remaining <= STRIDE) {
        // The prefix ends in this node: it covers the entries that share its `remaining` leading bits.
        const span = 1 << (STRIDE - remaining);
        const first = node * FANOUT + (nibble & ~(span - 1) & (FANOUT - 1));
        this.covered.fill(1, first, first + span);
        return;
      }
      const entry = node * FANOUT + nibble;
      if (this.covered[entry]) return; // already inside a broader prefix
      let child = this.children[entry]!;
      if (child === 0) {
        child = this.allocate();
        this.children[entry] = child;
      }
      node = child;
    }
  }

  contains(bytes: Uint8Array, levels: number): boolean {
    let node = 0;
    for (let level = 0; level < levels; level++) {
      const entry = node * FANOUT + nibbleAt(bytes, level);
      if (this.covered[entry] === 1) return true;
      node = this.children[entry]!;
      if (node === 0) return false;
    }
    return false;
  }

  private allocate(): number {
    const node = this.nodes++;
    if (this.nodes * FANOUT > this.children.length) {
      const children = new Int32Array(this.children.length * 2);
      children.set(this.children);
      this.children = children;
      const covered = new Uint8Array(this.covered.length * 2);
      covered.set(this.covered);
      this.covered = covered;
    }
    return node;
  }
}

function nibbleAt(bytes: Uint8Array, level: number): number {
  const byte = bytes[level >> 1]!;
  return level & 1 ? byte & 0x0f : byte >> 4;
}

/** The client's address, parsed into one reused buffer: the lookup is synchronous, so no request sees another's. */
const scratch = new Uint8Array(16);

export class CidrSet {
  private readonly v4 = new NibbleTrie();
  private readonly v6 = new NibbleTrie();

  constructor(prefixes: Iterable<ParsedPrefix>) {
    for (const prefix of prefixes) {
      (prefix.family === 4 ? this.v4 : this.v6).insert(prefix.bytes, prefix.length);
    }
  }

  get empty(): boolean {
    return this.v4.empty && this.v6.empty;
  }

  /** False for anything that is not an address: an unparseable client address matches no prefix. */
  has(address: string): boolean {
    const family = parseAddressInto(address, scratch);
    if (family === undefined) return false;
    return this.hasBytes(scratch, family);
  }

  hasBytes(bytes: Uint8Array, family: IpFamily): boolean {
    return family === 4 ? this.v4.contains(bytes, 8) : this.v6.contains(bytes, 32);
  }
}
