/**
 * "No request spends more than 1 ms in one regex match, whatever the table": generated patterns
 * (within the program-size cap, built to be ambiguous: the shapes that make backtracking engines
 * exponential) against generated subjects of up to the longest a regex runs on.
 *
 * Why the bound holds, and why this test is not a flaky timing: RE2 never backtracks. re2js runs a
 * lazy DFA (one cached transition per subject character) and, when the DFA's state budget runs out,
 * a Pike NFA that advances at most one thread per program instruction per character. Either way a
 * match costs at most c · m · n for program size m ≤ MAX_REGEX_PROGRAM_SIZE (200, checked before a
 * table is served) and subject length n ≤ MAX_REGEX_SUBJECT_LENGTH (4096, longer values are refused
 * before any regex runs). The worst measured c·m·n is about half a millisecond (docs/benchmarks.md,
 * "Regex match cost"), so 1 ms holds with room for a busy machine; the minimum of several repetitions
 * per case keeps a scheduler pause or a garbage collection from being taken for the engine's cost.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compileTableRegex,
  MAX_REGEX_PROGRAM_SIZE,
  MAX_REGEX_SUBJECT_LENGTH,
  regexProblem,
} from "../../src/routing/regex.ts";

const BOUND_MS = 1;
const REPETITIONS = 5;

/** Few distinct characters, so that many parts of a pattern compete for the same text. */
const atom = fc.constantFrom("a", "b", "/", "[ab]", "[^/]", ".", "\\w", "[a-z0-9]", "(?:a|ab)", "(?:a|b|)");
const quantifier = fc.oneof(
  fc.constantFrom("", "*", "+", "?", "*?", "+?"),
  fc.integer({ min: 0, max: 12 }).map((n) => `{0,${n}}`),
  fc.integer({ min: 1, max: 6 }).map((n) => `{${n},}`),
);

const groupQuantifier = fc.constantFrom("", "*", "+", "?", "{0,3}", "{2}");

/** Most compile to 50–200 instructions: up to the cap, where a match costs the most. */
const pattern: fc.Arbitrary<string> = fc
  .letrec<{ expr: string; term: string }>((tie) => ({
    term: fc.oneof(
      { maxDepth: 1, depthSize: "small", withCrossShrink: true },
      fc.tuple(atom, quantifier).map(([a, q]) => a + q),
      fc.tuple(tie("expr"), groupQuantifier).map(([e, q]) => `(?:${e})${q}`),
    ),
    expr: fc.oneof(
      fc.array(tie("term"), { minLength: 1, maxLength: 4 }).map((terms) => terms.join("")),
      fc
        .array(fc.array(tie("term"), { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 3 })
        .map((alternatives) => alternatives.map((terms) => terms.join("")).join("|")),
    ),
  }))
  .expr.map((body) => `${body}!?`);

/** A short seed repeated up to the limit, or a shorter value, with an optional different last character. */
const subject = fc
  .tuple(
    fc.string({ unit: fc.constantFrom("a", "b", "/", "1"), minLength: 1, maxLength: 8 }),
    fc.oneof(fc.constant(MAX_REGEX_SUBJECT_LENGTH), fc.integer({ min: 0, max: MAX_REGEX_SUBJECT_LENGTH })),
    fc.constantFrom("", "!", "c"),
  )
  .map(
    ([seed, length, tail]) =>
      seed.repeat(Math.ceil(length / seed.length)).slice(0, length - tail.length) + tail,
  );

function fastestMatchMs(test: (s: string) => boolean, value: string): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < REPETITIONS; i++) {
    const started = performance.now();
    test(value);
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

describe("a route regex match is bounded", () => {
  it(`takes under ${BOUND_MS} ms for any pattern within the cap and any value within the limit`, () => {
    // Warm the engine's code first: the bound is about the engine's work, not V8 compiling re2js.
    const warm = compileTableRegex("(?:[ab]*a[ab]{8})+");
    for (let i = 0; i < 50; i++) warm.test("ab".repeat(2048));

    let accepted = 0;
    fc.assert(
      fc.property(pattern, fc.array(subject, { minLength: 1, maxLength: 3 }), (source, values) => {
        if (regexProblem(source) !== undefined) return; // over the cap: refused, never run
        accepted++;
        const regex = compileTableRegex(source);
        for (const value of values) {
          expect(value.length).toBeLessThanOrEqual(MAX_REGEX_SUBJECT_LENGTH);
          expect(fastestMatchMs(regex.test, value), `${source} on ${value.length} characters`).toBeLessThan(
            BOUND_MS,
          );
        }
      }),
      { numRuns: 150 },
    );
    // The generator must mostly produce patterns the cap admits, or the property would prove little.
    expect(accepted).toBeGreaterThan(100);
    expect(MAX_REGEX_PROGRAM_SIZE).toBe(200);
  });
});
