import { describe, expect, it } from "vitest";
import {
  compileTablePattern,
  MAX_PATTERN_LENGTH,
  MAX_REPEAT_COUNT,
  regexProblem,
} from "../../src/config/regex-safety.ts";

const PATH = { subjectHasNoLineBreaks: true };
const QUERY = { subjectHasNoLineBreaks: false };

describe("regexProblem accepts ordinary patterns", () => {
  it.each([
    "/users/[0-9]+",
    "/api/v[0-9]+/orders/.*",
    "/files/.*",
    "/orders/[0-9]+(/items/[0-9]+)?",
    "[^/]+/[^/]+",
    "[a-z]+-[0-9]+",
    "/a/(b|c)+",
    "(?:ab)*",
    "(\\d{1,3}\\.){3}\\d{1,3}",
    "(a{1,3}){1,3}",
    "a{2,}b{3,}",
    "(?=a)a",
    "^/x$",
    ".+",
  ])("%s", (pattern) => {
    expect(regexProblem(pattern, PATH)).toBeUndefined();
  });
});

describe("regexProblem refuses what could stall the worker", () => {
  it.each([
    ["(a+)+", /^nests quantifiers in "\(a\+\)\+"/],
    ["(a*)*", /^nests quantifiers/],
    ["(\\w+\\.)*x", /^nests quantifiers in "\(\\w\+\\\.\)\*"/],
    ["(?:a?)+", /^nests quantifiers/],
    ["(a{1,10}){1,10}", /^nests quantifiers/],
    ["(a|a)*", /^repeats alternatives that can match the same text in "\(a\|a\)"/],
    ["(a|ab)+", /^repeats alternatives/],
    ["(a|)+", /^repeats something that can match the empty string/],
    ["\\d+\\d*", /^has unbounded quantifiers "\\d\+" and "\\d\*"/],
    ["/.*-.*/end", /quadratic backtracking/],
    ["a*?a*?", /quadratic backtracking/],
  ])("%s", (pattern, reason) => {
    expect(regexProblem(pattern, PATH)).toMatch(reason);
  });

  it("refuses backreferences and lookbehind, which the engine cannot bound", () => {
    expect(regexProblem("/(x)\\1", PATH)).toMatch(/^uses a backreference \(\\1\)/);
    expect(regexProblem("\\k<n>(?<n>a)", PATH)).toMatch(/^uses a backreference \(\\k\)/);
    expect(regexProblem("(?<=a)b", PATH)).toMatch(/^uses a lookbehind/);
    expect(regexProblem("(?<!a)b", PATH)).toMatch(/^uses a lookbehind/);
  });

  it("bounds the pattern's length and its repetition counts", () => {
    expect(regexProblem("x".repeat(MAX_PATTERN_LENGTH), PATH)).toBeUndefined();
    expect(regexProblem("x".repeat(MAX_PATTERN_LENGTH + 1), PATH)).toMatch(/^is longer than 512 characters/);
    expect(regexProblem(`a{${MAX_REPEAT_COUNT}}`, PATH)).toBeUndefined();
    expect(regexProblem(`a{${MAX_REPEAT_COUNT + 1}}`, PATH)).toBe(
      'repeats more than 1000 times in "a{1001}"',
    );
    expect(regexProblem("a{1,5000}", PATH)).toMatch(/^repeats more than 1000 times/);
  });

  it("names the engine's reason for a pattern that is not valid at all", () => {
    expect(regexProblem("/api/(v1", PATH)).toBe("is not a valid regular expression (Unterminated group)");
    expect(regexProblem("[", PATH)).toBe("is not a valid regular expression (Unterminated character class)");
    // Valid only once wrapped: must not escape the anchoring group.
    expect(regexProblem("a)|(.*", PATH)).toMatch(/^is not a valid regular expression/);
  });

  it("allows a final .* only where the subject cannot hold a line break", () => {
    // Paths and header values cannot contain CR/LF, so a trailing .* never fails and is never retried.
    expect(regexProblem(".*Chrome.*", PATH)).toBeUndefined();
    expect(regexProblem("a.*a.*", PATH)).toBeUndefined();
    // Decoded query values can; there the pair is quadratic.
    expect(regexProblem(".*term.*", QUERY)).toMatch(/quadratic backtracking/);
  });
});

describe("compileTablePattern", () => {
  it("anchors a safe pattern to the whole subject", () => {
    const regex = compileTablePattern("/users/[0-9]+", PATH);
    expect(regex.test("/users/42")).toBe(true);
    expect(regex.test("/users/42/x")).toBe(false);
    expect(regex.test("x/users/42")).toBe(false);
    expect(regex.flags).toBe("");
  });

  it("throws on a pattern validation refuses, so an unvalidated table cannot slip one in", () => {
    expect(() => compileTablePattern("(a+)+", PATH)).toThrow(
      /regular expression "\(a\+\)\+" nests quantifiers/,
    );
  });
});
