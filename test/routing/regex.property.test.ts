/**
 * "No request spends more than 1 ms in one regex match, whatever the table": generated patterns
 * (within the program-size cap, built to be ambiguous: the shapes that make backtracking engines
 * exponential and lazy DFAs build a state per character) against generated values as long as each
 * pattern runs on, random or periodic.
 *
 * Why the bound holds: the match runs in RE2's one-pass engine or its bit-state backtracker, which
 * visits each (instruction, position) pair at most once. So a match costs at most c · m · n, with m the
 * program size (≤ MAX_REGEX_PROGRAM_SIZE, checked before a table is served) and n the value's length,
 * and m · n ≤ MAX_REGEX_WORK because a longer value is refused before any regex runs
 * (`subjectLimit`). The slowest measured c, about 25 ns (docs/benchmarks.md, "Regex match cost"),
 * puts c · MAX_REGEX_WORK near 0.45 ms: half the bound. Timing without flakiness: the engine keeps no
 * cache between calls, so repeating a match repeats its work, and the fastest of several repetitions
 * is the engine's cost without a scheduler pause or a garbage collection taken for it.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileTableRegex, MAX_REGEX_PROGRAM_SIZE, regexProblem } from "../../src/routing/regex.ts";

const BOUND_MS = 1;
const REPETITIONS = 7;

/** Few distinct characters, so that many parts of a pattern compete for the same text. */
const atom = fc.constantFrom("a", "b", "/", "[ab]", "[^/]", ".", "\\w", "[a-z0-9]", "(?:a|ab)", "(?:a|b|)");
const quantifier = fc.oneof(
  fc.constantFrom("", "*", "+", "?", "*?", "+?"),
  fc.integer({ min: 0, max: 10 }).map((n) => `{0,${n}}`),
  fc.integer({ min: 1, max: 6 }).map((n) => `{${n},}`),
);
const groupQuantifier = fc.constantFrom("", "*", "+", "?", "{0,3}", "{2}");

/** About half compile within the cap, many of them close to it, where a match costs the most. */
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

const CHARACTERS = ["a", "b", "/", "1"];

interface ValueSpec {
  seed: number;
  periodic: boolean;
  share: number;
  tail: string;
}

/** A value of `length` characters: random (new text at every position) or a short seed repeated. */
const value = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  periodic: fc.boolean(),
  /** Share of the pattern's subject limit; mostly all of it. */
  share: fc.oneof(fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })),
  tail: fc.constantFrom("", "!", "c"),
});

function subjectFor(spec: ValueSpec, limit: number): string {
  const length = Math.floor(spec.share * limit);
  let state = spec.seed;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) & 0x7fffffff;
    return CHARACTERS[state % CHARACTERS.length]!;
  };
  const period = spec.periodic ? 1 + (spec.seed % 8) : length;
  let unit = "";
  for (let i = 0; i < period; i++) unit += next();
  const text = unit.repeat(Math.ceil(length / Math.max(period, 1))).slice(0, length - spec.tail.length);
  return text + spec.tail;
}

function fastestMatchMs(test: (s: string) => boolean, subject: string): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < REPETITIONS; i++) {
    const started = performance.now();
    test(subject);
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

describe("a route regex match is bounded", () => {
  it(`takes under ${BOUND_MS} ms for any pattern within the cap and any value it judges`, () => {
    // Warm the engines' code first (one-pass, bit-state, with and without alternation): the bound is
    // about the engine's work, not V8 running re2js in its interpreter before it has compiled it.
    for (const source of [
      "(?:[ab]*a[ab]{8})+",
      "(?:a|b|)?[a-z0-9]*?a*(?:(?:a|ab)+?)*!?",
      "/users/[0-9]+",
      "[^/]*x",
    ]) {
      const warm = compileTableRegex(source);
      for (let i = 0; i < 200; i++) warm.test("1ab/".repeat(warm.subjectLimit / 4));
    }

    let accepted = 0;
    fc.assert(
      fc.property(pattern, fc.array(value, { minLength: 1, maxLength: 3 }), (source, specs) => {
        if (regexProblem(source) !== undefined) return; // over the cap: refused, never run
        accepted++;
        const regex = compileTableRegex(source);
        for (const spec of specs) {
          const subject = subjectFor(spec, regex.subjectLimit);
          expect(
            fastestMatchMs(regex.test, subject),
            `${source} on ${subject.length} characters`,
          ).toBeLessThan(BOUND_MS);
        }
      }),
      { numRuns: 200 },
    );
    // The generator must often produce patterns the cap admits, or the property would prove little.
    expect(accepted).toBeGreaterThan(60);
    expect(MAX_REGEX_PROGRAM_SIZE).toBe(100);
  });
});
