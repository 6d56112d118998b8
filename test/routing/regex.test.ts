import { describe, expect, it } from "vitest";
import { compileAnchoredRegex, literalPathSegments } from "../../src/routing/regex.ts";

describe("compileAnchoredRegex", () => {
  it("anchors the pattern to the whole value", () => {
    const regex = compileAnchoredRegex("/a|/b");
    expect(["/a", "/b"].map((s) => regex.test(s))).toEqual([true, true]);
    expect(["/ab", "x/a", "/b/"].map((s) => regex.test(s))).toEqual([false, false, false]);
  });

  it("refuses a pattern that is not valid on its own", () => {
    expect(() => compileAnchoredRegex("a)|(b")).toThrow(SyntaxError);
    expect(() => compileAnchoredRegex("[")).toThrow(SyntaxError);
    // Ways a `)` could close the anchoring group, or a pattern could lean on the wrapper to be valid.
    for (const pattern of ["a)(", "[a]b)|(c", "\\(a)|(b", "(a))|((b", "a\\", "[a\\]|(b", "(a|b"]) {
      expect(() => compileAnchoredRegex(pattern), pattern).toThrow(SyntaxError);
    }
  });

  it("compiles balanced patterns with escapes and classes as written", () => {
    for (const [pattern, yes, no] of [
      ["/a\\(b\\)", "/a(b)", "/ab"],
      ["/[)(]+", "/)(", "/a"],
      ["/(x|y)[0-9]{2}", "/x12", "/x1"],
      ["/[\\]]", "/]", "/["],
    ] as const) {
      const regex = compileAnchoredRegex(pattern);
      expect([regex.test(yes), regex.test(no)], pattern).toEqual([true, false]);
    }
  });
});

describe("literalPathSegments", () => {
  it.each([
    ["/users/[0-9]+", ["users"]],
    ["/api/v[0-9]+/orders", ["api"]],
    ["/api/v1/orders/.*", ["api", "v1", "orders"]],
    ["/api/v1", ["api"]],
    ["^/api/.*", ["api"]],
    ["/api\\/v1\\/.*", ["api", "v1"]],
    ["/a\\.b/.*", ["a.b"]],
    ["/api/?x", []],
    ["/api/x?/y", ["api"]],
    ["/ab*/c", []],
    ["/a/b*/c", ["a"]],
    ["/a/b{0,1}/c", ["a"]],
    ["/a\\d/x", []],
    ["/a|/b/c", []],
    ["(/a)/b", []],
    [".*/items", []],
    ["[/]a/b", []],
    ["/a//b/", ["a"]],
    ["", []],
  ])("%j → %j", (pattern, expected) => {
    expect(literalPathSegments(pattern)).toEqual(expected);
  });

  it("never files a pattern under segments a matching path lacks", () => {
    const samples: [string, string][] = [
      ["/api/v[0-9]+/orders", "/api/v12/orders"],
      ["/api/x?/y", "/api//y"],
      ["/a/b{0,1}/c", "/a//c"],
      ["/api/?x", "/apix"],
    ];
    for (const [pattern, path] of samples) {
      if (!compileAnchoredRegex(pattern).test(path)) continue;
      const segments = literalPathSegments(pattern);
      expect(path.startsWith(`/${segments.join("/")}${segments.length ? "/" : ""}`), pattern).toBe(true);
    }
  });
});
