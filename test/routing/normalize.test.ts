import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizeHost, normalizePath } from "../../src/routing/index.ts";

const strict = { allowEncodedSlashes: false };
const lenient = { allowEncodedSlashes: true };

describe("normalizePath", () => {
  it.each([
    ["/", "/"],
    ["", "/"],
    ["/a/b", "/a/b"],
    ["/a/b/", "/a/b/"],
    ["/.well-known/jwks.json", "/.well-known/jwks.json"],
    ["/a/...", "/a/..."],
    ["/a/.b/c..", "/a/.b/c.."],
    // runs of "/" merge
    ["//a", "/a"],
    ["/a//b", "/a/b"],
    ["/a/b//", "/a/b/"],
    ["///", "/"],
    // dot segments (RFC 3986 §5.2.4), never above the root
    ["/a/./b", "/a/b"],
    ["/a/../b", "/b"],
    ["/../a", "/a"],
    ["/../../etc/passwd", "/etc/passwd"],
    ["/a/b/..", "/a/"],
    ["/a/b/.", "/a/b/"],
    ["/..", "/"],
    ["/.", "/"],
    ["/a/b/../../..", "/"],
    // percent-encoded dots are dots
    ["/a/%2e%2e/b", "/b"],
    ["/a/%2E/b", "/a/b"],
    ["/a/.%2e/b", "/b"],
    ["/%2e%2e/%2E%2E/etc/passwd", "/etc/passwd"],
    ["/a/%2e%2e", "/"],
    // unreserved characters decode (RFC 3986 §6.2.2.2), everything else stays encoded, upper-cased
    ["/%7Euser", "/~user"],
    ["/%41%62%63", "/Abc"],
    ["/a%2db%5f%2E", "/a-b_."],
    ["/a%3fb", "/a%3Fb"],
    ["/a%20b", "/a%20b"],
    ["/caf%c3%a9", "/caf%C3%A9"],
    ["/%25", "/%25"],
    ["/%252e%252e/x", "/%252e%252e/x"],
    ["/a%3Bb", "/a%3Bb"],
    // characters not allowed unencoded are encoded as UTF-8
    ["/café", "/caf%C3%A9"],
    ["/a b", "/a%20b"],
    ['/a"b<c>', "/a%22b%3Cc%3E"],
    ["/😀", "/%F0%9F%98%80"],
    // sub-delimiters, ":" and "@" are path characters
    ["/a:b@c!$&'()*+,;=", "/a:b@c!$&'()*+,;="],
    // a raw backslash separates, as in browsers' URL parsers
    ["/a\\b", "/a/b"],
    ["\\a", "/a"],
    ["/a\\..\\b", "/b"],
  ])("%j → %j", (raw, expected) => {
    expect(normalizePath(raw, strict)).toEqual({ ok: true, path: expected });
  });

  it.each([
    ["/a%2Fb", "encoded slash (%2F)"],
    ["/a%2fb", "encoded slash (%2F)"],
    ["/a/..%2f..%2fetc", "encoded slash (%2F)"],
    ["/a%5Cb", "encoded backslash (%5C)"],
    ["/a%5cb", "encoded backslash (%5C)"],
    ["/a%00b", "encoded NUL (%00)"],
    ["/a\u0000b", "NUL character"],
    ["/a%", 'malformed percent-encoding ("%")'],
    ["/a%4", 'malformed percent-encoding ("%4")'],
    ["/a%zz", 'malformed percent-encoding ("%zz")'],
    ["/a%g0b", 'malformed percent-encoding ("%g0")'],
    ["/..;/admin", 'dot segment with parameters ("..;")'],
    ["/public/..;jsessionid=x/admin", 'dot segment with parameters ("..;")'],
    ["/.;/admin", 'dot segment with parameters (".;")'],
    ["/%2e%2e;/admin", 'dot segment with parameters ("..;")'],
    ["a/b", "does not start with /"],
    ["*", "does not start with /"],
    ["/\ud800", "lone surrogate"],
    // Invalid UTF-8: overlong forms of "." and "/" (read as those by lenient decoders), stray and
    // missing continuation bytes, encoded surrogates, code points above U+10FFFF.
    ["/a/%c0%ae%c0%ae/b", 'invalid UTF-8 ("%c0%ae'],
    ["/a%C0%AFb", "invalid UTF-8"],
    ["/a/%E0%80%AE", "invalid UTF-8"],
    ["/a/%F0%80%80%AE", "invalid UTF-8"],
    ["/a%80", "invalid UTF-8"],
    ["/a%C3", "invalid UTF-8"],
    ["/a%C3%28", "invalid UTF-8"],
    ["/a%ED%A0%80", "invalid UTF-8"],
    ["/a%F4%90%80%80", "invalid UTF-8"],
    ["/a%FF", "invalid UTF-8"],
  ])("refuses %j (%s)", (raw, reason) => {
    const result = normalizePath(raw, strict);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it("keeps encoded slashes and backslashes as data when the table allows them", () => {
    expect(normalizePath("/a%2fb", lenient)).toEqual({ ok: true, path: "/a%2Fb" });
    expect(normalizePath("/a%5cb", lenient)).toEqual({ ok: true, path: "/a%5Cb" });
    // Not a separator, so "..%2F" is no dot segment and nothing is climbed.
    expect(normalizePath("/a/%2e%2e%2fb", lenient)).toEqual({ ok: true, path: "/a/..%2Fb" });
    expect(normalizePath("/a%00", lenient).ok).toBe(false);
  });

  it("keeps valid UTF-8 encoded, with upper-case hex", () => {
    expect(normalizePath("/%c3%a9/%e2%82%ac/%f0%9f%98%80", strict)).toEqual({
      ok: true,
      path: "/%C3%A9/%E2%82%AC/%F0%9F%98%80",
    });
  });

  it("returns an already normal path unchanged", () => {
    const path = "/api/v1/orders/42";
    const result = normalizePath(path, strict);
    expect(result.ok && result.path).toBe(path);
  });

  describe("properties", () => {
    const segment = fc.oneof(
      fc.constantFrom(
        ".",
        "..",
        "",
        "%2e",
        "%2E%2e",
        ".%2E",
        "a",
        "B",
        "%7e",
        "%41",
        "%3f",
        "%c3%a9",
        "~x",
        "a.b",
      ),
      fc.string({ maxLength: 4 }),
    );
    const rawPath = fc.array(segment, { maxLength: 8 }).map((segments) => `/${segments.join("/")}`);

    it("is idempotent and leaves no dot segment, empty segment, lower-case or needless encoding", () => {
      fc.assert(
        fc.property(rawPath, fc.boolean(), (raw, allowEncodedSlashes) => {
          const result = normalizePath(raw, { allowEncodedSlashes });
          if (!result.ok) return;
          const { path } = result;
          expect(normalizePath(path, { allowEncodedSlashes })).toEqual({ ok: true, path });
          expect(path.startsWith("/")).toBe(true);
          expect(path).not.toMatch(/\/\//);
          const segments = path.split("/").slice(1, path.endsWith("/") ? -1 : undefined);
          for (const s of segments) expect(s === "." || s === "..").toBe(false);
          expect(path).not.toMatch(/%[0-9A-F]?[a-f]/);
          expect(path).not.toMatch(/%(4[1-9A-F]|5[0-9A]|6[1-9A-F]|7[0-9A]|3[0-9]|2D|2E|5F|7E)/);
        }),
      );
    });

    it("agrees with the WHATWG URL parser on where dot segments lead", () => {
      const plain = fc
        .array(fc.constantFrom(".", "..", "a", "b", "%2e", "%2e%2e", "c"), { maxLength: 8 })
        .map((segments) => `/${segments.join("/")}`);
      fc.assert(
        fc.property(plain, (raw) => {
          const ours = normalizePath(raw, strict);
          const theirs = new URL(raw, "http://h").pathname;
          expect(ours).toEqual({ ok: true, path: theirs });
        }),
      );
    });
  });
});

describe("normalizeHost", () => {
  it.each([
    ["example.com", "example.com"],
    ["Example.COM", "example.com"],
    ["example.com:8080", "example.com"],
    ["example.com.", "example.com"],
    ["Example.com.:443", "example.com"],
    ["[::1]:8080", "[::1]"],
    ["[2001:DB8::1]", "[2001:db8::1]"],
    ["::1", "::1"],
    ["127.0.0.1:8787", "127.0.0.1"],
    ["localhost", "localhost"],
  ])("%j → %j", (raw, expected) => {
    expect(normalizeHost(raw)).toBe(expected);
  });
});
