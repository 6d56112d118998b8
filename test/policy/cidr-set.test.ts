import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CidrSet } from "../../src/policy/cidr-set.ts";
import { type ParsedPrefix, parseAddressInto, parsePrefix } from "../../src/policy/ip-address.ts";

function set(...texts: string[]): CidrSet {
  return new CidrSet(
    texts.map((text) => {
      const parsed = parsePrefix(text);
      if (!parsed.ok) throw new Error(parsed.reason);
      return parsed.prefix;
    }),
  );
}

describe("CidrSet", () => {
  it("holds the addresses inside any of its prefixes, IPv4 and IPv6", () => {
    const s = set("10.0.0.0/8", "192.0.2.128/25", "2001:db8::/32", "2001:db8:ffff::1");
    expect(s.has("10.255.0.1")).toBe(true);
    expect(s.has("11.0.0.1")).toBe(false);
    expect(s.has("192.0.2.200")).toBe(true);
    expect(s.has("192.0.2.127")).toBe(false);
    expect(s.has("2001:db8:1::1")).toBe(true);
    expect(s.has("2001:db9::1")).toBe(false);
    expect(s.has("::ffff:10.1.2.3")).toBe(true);
    expect(s.has("garbage")).toBe(false);
    expect(s.has("")).toBe(false);
  });

  it("keeps the two families apart: ::/0 holds no IPv4 address, 0.0.0.0/0 no IPv6 one", () => {
    expect(set("::/0").has("1.2.3.4")).toBe(false);
    expect(set("::/0").has("2001:db8::1")).toBe(true);
    expect(set("0.0.0.0/0").has("2001:db8::1")).toBe(false);
    expect(set("0.0.0.0/0").has("1.2.3.4")).toBe(true);
  });

  it("is empty with no prefixes", () => {
    expect(set().empty).toBe(true);
    expect(set().has("10.0.0.1")).toBe(false);
    expect(set("10.0.0.0/8").empty).toBe(false);
  });

  it("answers as a naive scan of the list does, for any prefixes and addresses", () => {
    const v4Prefix = fc
      .tuple(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 32 }))
      .map(([bytes, length]) => network(4, bytes, length));
    const v6Prefix = fc
      .tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 128 }))
      .map(([bytes, length]) => network(6, bytes, length));
    const address = fc.oneof(
      fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => ({ family: 4 as const, bytes: b })),
      fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => ({ family: 6 as const, bytes: b })),
    );
    fc.assert(
      fc.property(
        fc.array(fc.oneof(v4Prefix, v6Prefix), { maxLength: 40 }),
        fc.array(address, { maxLength: 20 }),
        (prefixes, addresses) => {
          const s = new CidrSet(prefixes);
          for (const a of addresses) {
            // Test the addresses near the prefixes too: one inside each, with random host bits.
            expect(s.hasBytes(a.bytes, a.family)).toBe(naive(prefixes, a.family, a.bytes));
          }
          for (const p of prefixes) {
            const inside = p.bytes.slice();
            if (p.length < inside.length * 8) inside[inside.length - 1]! ^= 1;
            expect(s.hasBytes(inside, p.family)).toBe(naive(prefixes, p.family, inside));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("reads a request's address text the way the list was read", () => {
    const out = new Uint8Array(16);
    const s = set("2001:db8:abcd::/48");
    expect(parseAddressInto("2001:DB8:ABCD:0012::1", out)).toBe(6);
    expect(s.has("2001:DB8:ABCD:0012::1")).toBe(true);
  });
});

function network(family: 4 | 6, bytes: Uint8Array, length: number): ParsedPrefix {
  const out = bytes.slice();
  for (let bit = length; bit < out.length * 8; bit++) out[bit >> 3]! &= ~(1 << (7 - (bit & 7)));
  return { family, bytes: out, length };
}

function naive(prefixes: readonly ParsedPrefix[], family: 4 | 6, bytes: Uint8Array): boolean {
  return prefixes.some((p) => {
    if (p.family !== family) return false;
    for (let bit = 0; bit < p.length; bit++) {
      const mask = 1 << (7 - (bit & 7));
      if ((p.bytes[bit >> 3]! & mask) !== (bytes[bit >> 3]! & mask)) return false;
    }
    return true;
  });
}
