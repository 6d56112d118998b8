import { describe, expect, it } from "vitest";
import {
  compileTableRegex,
  literalPathSegments,
  literalPrefix,
  MAX_REGEX_PROGRAM_SIZE,
  MAX_REGEX_WORK,
  RegexSubjectTooLong,
  regexProblem,
  subjectLimit,
} from "../../src/routing/regex.ts";

/** Issue 11's pattern: 18 s of V8 backtracking on a 110-character path. */
const ISSUE_PATTERN = "/r/[a-z]{0,99}[a-z]{0,99}[a-z]{0,99}[a-z]{0,99}[a-z]{0,99}[a-z]{0,99}!";

describe("compileTableRegex", () => {
  it("matches the whole value, as RE2's full match", () => {
    const regex = compileTableRegex("/a|/b");
    expect(["/a", "/b"].map((s) => regex.test(s))).toEqual([true, true]);
    expect(["/ab", "x/a", "/b/"].map((s) => regex.test(s))).toEqual([false, false, false]);
  });

  it("reads RE2 syntax: escapes, classes, flags, named groups", () => {
    for (const [pattern, yes, no] of [
      ["/a\\(b\\)", "/a(b)", "/ab"],
      ["/[)(]+", "/)(", "/a"],
      ["/(x|y)[0-9]{2}", "/x12", "/x1"],
      ["/[\\]]", "/]", "/["],
      ["(?i)/api/.*", "/API/x", "/apx/x"],
      ["/x/(?P<id>[0-9]+)", "/x/12", "/x/a"],
      ["/[[:alpha:]]+", "/abc", "/a1"],
      ["/\\pL+", "/été", "/1"],
      ["/\\Q.*\\E", "/.*", "/ab"],
    ] as const) {
      const regex = compileTableRegex(pattern);
      expect([regex.test(yes), regex.test(no)], pattern).toEqual([true, false]);
    }
  });

  it("throws the reason for a pattern validation refuses, so an unchecked table cannot slip one in", () => {
    expect(() => compileTableRegex("a)|(b")).toThrow(/^is not a valid RE2 regular expression/);
    expect(() => compileTableRegex(ISSUE_PATTERN)).toThrow(/program size 1194 exceeds the limit of 100/);
  });

  it("refuses to judge a value longer than its pattern's limit instead of answering no", () => {
    const regex = compileTableRegex(".*"); // 4 instructions
    expect(regex.subjectLimit).toBe(MAX_REGEX_WORK / 4);
    expect(regex.test("a".repeat(regex.subjectLimit))).toBe(true);
    expect(() => regex.test("a".repeat(regex.subjectLimit + 1))).toThrow(RegexSubjectTooLong);
    expect(() => regex.test("a".repeat(regex.subjectLimit + 1))).toThrow(
      "a value of 4097 characters is longer than the 4096 a route regular expression judges",
    );
  });

  it("bounds program size times subject length, so a larger pattern judges shorter values", () => {
    expect(compileTableRegex("/users/[0-9]+").subjectLimit).toBe(subjectLimit(11));
    expect(subjectLimit(11)).toBe(1489);
    expect(subjectLimit(MAX_REGEX_PROGRAM_SIZE)).toBe(163);
  });
});

describe("regexProblem", () => {
  it.each([
    "/users/[0-9]+",
    "/api/v[0-9]+/orders/.*",
    "[^/]*Chrome/[0-9]+[^/]*",
    "/orders/[0-9]+(/items/[0-9]+)?",
    "(\\d{1,3}\\.){3}\\d{1,3}",
    "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    // Catastrophic for a backtracking engine, linear for RE2: accepted.
    "(a+)+b",
    "(a|a)*",
    "/.*-.*/end",
    "/r/[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*!",
  ])("accepts %s", (pattern) => {
    expect(regexProblem(pattern)).toBeUndefined();
  });

  it("refuses a program over the cap, with its size and the limit", () => {
    expect(regexProblem(ISSUE_PATTERN)).toMatch(
      /^regular expression program size 1194 exceeds the limit of 100 \(/,
    );
    expect(regexProblem("a{1,1000}")).toMatch(
      /^regular expression program size 2001 exceeds the limit of 100/,
    );
    expect(MAX_REGEX_PROGRAM_SIZE).toBe(100);
  });

  it("names lookaround and backreferences, which RE2 lacks by design", () => {
    for (const pattern of ["(?=a)a", "a(?!b)", "(?<=a)b", "(?<!a)b"]) {
      expect(regexProblem(pattern), pattern).toMatch(
        /^uses lookaround .*, which RE2 does not support \(route regexes run in linear time\)$/,
      );
    }
    for (const pattern of ["/(x)\\1", "\\k<n>(?<n>a)"]) {
      expect(regexProblem(pattern), pattern).toMatch(/^uses a backreference .*, which RE2 does not support/);
    }
  });

  it("gives RE2's reason for a pattern that is not valid at all", () => {
    expect(regexProblem("/api/(v1")).toBe(
      "is not a valid RE2 regular expression (missing closing ): `/api/(v1`)",
    );
    expect(regexProblem("[")).toBe("is not a valid RE2 regular expression (missing closing ]: `[`)");
    expect(regexProblem("a{1001}")).toMatch(/invalid repeat count/);
    // Valid only if wrapped: must not reach outside the whole-value match.
    expect(regexProblem("a)|(.*")).toMatch(/^is not a valid RE2 regular expression \(unexpected \)/);
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
      if (!compileTableRegex(pattern).test(path)) continue;
      const segments = literalPathSegments(pattern);
      expect(path.startsWith(`/${segments.join("/")}${segments.length ? "/" : ""}`), pattern).toBe(true);
    }
  });
});

describe("regexProblem, remembered", () => {
  it("answers a repeated pattern as the first time, refused or not", () => {
    for (let i = 0; i < 3; i++) {
      expect(regexProblem("/ok/[0-9]+")).toBeUndefined();
      expect(regexProblem("(?=x)x")).toMatch(/^uses lookaround/);
      expect(regexProblem(ISSUE_PATTERN)).toMatch(/program size 1194/);
    }
  });
});

describe("literalPrefix", () => {
  it.each([
    ["/users/[0-9]+", "/users/"],
    ["/v[0-9]+/orders", "/v"],
    ["^/api/.*", "/api/"],
    ["/a\\.b/.*", "/a.b/"],
    ["/api/x?/y", "/api/"],
    ["/ab*/c", "/a"],
    ["/a/b{0,1}/c", "/a/"],
    ["/a\\d/x", "/a"],
    ["/a|/b/c", ""],
    ["(?i)/api/.*", ""],
    ["/x(?i)abc", "/x"],
    ["/\\Q.*\\E", "/"],
    [".*/items", ""],
    ["[/]a/b", ""],
    ["/ab+", "/ab"],
    ["", ""],
  ])("%j → %j", (pattern, expected) => {
    expect(literalPrefix(pattern)).toBe(expected);
  });

  it("is the start of every value the pattern matches", () => {
    const samples: [string, string[]][] = [
      ["/v[0-9]+/orders", ["/v1/orders", "/v22/orders"]],
      ["/ab*/c", ["/a/c", "/abb/c"]],
      ["/a/b{0,1}/c", ["/a//c", "/a/b/c"]],
      ["/api/x?/y", ["/api//y", "/api/x/y"]],
      ["/x(?i)abc", ["/xABC", "/xabc"]],
      ["/é+/[0-9]", ["/éé/1"]],
    ];
    for (const [pattern, values] of samples) {
      const regex = compileTableRegex(pattern);
      for (const value of values) {
        expect(regex.test(value), `${pattern} ${value}`).toBe(true);
        expect(value.startsWith(literalPrefix(pattern)), `${pattern} ${value}`).toBe(true);
        expect(regex.mayMatch(value), `${pattern} ${value}`).toBe(true);
      }
    }
  });
});

describe("TableRegex.mayMatch", () => {
  it("rules out a value without the literal start, and answers as test does", () => {
    const regex = compileTableRegex("/v[0-9]+/orders");
    expect(regex.mayMatch("/open")).toBe(false);
    expect(regex.test("/open")).toBe(false);
    expect(regex.mayMatch("/v9/orders")).toBe(true);
    expect(regex.mayMatch("/vx")).toBe(true); // the start only: the engine decides
    expect(compileTableRegex(".*").mayMatch("anything")).toBe(true);
  });

  it("leaves a value too long to judge to test, which refuses it whatever it starts with", () => {
    const regex = compileTableRegex("/v[0-9]+/orders");
    const long = `/x${"a".repeat(regex.subjectLimit)}`;
    expect(regex.mayMatch(long)).toBe(true);
    expect(() => regex.test(long)).toThrow(RegexSubjectTooLong);
  });
});
