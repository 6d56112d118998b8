import { describe, expect, it } from "vitest";
import { formatPrefix, parseAddressInto, parsePrefix } from "../../src/policy/ip-address.ts";

function prefix(text: string): string {
  const parsed = parsePrefix(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return formatPrefix(parsed.prefix);
}

function refusal(text: string): string {
  const parsed = parsePrefix(text);
  if (parsed.ok) throw new Error(`${text} was accepted`);
  return parsed.reason;
}

describe("parsePrefix", () => {
  it("reads IPv4 and IPv6 prefixes, a bare address as a host prefix", () => {
    expect(prefix("10.0.0.0/8")).toBe("10.0.0.0/8");
    expect(prefix("192.0.2.7")).toBe("192.0.2.7/32");
    expect(prefix("0.0.0.0/0")).toBe("0.0.0.0/0");
    expect(prefix("2001:db8::/32")).toBe("2001:db8::/32");
    expect(prefix("2001:DB8:0:0:0:0:0:1")).toBe("2001:db8::1/128");
    expect(prefix("::/0")).toBe("::/0");
    expect(prefix("fe80:0:0:1:0:0:0:0/64")).toBe("fe80:0:0:1::/64");
  });

  it("reads an IPv4-mapped IPv6 prefix as the IPv4 prefix it names", () => {
    expect(prefix("::ffff:10.0.0.0/104")).toBe("10.0.0.0/8");
    expect(prefix("::ffff:192.0.2.1")).toBe("192.0.2.1/32");
    expect(refusal("::ffff:10.0.0.0/64")).toMatch(/at least 96/);
  });

  it("refuses host bits beyond the length, naming the network meant", () => {
    expect(refusal("10.0.0.1/8")).toBe("host bits are set beyond /8: did you mean 10.0.0.0/8?");
    expect(refusal("2001:db8::1/32")).toMatch(/did you mean 2001:db8::\/32\?/);
  });

  it("refuses forms that parsers disagree on, with the reason", () => {
    for (const text of [
      "010.0.0.1",
      "10.1",
      "10.0.0.256",
      "1.2.3.4.5",
      "1..2.3",
      "fe80::1%eth0",
      ":::1",
      "1:2:3:4:5:6:7:8:9",
      "1::2::3",
      "12345::",
      "::1:",
      "",
      "localhost",
    ]) {
      expect(refusal(text), text).toMatch(/not an IPv4 or IPv6 address/);
    }
    expect(refusal("10.0.0.0/33")).toMatch(/from 0 to 32/);
    expect(refusal("10.0.0.0/08")).toMatch(/from 0 to 32/);
    expect(refusal("2001:db8::/129")).toMatch(/from 0 to 128/);
  });
});

describe("parseAddressInto", () => {
  it("writes the bytes and returns the family; a mapped address is IPv4", () => {
    const out = new Uint8Array(16);
    expect(parseAddressInto("203.0.113.9", out)).toBe(4);
    expect([...out.slice(0, 4)]).toEqual([203, 0, 113, 9]);
    expect(parseAddressInto("::ffff:203.0.113.9", out)).toBe(4);
    expect([...out.slice(0, 4)]).toEqual([203, 0, 113, 9]);
    expect(parseAddressInto("2001:db8::ff00:42:8329", out)).toBe(6);
    expect([...out]).toEqual([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0x00, 0, 0x42, 0x83, 0x29]);
    expect(parseAddressInto("64:ff9b::192.0.2.33", out)).toBe(6);
    expect([...out.slice(12)]).toEqual([192, 0, 2, 33]);
    expect(parseAddressInto("not an address", out)).toBeUndefined();
  });
});
